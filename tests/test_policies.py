"""The policy pack through pulumi_policy's own analyzer servicer, fed what the engine would feed it.

Every committed stack has no violation, neither on an update nor on the first preview of a new
stack (where rules that cannot decide say so with pulumi_policy's advisory note); one violating
mutation per rule (and per branch of each rule) is reported with its exact message and level.
"""

from __future__ import annotations

import copy
import functools
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pulumi_mongodbatlas
import pulumi_random
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi_policy import ResourceValidationPolicy

from marin import stackfiles
from marin.stackfiles import PROJECT_ROOT
from offline import engine, policy
from offline.engine import Inventory
from policy.marin_policies._common import token
from tests.conftest import config_of, inventory_of

ENVS = stackfiles.environments()
SERVICER = policy.load_servicer()
RULES = {r.name: r for r in policy.rules(SERVICER)}


@functools.cache
def preview_of(env: str) -> Inventory:
    return engine.run(env, preview=True)


@pytest.fixture
def previews() -> dict[str, Inventory]:
    return {e: preview_of(e) for e in ENVS}


@functools.cache
def report(env: str, preview: bool) -> policy.Report:
    return policy.analyze(preview_of(env) if preview else inventory_of(env))


def report_of(inv: Inventory) -> policy.Report:
    """The pack's report on a committed stack's inventory (an update's, or a first preview's)."""
    return report(inv.env, inv.preview)


# --- the committed stacks ------------------------------------------------------------------------


# Advisories the committed stacks still raise, each with its pending fix: none.
KNOWN_ADVISORIES: set[str] = set()


@pytest.mark.parametrize("preview", [False, True], ids=["update", "first-preview"])
def test_every_committed_stack_passes_the_pack_through_the_real_servicer(
    env: str, preview: bool, all_inventories: dict[str, Inventory], previews: dict[str, Inventory]
) -> None:
    report = report_of(previews[env] if preview else all_inventories[env])
    assert report.mandatory == [], f"{env} ({'preview' if preview else 'update'})"
    assert {f.policy for f in report.advisory} <= KNOWN_ADVISORIES
    assert {r.name for r in report.rules} == set(RULES), "every rule ran"
    if not preview:
        assert report.preview_notes == [], "an update knows every value"


def test_rules_that_cannot_decide_in_a_first_preview_say_so_as_advisory_notes(
    previews: dict[str, Inventory],
) -> None:
    for inv in previews.values():
        notes = report_of(inv).preview_notes
        assert notes, inv.env
        for note in notes:
            assert note.level == "advisory"
            assert note.message.startswith(f"can't run policy '{note.policy}' from policy pack 'marin-guardrails@")
            assert note.message.endswith("can't be known during preview")
    # The bucket policy names the bucket's ARN: unknown before the bucket exists.
    assert "s3-tls-only" in {n.policy for n in report_of(previews["prod"]).preview_notes}


def test_what_a_first_preview_can_decide_it_decides(previews: dict[str, Inventory]) -> None:
    """Attachments are matched to their bucket by property dependencies, not by the unknown id;
    a generated (unknown) AUTH token is still a token."""
    notes = {n.policy for inv in previews.values() for n in report_of(inv).preview_notes}
    assert not notes & {"s3-block-public-access", "s3-default-encryption", "s3-versioning"}
    assert "elasticache-auth" not in notes
    assert "required-tags" not in notes


def test_the_pack_is_loaded_as_the_cli_loads_it() -> None:
    info = SERVICER.GetAnalyzerInfo(None, None)
    assert type(SERVICER).__name__ == "_PolicyAnalyzerServicer"
    assert info.name == "marin-guardrails"
    assert {p.name for p in info.policies} == set(RULES)
    assert len(RULES) == len(info.policies), "rule names are unique"


def test_every_rule_has_a_kebab_name_description_and_level() -> None:
    for rule in RULES.values():
        assert rule.name == rule.name.lower()
        assert " " not in rule.name
        assert rule.level in ("mandatory", "advisory")


# --- mutations, through the servicer --------------------------------------------------------------

Change = Callable[[engine.Resource], None]


def _edit_structs(r: engine.Resource, fn: Callable[[dict[str, Any]], None]) -> None:
    """Apply `fn` to the registered inputs and to the outputs (what Analyze and AnalyzeStack see)."""
    for message in (r.request.object, r.response.object if r.response is not None else None):
        if message is None:
            continue
        doc = json_format.MessageToDict(message)
        fn(doc)
        message.Clear()
        json_format.ParseDict(doc, message)


