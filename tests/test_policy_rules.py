"""Every rule of the policy pack, branch by branch, through pulumi_policy's own analyzer servicer.

`test_policies.py` runs the pack over the committed stacks (the program under mocks); here each
rule meets hand-built resources, one `Analyze` (resource rules) or `AnalyzeStack` (stack rules)
request at a time, as the engine would send them: a compliant case and one violating case per
branch, with the whole message and the enforcement level. No program run: milliseconds a case, so
`scripts/mutation.sh` runs this module against every mutant of `policy/marin_policies/`.

Expected values are the story's and AWS's, written here independently of the pack:
- story 1.8: logs 7 / 14 / 30 days, secrets' recovery windows, dev's ceiling and prod's floor;
- AWS Foundational Security Best Practices controls, by rule:
  https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html
- S3's default encryption algorithms (AES256, aws:kms, aws:kms:dsse):
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi_aws as aws
import pulumi_mongodbatlas
import pulumi_random
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb

from offline import policy
from policy.marin_policies._common import token

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-value sentinel (preview)
M, A = "mandatory", "advisory"
PACK = "marin-guardrails"

# rule: (description, FSBP control or None, kind, level), as the README's policy table states them.
RULES: dict[str, tuple[str, str | None, str, str]] = {
    "naming-convention": (
        "Physical names are marin-<env>-<resource>; log groups /ecs/<env>/...; secrets <env>/audio-pipeline/...",
        None,
        "resource",
        M,
    ),
    "required-tags": ("Project, Environment and ManagedBy on every taggable resource", None, "resource", M),
    "log-retention": (
        "Log groups keep the stack's logRetentionDays; at least 14 days with protectData (minimumDays)",
        None,
        "resource",
        M,
    ),
    "cost-ceiling": (
        "Without protectData, task, Redis and Atlas sizes stay at or below the ceiling (ceiling)",
        None,
        "resource",
        A,
    ),
    "capacity-floor": (
        "With highAvailability, task, Redis and Atlas sizes stay at or above the floor (floor)",
        None,
        "resource",
        M,
    ),
    "s3-block-public-access": ("Buckets block all public access", "S3.8", "resource", M),
    "s3-default-encryption": ("Buckets encrypt objects at rest by default", "S3.4", "resource", M),
    "s3-tls-only": ("Bucket policies deny requests without TLS", "S3.5", "resource", M),
    "s3-versioning": (
        "Buckets keep object versions where the stack's protectData is true (required)",
        "S3.14",
        "resource",
        M,
    ),
    "s3-bucket-controls": (
        "Every bucket has its public access block, encryption, bucket policy and (protectData) versioning",
        None,
        "stack",
        M,
    ),
    "s3-bucket-logging": (
        "Buckets send server access logs where the stack's protectData is true (required); log buckets excepted",
        "S3.9",
        "stack",
        M,
    ),
    "access-log-bucket-sse-s3": (
        "Buckets that receive access logs (load balancer, S3 server access) encrypt with SSE-S3",
        None,
        "stack",
        M,
    ),
    "elasticache-encryption": ("Redis is encrypted at rest and in transit", "ElastiCache.4", "resource", M),
    "elasticache-auth": ("Redis requires AUTH", "ElastiCache.6", "resource", M),
    "elasticache-multi-az": (
        "Redis fails over across AZs where the stack's highAvailability is true (required)",
        "ElastiCache.3",
        "resource",
        M,
    ),
    "opensearch-in-vpc": ("OpenSearch domains live inside the VPC", "Opensearch.2", "resource", M),
    "opensearch-https-only": ("OpenSearch enforces HTTPS with TLS 1.2 or later", "Opensearch.8", "resource", M),
    "opensearch-encryption": ("OpenSearch encrypts data at rest and between nodes", "Opensearch.1", "resource", M),
    "no-open-ingress-ports": (
        "Ingress from the internet only on TCP port 80 or 443; no prefix list holds the internet",
        "EC2.18",
        "resource",
        M,
    ),
    "no-open-ingress": ("No security group ingress from the internet except 80/443 on the ALB", "EC2.18", "stack", M),
    "ingress-prefix-lists-readable": (
        "Ingress prefix lists are defined in the stack (others cannot be checked)",
        None,
        "stack",
        A,
    ),
    "default-security-group-closed": ("The VPC's default security group allows nothing", "EC2.2", "resource", M),
    "default-security-group-managed": (
        "Every VPC's default security group is managed (to be emptied)",
        "EC2.2",
        "stack",
        M,
    ),
    "iam-no-full-admin": (
        "No policy, inline or attached, allows actions of every service on every resource",
        "IAM.1",
        "resource",
        M,
    ),
    "iam-no-privilege-escalation": (
        "No policy, inline or attached, lets a principal grant itself more on any role, user or policy",
        None,
        "resource",
        M,
    ),
    "no-public-principal": (
        "Resource policies (role trust, secret, KMS key) admit no principal outside the account",
        None,
        "resource",
        M,
    ),
    "iam-policies-readable": (
        "Policies attached by ARN are AWS-managed or created in the stack (others cannot be checked)",
        None,
        "stack",
        A,
    ),
    "iam-secrets-own-environment": (
        "Secret-read grants, inline or attached, only under the environment's own path",
        None,
        "resource",
        M,
    ),
    "no-plaintext-secret-config": (
        "Config keys declared secret are encrypted in the stack's config",
        None,
        "resource",
        M,
    ),
    "secret-recovery-window": (
        "Secrets keep the stack's secretRecoveryWindowDays; at least 7 with protectData (minimumDays)",
        None,
        "resource",
        M,
    ),
    "no-secret-outputs": ("No secret value in the stack's outputs, marked secret or not", None, "stack", M),
    "data-protected": (
        "Data stores are protected from deletion where the stack's protectData is true (required)",
        None,
        "resource",
        M,
    ),
    "atlas-no-open-access": ("No Atlas access list entry for 0.0.0.0/0", None, "resource", M),
    "atlas-backups": (
        "Backups where the stack protects its data; point-in-time recovery with continuous backup",
        None,
        "resource",
        M,
    ),
    "ecs-no-public-ip": (
        "Tasks get no public IP where the stack's protectData is true (allowed)",
        "ECS.2",
        "resource",
        M,
    ),
    "ecs-circuit-breaker": ("Deployments roll back on failure", None, "resource", M),
    "ecs-logging": ("Every container logs somewhere", "ECS.9", "resource", M),
    "kms-key-rotation": ("KMS keys rotate their key material yearly", "KMS.4", "resource", M),
    "alb-http-redirects-to-https": (
        "HTTP listeners redirect to HTTPS where the stack's protectData is true (required)",
        "ELB.1",
        "resource",
        M,
    ),
    "elb-deletion-protection": (
        "Load balancers are protected from deletion where the stack's protectData is true (required)",
        "ELB.6",
        "resource",
        M,
    ),
    "elb-access-logs": (
        "Application and Classic load balancers keep access logs where the stack's protectData is true (required)",
        "ELB.5",
        "resource",
        M,
    ),
    "ec2-imdsv2": ("Instances require IMDSv2", "EC2.8", "resource", M),
    "ec2-encrypted-volumes": ("Instances' volumes are encrypted", "EC2.3", "resource", M),
}


PACK_MODULES = ("marin_policies", "policy.marin_policies")


@contextlib.contextmanager
def fresh_servicer() -> Iterator[Any]:
    """The pack's servicer, built by its own `__main__.py` from a fresh import of the pack.

    Imported as `policy.marin_policies` (its path in the repo, the name mutmut gives its mutants)
    and aliased to `marin_policies`, the name `__main__.py` imports as the CLI runs it; the
    modules imported before are put back afterwards.
    """

    def ours(name: str) -> bool:
        return any(name == m or name.startswith(f"{m}.") for m in PACK_MODULES)

    saved = {n: sys.modules.pop(n) for n in [n for n in sys.modules if ours(n)]}
    try:
        sys.modules["marin_policies"] = importlib.import_module("policy.marin_policies")
        yield policy.load_servicer()
    finally:
        for n in [n for n in sys.modules if ours(n)]:
            del sys.modules[n]
        sys.modules.update(saved)


@pytest.fixture(scope="module")
def shared_servicer() -> Iterator[Any]:
    with fresh_servicer() as servicer:
        yield servicer


BUILT_AT_IMPORT = tuple(
    f"policy.marin_policies._common.x_{f}__" for f in ("resource_rule", "stack_rule", "_metadata", "fsbp")
)


def _rebuild_per_test() -> bool:
    """Under mutmut: while it records which test reaches which function ("stats"), and for the
    mutants of the rule builders, which run when the pack is imported. A fresh pack per test then
    runs them under the mutant switched on. Every other function is looked up by mutmut at call
    time, so one servicer per module serves them."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    return mutant == "stats" or mutant.startswith(BUILT_AT_IMPORT)


@pytest.fixture
def servicer(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The pack's servicer: one per module, or a fresh one per test (see `_rebuild_per_test`)."""
    if _rebuild_per_test():
        with fresh_servicer() as servicer:
            yield servicer
    else:
        yield request.getfixturevalue("shared_servicer")


# --- requests, as the engine builds them -----------------------------------------------------------


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(props)
    return s


@dataclass
class Res:
    type: str
    props: dict[str, Any]
    name: str = "r"
    protect: bool = False
    secret_outputs: list[str] = field(default_factory=list)
    deps: dict[str, list[Res]] = field(default_factory=dict)

    def urn(self, env: str) -> str:
        return f"urn:pulumi:{env}::marin::{self.type}::{self.name}"


def _found(response: Any, urn: str, rule: str) -> list[tuple[str, str]]:
    return [(f.message, f.level) for f in policy._findings(response, urn) if f.policy == rule]


def provider(tags: dict[str, str] | None) -> pb.AnalyzerProviderResource:
    """The AWS provider as the Python SDK registers it: `defaultTags` JSON-encoded."""
    props = {"region": "us-east-1"} | ({"defaultTags": json.dumps({"tags": tags})} if tags is not None else {})
    return pb.AnalyzerProviderResource(
        type="pulumi:providers:aws",
        urn="urn:pulumi:dev::marin::pulumi:providers:aws::aws",
        name="aws",
        properties=_struct(props),
    )


# What each test stack's config says, as the engine sends it in ConfigureStack (config, secret keys).
# Thresholds follow these, never the stack's name.
DISPOSABLE = {"marin:protectData": "false", "marin:highAvailability": "false"}
PROTECTED = {"marin:protectData": "true", "marin:highAvailability": "true"}
PROFILES: dict[str, tuple[dict[str, str], list[str]]] = {
    "dev": (DISPOSABLE, []),
    "staging": (PROTECTED, []),
    "prod": (
        PROTECTED
        | {"marin:logRetentionDays": "30", "marin:secretRecoveryWindowDays": "30", "marin:atlasBackup": "continuous"},
        [],
    ),
    "qa": ({}, []),  # config not told: checked as protected and highly available
    "plain": (DISPOSABLE | {"marin:transcriptionApiKey": "sk-live-X"}, []),
    "encrypted": (DISPOSABLE | {"marin:transcriptionApiKey": "sk-live-X"}, ["marin:transcriptionApiKey"]),
    "odd": (DISPOSABLE | {"marin:secretRecoveryWindowDays": "thirty", "marin:logRetentionDays": "a week"}, []),
}


def configure(servicer: Any, env: str) -> None:
    config, secret_keys = PROFILES.get(env, ({}, []))
    request = pb.AnalyzerStackConfigureRequest(
        stack=env, project="marin", config=config, config_secret_keys=secret_keys
    )
    servicer.ConfigureStack(request, None)


def analyze(
    servicer: Any,
    rule: str,
    env: str,
    r: Res,
    prov: pb.AnalyzerProviderResource | None = None,
) -> list[tuple[str, str]]:
    """What `rule` reports (message, level) for one resource's Analyze request."""
    configure(servicer, env)
    request = pb.AnalyzeRequest(
        type=r.type,
        urn=r.urn(env),
        name=r.name,
        properties=_struct(r.props),
        options=pb.AnalyzerResourceOptions(protect=r.protect, additionalSecretOutputs=r.secret_outputs),
        provider=prov,
    )
    return _found(servicer.Analyze(request, None), request.urn, rule)


def analyze_stack(servicer: Any, rule: str, env: str, resources: Sequence[Res]) -> list[tuple[str, str]]:
    """What `rule` reports for an AnalyzeStack request over these resources (outputs as properties)."""
    configure(servicer, env)
    request = pb.AnalyzeStackRequest(
        resources=[
            pb.AnalyzerResource(
                type=r.type,
                urn=r.urn(env),
                name=r.name,
                properties=_struct(r.props),
                options=pb.AnalyzerResourceOptions(protect=r.protect, additionalSecretOutputs=r.secret_outputs),
                propertyDependencies={
                    key: pb.AnalyzerPropertyDependencies(urns=[d.urn(env) for d in deps])
                    for key, deps in r.deps.items()
                },
            )
            for r in resources
        ]
    )
    return _found(servicer.AnalyzeStack(request, None), "", rule)


def note(rule: str) -> tuple[str, str]:
    """The servicer's advisory note for a rule that met an unknown value (first preview)."""
    return (f"can't run policy '{rule}' from policy pack '{PACK}@", A)


def _matches(found: list[tuple[str, str]], expected: list[tuple[str, str]]) -> bool:
    """Equal, except that a preview note is matched by its start (its tail names the property)."""
    if len(found) != len(expected):
        return False
    for (message, level), (want, want_level) in zip(found, expected, strict=True):
        if level != want_level:
            return False
        if want.startswith("can't run policy") and not want.endswith("preview"):
            if not (message.startswith(want) and message.endswith("can't be known during preview")):
                return False
        elif message != want:
            return False
    return True


# --- what the servicer says about the rules ------------------------------------------------------


def test_every_rule_has_its_documented_description_control_kind_and_level(servicer: Any) -> None:
    info = servicer.GetAnalyzerInfo(None, None)
    assert info.name == PACK
    got = {}
    for p in info.policies:
        control = p.framework.reference if p.HasField("framework") else None
        if control is not None:
            assert (p.framework.name, p.framework.version) == ("AWS Foundational Security Best Practices", "1.0.0")
            assert list(p.tags) == [control]
        else:
            assert list(p.tags) == []
        kind = "stack" if p.policy_type == pb.POLICY_TYPE_STACK else "resource"
        got[p.name] = (p.description, control, kind, policy.LEVELS[p.enforcementLevel])
    assert got == RULES


def test_a_configured_level_is_the_one_reported() -> None:
    """`--policy-pack-config` reaches the rules (a downgraded rule reports advisory)."""
    with fresh_servicer() as servicer:
        _configured_level(servicer)


def _configured_level(servicer: Any) -> None:
    servicer.Configure(
        pb.ConfigureAnalyzerRequest(
            policyConfig={"ecs-circuit-breaker": pb.PolicyConfig(enforcementLevel=pb.ADVISORY)}
        ),
        None,
    )
    service = Res(token(aws.ecs.Service), {"name": "marin-dev-api-service"})
    assert analyze(servicer, "ecs-circuit-breaker", "dev", service) == [
        ("service 'marin-dev-api-service' has no deployment circuit breaker with rollback", A)
    ]


# --- resource rules: (rule, env, resource, provider tags or None, expected findings) --------------------

BUCKET = token(aws.s3.Bucket)
LOG_GROUP = token(aws.cloudwatch.LogGroup)
SECRET = token(aws.secretsmanager.Secret)
REDIS = token(aws.elasticache.ReplicationGroup)
SEARCH = token(aws.opensearch.Domain)
TASK = token(aws.ecs.TaskDefinition)
SERVICE = token(aws.ecs.Service)
ATLAS = token(pulumi_mongodbatlas.AdvancedCluster)
ACCESS = token(pulumi_mongodbatlas.ProjectIpAccessList)
INGRESS = token(aws.vpc.SecurityGroupIngressRule)
LEGACY = token(aws.ec2.SecurityGroupRule)
BLOCK = token(aws.s3.BucketPublicAccessBlock)
SSE = token(aws.s3.BucketServerSideEncryptionConfiguration)
BUCKET_POLICY = token(aws.s3.BucketPolicy)
VERSIONING = token(aws.s3.BucketVersioning)
TLS_DENY = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::b1", "arn:aws:s3:::b1/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
ALL_BLOCKED = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}
GROUP = token(aws.ec2.SecurityGroup)
ROLE_POLICY = token(aws.iam.RolePolicy)
ROLE = token(aws.iam.Role)
ATTACHMENT = token(aws.iam.RolePolicyAttachment)
TAGS = {"Project": "marin", "Environment": "dev", "ManagedBy": "pulumi"}


