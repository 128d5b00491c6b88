"""The policy pack: the real inventories are compliant; one mutation per rule is caught, by message.

Rules are called directly (`validate`), never through `PolicyPack`, which would start the
analyzer server.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from marin.stackfiles import PROJECT_ROOT
from offline import engine, policy_check
from offline.engine import Inventory

RULES = {p.name: p for p in policy_check.ALL_POLICIES}


def mutated(inv: Inventory, type_: str, change: Callable[[engine.Resource], None], name: str = "") -> Inventory:
    """A copy of `inv` in which every resource of `type_` (whose logical name contains `name`) is changed."""
    clone = copy.deepcopy(inv)
    hits = [r for r in clone.resources if r.type == type_ and name in r.name]
    assert hits, f"{inv.env} has no {type_} named like {name!r}"
    for r in hits:
        change(r)
    return clone


def set_input(path: str, value: Any) -> Callable[[engine.Resource], None]:
    def change(r: engine.Resource) -> None:
        *parents, leaf = path.split(".")
        target: Any = r.inputs
        for p in parents:
            target = target[int(p)] if isinstance(target, list) else target[p]
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value

    return change


def edit_json(key: str, fn: Callable[[Any], Any]) -> Callable[[engine.Resource], None]:
    def change(r: engine.Resource) -> None:
        r.inputs[key] = json.dumps(fn(json.loads(r.inputs[key])))

    return change


def unprotect(r: engine.Resource) -> None:
    r.protect = False


def messages(inv: Inventory, rule: str) -> list[str]:
    return [v.message for v in policy_check.check(inv, [RULES[rule]])]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_passes_every_committed_environment(rule: str, all_inventories: dict[str, Inventory]) -> None:
    for inv in all_inventories.values():
        assert messages(inv, rule) == [], f"{rule} on {inv.env}"


def test_every_rule_has_a_kebab_name_description_and_level() -> None:
    for rule in RULES.values():
        assert rule.name == rule.name.lower()
        assert " " not in rule.name
        assert rule.description
        assert rule.enforcement_level is not None


MUTATIONS: list[tuple[str, str, str, Callable[[engine.Resource], None], str, str]] = [
    # (rule, env, type, change, logical-name filter, expected message)
    (
        "naming-convention",
        "dev",
        "aws:s3/bucket:Bucket",
        set_input("bucket", "recordings-dev"),
        "",
        "aws:s3/bucket:Bucket name 'recordings-dev' must be marin-dev-<resource>",
    ),
    (
        "naming-convention",
        "prod",
        "aws:cloudwatch/logGroup:LogGroup",
        set_input("name", "/ecs/staging/api"),
        "api",
        "log group '/ecs/staging/api' must be /ecs/prod/<service> (or /vpc/prod/<name>)",
    ),
    (
        "naming-convention",
        "staging",
        "aws:secretsmanager/secret:Secret",
        set_input("name", "prod/audio-pipeline/mongodb-uri"),
        "mongodb",
        "secret 'prod/audio-pipeline/mongodb-uri' must live under staging/audio-pipeline/",
    ),
    (
        "required-tags",
        "prod",
        "aws:ec2/vpc:Vpc",
        set_input("tags", {"Name": "marin-prod-vpc", "Environment": "dev"}),
        "",
        "tags Project='marin' Environment='dev' ManagedBy='pulumi'; expected 'marin', 'prod', 'pulumi'",
    ),
    (
        "log-retention-by-environment",
        "prod",
        "aws:cloudwatch/logGroup:LogGroup",
        set_input("retentionInDays", 14),
        "api",
        "log group '/ecs/prod/api' keeps 14 days; prod keeps exactly 30",
    ),
    (
        "dev-cost-ceiling",
        "dev",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        set_input("nodeType", "cache.t4g.medium"),
        "",
        "Redis node cache.t4g.medium is production-grade; dev allows at most cache.t4g.small",
    ),
    (
        "prod-capacity-floor",
        "prod",
        "aws:ecs/taskDefinition:TaskDefinition",
        set_input("cpu", "512"),
        "api",
        "task 'marin-prod-api-task' is 512 CPU / 2048 MiB; prod needs at least 1024 / 2048",
    ),
    (
        "s3-block-public-access",
        "staging",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        set_input("restrictPublicBuckets", False),
        "",
        "bucket 'marin-staging-call-recordings' does not block all public access (blockPublicAcls, blockPublicPolicy, "
        "ignorePublicAcls, restrictPublicBuckets)",
    ),
    (
        "s3-default-encryption",
        "dev",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        set_input("rules", []),
        "",
        "bucket 'marin-dev-call-recordings' has no default server-side encryption",
    ),
    (
        "s3-tls-only",
        "prod",
        "aws:s3/bucketPolicy:BucketPolicy",
        edit_json("policy", lambda d: {**d, "Statement": d["Statement"][1:]}),
        "",
        "bucket 'marin-prod-call-recordings' does not deny requests without TLS (aws:SecureTransport)",
    ),
    (
        "s3-versioning-outside-dev",
        "prod",
        "aws:s3/bucketVersioning:BucketVersioning",
        set_input("versioningConfiguration.status", "Suspended"),
        "",
        "bucket 'marin-prod-call-recordings' is not versioned; prod keeps object versions",
    ),
    (
        "elasticache-encryption",
        "dev",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        set_input("transitEncryptionEnabled", False),
        "",
        "Redis is not encrypted in transit",
    ),
    (
        "elasticache-auth",
        "staging",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        set_input("authToken", None),
        "",
        "Redis accepts connections without AUTH",
    ),
    (
        "elasticache-multi-az-outside-dev",
        "prod",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        set_input("multiAzEnabled", False),
        "",
        "Redis in prod needs Multi-AZ with automatic failover",
    ),
    (
        "opensearch-in-vpc",
        "dev",
        "aws:opensearch/domain:Domain",
        set_input("vpcOptions", None),
        "",
        "OpenSearch domain is not inside a VPC (it would have a public endpoint)",
    ),
    (
        "opensearch-https-only",
        "staging",
        "aws:opensearch/domain:Domain",
        set_input("domainEndpointOptions.enforceHttps", False),
        "",
        "OpenSearch domain does not enforce HTTPS",
    ),
    (
        "opensearch-encryption",
        "prod",
        "aws:opensearch/domain:Domain",
        set_input("encryptAtRest.enabled", False),
        "",
        "OpenSearch domain is not encrypted at rest",
    ),
    (
        "no-open-ingress",
        "dev",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        set_input("cidrIpv4", "0.0.0.0/0"),
        "redis-from-services",
        "network-redis-from-services: ingress from 0.0.0.0/0 on ports 6379-6379 of marin-dev-redis-sg; only 80/443 on "
        "the load balancer",
    ),
    (
        "default-security-group-closed",
        "staging",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        set_input("ingress", [{"protocol": "-1", "self": True}]),
        "",
        "the default security group allows traffic",
    ),
    (
        "iam-no-full-admin",
        "dev",
        "aws:iam/rolePolicy:RolePolicy",
        edit_json("policy", lambda d: {**d, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        "api-task",
        "policy of iam-api-task allows every action on every resource",
    ),
    (
        "iam-secrets-own-environment",
        "staging",
        "aws:iam/rolePolicy:RolePolicy",
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
        "worker-task",
        "iam-worker-task grants secret reads on 'arn:aws:secretsmanager:us-east-1:1:secret:dev/*'; only "
        ":secret:staging/audio-pipeline/... is allowed in staging",
    ),
    (
        "secret-recovery-window",
        "prod",
        "aws:secretsmanager/secret:Secret",
        set_input("recoveryWindowInDays", 7),
        "app-signing",
        "secret 'prod/audio-pipeline/app-signing-key' has a 7-day recovery window; prod needs 30",
    ),
    (
        "data-protected-outside-dev",
        "prod",
        "aws:opensearch/domain:Domain",
        unprotect,
        "",
        "Domain search-domain in prod is neither protected nor retained on delete",
    ),
    (
        "atlas-no-open-access",
        "dev",
        "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList",
        set_input("ipAddress", "0.0.0.0"),
        "",
        "Atlas access list admits 0.0.0.0",
    ),
    (
        "atlas-backups-by-environment",
        "prod",
        "mongodbatlas:index/advancedCluster:AdvancedCluster",
        set_input("pitEnabled", False),
        "",
        "Atlas cluster 'marin-prod' in prod has no point-in-time recovery",
    ),
    (
        "ecs-no-public-ip-outside-dev",
        "staging",
        "aws:ecs/service:Service",
        set_input("networkConfiguration.assignPublicIp", True),
        "worker",
        "service 'marin-staging-worker-service' assigns public IPs to its tasks in staging",
    ),
    (
        "ecs-circuit-breaker",
        "dev",
        "aws:ecs/service:Service",
        set_input("deploymentCircuitBreaker", None),
        "api",
        "service 'marin-dev-api-service' has no deployment circuit breaker with rollback",
    ),
    (
        "ecs-logging",
        "prod",
        "aws:ecs/taskDefinition:TaskDefinition",
        edit_json(
            "containerDefinitions", lambda cs: [{k: v for k, v in c.items() if k != "logConfiguration"} for c in cs]
        ),
        "worker",
        "container 'worker' of 'marin-prod-worker-task' has no log configuration",
    ),
]


def test_every_rule_has_a_mutation() -> None:
    assert {m[0] for m in MUTATIONS} | {"no-secret-outputs"} == set(RULES)


@pytest.mark.parametrize(
    ("rule", "env", "type_", "change", "name", "expected"), MUTATIONS, ids=[f"{m[0]}-{m[1]}" for m in MUTATIONS]
)
def test_a_violating_mutation_is_reported(
    rule: str,
    env: str,
    type_: str,
    change: Callable[[engine.Resource], None],
    name: str,
    expected: str,
    all_inventories: dict[str, Inventory],
) -> None:
    assert messages(mutated(all_inventories[env], type_, change, name), rule) == [expected]


def test_a_provider_without_default_tags_leaves_every_taggable_resource_untagged(
    all_inventories: dict[str, Inventory],
) -> None:
    inv = mutated(
        all_inventories["staging"],
        "pulumi:providers:aws",
        set_input("defaultTags", json.dumps({"tags": {"Project": "marin", "Environment": "staging"}})),
    )
    found = messages(inv, "required-tags")
    assert len(found) > 50
    assert set(found) == {"missing tags ManagedBy (set them through the provider's default tags)"}


def test_a_secret_value_in_the_outputs_is_reported(all_inventories: dict[str, Inventory]) -> None:
    inv = copy.deepcopy(all_inventories["prod"])
    inv.outputs["mongodbUri"] = "mongodb+srv://app:hunter2@marin-prod.ab1cd.mongodb.net"
    assert messages(inv, "no-secret-outputs") == ["stack output 'mongodbUri' looks like a secret value in plaintext"]


@pytest.fixture
def broken_prod(tmp_path: Path) -> Path:
    """A copy of the stack files where prod keeps logs 14 days and is unprotected: valid config, bad policy."""
    for f in PROJECT_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    prod = tmp_path / "Pulumi.prod.yaml"
    prod.write_text(
        prod.read_text()
        .replace("marin:logRetentionDays: 30", "marin:logRetentionDays: 14")
        .replace("marin:protectData: true", "marin:protectData: false")
    )
    return tmp_path


def test_a_deliberately_broken_copy_of_prod_is_caught(broken_prod: Path) -> None:
    violations = policy_check.check(engine.run("prod", stack_dir=broken_prod))
    assert {"log-retention-by-environment", "data-protected-outside-dev"} <= {v.policy for v in violations}
    assert "log group '/ecs/prod/api' keeps 14 days; prod keeps exactly 30" in {v.message for v in violations}


def test_every_rule_is_documented_in_the_readme() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        level = rule.enforcement_level.value if rule.enforcement_level else ""
        assert f"| `{rule.name}` | {rule.description} |" in readme
        assert f"| {level} |" in readme


UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi_policy's sentinel for a value not known in preview


@pytest.mark.parametrize(
    ("type_", "key"),
    [
        ("aws:s3/bucketPolicy:BucketPolicy", "policy"),
        ("aws:iam/rolePolicy:RolePolicy", "policy"),
        ("aws:ecs/taskDefinition:TaskDefinition", "containerDefinitions"),
    ],
)
def test_documents_unknown_during_preview_do_not_break_the_pack(
    type_: str, key: str, all_inventories: dict[str, Inventory]
) -> None:
    inv = mutated(all_inventories["prod"], type_, set_input(key, UNKNOWN_STRING))
    assert policy_check.check(inv) == []