def set_input(path: str, value: Any) -> Change:
    def change(r: engine.Resource) -> None:
        def edit(doc: dict[str, Any]) -> None:
            *parents, leaf = path.split(".")
            target: Any = doc
            for p in parents:
                target = target[int(p)] if isinstance(target, list) else target[p]
            if value is None:
                target.pop(leaf, None)
            else:
                target[leaf] = value

        _edit_structs(r, edit)

    return change


def edit_json(key: str, fn: Callable[[Any], Any]) -> Change:
    def change(r: engine.Resource) -> None:
        def edit(doc: dict[str, Any]) -> None:
            doc[key] = json.dumps(fn(json.loads(doc[key])))

        _edit_structs(r, edit)

    return change


def unprotect(r: engine.Resource) -> None:
    r.protect = False


def mutated(inv: Inventory, type_: str, change: Change, name: str = "") -> Inventory:
    """A copy of `inv` in which every resource of `type_` (whose logical name contains `name`) is changed."""
    hits = {id(r) for r in inv.resources if r.type == type_ and name in r.name}
    assert hits, f"{inv.env} has no {type_} named like {name!r}"
    resources = []
    for original in inv.resources:
        r = original
        if id(original) in hits:
            r = copy.copy(original)
            r.request, r.response = copy.deepcopy(r.request), copy.deepcopy(r.response)
            change(r)
        resources.append(r)
    return _replace(inv, resources)


def _replace(inv: Inventory, resources: list[engine.Resource]) -> Inventory:
    clone = copy.copy(inv)
    clone.resources = resources
    return clone


def with_output(inv: Inventory, key: str, value: Any, *, secret: bool = False) -> Inventory:
    """A copy of `inv` whose stack exports `key` (as the SDK would: a secret wrapped in its marker)."""
    clone = _replace(inv, inv.resources)
    clone.registered_outputs = dict(inv.registered_outputs)
    outputs = struct_pb2.Struct()
    outputs.CopyFrom(inv.registered_outputs[inv.stack_urn])
    outputs.update({key: {engine.SECRET_SIG: engine.SECRET_MARK, "value": value} if secret else value})
    clone.registered_outputs[inv.stack_urn] = outputs
    return clone


def _as_literal(bucket_name: str) -> Change:
    """The attachment names its bucket with a literal string: no property dependency to follow."""

    def change(r: engine.Resource) -> None:
        set_input("bucket", bucket_name)(r)
        r.property_dependencies = {k: v for k, v in r.property_dependencies.items() if k != "bucket"}

    return change