def _atlas(size: str, **props: Any) -> dict[str, Any]:
    return {
        "name": "marin-x",
        "replicationSpecs": [{"regionConfigs": [{"electableSpecs": {"instanceSize": size}}]}],
    } | (props)


def sse(algorithm: str) -> dict[str, Any]:
    return {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm}}]}


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: Any, resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def _redis(**props: Any) -> dict[str, Any]:
    return {"atRestEncryptionEnabled": True, "transitEncryptionEnabled": True, "authToken": "t0ken-value"} | props


def _search(**props: Any) -> dict[str, Any]:
    return {
        "vpcOptions": {"subnetIds": ["subnet-1"]},
        "domainEndpointOptions": {"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"},
        "encryptAtRest": {"enabled": True},
        "nodeToNodeEncryption": {"enabled": True},
    } | props


def _ingress(cidr: str, from_port: int, to_port: int, key: str = "cidrIpv4") -> dict[str, Any]:
    return {key: cidr, "fromPort": from_port, "toPort": to_port, "ipProtocol": "tcp"}


OPEN_PORTS = "{w}: ingress from {c} on {p}; only TCP 80 or 443 may be open to the internet"
ADMIN = "{w} allows actions of every service on every resource"
KEY, LISTENER = token(aws.kms.Key), token(aws.lb.Listener)
LB, INSTANCE = token(aws.lb.LoadBalancer), token(aws.ec2.Instance)
CLASSIC = token(aws.elb.LoadBalancer)
REDIRECT = {"type": "redirect", "redirect": {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}}
FORWARD = {"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"}
PLAIN_HTTP = "HTTP listener l serves plain HTTP; it must redirect to HTTPS"
NO_SSE = "encryption configuration sse sets no default server-side encryption"
NO_TLS = (
    "bucket policy bp does not deny requests without TLS (aws:SecureTransport) to everyone, for every S3 action, "
    "on the bucket and its objects"
)
CEIL = "{k} {v} is above the ceiling of a stack without protectData: {b}"
FLOOR_MSG = "{k} {v} is below the floor of a highly available stack: {b}"
UNLISTED = "{k} {v!r} is not in the catalogue (marin/catalogue.py): cannot be ranked"
MULTI_AZ = "Redis needs Multi-AZ with automatic failover; the stack is highly available"
WINDOW_MIN = "secret 's' has a {d}-day recovery window; this stack keeps at least {n}"
WHY = "the stack protects its data"
NAME_MSG = "{t} name {n!r} must be marin-{e}-<resource>"
GRANT = "{w} grants secret reads on {r}; only :secret:{e}/audio-pipeline/... is allowed in {e}"
SECRET_GRANT = GRANT.replace("{w}", "policy of p").replace("{r}", "{r!r}")
OWN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:{e}/audio-pipeline/mongodb-uri-AbCdEf"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
# IAM actions that let a principal grant itself more (Rhino Security Labs, "AWS IAM privilege
# escalation methods"), in the order the rule lists them; iam:* allows all of them.
EVERY_ESCALATION = (
    "iam:PutRolePolicy, iam:AttachRolePolicy, iam:PutUserPolicy, iam:AttachUserPolicy, iam:PutGroupPolicy, "
    "iam:AttachGroupPolicy, iam:CreatePolicyVersion, iam:SetDefaultPolicyVersion, iam:UpdateAssumeRolePolicy, "
    "iam:CreateAccessKey, iam:PassRole"
)
ESCALATES = "{w} allows {a} on any role, user, group or policy (privilege escalation)"
PUBLIC = (
    "resource policy of {w} allows any principal {a}; narrow it with a condition on aws:PrincipalAccount, "
    "aws:PrincipalOrgID or sts:ExternalId"
)