MANDATORY, ADVISORY = "mandatory", "advisory"
MUTATIONS: list[tuple[str, str, str, str, str, Change, str]] = [
    # (rule, level, env, type, logical-name filter, change, expected message)
    (
        "naming-convention",
        MANDATORY,
        "dev",
        token(aws.s3.Bucket),
        "storage",
        set_input("bucket", "recordings-dev"),
        "aws:s3/bucket:Bucket name 'recordings-dev' must be marin-dev-<resource>",
    ),
    (
        "naming-convention",
        MANDATORY,
        "prod",
        token(aws.cloudwatch.LogGroup),
        "api",
        set_input("name", "/ecs/staging/api"),
        "log group '/ecs/staging/api' must be /ecs/prod/<service> (or /vpc/prod/<name>)",
    ),
    (
        "naming-convention",
        MANDATORY,
        "staging",
        token(aws.secretsmanager.Secret),
        "mongodb",
        set_input("name", "prod/audio-pipeline/mongodb-uri"),
        "secret 'prod/audio-pipeline/mongodb-uri' must live under staging/audio-pipeline/",
    ),
    (
        "naming-convention",
        MANDATORY,
        "prod",
        token(aws.kms.Alias),
        "",
        set_input("name", "alias/alerts"),
        "KMS alias 'alias/alerts' must be alias/marin-prod-<resource>",
    ),
    (
        "required-tags",
        MANDATORY,
        "prod",
        token(aws.ec2.Vpc),
        "",
        set_input("tags", {"Name": "marin-prod-vpc", "Environment": "dev"}),
        "tags Project='marin' Environment='dev' ManagedBy='pulumi'; expected 'marin', 'prod', 'pulumi'",
    ),
    (
        "log-retention",
        MANDATORY,
        "prod",
        token(aws.cloudwatch.LogGroup),
        "api",
        set_input("retentionInDays", 14),
        "log group '/ecs/prod/api' keeps 14 days; the stack's logRetentionDays is 30",
    ),
    (
        "cost-ceiling",
        ADVISORY,
        "dev",
        token(aws.elasticache.ReplicationGroup),
        "",
        set_input("nodeType", "cache.t4g.medium"),
        "redisNodeType cache.t4g.medium is above the ceiling of a stack without protectData: cache.t4g.small",
    ),
    (
        "cost-ceiling",
        ADVISORY,
        "dev",
        token(aws.ecs.TaskDefinition),
        "api",
        set_input("memory", "2048"),
        "memory 2048 is above the ceiling of a stack without protectData: 1024",
    ),
    (
        "cost-ceiling",
        ADVISORY,
        "dev",
        token(pulumi_mongodbatlas.AdvancedCluster),
        "",
        set_input("replicationSpecs.0.regionConfigs.0.electableSpecs.instanceSize", "M20"),
        "atlasInstanceSize M20 is above the ceiling of a stack without protectData: M10",
    ),
    (
        "capacity-floor",
        MANDATORY,
        "prod",
        token(aws.ecs.TaskDefinition),
        "api",
        set_input("cpu", "256"),
        "cpu 256 is below the floor of a highly available stack: 512",
    ),
    (
        "capacity-floor",
        MANDATORY,
        "staging",
        token(aws.elasticache.ReplicationGroup),
        "",
        set_input("nodeType", "cache.t4g.micro"),
        "redisNodeType cache.t4g.micro is below the floor of a highly available stack: cache.t4g.small",
    ),
    (
        "capacity-floor",
        MANDATORY,
        "prod",
        token(pulumi_mongodbatlas.AdvancedCluster),
        "",
        set_input("replicationSpecs.0.regionConfigs.0.electableSpecs.instanceSize", "M0"),
        "atlasInstanceSize M0 is below the floor of a highly available stack: M10",
    ),
    (
        "s3-block-public-access",
        MANDATORY,
        "staging",
        token(aws.s3.BucketPublicAccessBlock),
        "storage",
        set_input("restrictPublicBuckets", False),
        "public access block storage-public-access-block leaves restrictPublicBuckets off",
    ),
    (
        "s3-default-encryption",
        MANDATORY,
        "dev",
        token(aws.s3.BucketServerSideEncryptionConfiguration),
        "storage",
        set_input("rules", []),
        "encryption configuration storage-encryption sets no default server-side encryption",
    ),
    (
        "s3-tls-only",
        MANDATORY,
        "prod",
        token(aws.s3.BucketPolicy),
        "storage",
        edit_json("policy", lambda d: {**d, "Statement": d["Statement"][1:]}),
        "bucket policy storage-tls-only does not deny requests without TLS (aws:SecureTransport) to everyone, for "
        "every S3 action, on the bucket and its objects",
    ),
    (
        "s3-versioning",
        MANDATORY,
        "prod",
        token(aws.s3.BucketVersioning),
        "storage",
        set_input("versioningConfiguration.status", "Suspended"),
        "bucket versioning storage-versioning is Suspended; the stack protects its data",
    ),
    (
        "s3-bucket-logging",
        MANDATORY,
        "prod",
        token(aws.s3.BucketLogging),
        "",
        _as_literal("someone-elses-bucket"),
        "bucket 'marin-prod-call-recordings' sends no server access logs; the stack protects its data",
    ),
    (
        "access-log-bucket-sse-s3",
        MANDATORY,
        "dev",
        token(aws.s3.BucketServerSideEncryptionConfiguration),
        "logging",
        set_input("rules", [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]),
        "bucket 'marin-dev-access-logs-<account>' receives access logs but encrypts with aws:kms; ELB and S3 log "
        "delivery write only to SSE-S3 (AES256) buckets",
    ),
    (
        "elasticache-encryption",
        MANDATORY,
        "dev",
        token(aws.elasticache.ReplicationGroup),
        "",
        set_input("transitEncryptionEnabled", False),
        "Redis is not encrypted in transit",
    ),
    (
        "elasticache-encryption",
        MANDATORY,
        "prod",
        token(aws.elasticache.ReplicationGroup),
        "",
        set_input("atRestEncryptionEnabled", None),
        "Redis is not encrypted at rest",
    ),
    (
        "elasticache-auth",
        MANDATORY,
        "staging",
        token(aws.elasticache.ReplicationGroup),
        "",
        set_input("authToken", None),
        "Redis accepts connections without AUTH",
    ),
    (
        "elasticache-multi-az",
        MANDATORY,
        "prod",
        token(aws.elasticache.ReplicationGroup),
        "",
        set_input("multiAzEnabled", False),
        "Redis needs Multi-AZ with automatic failover; the stack is highly available",
    ),
    (
        "elasticache-multi-az",
        MANDATORY,
        "staging",
        token(aws.elasticache.ReplicationGroup),
        "",
        set_input("automaticFailoverEnabled", False),
        "Redis needs Multi-AZ with automatic failover; the stack is highly available",
    ),
    (
        "opensearch-in-vpc",
        MANDATORY,
        "dev",
        token(aws.opensearch.Domain),
        "",
        set_input("vpcOptions", None),
        "OpenSearch domain is not inside a VPC (it would have a public endpoint)",
    ),
    (
        "opensearch-https-only",
        MANDATORY,
        "staging",
        token(aws.opensearch.Domain),
        "",
        set_input("domainEndpointOptions.enforceHttps", False),
        "OpenSearch domain does not enforce HTTPS",
    ),
    (
        "opensearch-https-only",
        MANDATORY,
        "prod",
        token(aws.opensearch.Domain),
        "",
        set_input("domainEndpointOptions.tlsSecurityPolicy", "Policy-Min-TLS-1-0-2019-07"),
        "OpenSearch TLS policy 'Policy-Min-TLS-1-0-2019-07' allows TLS below 1.2",
    ),
    (
        "opensearch-encryption",
        MANDATORY,
        "prod",
        token(aws.opensearch.Domain),
        "",
        set_input("encryptAtRest.enabled", False),
        "OpenSearch domain is not encrypted at rest",
    ),
    (
        "opensearch-encryption",
        MANDATORY,
        "dev",
        token(aws.opensearch.Domain),
        "",
        set_input("nodeToNodeEncryption", None),
        "OpenSearch domain does not encrypt node-to-node traffic",
    ),
    (
        "no-open-ingress-ports",
        MANDATORY,
        "dev",
        token(aws.vpc.SecurityGroupIngressRule),
        "redis-from-services",
        set_input("cidrIpv4", "0.0.0.0/0"),
        "network-redis-from-services: ingress from 0.0.0.0/0 on tcp 6379-6379; only TCP 80 or 443 may be open to the "
        "internet",
    ),
    (
        "no-open-ingress-ports",
        MANDATORY,
        "prod",
        token(aws.ec2.SecurityGroup),
        "services-sg",
        set_input("ingress", [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]),
        "marin-prod-services-sg (inline): ingress from 0.0.0.0/0 on tcp 22-22; only TCP 80 or 443 may be open to "
        "the internet",
    ),
    (
        "no-open-ingress",
        MANDATORY,
        "dev",
        token(aws.vpc.SecurityGroupIngressRule),
        "redis-from-services",
        set_input("cidrIpv4", "0.0.0.0/0"),
        "network-redis-from-services: ingress from 0.0.0.0/0 on ports 6379-6379 of marin-dev-redis-sg; only 80/443 on "
        "the load balancer",
    ),
    (
        "no-open-ingress",
        MANDATORY,
        "staging",
        token(aws.vpc.SecurityGroupIngressRule),
        "opensearch-from-services",
        set_input("cidrIpv6", "::/0"),
        "network-opensearch-from-services: ingress from ::/0 on ports 443-443 of marin-staging-opensearch-sg; only "
        "80/443 on the load balancer",
    ),
    (
        "ingress-prefix-lists-readable",
        ADVISORY,
        "dev",
        token(aws.vpc.SecurityGroupIngressRule),
        "redis-from-services",
        set_input("prefixListId", "pl-0123456789abcdef0"),
        "can't read prefix list pl-0123456789abcdef0 of network-redis-from-services: not defined in this stack",
    ),
    (
        "default-security-group-closed",
        MANDATORY,
        "staging",
        token(aws.ec2.DefaultSecurityGroup),
        "",
        set_input("ingress", [{"protocol": "-1", "self": True}]),
        "the default security group allows traffic",
    ),
    (
        "iam-no-full-admin",
        MANDATORY,
        "dev",
        token(aws.iam.RolePolicy),
        "api-task",
        edit_json("policy", lambda d: {**d, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        "policy of iam-api-task allows actions of every service on every resource",
    ),
    (
        "iam-no-privilege-escalation",
        MANDATORY,
        "dev",
        token(aws.iam.RolePolicy),
        "api-task",
        edit_json(
            "policy", lambda d: {**d, "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}
        ),
        "policy of iam-api-task allows iam:PassRole on any role, user, group or policy (privilege escalation)",
    ),
    (
        "no-public-principal",
        MANDATORY,
        "prod",
        token(aws.kms.Key),
        "",
        edit_json(
            "policy",
            lambda d: {**d, "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]},
        ),
        "resource policy of monitoring-alerts-key allows any principal kms:*; narrow it with a condition on "
        "aws:PrincipalAccount, aws:PrincipalOrgID or sts:ExternalId",
    ),
    (
        "iam-policies-readable",
        ADVISORY,
        "staging",
        token(aws.iam.Role),
        "api-task",
        set_input("managedPolicyArns", ["arn:aws:iam::123456789012:policy/admin"]),
        "can't read arn:aws:iam::123456789012:policy/admin attached by iam-api-task: not AWS-managed (moto's copy) "
        "nor in this stack",
    ),
    (
        "iam-secrets-own-environment",
        MANDATORY,
        "staging",
        token(aws.iam.RolePolicy),
        "worker-task",
        edit_json(
            "policy",
            lambda d: {
                **d,
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": "arn:aws:secretsmanager:us-east-1:1:secret:dev/*",
                    }
                ],
            },
        ),
        "policy of iam-worker-task grants secret reads on 'arn:aws:secretsmanager:us-east-1:1:secret:dev/*'; only "
        ":secret:staging/audio-pipeline/... is allowed in staging",
    ),
    (
        "secret-recovery-window",
        MANDATORY,
        "prod",
        token(aws.secretsmanager.Secret),
        "app-signing",
        set_input("recoveryWindowInDays", 7),
        "secret 'prod/audio-pipeline/app-signing-key' has a 7-day recovery window; "
        "the stack's secretRecoveryWindowDays is 30",
    ),
    (
        "secret-recovery-window",
        MANDATORY,
        "dev",
        token(aws.secretsmanager.Secret),
        "app-signing",
        set_input("recoveryWindowInDays", 7),
        "secret 'dev/audio-pipeline/app-signing-key' has a 7-day recovery window; "
        "the stack's secretRecoveryWindowDays is 0",
    ),
    (
        "secret-recovery-window",
        MANDATORY,
        "staging",
        token(aws.secretsmanager.Secret),
        "app-signing",
        set_input("recoveryWindowInDays", 30),
        "secret 'staging/audio-pipeline/app-signing-key' has a 30-day recovery window; "
        "the stack's secretRecoveryWindowDays is 7",
    ),
    (
        "data-protected",
        MANDATORY,
        "prod",
        token(aws.opensearch.Domain),
        "",
        unprotect,
        "Domain search-domain is not protected (protect=True); the stack protects its data",
    ),
    (
        "data-protected",
        MANDATORY,
        "staging",
        token(pulumi_mongodbatlas.AdvancedCluster),
        "",
        set_input("terminationProtectionEnabled", False),
        "Atlas cluster 'marin-staging' has no termination protection; the stack protects its data",
    ),
    (
        "data-protected",
        MANDATORY,
        "prod",
        token(aws.s3.Bucket),
        "storage",
        set_input("forceDestroy", True),
        "bucket 'marin-prod-call-recordings' can be destroyed with its recordings (forceDestroy); the stack protects "
        "its data",
    ),
    (
        "atlas-no-open-access",
        MANDATORY,
        "dev",
        token(pulumi_mongodbatlas.ProjectIpAccessList),
        "",
        set_input("ipAddress", "0.0.0.0"),
        "Atlas access list admits 0.0.0.0",
    ),
    (
        "atlas-no-open-access",
        MANDATORY,
        "dev",
        token(pulumi_mongodbatlas.ProjectIpAccessList),
        "",
        set_input("cidrBlock", "0.0.0.0/0"),
        "Atlas access list admits 0.0.0.0/0",
    ),
    (
        "atlas-backups",
        MANDATORY,
        "prod",
        token(pulumi_mongodbatlas.AdvancedCluster),
        "",
        set_input("pitEnabled", False),
        "Atlas cluster 'marin-prod' has no point-in-time recovery; the stack asks for continuous backup",
    ),
    (
        "atlas-backups",
        MANDATORY,
        "staging",
        token(pulumi_mongodbatlas.AdvancedCluster),
        "",
        set_input("backupEnabled", None),
        "Atlas cluster 'marin-staging' has no cloud backup; the stack protects its data",
    ),
    (
        "ecs-no-public-ip",
        MANDATORY,
        "staging",
        token(aws.ecs.Service),
        "worker",
        set_input("networkConfiguration.assignPublicIp", True),
        "service 'marin-staging-worker-service' assigns public IPs to its tasks; the stack protects its data",
    ),
    (
        "ecs-circuit-breaker",
        MANDATORY,
        "dev",
        token(aws.ecs.Service),
        "api",
        set_input("deploymentCircuitBreaker", None),
        "service 'marin-dev-api-service' has no deployment circuit breaker with rollback",
    ),
    (
        "ecs-circuit-breaker",
        MANDATORY,
        "prod",
        token(aws.ecs.Service),
        "worker",
        set_input("deploymentCircuitBreaker.rollback", False),
        "service 'marin-prod-worker-service' has no deployment circuit breaker with rollback",
    ),
    (
        "ecs-logging",
        MANDATORY,
        "prod",
        token(aws.ecs.TaskDefinition),
        "worker",
        edit_json(
            "containerDefinitions", lambda cs: [{k: v for k, v in c.items() if k != "logConfiguration"} for c in cs]
        ),
        "container 'worker' of 'marin-prod-worker-task' has no log configuration",
    ),
    (
        "kms-key-rotation",
        MANDATORY,
        "prod",
        token(aws.kms.Key),
        "",
        set_input("enableKeyRotation", False),
        "KMS key monitoring-alerts-key does not rotate its key material (enableKeyRotation)",
    ),
    (
        "alb-http-redirects-to-https",
        MANDATORY,
        "staging",
        token(aws.lb.Listener),
        "http-redirect",
        set_input("defaultActions.0.type", "forward"),
        "HTTP listener ingress-http-redirect serves plain HTTP; it must redirect to HTTPS",
    ),
    (
        "elb-deletion-protection",
        MANDATORY,
        "prod",
        token(aws.lb.LoadBalancer),
        "",
        set_input("enableDeletionProtection", False),
        "load balancer 'marin-prod-api-alb' has no deletion protection; the stack protects its data",
    ),
    (
        "elb-access-logs",
        MANDATORY,
        "prod",
        token(aws.lb.LoadBalancer),
        "",
        set_input("accessLogs", {"enabled": False, "bucket": "marin-prod-alb-logs"}),
        "load balancer 'marin-prod-api-alb' keeps no access logs; the stack protects its data",
    ),
    (
        "ec2-imdsv2",
        MANDATORY,
        "dev",
        token(aws.ec2.Instance),
        "",
        set_input("metadataOptions.httpTokens", "optional"),
        "instance network-nat-instance accepts IMDSv1 (metadataOptions.httpTokens must be 'required')",
    ),
    (
        "ec2-encrypted-volumes",
        MANDATORY,
        "dev",
        token(aws.ec2.Instance),
        "",
        set_input("rootBlockDevice.encrypted", False),
        "instance network-nat-instance's root volume is not encrypted",
    ),
]
GENERATED_TOKEN = "<the value cache-auth-token generated>"
# Rules whose violation is not a change of one resource's properties (tested separately below).
OUTPUT_MUTATIONS: list[tuple[str, str, str, str, Any, bool, str]] = [
    # (rule, level, env, output key, value, exported as secret, expected message)
    (
        "no-secret-outputs",
        MANDATORY,
        "prod",
        "mongodbUri",
        "mongodb+srv://app:hunter2@marin-prod.ab1cd.mongodb.net",
        False,
        "stack output 'mongodbUri' carries credentials in a URI; outputs carry ARNs, never values",
    ),
    (
        "no-secret-outputs",
        MANDATORY,
        "staging",
        "redisAuthToken",
        GENERATED_TOKEN,
        True,
        "stack output 'redisAuthToken' carries the secret value of cache-auth-token.result; outputs carry ARNs, "
        "never values",
    ),
]


# Rules broken by a stack file rather than a resource (test_a_deliberately_broken_copy_of_prod_is_caught).
CONFIG_RULES = {
    "no-plaintext-secret-config": MANDATORY,
    "s3-bucket-controls": MANDATORY,
    "default-security-group-managed": MANDATORY,
}  # and REMOVALS


def test_every_rule_has_a_mutation() -> None:
    assert {m[0] for m in MUTATIONS} | {m[0] for m in OUTPUT_MUTATIONS} | set(CONFIG_RULES) == set(RULES)


def test_every_rule_s_level_is_the_documented_one() -> None:
    """A rule downgraded to advisory (or upgraded) fails here, and in its mutations below."""
    levels = {m[0]: m[1] for m in [*MUTATIONS, *OUTPUT_MUTATIONS]} | CONFIG_RULES
    assert {name: r.level for name, r in RULES.items()} == levels


def _findings(inv: Inventory, rule: str, config: dict[str, str] | None = None) -> list[tuple[str, str]]:
    report = policy.analyze(inv, only=[rule], config=config)
    assert report.preview_notes == []
    return [(f.message, f.level) for f in report.violations]


@pytest.mark.parametrize(
    ("rule", "level", "env", "type_", "name", "change", "expected"),
    MUTATIONS,
    ids=[f"{m[0]}-{m[2]}-{i}" for i, m in enumerate(MUTATIONS)],
)
def test_a_violating_mutation_is_reported_with_its_message_and_level(
    rule: str,
    level: str,
    env: str,
    type_: str,
    name: str,
    change: Change,
    expected: str,
    all_inventories: dict[str, Inventory],
) -> None:
    expected = expected.replace("<account>", config_of(env).stack.allowed_account_ids[0])  # the stack's own
    assert _findings(mutated(all_inventories[env], type_, change, name), rule) == [(expected, level)]


@pytest.mark.parametrize(
    ("rule", "level", "env", "key", "value", "secret", "expected"),
    OUTPUT_MUTATIONS,
    ids=[f"{m[0]}-{m[3]}" for m in OUTPUT_MUTATIONS],
)
def test_a_secret_value_in_the_outputs_is_reported_marked_secret_or_not(
    rule: str,
    level: str,
    env: str,
    key: str,
    value: str,
    secret: bool,
    expected: str,
    all_inventories: dict[str, Inventory],
) -> None:
    inv = all_inventories[env]
    if value == GENERATED_TOKEN:
        passwords = inv.of_type(token(pulumi_random.RandomPassword))
        generated = next(r for r in passwords if r.name == "cache-auth-token")
        value = engine.unwrap(generated.outputs["result"])
    assert _findings(with_output(inv, key, value, secret=secret), rule) == [(expected, level)]


REMOVALS: list[tuple[str, str, str, str]] = [
    # (rule, env, type removed from the stack, expected message): the "has none at all" branches
    (
        "s3-bucket-controls",
        "prod",
        token(aws.s3.BucketPublicAccessBlock),
        "bucket 'marin-prod-call-recordings' has no public access block",
    ),
    (
        "s3-bucket-controls",
        "staging",
        token(aws.s3.BucketServerSideEncryptionConfiguration),
        "bucket 'marin-staging-call-recordings' has no default encryption",
    ),
    (
        "s3-bucket-controls",
        "dev",
        token(aws.s3.BucketPolicy),
        "bucket 'marin-dev-call-recordings' has no bucket policy",
    ),
    (
        "s3-bucket-controls",
        "staging",
        token(aws.s3.BucketVersioning),
        "bucket 'marin-staging-call-recordings' has no versioning",
    ),
    (
        "default-security-group-managed",
        "dev",
        token(aws.ec2.DefaultSecurityGroup),
        "the VPC's default security group is not managed (and emptied)",
    ),
]


@pytest.mark.parametrize(
    ("rule", "env", "type_", "expected"), REMOVALS, ids=[f"{m[0]}-{m[1]}-{i}" for i, m in enumerate(REMOVALS)]
)
def test_a_missing_control_is_reported(
    rule: str, env: str, type_: str, expected: str, all_inventories: dict[str, Inventory]
) -> None:
    inv = all_inventories[env]
    assert inv.of_type(type_), f"{env} declares no {type_}"
    # the access-log bucket keeps its own: one finding, on the recordings bucket
    inv = _replace(inv, [r for r in inv.resources if r.type != type_ or r.tier == "logging"])
    assert _findings(inv, rule) == [(expected, RULES[rule].level)]


def test_an_attachment_naming_its_bucket_literally_is_matched_by_name(all_inventories: dict[str, Inventory]) -> None:
    inv, sse = all_inventories["prod"], token(aws.s3.BucketPublicAccessBlock)
    literal = _as_literal("marin-prod-call-recordings")
    assert _findings(mutated(inv, sse, literal, "storage"), "s3-bucket-controls") == []
    assert _findings(mutated(inv, sse, _as_literal("someone-elses-bucket"), "storage"), "s3-bucket-controls") == [
        ("bucket 'marin-prod-call-recordings' has no public access block", MANDATORY)
    ]


def _user_group_instead_of_token(r: engine.Resource) -> None:
    set_input("authToken", None)(r)
    set_input("userGroupIds", ["marin-staging-users"])(r)


def test_redis_with_a_user_group_instead_of_a_token_has_auth(all_inventories: dict[str, Inventory]) -> None:
    inv = mutated(all_inventories["staging"], token(aws.elasticache.ReplicationGroup), _user_group_instead_of_token)
    assert _findings(inv, "elasticache-auth") == []


def test_outputs_that_only_look_like_secrets_are_not_reported(all_inventories: dict[str, Inventory]) -> None:
    """The old name heuristic flagged any `*Token` / `*Key` output that was not an ARN."""
    inv = all_inventories["prod"]
    inv = with_output(inv, "redisAuthTokenSecretName", "prod/audio-pipeline/redis-auth-token", secret=True)
    inv = with_output(inv, "signingKeyRotationDays", "thirty")
    assert _findings(inv, "no-secret-outputs") == []


def mutation(rule: str) -> tuple[str, str, str, str, str, Change, str]:
    return next(m for m in MUTATIONS if m[0] == rule)


def test_a_rule_downgraded_by_pack_config_reports_advisory(all_inventories: dict[str, Inventory]) -> None:
    """The level is the servicer's: the same mutation under `--policy-pack-config` is advisory."""
    rule, _, env, type_, name, change, expected = mutation("log-retention")
    inv = mutated(all_inventories[env], type_, change, name)
    assert _findings(inv, rule, config={rule: "advisory"}) == [(expected, "advisory")]


def test_a_provider_without_default_tags_leaves_every_taggable_resource_untagged(
    all_inventories: dict[str, Inventory],
) -> None:
    inv = mutated(
        all_inventories["staging"],
        "pulumi:providers:aws",
        set_input("defaultTags", json.dumps({"tags": {"Project": "marin", "Environment": "staging"}})),
    )
    found = _findings(inv, "required-tags")
    assert len(found) > 50
    assert set(found) == {("missing tags ManagedBy (set them through the provider's default tags)", MANDATORY)}


def test_the_provider_s_default_tags_reach_the_rule_json_encoded(all_inventories: dict[str, Inventory]) -> None:
    """As the Python SDK registers them, so the rule must decode them (issue 11, point 2)."""
    for inv in all_inventories.values():
        provider = inv.one("pulumi:providers:aws")
        default_tags = provider.request.object["defaultTags"]
        assert isinstance(default_tags, str)
        assert json.loads(default_tags)["tags"]["Environment"] == inv.env


# --- preview: a violation visible before anything exists is reported; the rest is a note ---------------


def test_a_first_preview_still_reports_what_it_can_see(previews: dict[str, Inventory]) -> None:
    for rule in ("s3-versioning", "no-open-ingress-ports", "required-tags", "opensearch-encryption"):
        _, level, env, type_, name, change, expected = mutation(rule)
        assert _findings(mutated(previews[env], type_, change, name), rule) == [(expected, level)], rule


def test_a_rule_that_cannot_decide_in_preview_gives_the_servicer_s_note_not_a_verdict(
    previews: dict[str, Inventory],
) -> None:
    report = policy.analyze(previews["prod"], only=["iam-secrets-own-environment"])
    assert report.violations == []
    assert {n.resource for n in report.preview_notes} >= {"iam-api-execution", "iam-worker-execution"}
    unknown_policy = "string value at .policy can't be known during preview"
    assert all(n.message.endswith(unknown_policy) for n in report.preview_notes)


# --- a whole stack file that breaks policy ----------------------------------------------------------


@pytest.fixture
def broken_prod(tmp_path: Path) -> Path:
    """A copy of the stack files where prod (protectData) keeps logs 7 days: config the program
    accepts, a stack the pack refuses. (A secret in plaintext in the file is refused earlier, when
    the stack file is read: tests/test_own_stack_only.py.)"""
    for f in PROJECT_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    prod = tmp_path / "Pulumi.prod.yaml"
    broken = prod.read_text().replace("marin:logRetentionDays: 30", "marin:logRetentionDays: 7")
    prod.write_text(broken)
    return tmp_path


@pytest.mark.parametrize("preview", [False, True], ids=["update", "first-preview"])
def test_a_deliberately_broken_copy_of_prod_is_caught(broken_prod: Path, preview: bool) -> None:
    report = policy.run("prod", stack_dir=broken_prod, preview=preview)
    messages = {f.message for f in report.mandatory}
    assert "log group '/ecs/prod/api' keeps 7 days; this stack keeps at least 14" in messages


def test_every_rule_is_documented_in_the_policy_doc() -> None:
    readme = (PROJECT_ROOT / "docs" / "policy.md").read_text(encoding="utf-8").splitlines()
    for p in SERVICER.GetAnalyzerInfo(None, None).policies:
        rule = RULES[p.name]
        control = p.framework.reference if p.HasField("framework") and p.framework.reference else "-"
        assert f"| `{p.name}` | {p.description} | {control} | {rule.kind} | {rule.level} |" in readme


def test_resource_rules_are_resource_policies() -> None:
    """Guard the kind the README states: a resource rule blocks `up` before the resource exists."""
    pack = sys.modules["marin_policies"]  # imported by the pack's __main__ when the servicer loaded
    kinds = {p.name: "resource" if isinstance(p, ResourceValidationPolicy) else "stack" for p in pack.ALL_POLICIES}
    assert kinds == {name: r.kind for name, r in RULES.items()}