CASES: list[tuple[str, str, Res, dict[str, str] | None, list[tuple[str, str]]]] = [
    # naming-convention: the name property by type, the prefix fallback, the exempt types
    ("naming-convention", "dev", Res(BUCKET, {"bucket": "marin-dev-call-recordings"}), None, []),
    (
        "naming-convention",
        "dev",
        Res(BUCKET, {"bucket": "recordings", "name": "marin-dev-x"}),
        None,
        [(NAME_MSG.format(t=BUCKET, n="recordings", e="dev"), M)],
    ),
    (
        "naming-convention",
        "prod",
        Res(BUCKET, {"bucket": "marin-dev-call-recordings"}),
        None,
        [(NAME_MSG.format(t=BUCKET, n="marin-dev-call-recordings", e="prod"), M)],
    ),
    (
        "naming-convention",
        "dev",
        Res(BUCKET, {"bucket": "marin-devx"}),
        None,
        [(NAME_MSG.format(t=BUCKET, n="marin-devx", e="dev"), M)],
    ),
    ("naming-convention", "dev", Res(GROUP, {"name": "marin-dev"}), None, []),
    (
        "naming-convention",
        "dev",
        Res(SEARCH, {"domainName": "search", "name": "marin-dev-s"}),
        None,
        [(NAME_MSG.format(t=SEARCH, n="search", e="dev"), M)],
    ),
    (
        "naming-convention",
        "dev",
        Res(REDIS, {"replicationGroupId": "cache"}),
        None,
        [(NAME_MSG.format(t=REDIS, n="cache", e="dev"), M)],
    ),
    ("naming-convention", "dev", Res(TASK, {"family": "api"}), None, [(NAME_MSG.format(t=TASK, n="api", e="dev"), M)]),
    (
        "naming-convention",
        "dev",
        Res(token(pulumi_mongodbatlas.DatabaseUser), {"username": "app"}),
        None,
        [(NAME_MSG.format(t=token(pulumi_mongodbatlas.DatabaseUser), n="app", e="dev"), M)],
    ),
    ("naming-convention", "dev", Res(GROUP, {"namePrefix": "marin-dev-alb-sg-"}), None, []),
    (
        "naming-convention",
        "dev",
        Res(GROUP, {"namePrefix": "webX-"}),
        None,
        [(NAME_MSG.format(t=GROUP, n="webX", e="dev"), M)],
    ),
    ("naming-convention", "dev", Res(GROUP, {"name": "marin-dev-x", "namePrefix": "web-"}), None, []),
    ("naming-convention", "dev", Res(GROUP, {"name": 7}), None, []),
    ("naming-convention", "dev", Res(token(aws.apigatewayv2.Stage), {"name": "$default"}), None, []),
    (
        "naming-convention",
        "dev",
        Res(token(aws.apigatewayv2.Api), {"name": "$default"}),
        None,
        [(NAME_MSG.format(t=token(aws.apigatewayv2.Api), n="$default", e="dev"), M)],
    ),
    ("naming-convention", "dev", Res(token(aws.route53.Record), {"name": "api.dev.example.org"}), None, []),
    ("naming-convention", "dev", Res(token(pulumi_random.RandomPassword), {"name": "x"}), None, []),
    ("naming-convention", "dev", Res("pulumi:providers:aws", {"name": "x"}), None, []),
    # after the provider's Check: an inline policy left unnamed is `<logical>-<7 hex>` (the bridge's
    # AutoName, pulumi-terraform-bridge pkg/tfbridge/info/autonaming.go); its role carries the name
    ("naming-convention", "dev", Res(ROLE_POLICY, {"name": "iam-api-task-1a2b3c4"}, "iam-api-task"), None, []),
    (
        "naming-convention",
        "dev",
        Res(ROLE_POLICY, {"name": "other-1a2b3c4"}, "iam-api-task"),
        None,
        [(NAME_MSG.format(t=ROLE_POLICY, n="other-1a2b3c4", e="dev"), M)],
    ),
    (
        "naming-convention",
        "dev",
        Res(ROLE_POLICY, {"name": "iam-api-task-1a2b3c"}, "iam-api-task"),
        None,
        [(NAME_MSG.format(t=ROLE_POLICY, n="iam-api-task-1a2b3c", e="dev"), M)],
    ),
    (
        "naming-convention",
        "prod",
        Res(token(aws.lb.TargetGroup), {"name": "compute-api-tg-0f9e8d7"}, "compute-api-tg"),
        None,
        [],
    ),
    (
        "naming-convention",
        "dev",
        Res(token(aws.servicediscovery.Service), {"name": "compute-api-discovery-a0b1c2d"}, "compute-api-discovery"),
        None,
        [],
    ),
    # a bucket's or a group's name is its identity: an auto-name there breaks the convention
    (
        "naming-convention",
        "dev",
        Res(BUCKET, {"bucket": "recordings-1a2b3c4"}, "recordings"),
        None,
        [(NAME_MSG.format(t=BUCKET, n="recordings-1a2b3c4", e="dev"), M)],
    ),
    (
        "naming-convention",
        "dev",
        Res(GROUP, {"name": "web-1a2b3c4"}, "web"),
        None,
        [(NAME_MSG.format(t=GROUP, n="web-1a2b3c4", e="dev"), M)],
    ),
    ("naming-convention", "dev", Res(LOG_GROUP, {"name": "/ecs/dev/api"}), None, []),
    ("naming-convention", "dev", Res(LOG_GROUP, {"name": "/vpc/dev/flow-logs"}), None, []),
    (
        "naming-convention",
        "prod",
        Res(LOG_GROUP, {"name": "/ecs/dev/api"}),
        None,
        [("log group '/ecs/dev/api' must be /ecs/prod/<service> (or /vpc/prod/<name>)", M)],
    ),
    (
        "naming-convention",
        "dev",
        Res(LOG_GROUP, {"name": "marin-dev-api"}),
        None,
        [("log group 'marin-dev-api' must be /ecs/dev/<service> (or /vpc/dev/<name>)", M)],
    ),
    ("naming-convention", "staging", Res(SECRET, {"name": "staging/audio-pipeline/x"}), None, []),
    (
        "naming-convention",
        "staging",
        Res(SECRET, {"name": "marin-staging-x"}),
        None,
        [("secret 'marin-staging-x' must live under staging/audio-pipeline/", M)],
    ),
    ("naming-convention", "prod", Res(token(aws.kms.Alias), {"name": "alias/marin-prod-alerts"}), None, []),
    (
        "naming-convention",
        "prod",
        Res(token(aws.kms.Alias), {"name": "alias/marin-prod"}),
        None,
        [("KMS alias 'alias/marin-prod' must be alias/marin-prod-<resource>", M)],
    ),
    (
        "naming-convention",
        "prod",
        Res(token(aws.kms.Alias), {"name": "marin-prod-alerts"}),
        None,
        [("KMS alias 'marin-prod-alerts' must be alias/marin-prod-<resource>", M)],
    ),
    # required-tags: the provider's default tags, the resource's own, which values
    ("required-tags", "dev", Res(token(aws.ec2.Vpc), {}), TAGS, []),
    ("required-tags", "dev", Res(token(aws.ec2.Vpc), {"tags": TAGS}), None, []),
    (
        "required-tags",
        "dev",
        Res(token(aws.ec2.Vpc), {}),
        None,
        [("missing tags Project, Environment, ManagedBy (set them through the provider's default tags)", M)],
    ),
    (
        "required-tags",
        "dev",
        Res(token(aws.ec2.Vpc), {"tags": {"Environment": "dev"}}),
        {"Project": "marin"},
        [("missing tags ManagedBy (set them through the provider's default tags)", M)],
    ),
    (
        "required-tags",
        "dev",
        Res(token(aws.ec2.Vpc), {"tags": "Project=marin"}),
        {"Project": "marin", "ManagedBy": "x"},
        [("missing tags Environment (set them through the provider's default tags)", M)],
    ),
    (
        "required-tags",
        "dev",
        Res(token(aws.ec2.Vpc), {"tags": {"Project": ""}}),
        TAGS,
        [("missing tags Project (set them through the provider's default tags)", M)],
    ),
    (
        "required-tags",
        "prod",
        Res(token(aws.ec2.Vpc), {}),
        TAGS,
        [("tags Project='marin' Environment='dev' ManagedBy='pulumi'; expected 'marin', 'prod', 'pulumi'", M)],
    ),
    (
        "required-tags",
        "dev",
        Res(token(aws.ec2.Vpc), {"tags": {"Project": "other"}}),
        TAGS,
        [("tags Project='other' Environment='dev' ManagedBy='pulumi'; expected 'marin', 'dev', 'pulumi'", M)],
    ),
    (
        "required-tags",
        "dev",
        Res(token(aws.ec2.Vpc), {"tags": {"ManagedBy": "terraform"}}),
        TAGS,
        [("tags Project='marin' Environment='dev' ManagedBy='terraform'; expected 'marin', 'dev', 'pulumi'", M)],
    ),
    ("required-tags", "dev", Res(ROLE_POLICY, {}), None, []),  # AWS takes no tags on an inline policy
    ("required-tags", "dev", Res("aws:ec2/noSuchThing:NoSuchThing", {}), None, []),
    ("required-tags", "dev", Res("aws:nosuchmodule/thing:Thing", {}), None, []),
    ("required-tags", "dev", Res(token(pulumi_mongodbatlas.Project), {}), None, []),
    ("required-tags", "dev", Res(token(aws.Provider), {}), None, []),
    # elasticache-*: encryption both ways, AUTH by token or user group
    ("elasticache-encryption", "dev", Res(REDIS, _redis()), None, []),
    (
        "elasticache-encryption",
        "dev",
        Res(REDIS, _redis(atRestEncryptionEnabled=False, transitEncryptionEnabled="true")),
        None,
        [("Redis is not encrypted at rest", M), ("Redis is not encrypted in transit", M)],
    ),
    ("elasticache-auth", "dev", Res(REDIS, _redis()), None, []),
    ("elasticache-auth", "dev", Res(REDIS, _redis(authToken=UNKNOWN)), None, []),
    ("elasticache-auth", "dev", Res(REDIS, _redis(authToken=None, userGroupIds=["g"])), None, []),
    (
        "elasticache-auth",
        "dev",
        Res(REDIS, _redis(authToken="", userGroupIds=[])),
        None,
        [("Redis accepts connections without AUTH", M)],
    ),
    (
        "elasticache-auth",
        "dev",
        Res(REDIS, _redis(authToken=None)),
        None,
        [("Redis accepts connections without AUTH", M)],
    ),
    # opensearch-*: inside the VPC, HTTPS with TLS 1.2+, encrypted at rest and between nodes
    ("opensearch-in-vpc", "dev", Res(SEARCH, _search()), None, []),
    (
        "opensearch-in-vpc",
        "dev",
        Res(SEARCH, _search(vpcOptions={"subnetIds": []})),
        None,
        [("OpenSearch domain is not inside a VPC (it would have a public endpoint)", M)],
    ),
    ("opensearch-https-only", "dev", Res(SEARCH, _search()), None, []),
    (
        "opensearch-https-only",
        "dev",
        Res(SEARCH, _search(domainEndpointOptions=None)),
        None,
        [("OpenSearch domain does not enforce HTTPS", M)],
    ),
    (
        "opensearch-https-only",
        "dev",
        Res(SEARCH, _search(domainEndpointOptions={"enforceHttps": "true"})),
        None,
        [("OpenSearch domain does not enforce HTTPS", M)],
    ),
    (
        "opensearch-https-only",
        "dev",
        Res(
            SEARCH,
            _search(domainEndpointOptions={"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-0-2019-07"}),
        ),
        None,
        [("OpenSearch TLS policy 'Policy-Min-TLS-1-0-2019-07' allows TLS below 1.2", M)],
    ),
    (
        "opensearch-https-only",
        "dev",
        Res(SEARCH, _search(domainEndpointOptions={"enforceHttps": True})),
        None,
        [("OpenSearch TLS policy None allows TLS below 1.2", M)],
    ),
    ("opensearch-encryption", "dev", Res(SEARCH, _search()), None, []),
    (
        "opensearch-encryption",
        "dev",
        Res(SEARCH, _search(encryptAtRest={"enabled": "true"}, nodeToNodeEncryption=None)),
        None,
        [
            ("OpenSearch domain is not encrypted at rest", M),
            ("OpenSearch domain does not encrypt node-to-node traffic", M),
        ],
    ),
    # no-open-ingress-ports: rules open to the internet only on 80 or 443; no inline rule from anywhere
    ("no-open-ingress-ports", "dev", Res(INGRESS, _ingress("0.0.0.0/0", 443, 443), "web"), None, []),
    ("no-open-ingress-ports", "dev", Res(INGRESS, _ingress("::/0", 80, 80, "cidrIpv6"), "web"), None, []),
    ("no-open-ingress-ports", "dev", Res(INGRESS, _ingress("10.0.0.0/8", 22, 22), "ssh"), None, []),
    (
        "no-open-ingress-ports",
        "dev",
        Res(INGRESS, _ingress("0.0.0.0/0", 80, 443), "web"),
        None,
        [(OPEN_PORTS.format(w="web", c="0.0.0.0/0", p="tcp 80-443"), M)],
    ),
    (
        "no-open-ingress-ports",
        "dev",
        Res(INGRESS, _ingress("::/0", 8443, 8443, "cidrIpv6"), "alt"),
        None,
        [(OPEN_PORTS.format(w="alt", c="::/0", p="tcp 8443-8443"), M)],
    ),
    ("no-open-ingress-ports", "dev", Res(GROUP, {"name": "g", "ingress": [{"cidrBlocks": ["10.0.0.0/8"]}]}), None, []),
    (
        "no-open-ingress-ports",
        "dev",
        Res(GROUP, {"name": "g", "ingress": [{"cidrBlocks": ["0.0.0.0/0"], "protocol": "-1"}]}),
        None,
        [(OPEN_PORTS.format(w="g (inline)", c="0.0.0.0/0", p="all traffic"), M)],
    ),
    (
        "no-open-ingress-ports",
        "dev",
        Res(GROUP, {"namePrefix": "gX-", "ingress": [{"ipv6CidrBlocks": ["::/0"], "protocol": "all"}]}),
        None,
        [(OPEN_PORTS.format(w="gX (inline)", c="::/0", p="all traffic"), M)],
    ),
    (
        "no-open-ingress-ports",
        "dev",
        Res(GROUP, {"ingress": [{}, {"cidrBlocks": ["0.0.0.0/0"], "protocol": "-1"}]}, "sg"),
        None,
        [(OPEN_PORTS.format(w="sg (inline)", c="0.0.0.0/0", p="all traffic"), M)],
    ),
    ("no-open-ingress-ports", "dev", Res(BUCKET, {"ingress": [{"cidrBlocks": ["0.0.0.0/0"]}]}), None, []),
    # iam-*: no */*; secret reads only under the environment's own path
    (
        "iam-no-full-admin",
        "dev",
        Res(ROLE_POLICY, {"policy": _doc(_allow("*", "*"))}, "p"),
        None,
        [("policy of p allows actions of every service on every resource", M)],
    ),
    (
        "iam-no-full-admin",
        "dev",
        Res(token(aws.iam.Policy), {"policy": _doc(_allow(["s3:GetObject", "*"], ["*"]))}, "p"),
        None,
        [("policy of p allows actions of every service on every resource", M)],
    ),
    (
        "iam-no-full-admin",
        "dev",
        Res(ROLE_POLICY, {"policy": _doc(_allow("s3:*", "*"), _allow("*", "arn:aws:s3:::b"))}),
        None,
        [],
    ),
    (
        "iam-no-full-admin",
        "dev",
        Res(ROLE_POLICY, {"policy": _doc({"Effect": "Deny", "Action": "*", "Resource": "*"})}),
        None,
        [],
    ),
    (
        "iam-no-full-admin",
        "dev",
        Res(
            ROLE_POLICY, {"policy": json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})}, "p"
        ),
        None,
        [("policy of p allows actions of every service on every resource", M)],
    ),
    ("iam-no-full-admin", "dev", Res(ROLE_POLICY, {"policy": "{not json"}), None, []),
    ("iam-no-full-admin", "dev", Res(ROLE_POLICY, {"policy": json.dumps(["*"])}), None, []),
    ("iam-no-full-admin", "dev", Res(ROLE_POLICY, {"policy": json.dumps({"Statement": ["*"]})}), None, []),
    ("iam-no-full-admin", "dev", Res(token(aws.iam.Role), {"policy": _doc(_allow("*", "*"))}), None, []),
    (
        "iam-secrets-own-environment",
        "dev",
        Res(ROLE_POLICY, {"policy": _doc(_allow("secretsmanager:GetSecretValue", OWN.format(e="dev")))}, "p"),
        None,
        [],
    ),
    (
        "iam-secrets-own-environment",
        "staging",
        Res(
            ROLE_POLICY,
            {"policy": _doc(_allow("secretsmanager:GetSecretValue", [OWN.format(e="staging"), OWN.format(e="dev")]))},
            "p",
        ),
        None,
        [(SECRET_GRANT.format(r=OWN.format(e="dev"), e="staging"), M)],
    ),
    (
        "iam-secrets-own-environment",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow(["secretsmanager:*"], "*"))}, "p"),
        None,
        [(SECRET_GRANT.format(r="*", e="prod"), M)],
    ),
    (
        "iam-secrets-own-environment",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("*", ["arn:aws:s3:::b"]))}, "p"),
        None,
        [(SECRET_GRANT.format(r="arn:aws:s3:::b", e="prod"), M)],
    ),
    (
        "iam-secrets-own-environment",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow(["s3:GetObject"], "*"))}, "p"),
        None,
        [],
    ),
    (
        "iam-secrets-own-environment",
        "prod",
        Res(
            ROLE_POLICY,
            {"policy": _doc({"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})},
        ),
        None,
        [],
    ),
    # atlas-no-open-access
    ("atlas-no-open-access", "dev", Res(ACCESS, {"cidrBlock": "10.0.0.0/16"}), None, []),
    ("atlas-no-open-access", "dev", Res(ACCESS, {"ipAddress": "203.0.113.7"}), None, []),
    ("atlas-no-open-access", "dev", Res(ACCESS, {"cidrBlock": "::/0"}), None, [("Atlas access list admits ::/0", M)]),
    (
        "atlas-no-open-access",
        "dev",
        Res(ACCESS, {"cidrBlock": "", "ipAddress": "0.0.0.0"}),
        None,
        [("Atlas access list admits 0.0.0.0", M)],
    ),
    # ecs-*: circuit breaker with rollback, every container logs
    (
        "ecs-circuit-breaker",
        "dev",
        Res(SERVICE, {"name": "s", "deploymentCircuitBreaker": {"enable": True, "rollback": True}}),
        None,
        [],
    ),
    (
        "ecs-circuit-breaker",
        "dev",
        Res(SERVICE, {"name": "s", "deploymentCircuitBreaker": {"rollback": True}}),
        None,
        [("service 's' has no deployment circuit breaker with rollback", M)],
    ),
    (
        "ecs-circuit-breaker",
        "dev",
        Res(SERVICE, {"name": "s", "deploymentCircuitBreaker": {"enable": True}}),
        None,
        [("service 's' has no deployment circuit breaker with rollback", M)],
    ),
    (
        "ecs-logging",
        "dev",
        Res(
            TASK,
            {
                "family": "f",
                "containerDefinitions": json.dumps([{"name": "a", "logConfiguration": {"logDriver": "awslogs"}}]),
            },
        ),
        None,
        [],
    ),
    (
        "ecs-logging",
        "dev",
        Res(
            TASK,
            {
                "family": "f",
                "containerDefinitions": json.dumps(
                    [
                        {"name": "a", "logConfiguration": {"logDriver": "awslogs"}},
                        {"name": "b", "logConfiguration": {}},
                        {"name": "c"},
                    ]
                ),
            },
        ),
        None,
        [("container 'b' of 'f' has no log configuration", M), ("container 'c' of 'f' has no log configuration", M)],
    ),
    ("ecs-logging", "dev", Res(TASK, {"family": "f", "containerDefinitions": "not json"}), None, []),
    ("ecs-logging", "dev", Res(TASK, {"family": "f", "containerDefinitions": 7}), None, []),
    (
        "ecs-logging",
        "dev",
        Res(TASK, {"family": "f", "containerDefinitions": [{"name": "c", "logConfiguration": {"logDriver": ""}}]}),
        None,
        [("container 'c' of 'f' has no log configuration", M)],
    ),
    # missing sizes read as nothing: no task, no node type, no replication spec
    (
        "ecs-logging",
        "dev",
        Res(SERVICE, {"family": "f", "containerDefinitions": json.dumps([{"name": "c"}])}),
        None,
        [],
    ),
    # later additions (appended: test ids are positions)
    (
        "iam-secrets-own-environment",
        "staging",
        Res(
            ROLE_POLICY,
            {"policy": _doc(_allow("s3:GetObject", "*"), _allow("secretsmanager:GetSecretValue", OWN.format(e="dev")))},
            "p",
        ),
        None,
        [(SECRET_GRANT.format(r=OWN.format(e="dev"), e="staging"), M)],
    ),
    # IAM as AWS evaluates it (reference_policies_elements_action.html, _notaction.html,
    # _notresource.html, _evaluation-logic.html): wildcards and case in actions, NotAction,
    # NotResource, inline policies of a role, managed policies attached by ARN
    (
        "iam-secrets-own-environment",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("secretsmanager:Get*", "*"))}, "p"),
        None,
        [(SECRET_GRANT.format(r="*", e="prod"), M)],
    ),
    (
        "iam-secrets-own-environment",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("SecretsManager:GetSecretValue", "*"))}, "p"),
        None,
        [(SECRET_GRANT.format(r="*", e="prod"), M)],
    ),
    (
        "iam-secrets-own-environment",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("secretsmanager:GetSecretValu?", "*"))}, "p"),
        None,
        [(SECRET_GRANT.format(r="*", e="prod"), M)],
    ),
    (
        "iam-secrets-own-environment",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}, "p"),
        None,
        [(SECRET_GRANT.format(r="*", e="prod"), M)],
    ),
    (
        "iam-secrets-own-environment",
        "prod",
        Res(
            ROLE_POLICY,
            {
                "policy": _doc(
                    {
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "NotResource": [OWN.format(e="prod")],
                    }
                )
            },
            "p",
        ),
        None,
        [
            (
                GRANT.format(w="policy of p", r=f"all but {[OWN.format(e='prod')]}", e="prod"),
                M,
            )
        ],
    ),
    (
        "iam-secrets-own-environment",
        "prod",
        Res(ROLE, {"inlinePolicies": [{"name": "read", "policy": _doc(_allow("secretsmanager:*", "*"))}]}, "r"),
        None,
        [
            (
                GRANT.format(w="inline policy 'read' of r", r="'*'", e="prod"),
                M,
            )
        ],
    ),
    (
        "iam-secrets-own-environment",
        "prod",
        Res(ATTACHMENT, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/SecretsManagerReadWrite"}, "a"),
        None,
        [
            (
                GRANT.format(w="AWS-managed arn:aws:iam::aws:policy/SecretsManagerReadWrite on a", r="'*'", e="prod"),
                M,
            )
        ],
    ),
    (
        "iam-no-full-admin",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("*:*", "*"))}, "p"),
        None,
        [(ADMIN.format(w="policy of p"), M)],
    ),
    (
        "iam-no-full-admin",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}, "p"),
        None,
        [(ADMIN.format(w="policy of p"), M)],
    ),
    (
        "iam-no-full-admin",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::b"})}, "p"),
        None,
        [(ADMIN.format(w="policy of p"), M)],
    ),
    # a Deny under a condition may not apply: the Allow stands
    (
        "iam-no-full-admin",
        "prod",
        Res(
            ROLE_POLICY,
            {
                "policy": _doc(
                    _allow("*", "*"),
                    {
                        "Effect": "Deny",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
                    },
                )
            },
            "p",
        ),
        None,
        [(ADMIN.format(w="policy of p"), M)],
    ),
    # an unconditional Deny of everything but S3 leaves S3 only
    (
        "iam-no-full-admin",
        "prod",
        Res(
            ROLE_POLICY,
            {"policy": _doc(_allow("*", "*"), {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"})},
            "p",
        ),
        None,
        [],
    ),
    (
        "iam-no-full-admin",
        "prod",
        Res(ATTACHMENT, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, "a"),
        None,
        [(ADMIN.format(w="AWS-managed arn:aws:iam::aws:policy/AdministratorAccess on a"), M)],
    ),
    (
        "iam-no-full-admin",
        "prod",
        Res(ATTACHMENT, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}, "a"),
        None,
        [(ADMIN.format(w="AWS-managed arn:aws:iam::aws:policy/PowerUserAccess on a"), M)],
    ),
    (
        "iam-no-full-admin",
        "prod",
        Res(
            ATTACHMENT,
            {"role": "r", "policyArn": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"},
            "a",
        ),
        None,
        [],
    ),
    (
        "iam-no-full-admin",
        "prod",
        Res(ROLE, {"managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}, "r"),
        None,
        [(ADMIN.format(w="AWS-managed arn:aws:iam::aws:policy/AdministratorAccess on r"), M)],
    ),
    (
        "iam-no-full-admin",
        "prod",
        Res(ROLE, {"inlinePolicies": [{"name": "all", "policy": _doc(_allow("*", "*"))}]}, "r"),
        None,
        [(ADMIN.format(w="inline policy 'all' of r"), M)],
    ),
    (
        "iam-no-full-admin",
        "prod",
        Res(token(aws.iam.UserPolicy), {"policy": _doc(_allow("*", "*"))}, "p"),
        None,
        [(ADMIN.format(w="policy of p"), M)],
    ),
    # ingress as EC2 reads it: protocol -1 opens every port whatever the range says
    # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html), the legacy
    # rule type, any spelling of the all-addresses CIDR, UDP on a web port
    (
        "no-open-ingress-ports",
        "prod",
        Res(INGRESS, _ingress("0.0.0.0/0", 443, 443) | {"ipProtocol": "-1"}, "all"),
        None,
        [(OPEN_PORTS.format(w="all", c="0.0.0.0/0", p="all traffic"), M)],
    ),
    (
        "no-open-ingress-ports",
        "prod",
        Res(INGRESS, _ingress("::/0", 80, 80, "cidrIpv6") | {"ipProtocol": "-1"}, "all6"),
        None,
        [(OPEN_PORTS.format(w="all6", c="::/0", p="all traffic"), M)],
    ),
    (
        "no-open-ingress-ports",
        "prod",
        Res(INGRESS, _ingress("0::0/0", 22, 22, "cidrIpv6"), "ssh6"),
        None,
        [(OPEN_PORTS.format(w="ssh6", c="0::0/0", p="tcp 22-22"), M)],
    ),
    (
        "no-open-ingress-ports",
        "prod",
        Res(INGRESS, _ingress("0.0.0.0/0", 443, 443) | {"ipProtocol": "udp"}, "quic"),
        None,
        [(OPEN_PORTS.format(w="quic", c="0.0.0.0/0", p="udp 443-443"), M)],
    ),
    (
        "no-open-ingress-ports",
        "prod",
        Res(
            LEGACY,
            {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]},
            "ssh",
        ),
        None,
        [(OPEN_PORTS.format(w="ssh", c="0.0.0.0/0", p="tcp 22-22"), M)],
    ),
    (
        "no-open-ingress-ports",
        "prod",
        Res(LEGACY, {"type": "ingress", "protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}, "x"),
        None,
        [(OPEN_PORTS.format(w="x", c="::/0", p="all traffic"), M)],
    ),
    (
        "no-open-ingress-ports",
        "prod",
        Res(LEGACY, {"type": "egress", "protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}),
        None,
        [],
    ),
    (
        "no-open-ingress-ports",
        "prod",
        Res(
            LEGACY, {"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}
        ),
        None,
        [],
    ),
    # a document the analyzer passes already parsed (Mapping / Sequence proxies) is read too
    (
        "iam-no-full-admin",
        "dev",
        Res(ROLE_POLICY, {"policy": {"Statement": [_allow(["*"], "*")]}}, "p"),
        None,
        [("policy of p allows actions of every service on every resource", M)],
    ),
    (
        "iam-secrets-own-environment",
        "prod",
        Res(
            ROLE_POLICY,
            {"policy": {"Statement": {"Effect": "Allow", "Action": ["secretsmanager:*"], "Resource": "*"}}},
            "p",
        ),
        None,
        [(SECRET_GRANT.format(r="*", e="prod"), M)],
    ),
    # AWSGuard parity: KMS rotation, HTTP -> HTTPS, deletion protection and access logs, IMDSv2, volumes
    ("kms-key-rotation", "dev", Res(KEY, {"enableKeyRotation": True}, "k"), None, []),
    ("kms-key-rotation", "dev", Res(KEY, {"customerMasterKeySpec": "RSA_2048"}, "k"), None, []),
    (
        "kms-key-rotation",
        "dev",
        Res(KEY, {}, "k"),
        None,
        [("KMS key k does not rotate its key material (enableKeyRotation)", M)],
    ),
    (
        "alb-http-redirects-to-https",
        "prod",
        Res(LISTENER, {"protocol": "HTTP", "defaultActions": [REDIRECT]}, "l"),
        None,
        [],
    ),
    (
        "alb-http-redirects-to-https",
        "prod",
        Res(LISTENER, {"protocol": "HTTPS", "defaultActions": [FORWARD]}, "l"),
        None,
        [],
    ),
    (
        "alb-http-redirects-to-https",
        "dev",
        Res(LISTENER, {"protocol": "HTTP", "defaultActions": [FORWARD]}, "l"),
        None,
        [],
    ),
    (
        "alb-http-redirects-to-https",
        "prod",
        Res(LISTENER, {"protocol": "HTTP", "defaultActions": [FORWARD]}, "l"),
        None,
        [(PLAIN_HTTP, M)],
    ),
    (
        "alb-http-redirects-to-https",
        "qa",
        Res(LISTENER, {"protocol": "HTTP", "defaultActions": []}, "l"),
        None,
        [(PLAIN_HTTP, M)],
    ),
    ("elb-deletion-protection", "prod", Res(LB, {"name": "b", "enableDeletionProtection": True}), None, []),
    ("elb-deletion-protection", "dev", Res(LB, {"name": "b"}), None, []),
    (
        "elb-deletion-protection",
        "staging",
        Res(LB, {"name": "b"}),
        None,
        [(f"load balancer 'b' has no deletion protection; {WHY}", M)],
    ),
    ("elb-access-logs", "prod", Res(LB, {"name": "b", "accessLogs": {"enabled": True, "bucket": "x"}}), None, []),
    ("elb-access-logs", "dev", Res(LB, {"name": "b"}), None, []),
    (
        "elb-access-logs",
        "prod",
        Res(LB, {"name": "b", "accessLogs": {"enabled": False}}),
        None,
        [(f"load balancer 'b' keeps no access logs; {WHY}", M)],
    ),
    # review i21 F4: ALB and Classic ELB, not NLB or GWLB (AWS Config elb-logging-enabled); a Classic
    # ELB's access_logs block is enabled by default (terraform-provider-aws elb/load_balancer.go)
    ("elb-access-logs", "prod", Res(LB, {"name": "n", "loadBalancerType": "network"}), None, []),
    ("elb-access-logs", "prod", Res(LB, {"name": "g", "loadBalancerType": "gateway"}), None, []),
    (
        "elb-access-logs",
        "prod",
        Res(LB, {"name": "a", "loadBalancerType": "application"}),
        None,
        [(f"load balancer 'a' keeps no access logs; {WHY}", M)],
    ),
    ("elb-access-logs", "prod", Res(CLASSIC, {"name": "c", "accessLogs": {"bucket": "x"}}), None, []),
    (
        "elb-access-logs",
        "prod",
        Res(CLASSIC, {"name": "c"}),
        None,
        [(f"load balancer 'c' keeps no access logs; {WHY}", M)],
    ),
    (
        "elb-access-logs",
        "prod",
        Res(CLASSIC, {"name": "c", "accessLogs": {"bucket": "x", "enabled": False}}),
        None,
        [(f"load balancer 'c' keeps no access logs; {WHY}", M)],
    ),
    ("ec2-imdsv2", "dev", Res(INSTANCE, {"metadataOptions": {"httpTokens": "required"}}, "nat"), None, []),
    (
        "ec2-imdsv2",
        "dev",
        Res(INSTANCE, {"metadataOptions": {"httpTokens": "optional"}}, "nat"),
        None,
        [("instance nat accepts IMDSv1 (metadataOptions.httpTokens must be 'required')", M)],
    ),
    (
        "ec2-encrypted-volumes",
        "dev",
        Res(INSTANCE, {"rootBlockDevice": {"encrypted": True}, "ebsBlockDevices": [{"encrypted": True}]}, "nat"),
        None,
        [],
    ),
    (
        "ec2-encrypted-volumes",
        "dev",
        Res(INSTANCE, {"rootBlockDevice": {"volumeSize": 8}, "ebsBlockDevices": [{"deviceName": "/dev/sdf"}]}, "nat"),
        None,
        [("instance nat's root volume is not encrypted", M), ("instance nat's volume /dev/sdf is not encrypted", M)],
    ),
    # s3-*: each control on its own resource, before it exists
    ("s3-block-public-access", "dev", Res(BLOCK, ALL_BLOCKED, "pab"), None, []),
    (
        "s3-block-public-access",
        "dev",
        Res(BLOCK, ALL_BLOCKED | {"ignorePublicAcls": False}, "pab"),
        None,
        [("public access block pab leaves ignorePublicAcls off", M)],
    ),
    (
        "s3-block-public-access",
        "dev",
        Res(BLOCK, ALL_BLOCKED | {"blockPublicAcls": "true", "restrictPublicBuckets": None}, "pab"),
        None,
        [("public access block pab leaves blockPublicAcls, restrictPublicBuckets off", M)],
    ),
    *[
        ("s3-default-encryption", "dev", Res(SSE, sse(a), "sse"), None, [])
        for a in ("AES256", "aws:kms", "aws:kms:dsse")
    ],
    ("s3-default-encryption", "dev", Res(SSE, sse("aws:kms:none"), "sse"), None, [(NO_SSE, M)]),
    ("s3-default-encryption", "dev", Res(SSE, {"rules": []}, "sse"), None, [(NO_SSE, M)]),
    (
        "s3-tls-only",
        "dev",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": _doc(_allow("s3:GetObject", "*"), TLS_DENY)}, "bp"),
        None,
        [],
    ),
    (
        "s3-tls-only",
        "dev",
        Res(
            BUCKET_POLICY,
            {
                "bucket": "b1",
                "policy": json.dumps({"Statement": TLS_DENY | {"Condition": {"Bool": {"aws:SecureTransport": False}}}}),
            },
            "bp",
        ),
        None,
        [],
    ),
    ("s3-tls-only", "dev", Res(BUCKET_POLICY, {"bucket": "b1", "policy": {"Statement": [TLS_DENY]}}, "bp"), None, []),
    ("s3-tls-only", "dev", Res(BUCKET_POLICY, {"bucket": "b1", "policy": {"Statement": TLS_DENY}}, "bp"), None, []),
    (
        "s3-tls-only",
        "dev",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": _doc(TLS_DENY | {"Effect": "Allow"})}, "bp"),
        None,
        [(NO_TLS, M)],
    ),
    (
        "s3-tls-only",
        "dev",
        Res(
            BUCKET_POLICY,
            {"bucket": "b1", "policy": _doc(TLS_DENY | {"Condition": {"Bool": {"aws:SecureTransport": "true"}}})},
            "bp",
        ),
        None,
        [(NO_TLS, M)],
    ),
    (
        "s3-tls-only",
        "dev",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": json.dumps(["x"])}, "bp"),
        None,
        [(NO_TLS, M)],
    ),
    (
        "s3-tls-only",
        "dev",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": json.dumps({"Statement": ["x"]})}, "bp"),
        None,
        [(NO_TLS, M)],
    ),
    ("s3-versioning", "staging", Res(VERSIONING, {"versioningConfiguration": {"status": "Enabled"}}, "v"), None, []),
    ("s3-versioning", "dev", Res(VERSIONING, {"versioningConfiguration": {"status": "Suspended"}}, "v"), None, []),
    (
        "s3-versioning",
        "prod",
        Res(VERSIONING, {"versioningConfiguration": {"status": "Suspended"}}, "v"),
        None,
        [(f"bucket versioning v is Suspended; {WHY}", M)],
    ),
    ("s3-versioning", "qa", Res(VERSIONING, {}, "v"), None, [(f"bucket versioning v is None; {WHY}", M)]),
    # no-plaintext-secret-config: a key declared secret, set without --secret
    ("no-plaintext-secret-config", "encrypted", Res("pulumi:pulumi:Stack", {}, "marin-x"), None, []),
    ("no-plaintext-secret-config", "dev", Res("pulumi:pulumi:Stack", {}, "marin-x"), None, []),
    (
        "no-plaintext-secret-config",
        "plain",
        Res("pulumi:pulumi:Stack", {}, "marin-x"),
        None,
        [
            (
                "marin:transcriptionApiKey is in plaintext in the stack's config; "
                "set it with `pulumi config set --secret marin:transcriptionApiKey`",
                M,
            )
        ],
    ),
    # Per-stack thresholds follow the stack's config (PROFILES), never its name: a stack whose
    # config the analyzer was not told ("qa" here) is checked as protected and highly available.
    # log-retention: the stack's logRetentionDays; at least 14 with protectData
    ("log-retention", "prod", Res(LOG_GROUP, {"name": "g", "retentionInDays": 30}), None, []),
    ("log-retention", "staging", Res(LOG_GROUP, {"name": "g", "retentionInDays": 14}), None, []),
    ("log-retention", "staging", Res(LOG_GROUP, {"name": "g"}), None, []),  # never expires
    ("log-retention", "dev", Res(LOG_GROUP, {"name": "g", "retentionInDays": 1}), None, []),
    (
        "log-retention",
        "prod",
        Res(LOG_GROUP, {"name": "g", "retentionInDays": 14}),
        None,
        [("log group 'g' keeps 14 days; the stack's logRetentionDays is 30", M)],
    ),
    (
        "log-retention",
        "staging",
        Res(LOG_GROUP, {"name": "g", "retentionInDays": 7}),
        None,
        [("log group 'g' keeps 7 days; this stack keeps at least 14", M)],
    ),
    (
        "log-retention",
        "qa",
        Res(LOG_GROUP, {"name": "g", "retentionInDays": 7}),
        None,
        [("log group 'g' keeps 7 days; this stack keeps at least 14", M)],
    ),
    # cost-ceiling (advisory, without protectData): at most 512 CPU / 1024 MiB, cache.t4g.small, M10
    ("cost-ceiling", "dev", Res(TASK, {"family": "t", "cpu": "512", "memory": "1024"}), None, []),
    (
        "cost-ceiling",
        "dev",
        Res(TASK, {"family": "t", "cpu": "1024", "memory": "1536"}),
        None,
        [(CEIL.format(k="cpu", v="1024", b=512), A), (CEIL.format(k="memory", v="1536", b=1024), A)],
    ),
    ("cost-ceiling", "dev", Res(REDIS, {"nodeType": "cache.t4g.small"}), None, []),
    (
        "cost-ceiling",
        "dev",
        Res(REDIS, {"nodeType": "cache.t4g.medium"}),
        None,
        [(CEIL.format(k="redisNodeType", v="cache.t4g.medium", b="cache.t4g.small"), A)],
    ),
    (
        "cost-ceiling",
        "dev",
        Res(REDIS, {"nodeType": "cache.r6g.xlarge"}),
        None,
        [(UNLISTED.format(k="redisNodeType", v="cache.r6g.xlarge"), A)],
    ),
    ("cost-ceiling", "dev", Res(ATLAS, _atlas("M0")), None, []),
    (
        "cost-ceiling",
        "dev",
        Res(ATLAS, _atlas("M20")),
        None,
        [(CEIL.format(k="atlasInstanceSize", v="M20", b="M10"), A)],
    ),
    ("cost-ceiling", "dev", Res(ATLAS, _atlas("M200")), None, [(UNLISTED.format(k="atlasInstanceSize", v="M200"), A)]),
    ("cost-ceiling", "staging", Res(REDIS, {"nodeType": "cache.r7g.large"}), None, []),
    # capacity-floor (highAvailability): at least 512 CPU / 1024 MiB, cache.t4g.small, M10
    ("capacity-floor", "staging", Res(TASK, {"family": "t", "cpu": "512", "memory": "1024"}), None, []),
    (
        "capacity-floor",
        "prod",
        Res(TASK, {"family": "t", "cpu": "256", "memory": "4096"}),
        None,
        [(FLOOR_MSG.format(k="cpu", v="256", b=512), M)],
    ),
    (
        "capacity-floor",
        "prod",
        Res(REDIS, {"nodeType": "cache.t4g.micro"}),
        None,
        [(FLOOR_MSG.format(k="redisNodeType", v="cache.t4g.micro", b="cache.t4g.small"), M)],
    ),
    (
        "capacity-floor",
        "prod",
        Res(REDIS, {"nodeType": "cache.x9.huge"}),
        None,
        [(UNLISTED.format(k="redisNodeType", v="cache.x9.huge"), M)],
    ),
    (
        "capacity-floor",
        "qa",
        Res(ATLAS, _atlas("M0")),
        None,
        [(FLOOR_MSG.format(k="atlasInstanceSize", v="M0", b="M10"), M)],
    ),
    ("capacity-floor", "prod", Res(ATLAS, _atlas("M60")), None, []),
    ("capacity-floor", "dev", Res(TASK, {"family": "t", "cpu": "256", "memory": "512"}), None, []),
    # elasticache-multi-az: with highAvailability
    ("elasticache-multi-az", "dev", Res(REDIS, {}), None, []),
    ("elasticache-multi-az", "prod", Res(REDIS, {"multiAzEnabled": True, "automaticFailoverEnabled": True}), None, []),
    ("elasticache-multi-az", "staging", Res(REDIS, {"multiAzEnabled": True}), None, [(MULTI_AZ, M)]),
    ("elasticache-multi-az", "qa", Res(REDIS, {"automaticFailoverEnabled": True}), None, [(MULTI_AZ, M)]),
    # secret-recovery-window: the stack's secretRecoveryWindowDays; at least 7 with protectData
    ("secret-recovery-window", "dev", Res(SECRET, {"name": "s", "recoveryWindowInDays": 0}), None, []),
    ("secret-recovery-window", "staging", Res(SECRET, {"name": "s", "recoveryWindowInDays": 7}), None, []),
    ("secret-recovery-window", "prod", Res(SECRET, {"name": "s"}), None, []),  # AWS's default: 30
    (
        "secret-recovery-window",
        "staging",
        Res(SECRET, {"name": "s", "recoveryWindowInDays": 0}),
        None,
        [(WINDOW_MIN.format(d=0, n=7), M)],
    ),
    (
        "secret-recovery-window",
        "qa",
        Res(SECRET, {"name": "s", "recoveryWindowInDays": 0}),
        None,
        [(WINDOW_MIN.format(d=0, n=7), M)],
    ),
    (
        "secret-recovery-window",
        "prod",
        Res(SECRET, {"name": "s", "recoveryWindowInDays": 7}),
        None,
        [("secret 's' has a 7-day recovery window; the stack's secretRecoveryWindowDays is 30", M)],
    ),
    # data-protected: protect, Atlas termination protection, no forceDestroy, with protectData
    ("data-protected", "dev", Res(BUCKET, {"bucket": "b", "forceDestroy": True}), None, []),
    ("data-protected", "staging", Res(BUCKET, {"bucket": "b"}, "rec", protect=True), None, []),
    (
        "data-protected",
        "prod",
        Res(SECRET, {}, "sec"),
        None,
        [(f"Secret sec is not protected (protect=True); {WHY}", M)],
    ),
    (
        "data-protected",
        "qa",
        Res(REDIS, {}, "c"),
        None,
        [(f"ReplicationGroup c is not protected (protect=True); {WHY}", M)],
    ),
    (
        "data-protected",
        "staging",
        Res(BUCKET, {"bucket": "b", "forceDestroy": True}, "rec", protect=True),
        None,
        [(f"bucket 'b' can be destroyed with its recordings (forceDestroy); {WHY}", M)],
    ),
    ("data-protected", "prod", Res(ATLAS, {"name": "c", "terminationProtectionEnabled": True}, protect=True), None, []),
    (
        "data-protected",
        "prod",
        Res(ATLAS, {"name": "c", "terminationProtectionEnabled": "true"}, protect=True),
        None,
        [(f"Atlas cluster 'c' has no termination protection; {WHY}", M)],
    ),
    ("data-protected", "prod", Res(LOG_GROUP, {"name": "g"}), None, []),
    # atlas-backups: with protectData; point-in-time recovery where the stack asks for continuous backup
    ("atlas-backups", "dev", Res(ATLAS, {"name": "c"}), None, []),
    ("atlas-backups", "staging", Res(ATLAS, {"name": "c", "backupEnabled": True}), None, []),
    (
        "atlas-backups",
        "staging",
        Res(ATLAS, {"name": "c", "backupEnabled": "true"}),
        None,
        [(f"Atlas cluster 'c' has no cloud backup; {WHY}", M)],
    ),
    ("atlas-backups", "prod", Res(ATLAS, {"name": "c", "backupEnabled": True, "pitEnabled": True}), None, []),
    (
        "atlas-backups",
        "prod",
        Res(ATLAS, {"name": "c", "backupEnabled": True}),
        None,
        [("Atlas cluster 'c' has no point-in-time recovery; the stack asks for continuous backup", M)],
    ),
    ("atlas-backups", "qa", Res(ATLAS, {"name": "c"}), None, [(f"Atlas cluster 'c' has no cloud backup; {WHY}", M)]),
    # ecs-no-public-ip: with protectData
    (
        "ecs-no-public-ip",
        "dev",
        Res(SERVICE, {"name": "s", "networkConfiguration": {"assignPublicIp": True}}),
        None,
        [],
    ),
    (
        "ecs-no-public-ip",
        "qa",
        Res(SERVICE, {"name": "s", "networkConfiguration": {"assignPublicIp": True}}),
        None,
        [(f"service 's' assigns public IPs to its tasks; {WHY}", M)],
    ),
    ("ecs-no-public-ip", "prod", Res(SERVICE, {"name": "s", "networkConfiguration": {}}), None, []),
    # review 21: Exclusive attachments of users and groups, ARNs in the stack's account, privilege
    # escalation on any IAM resource, resource policies open to every principal
    (
        "iam-no-full-admin",
        "prod",
        Res(token(aws.iam.GroupPolicyAttachmentsExclusive), {"groupName": "g", "policyArns": [ADMIN_ARN]}, "a"),
        None,
        [(ADMIN.format(w=f"AWS-managed {ADMIN_ARN} on a"), M)],
    ),
    (
        "iam-no-full-admin",
        "prod",
        Res(token(aws.iam.UserPolicyAttachmentsExclusive), {"userName": "u", "policyArns": [ADMIN_ARN]}, "a"),
        None,
        [(ADMIN.format(w=f"AWS-managed {ADMIN_ARN} on a"), M)],
    ),
    (
        "iam-no-full-admin",
        "prod",
        Res(
            ROLE_POLICY,
            {
                "policy": _doc(
                    {
                        "Effect": "Allow",
                        "NotAction": "secretsmanager:*",
                        "Resource": ["arn:aws:*:*:123456789012:*", "arn:aws:s3:::*"],
                    }
                )
            },
            "p",
        ),
        None,
        [(ADMIN.format(w="policy of p"), M)],
    ),
    (
        "iam-no-privilege-escalation",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("iam:*", "*"))}, "p"),
        None,
        [(ESCALATES.format(w="policy of p", a=EVERY_ESCALATION), M)],
    ),
    (
        "iam-no-privilege-escalation",
        "prod",
        Res(ATTACHMENT, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"}, "a"),
        None,
        [(ESCALATES.format(w="AWS-managed arn:aws:iam::aws:policy/IAMFullAccess on a", a=EVERY_ESCALATION), M)],
    ),
    (
        "iam-no-privilege-escalation",
        "prod",
        Res(
            ROLE_POLICY,
            {"policy": _doc(_allow("*", "*"), {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"})},
            "p",
        ),
        None,
        [(ESCALATES.format(w="policy of p", a=EVERY_ESCALATION), M)],
    ),
    (
        "iam-no-privilege-escalation",
        "prod",
        Res(
            ROLE_POLICY,
            {"policy": _doc({"Effect": "Allow", "NotAction": ["marinprobe:*", "secretsmanager:*"], "Resource": "*"})},
            "p",
        ),
        None,
        [(ESCALATES.format(w="policy of p", a=EVERY_ESCALATION), M)],
    ),
    (
        "iam-no-privilege-escalation",
        "prod",
        Res(
            ROLE_POLICY,
            {"policy": _doc(_allow(["IAM:PassRole", "iam:attachrolepolicy"], "arn:aws:iam::1:role/*"))},
            "p",
        ),
        None,
        [(ESCALATES.format(w="policy of p", a="iam:AttachRolePolicy, iam:PassRole"), M)],
    ),
    (
        "iam-no-privilege-escalation",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("iam:PassRole", "arn:aws:iam::1:role/marin-prod-api-task"))}, "p"),
        None,
        [],
    ),
    (
        "no-public-principal",
        "prod",
        Res(
            ROLE,
            {"assumeRolePolicy": _doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})},
            "r",
        ),
        None,
        [(PUBLIC.format(w="r", a="sts:AssumeRole"), M)],
    ),
    (
        "no-public-principal",
        "prod",
        Res(
            token(aws.secretsmanager.SecretPolicy),
            {
                "policy": _doc(
                    {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
                )
            },
            "sp",
        ),
        None,
        [(PUBLIC.format(w="sp", a="secretsmanager:GetSecretValue"), M)],
    ),
    (
        "no-public-principal",
        "prod",
        Res(
            KEY,
            {"policy": _doc({"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "kms:*", "Resource": "*"})},
            "k",
        ),
        None,
        [(PUBLIC.format(w="k", a="kms:*"), M)],
    ),
    (
        "no-public-principal",
        "prod",
        Res(
            KEY,
            {
                "policy": _doc(
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "kms:Decrypt",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
                    },
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::1:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                )
            },
            "k",
        ),
        None,
        [],
    ),
    (
        "no-public-principal",
        "prod",
        Res(
            ROLE,
            {
                "assumeRolePolicy": _doc(
                    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
                )
            },
            "r",
        ),
        None,
        [],
    ),
    # review 21: the internet without /0, prefix lists holding it, a protocol without ports, the
    # default group decided on its own resource (before `up --skip-preview` creates its rules)
    (
        "no-open-ingress-ports",
        "prod",
        Res(INGRESS, _ingress("0.0.0.0/1", 22, 22), "low"),
        None,
        [(OPEN_PORTS.format(w="low", c="0.0.0.0/1", p="tcp 22-22"), M)],
    ),
    (
        "no-open-ingress-ports",
        "prod",
        Res(INGRESS, _ingress("128.0.0.0/1", 22, 22), "high"),
        None,
        [(OPEN_PORTS.format(w="high", c="128.0.0.0/1", p="tcp 22-22"), M)],
    ),
    (
        "no-open-ingress-ports",
        "prod",
        Res(INGRESS, _ingress("2000::/3", 22, 22, "cidrIpv6"), "v6"),
        None,
        [(OPEN_PORTS.format(w="v6", c="2000::/3", p="tcp 22-22"), M)],
    ),
    ("no-open-ingress-ports", "prod", Res(INGRESS, _ingress("fc00::/7", 22, 22, "cidrIpv6"), "ula"), None, []),
    ("no-open-ingress-ports", "prod", Res(INGRESS, _ingress("203.0.113.0/24", 22, 22), "office"), None, []),
    (
        "no-open-ingress-ports",
        "prod",
        Res(INGRESS, {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "50"}, "esp"),
        None,
        [(OPEN_PORTS.format(w="esp", c="0.0.0.0/0", p="protocol 50"), M)],
    ),
    (
        "no-open-ingress-ports",
        "prod",
        Res(token(aws.ec2.ManagedPrefixList), {"entries": [{"cidr": "10.0.0.0/8"}, {"cidr": "0.0.0.0/0"}]}, "pl"),
        None,
        [("prefix list pl holds 0.0.0.0/0, the internet; a rule from it would be open to anyone", M)],
    ),
    (
        "no-open-ingress-ports",
        "prod",
        Res(token(aws.ec2.ManagedPrefixListEntry), {"cidr": "::/0", "prefixListId": "pl-1"}, "e"),
        None,
        [("prefix list e holds ::/0, the internet; a rule from it would be open to anyone", M)],
    ),
    (
        "no-open-ingress-ports",
        "prod",
        Res(token(aws.ec2.ManagedPrefixList), {"entries": [{"cidr": "10.0.0.0/8"}, {"cidr": "203.0.113.0/24"}]}, "pl"),
        None,
        [],
    ),
    (
        "default-security-group-closed",
        "prod",
        Res(token(aws.ec2.DefaultSecurityGroup), {"vpcId": "v", "ingress": [], "egress": []}),
        None,
        [],
    ),
    (
        "default-security-group-closed",
        "prod",
        Res(
            token(aws.ec2.DefaultSecurityGroup),
            {"vpcId": "v", "ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]},
        ),
        None,
        [("the default security group allows traffic", M)],
    ),
    (
        "default-security-group-closed",
        "dev",
        Res(token(aws.ec2.DefaultSecurityGroup), {"egress": [{"protocol": "-1"}]}),
        None,
        [("the default security group allows traffic", M)],
    ),
    # review 21: the load balancer and listener under their aws.alb tokens, the V2 S3 controls, a
    # TLS deny that covers everyone, every S3 action, the bucket and its objects (a list value is IAM)
    (
        "elb-deletion-protection",
        "prod",
        Res(token(aws.alb.LoadBalancer), {"name": "b"}),
        None,
        [(f"load balancer 'b' has no deletion protection; {WHY}", M)],
    ),
    (
        "elb-access-logs",
        "prod",
        Res(token(aws.alb.LoadBalancer), {"name": "b"}),
        None,
        [(f"load balancer 'b' keeps no access logs; {WHY}", M)],
    ),
    (
        "alb-http-redirects-to-https",
        "prod",
        Res(token(aws.alb.Listener), {"protocol": "HTTP", "defaultActions": [FORWARD]}, "l"),
        None,
        [(PLAIN_HTTP, M)],
    ),
    (
        "s3-default-encryption",
        "dev",
        Res(token(aws.s3.BucketServerSideEncryptionConfigurationV2), {"rules": []}, "sse"),
        None,
        [(NO_SSE, M)],
    ),
    (
        "s3-versioning",
        "prod",
        Res(token(aws.s3.BucketVersioningV2), {"versioningConfiguration": {"status": "Suspended"}}, "v"),
        None,
        [(f"bucket versioning v is Suspended; {WHY}", M)],
    ),
    (
        "s3-tls-only",
        "prod",
        Res(
            BUCKET_POLICY,
            {
                "bucket": "b1",
                "policy": _doc(
                    TLS_DENY | {"Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "s3:GetObject"}
                ),
            },
            "bp",
        ),
        None,
        [(NO_TLS, M)],
    ),
    (
        "s3-tls-only",
        "prod",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": _doc(TLS_DENY | {"Resource": "arn:aws:s3:::b1"})}, "bp"),
        None,
        [(NO_TLS, M)],
    ),
    (
        "s3-tls-only",
        "prod",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": _doc(TLS_DENY | {"Resource": "arn:aws:s3:::other/*"})}, "bp"),
        None,
        [(NO_TLS, M)],
    ),
    (
        "s3-tls-only",
        "prod",
        Res(
            BUCKET_POLICY,
            {
                "bucket": "b1",
                "policy": _doc(
                    TLS_DENY
                    | {
                        "Principal": {"AWS": "*"},
                        "Action": ["*"],
                        "Resource": "arn:aws:s3:::b1*",
                        "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
                    }
                ),
            },
            "bp",
        ),
        None,
        [],
    ),
    # review 21: numeric config that is not a number is reported, not a crash; BucketV2 is a bucket
    (
        "secret-recovery-window",
        "odd",
        Res(SECRET, {"name": "s", "recoveryWindowInDays": 7}),
        None,
        [("secret 's' has a 7-day recovery window; the stack's secretRecoveryWindowDays 'thirty' is not a number", M)],
    ),
    (
        "log-retention",
        "odd",
        Res(LOG_GROUP, {"name": "g", "retentionInDays": 7}),
        None,
        [("log group 'g' keeps 7 days; the stack's logRetentionDays 'a week' is not a number", M)],
    ),
    (
        "data-protected",
        "prod",
        Res(token(aws.s3.BucketV2), {"bucket": "b", "forceDestroy": True}, "rec"),
        None,
        [
            (f"BucketV2 rec is not protected (protect=True); {WHY}", M),
            (f"bucket 'b' can be destroyed with its recordings (forceDestroy); {WHY}", M),
        ],
    ),
    (
        "naming-convention",
        "prod",
        Res(token(aws.s3.BucketV2), {"bucket": "recordings"}),
        None,
        [(NAME_MSG.format(t=token(aws.s3.BucketV2), n="recordings", e="prod"), M)],
    ),
]


def test_every_resource_rule_has_a_compliant_and_a_violating_case() -> None:
    resource_rules = {r for r, (_, _, kind, _) in RULES.items() if kind == "resource"}
    assert {c[0] for c in CASES if c[4]} == resource_rules
    assert {c[0] for c in CASES if not c[4]} == resource_rules


@pytest.mark.parametrize(
    ("rule", "env", "resource", "tags", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_a_resource_rule_reports_exactly_its_violations_with_its_level(
    servicer: Any, rule: str, env: str, resource: Res, tags: dict[str, str] | None, expected: list[tuple[str, str]]
) -> None:
    assert all(level == RULES[rule][3] for _, level in expected)
    assert analyze(servicer, rule, env, resource, provider(tags) if tags is not None else None) == expected


# --- stack rules: the resources of a stack together -------------------------------------------------

STACK = "pulumi:pulumi:Stack"
NOT_BLOCKED = (
    "bucket {b!r} does not block all public access (blockPublicAcls, blockPublicPolicy, ignorePublicAcls, "
    "restrictPublicBuckets)"
)


def bucket(name: str = "b1", **props: Any) -> Res:
    return Res(BUCKET, {"bucket": name, "id": name} | props, name)


def on(target: Res, type_: str, props: dict[str, Any], name: str = "a") -> Res:
    """An attachment whose `bucket` input is the target's output (a property dependency)."""
    return Res(type_, {"bucket": target.props["bucket"]} | props, name, deps={"bucket": [target]})


def literal(type_: str, bucket_name: str, props: dict[str, Any]) -> Res:
    """An attachment naming its bucket with a string: no dependency to follow."""
    return Res(type_, {"bucket": bucket_name} | props, "lit")


def _group(name: str, **props: Any) -> Res:
    return Res(GROUP, {"name": name} | props, name)


def rule_on(group: Res | None, cidr: str, port: int, name: str = "in", key: str = "cidrIpv4") -> Res:
    deps = {"securityGroupId": [group]} if group is not None else {}
    return Res(INGRESS, _ingress(cidr, port, port, key), name, deps=deps)


OPEN_MSG = "{r}: ingress from {c} on ports {p}-{p} of {g}; only 80/443 on the load balancer"
B1, B2 = bucket("b1"), bucket("b2")
ALB, SERVICES = _group("marin-dev-alb-sg"), _group("marin-dev-services-sg")
ALB_BY_PREFIX = Res(GROUP, {"namePrefix": "marin-dev-alb-sg-"}, "alb")
PASSWORD = Res(token(pulumi_random.RandomPassword), {"result": "s3cret-value"}, "pw", secret_outputs=["result"])
SHORT = Res(token(pulumi_random.RandomPassword), {"result": "1234567"}, "pin", secret_outputs=["result"])
EIGHT = Res(token(pulumi_random.RandomPassword), {"result": "12345678"}, "pin8", secret_outputs=["result"])
STORED = Res(
    token(aws.secretsmanager.SecretVersion),
    {"secretString": "https://search.internal"},
    "sv",
    secret_outputs=["secretString"],
)
LEAKED = "stack output {k!r} carries the secret value of {w}; outputs carry ARNs, never values"
IN_URI = "stack output {k!r} carries credentials in a URI; outputs carry ARNs, never values"


B_V2 = Res(token(aws.s3.BucketV2), {"bucket": "v2", "id": "v2"}, "v2")
PREFIX_LIST = Res(token(aws.ec2.ManagedPrefixList), {"id": "pl-ours", "entries": [{"cidr": "10.0.0.0/8"}]}, "pl")
OWN_POLICY = Res(token(aws.iam.Policy), {"arn": "arn:aws:iam::123456789012:policy/marin-prod-x"}, "own")
MISSING = "bucket {b!r} has no {w}"
VERSIONED = {"versioningConfiguration": {"status": "Enabled"}}


def controls(target: Res) -> list[Res]:
    """A public access block, an encryption configuration and a TLS-only policy on `target`."""
    return [
        on(target, BLOCK, ALL_BLOCKED, f"{target.name}-block"),
        on(target, SSE, sse("AES256"), f"{target.name}-sse"),
        on(target, BUCKET_POLICY, {"policy": _doc(TLS_DENY)}, f"{target.name}-policy"),
    ]


def outputs(**values: Any) -> Res:
    return Res(STACK, values, "marin-dev")


LOGGING = token(aws.s3.BucketLogging)
LOGS = bucket("logs")
NO_LOGS = "bucket {b!r} sends no server access logs; the stack protects its data"
LOG_SSE = (
    "bucket {b!r} receives access logs but encrypts with {a}; ELB and S3 log delivery write only to SSE-S3 "
    "(AES256) buckets"
)


def logging_into(target: Res, source: Res, type_: str = LOGGING) -> Res:
    """`source`'s server access logs, into `target` (both by property dependency)."""
    props = {"bucket": source.props["bucket"], "targetBucket": target.props["bucket"], "targetPrefix": "s3/"}
    return Res(type_, props, f"{source.name}-logging", deps={"bucket": [source], "targetBucket": [target]})


def alb_logging_into(target: Res) -> Res:
    """A load balancer (aws.alb token) whose access logs go to `target` (a property dependency)."""
    logs = {"enabled": True, "bucket": target.props["bucket"], "prefix": "alb"}
    return Res(token(aws.alb.LoadBalancer), {"name": "alb", "accessLogs": logs}, "alb", deps={"accessLogs": [target]})


def inline_logging_into(target: Res, name: str = "b1", type_: str = BUCKET, target_name: Any = None) -> Res:
    """A bucket whose own logging (Bucket `logging`, BucketV2 `loggings`) targets `target`."""
    entry = {"targetBucket": target.props["bucket"] if target_name is None else target_name, "targetPrefix": "s3/"}
    key = "loggings" if type_ == token(aws.s3.BucketV2) else "logging"
    return Res(
        type_, {"bucket": name, "id": name, key: [entry] if key == "loggings" else entry}, name, deps={key: [target]}
    )


def classic_logging_into(target: Res) -> Res:
    """A Classic ELB whose access logs go to `target` (`enabled` left to its default, true)."""
    logs = {"bucket": target.props["bucket"], "bucketPrefix": "elb"}
    return Res(
        token(aws.elb.LoadBalancer), {"name": "classic", "accessLogs": logs}, "classic", deps={"accessLogs": [target]}
    )


STACK_CASES: list[tuple[str, str, list[Res], list[tuple[str, str]]]] = [
    # no-open-ingress: from anywhere only 80/443 on the load balancer's group
    ("no-open-ingress", "dev", [ALB, rule_on(ALB, "0.0.0.0/0", 443), rule_on(ALB, "::/0", 80, "v6", "cidrIpv6")], []),
    ("no-open-ingress", "dev", [ALB_BY_PREFIX, rule_on(ALB_BY_PREFIX, "0.0.0.0/0", 443)], []),
    ("no-open-ingress", "dev", [SERVICES, rule_on(SERVICES, "10.0.0.0/8", 22)], []),
    (
        "no-open-ingress",
        "dev",
        [ALB, rule_on(ALB, "0.0.0.0/0", 22)],
        [(OPEN_MSG.format(r="in", c="0.0.0.0/0", p=22, g="marin-dev-alb-sg"), M)],
    ),
    (
        "no-open-ingress",
        "dev",
        [SERVICES, rule_on(SERVICES, "::/0", 443, key="cidrIpv6")],
        [(OPEN_MSG.format(r="in", c="::/0", p=443, g="marin-dev-services-sg"), M)],
    ),
    (
        "no-open-ingress",
        "dev",
        [rule_on(None, "0.0.0.0/0", 443)],
        [(OPEN_MSG.format(r="in", c="0.0.0.0/0", p=443, g="a security group"), M)],
    ),
    (
        "no-open-ingress",
        "dev",
        [B1, rule_on(B1, "0.0.0.0/0", 443)],
        [(OPEN_MSG.format(r="in", c="0.0.0.0/0", p=443, g="a security group"), M)],
    ),
    (
        "no-open-ingress",
        "dev",
        [SERVICES, rule_on(SERVICES, UNKNOWN, 22, "unknown"), rule_on(SERVICES, "0.0.0.0/0", 22, "open")],
        [(OPEN_MSG.format(r="open", c="0.0.0.0/0", p=22, g="marin-dev-services-sg"), M), note("no-open-ingress")],
    ),
    (
        "no-open-ingress",
        "dev",
        [
            SERVICES,
            Res(
                LEGACY,
                {"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
                "legacy",
                deps={"securityGroupId": [SERVICES]},
            ),
        ],
        [(OPEN_MSG.format(r="legacy", c="0.0.0.0/0", p=443, g="marin-dev-services-sg"), M)],
    ),
    # default-security-group-managed (its content: default-security-group-closed, a resource rule)
    (
        "default-security-group-managed",
        "dev",
        [Res(token(aws.ec2.Vpc), {})],
        [("the VPC's default security group is not managed (and emptied)", M)],
    ),
    (
        "default-security-group-managed",
        "dev",
        [
            Res(token(aws.ec2.Vpc), {}),
            Res(token(aws.ec2.DefaultSecurityGroup), {"ingress": [], "egress": []}),
        ],
        [],
    ),
    ("default-security-group-managed", "dev", [B1], []),
    # no-secret-outputs: a declared-secret value (8 characters or more), or credentials in a URI
    (
        "no-secret-outputs",
        "dev",
        [PASSWORD, outputs(url="https://x/?k=s3cret-value")],
        [(LEAKED.format(k="url", w="pw.result"), M)],
    ),
    (
        "no-secret-outputs",
        "dev",
        [PASSWORD, outputs(nested={"a": [1, {"b": "s3cret-value"}]})],
        [(LEAKED.format(k="nested", w="pw.result"), M)],
    ),
    ("no-secret-outputs", "dev", [PASSWORD, outputs(name="marin-dev-api")], []),
    ("no-secret-outputs", "dev", [SHORT, outputs(code="1234567")], []),
    ("no-secret-outputs", "dev", [EIGHT, outputs(code="12345678")], [(LEAKED.format(k="code", w="pin8.result"), M)]),
    (
        "no-secret-outputs",
        "dev",
        [Res(token(aws.s3.Bucket), {"result": "s3cret-value"}, "b"), outputs(x="s3cret-value")],
        [],
    ),
    ("no-secret-outputs", "dev", [STORED, outputs(endpoint="https://search.internal")], []),
    (
        "no-secret-outputs",
        "dev",
        [outputs(uri="mongodb+srv://app:hunter2@marin-dev.mongodb.net")],
        [(IN_URI.format(k="uri"), M)],
    ),
    (
        "no-secret-outputs",
        "dev",
        [outputs(uri="REDIS://user:pw@cache:6379", other="https://host/x@y")],
        [(IN_URI.format(k="uri"), M)],
    ),
    ("no-secret-outputs", "dev", [outputs(api="https://api.dev.example.org/v1")], []),
    (
        "no-secret-outputs",
        "dev",
        [
            Res(token(pulumi_random.RandomPassword), {"result": UNKNOWN}, "pw", secret_outputs=["result"]),
            outputs(uri="mongodb://u:p@h"),
        ],
        [(IN_URI.format(k="uri"), M), note("no-secret-outputs")],
    ),
    # later additions (appended: test ids are positions)
    (
        "no-secret-outputs",
        "dev",
        [
            Res(
                token(aws.secretsmanager.SecretVersion),
                {"secretString": "https://search.internal", "versionId": "v-1234-5678"},
                "sv",
                secret_outputs=["secretString", "versionId"],
            ),
            outputs(version="v-1234-5678"),
        ],
        [(LEAKED.format(k="version", w="sv.versionId"), M)],
    ),
    # s3-bucket-controls: each bucket has every control attached (by dependency, or by name or id)
    ("s3-bucket-controls", "dev", [B1, *controls(B1)], []),
    ("s3-bucket-controls", "prod", [B1, *controls(B1), on(B1, VERSIONING, VERSIONED, "v")], []),
    (
        "s3-bucket-controls",
        "dev",
        [B1],
        [(MISSING.format(b="b1", w="public access block, default encryption, bucket policy"), M)],
    ),
    ("s3-bucket-controls", "qa", [B1, *controls(B1)], [(MISSING.format(b="b1", w="versioning"), M)]),
    (
        "s3-bucket-controls",
        "dev",
        [B1, B2, *controls(B2)],
        [(MISSING.format(b="b1", w="public access block, default encryption, bucket policy"), M)],
    ),
    ("s3-bucket-controls", "dev", [B1, literal(BLOCK, "b1", ALL_BLOCKED), *controls(B1)[1:]], []),
    (
        "s3-bucket-controls",
        "dev",
        [bucket("b1", id="b1-id"), literal(BLOCK, "b1-id", ALL_BLOCKED), *controls(B1)[1:]],
        [],
    ),
    (
        "s3-bucket-controls",
        "dev",
        [B1, literal(BLOCK, "b2", ALL_BLOCKED), *controls(B1)[1:]],
        [(MISSING.format(b="b1", w="public access block"), M)],
    ),
    (
        "s3-bucket-controls",
        "dev",
        [B1, Res(BLOCK, ALL_BLOCKED, "nobucket"), *controls(B1)[1:]],
        [(MISSING.format(b="b1", w="public access block"), M)],
    ),
    (
        "s3-bucket-controls",
        "dev",
        [B1, B2, on(B2, BLOCK, ALL_BLOCKED | {"bucket": "b1"}), *controls(B1)[1:]],
        [
            (MISSING.format(b="b1", w="public access block"), M),
            (MISSING.format(b="b2", w="default encryption, bucket policy"), M),
        ],
    ),
    # iam-policies-readable: a policy attached by ARN that neither moto's copy nor the stack holds
    (
        "iam-policies-readable",
        "prod",
        [Res(ATTACHMENT, {"role": "r", "policyArn": "arn:aws:iam::123456789012:policy/admin"}, "a")],
        [
            (
                "can't read arn:aws:iam::123456789012:policy/admin attached by a: "
                "not AWS-managed (moto's copy) nor in this stack",
                A,
            )
        ],
    ),
    (
        "iam-policies-readable",
        "prod",
        [Res(ROLE, {"managedPolicyArns": ["arn:aws:iam::aws:policy/NoSuchPolicyYet"]}, "r")],
        [
            (
                "can't read arn:aws:iam::aws:policy/NoSuchPolicyYet attached by r: "
                "not AWS-managed (moto's copy) nor in this stack",
                A,
            )
        ],
    ),
    (
        "iam-policies-readable",
        "prod",
        [
            OWN_POLICY,
            Res(
                ATTACHMENT,
                {"role": "r", "policyArn": OWN_POLICY.props["arn"]},
                "by-dep",
                deps={"policyArn": [OWN_POLICY]},
            ),
            Res(ATTACHMENT, {"role": "r", "policyArn": OWN_POLICY.props["arn"]}, "by-value"),
            Res(ATTACHMENT, {"role": "r", "policyArn": ADMIN_ARN}, "managed"),
        ],
        [],
    ),
    # ingress-prefix-lists-readable: a rule from a prefix list the stack does not define
    (
        "ingress-prefix-lists-readable",
        "prod",
        [Res(INGRESS, {"prefixListId": "pl-0abc", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22}, "ssh")],
        [("can't read prefix list pl-0abc of ssh: not defined in this stack", A)],
    ),
    (
        "ingress-prefix-lists-readable",
        "prod",
        [
            Res(LEGACY, {"type": "ingress", "prefixListIds": ["pl-0abc"], "protocol": "tcp"}, "legacy"),
            Res(GROUP, {"ingress": [{"prefixListIds": ["pl-0def"]}]}, "sg"),
        ],
        [
            ("can't read prefix list pl-0abc of legacy: not defined in this stack", A),
            ("can't read prefix list pl-0def of sg: not defined in this stack", A),
        ],
    ),
    (
        "ingress-prefix-lists-readable",
        "prod",
        [
            PREFIX_LIST,
            Res(INGRESS, {"prefixListId": "pl-ours"}, "by-dep", deps={"prefixListId": [PREFIX_LIST]}),
            Res(INGRESS, {"prefixListId": "pl-ours"}, "by-id"),
            Res(INGRESS, {"cidrIpv4": "10.0.0.0/8"}, "no-list"),
        ],
        [],
    ),
    # s3-bucket-controls over the V2 tokens of a bucket and its controls
    (
        "s3-bucket-controls",
        "dev",
        [B_V2],
        [(MISSING.format(b="v2", w="public access block, default encryption, bucket policy"), M)],
    ),
    (
        "s3-bucket-controls",
        "prod",
        [
            B_V2,
            on(B_V2, BLOCK, ALL_BLOCKED, "v2-block"),
            on(B_V2, token(aws.s3.BucketServerSideEncryptionConfigurationV2), sse("AES256"), "v2-sse"),
            on(B_V2, BUCKET_POLICY, {"policy": _doc(TLS_DENY)}, "v2-policy"),
            on(B_V2, token(aws.s3.BucketVersioningV2), VERSIONED, "v2-versioning"),
        ],
        [],
    ),
    # s3-bucket-logging: every bucket logs where data is protected, but one logs are written to
    ("s3-bucket-logging", "prod", [B1, LOGS, logging_into(LOGS, B1)], []),
    ("s3-bucket-logging", "prod", [LOGS, B_V2, logging_into(LOGS, B_V2, token(aws.s3.BucketLoggingV2))], []),
    ("s3-bucket-logging", "prod", [LOGS, alb_logging_into(LOGS)], []),
    ("s3-bucket-logging", "dev", [B1], []),
    ("s3-bucket-logging", "qa", [B1], [(NO_LOGS.format(b="b1"), M)]),
    ("s3-bucket-logging", "prod", [B1, B2, LOGS, logging_into(LOGS, B1)], [(NO_LOGS.format(b="b2"), M)]),
    # a bucket that only grants log delivery in its policy, with no writer, is no log bucket
    (
        "s3-bucket-logging",
        "prod",
        [B1, LOGS, on(LOGS, BUCKET_POLICY, {"policy": _doc(TLS_DENY)}, "p")],
        [
            (NO_LOGS.format(b="b1"), M),
            (NO_LOGS.format(b="logs"), M),
        ],
    ),
    # the writer names its target with a string: matched by name, an unknown bucket is not ours
    ("s3-bucket-logging", "prod", [B1, LOGS, on(B1, LOGGING, {"targetBucket": "logs", "targetPrefix": "s3/"})], []),
    (
        "s3-bucket-logging",
        "prod",
        [B1, LOGS, on(B1, LOGGING, {"targetBucket": "elsewhere", "targetPrefix": "s3/"})],
        [(NO_LOGS.format(b="logs"), M)],
    ),
    # review i21 F3: logging set on the bucket itself (Bucket `logging`, BucketV2 `loggings`, still
    # inputs in pulumi-aws 7.51.1) logs, and makes its target a log bucket; nothing else does
    ("s3-bucket-logging", "prod", [bucket("b1", logging={"targetBucket": "logs", "targetPrefix": "s3/"}), LOGS], []),
    ("s3-bucket-logging", "prod", [LOGS, inline_logging_into(LOGS, "v2", token(aws.s3.BucketV2))], []),
    ("s3-bucket-logging", "prod", [LOGS, inline_logging_into(LOGS, "b1", BUCKET, target_name=UNKNOWN)], []),
    (
        "s3-bucket-logging",
        "prod",
        [bucket("b1", logging={"targetBucket": "elsewhere", "targetPrefix": "s3/"}), LOGS],
        [(NO_LOGS.format(b="logs"), M)],
    ),
    # access-log-bucket-sse-s3: where ELB or S3 deliver logs, SSE-S3 and nothing else
    ("access-log-bucket-sse-s3", "dev", [B1, LOGS, logging_into(LOGS, B1), on(LOGS, SSE, sse("AES256"))], []),
    ("access-log-bucket-sse-s3", "dev", [B1, on(B1, SSE, sse("aws:kms"))], []),
    (
        "access-log-bucket-sse-s3",
        "dev",
        [B1, LOGS, logging_into(LOGS, B1), on(LOGS, SSE, sse("aws:kms"))],
        [(LOG_SSE.format(b="logs", a="aws:kms"), M)],
    ),
    (
        "access-log-bucket-sse-s3",
        "prod",
        [LOGS, alb_logging_into(LOGS), on(LOGS, SSE, sse("aws:kms:dsse"))],
        [(LOG_SSE.format(b="logs", a="aws:kms:dsse"), M)],
    ),
    # review i21 F3: a bucket's own logging delivers there too (S3 refuses SSE-KMS targets)
    ("access-log-bucket-sse-s3", "prod", [LOGS, inline_logging_into(LOGS), on(LOGS, SSE, sse("AES256"))], []),
    (
        "access-log-bucket-sse-s3",
        "prod",
        [LOGS, bucket("b1", logging={"targetBucket": "logs", "targetPrefix": "s3/"}), on(LOGS, SSE, sse("aws:kms"))],
        [(LOG_SSE.format(b="logs", a="aws:kms"), M)],
    ),
    (
        "access-log-bucket-sse-s3",
        "prod",
        [LOGS, inline_logging_into(LOGS, "v2", token(aws.s3.BucketV2)), on(LOGS, SSE, sse("aws:kms"))],
        [(LOG_SSE.format(b="logs", a="aws:kms"), M)],
    ),
    (
        "access-log-bucket-sse-s3",
        "prod",
        [LOGS, classic_logging_into(LOGS), on(LOGS, SSE, sse("aws:kms"))],
        [(LOG_SSE.format(b="logs", a="aws:kms"), M)],
    ),
]


def test_every_stack_rule_has_a_compliant_and_a_violating_case() -> None:
    stack_rules = {r for r, (_, _, kind, _) in RULES.items() if kind == "stack"}
    assert {c[0] for c in STACK_CASES if c[3]} == stack_rules
    assert {c[0] for c in STACK_CASES if not c[3]} == stack_rules


@pytest.mark.parametrize(
    ("rule", "env", "resources", "expected"), STACK_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STACK_CASES)]
)
def test_a_stack_rule_reports_exactly_its_violations_with_its_level(
    servicer: Any, rule: str, env: str, resources: list[Res], expected: list[tuple[str, str]]
) -> None:
    found = analyze_stack(servicer, rule, env, resources)
    assert _matches(found, expected), found


def test_the_stack_s_decrypted_secrets_are_not_kept(servicer: Any) -> None:
    """ConfigureStack carries secret values decrypted (pulumi pkg/engine/update.go); the pack keeps
    only which keys are encrypted, never their values."""
    configure(servicer, "encrypted")
    config, encrypted = type(servicer).stack_config
    assert "sk-live-X" not in json.dumps(config)
    assert encrypted == ["marin:transcriptionApiKey"]
    assert config["marin:protectData"] == "false"


def test_an_empty_stack_breaks_no_rule(servicer: Any) -> None:
    response = servicer.AnalyzeStack(pb.AnalyzeStackRequest(resources=[]), None)
    assert list(response.diagnostics) == []


def test_default_tags_the_provider_holds_as_an_object_count_too(servicer: Any) -> None:
    """A provider input not JSON-encoded (another SDK, or a hand-written request) is read as it is."""
    prov = pb.AnalyzerProviderResource(
        type="pulumi:providers:aws",
        urn="urn:pulumi:dev::marin::pulumi:providers:aws::aws",
        name="aws",
        properties=_struct({"defaultTags": {"tags": TAGS}}),
    )
    assert analyze(servicer, "required-tags", "dev", Res(token(aws.ec2.Vpc), {}), prov) == []
    empty = pb.AnalyzerProviderResource(
        type="pulumi:providers:aws", urn=prov.urn, name="aws", properties=_struct({"defaultTags": ""})
    )
    assert analyze(servicer, "required-tags", "dev", Res(token(aws.ec2.Vpc), {}), empty) == [
        ("missing tags Project, Environment, ManagedBy (set them through the provider's default tags)", M)
    ]


def test_a_rule_keeps_the_level_it_is_built_with() -> None:
    """The builders pass the level through (the pack's own rules are all mandatory but one)."""
    common = importlib.import_module("policy.marin_policies._common")
    advisory, mandatory = common.ADVISORY, common.MANDATORY
    assert common.stack_rule("s", "d", lambda args, env: iter(()), level=advisory).enforcement_level == advisory
    assert common.stack_rule("s", "d", lambda args, env: iter(())).enforcement_level == mandatory
    assert common.resource_rule("r", "d", (), lambda args, env: iter(()), level=advisory).enforcement_level == advisory
    assert common.resource_rule("r", "d", (), lambda args, env: iter(())).enforcement_level == mandatory


@pytest.mark.parametrize(
    ("rule", "env", "resources", "expected"),
    [c for c in STACK_CASES if any(level for _, level in c[3])],
    ids=[f"{c[0]}-{i}" for i, c in enumerate(STACK_CASES) if any(level for _, level in c[3])],
)
def test_a_stack_rule_names_the_resource_at_fault(
    servicer: Any, rule: str, env: str, resources: list[Res], expected: list[tuple[str, str]]
) -> None:
    """A stack rule runs after the steps: its diagnostic names the URN of what must change."""
    configure(servicer, env)
    request = pb.AnalyzeStackRequest(
        resources=[
            pb.AnalyzerResource(
                type=r.type,
                urn=r.urn(env),
                name=r.name,
                properties=_struct(r.props),
                options=pb.AnalyzerResourceOptions(protect=r.protect, additionalSecretOutputs=r.secret_outputs),
                propertyDependencies={
                    key: pb.AnalyzerPropertyDependencies(urns=[d.urn(env) for d in deps])
                    for key, deps in r.deps.items()
                },
            )
            for r in resources
        ]
    )
    urns = {r.urn(env) for r in resources}
    found = [d for d in servicer.AnalyzeStack(request, None).diagnostics if d.policyName == rule]
    assert found
    assert all(d.urn in urns for d in found if not d.message.startswith("can't run policy")), found
