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
from typing import Any, NamedTuple

import pulumi_aws as aws
import pulumi_mongodbatlas
import pulumi_random
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy.policy import _PolicyAnalyzerServicer

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

# rule: the `--policy-pack-config` properties docs/policy.md names for it ("The defaults").
THRESHOLDS: dict[str, set[str]] = {
    "log-retention": {"minimumDays"},
    "secret-recovery-window": {"minimumDays"},
    "data-protected": {"required"},
    "s3-versioning": {"required"},
    "s3-bucket-logging": {"required"},
    "alb-http-redirects-to-https": {"required"},
    "elb-deletion-protection": {"required"},
    "elb-access-logs": {"required"},
    "elasticache-multi-az": {"required"},
    "s3-bucket-controls": {"versioning"},
    "ecs-no-public-ip": {"allowed"},
    "atlas-backups": {"backups", "pointInTime"},
    "cost-ceiling": {"ceiling"},
    "capacity-floor": {"floor"},
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
    """What `rule` reports for an AnalyzeStack request over these resources (outputs as properties);
    a stack rule runs after the steps, so each finding names the resource that must change."""
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
    findings = [f for f in policy._findings(servicer.AnalyzeStack(request, None), "") if f.policy == rule]
    assert all(f.urn in {r.urn(env) for r in resources} for f in findings if not f.preview_note), findings
    return [(f.message, f.level) for f in findings]


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
    got, thresholds = {}, {}
    for p in info.policies:
        control = p.framework.reference if p.HasField("framework") else None
        if control is not None:
            assert (p.framework.name, p.framework.version) == ("AWS Foundational Security Best Practices", "1.0.0")
            assert list(p.tags) == [control]
        else:
            assert list(p.tags) == []
        kind = "stack" if p.policy_type == pb.POLICY_TYPE_STACK else "resource"
        got[p.name] = (p.description, control, kind, policy.LEVELS[p.enforcementLevel])
        if p.HasField("configSchema"):
            properties = json_format.MessageToDict(p.configSchema.properties)
            assert all("default" not in v for v in properties.values()), p.name  # the engine would send it
            thresholds[p.name] = set(properties)
    assert got == RULES
    assert thresholds == THRESHOLDS


def test_loading_the_pack_again_keeps_one_stack_config_wrapper() -> None:
    """The pack's `__main__.py` wraps ConfigureStack on every load; a second load leaves it as it is."""
    with fresh_servicer():
        wrapped = _PolicyAnalyzerServicer.ConfigureStack
    with fresh_servicer():
        assert _PolicyAnalyzerServicer.ConfigureStack is wrapped


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


# --- the cases: (rule/branch, env, resource or the stack's resources, expected findings) -------------

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


STACK = "pulumi:pulumi:Stack"


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
LOGS_BY_ID = bucket("logs", id="logs-id")
B1_BY_ID = bucket("b1", id="b1-id")
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


class Case(NamedTuple):
    """One request and what its rule reports: `id` is `<rule>/<branch>`, the subject one resource
    (a resource rule's Analyze) or the stack's resources (a stack rule's AnalyzeStack)."""

    id: str
    env: str
    subject: Res | list[Res]
    tags: dict[str, str] | None  # the AWS provider's default tags, for resource rules
    expected: list[tuple[str, str]]

    @property
    def rule(self) -> str:
        return self.id.partition("/")[0]


def ok(id: str, env: str, subject: Res | list[Res], tags: dict[str, str] | None = None) -> Case:
    return Case(id, env, subject, tags, [])


def bad(
    id: str, env: str, subject: Res | list[Res], *found: str | tuple[str, str], tags: dict[str, str] | None = None
) -> Case:
    """A violating case: each finding a message, at its rule's documented level (RULES), or (message, level)."""
    level = RULES[id.partition("/")[0]][3]
    return Case(id, env, subject, tags, [f if isinstance(f, tuple) else (f, level) for f in found])


# Per-stack thresholds follow the stack's config (PROFILES), never its name: a stack whose config
# the analyzer was not told ("qa" here) is checked as protected and highly available.
CASES: list[Case] = [
    # naming-convention: the name property by type, the prefix fallback, the exempt types
    ok("naming-convention/bucket-story-name", "dev", Res(BUCKET, {"bucket": "marin-dev-call-recordings"})),
    bad(
        "naming-convention/bucket-name-over-name-property",
        "dev",
        Res(BUCKET, {"bucket": "recordings", "name": "marin-dev-x"}),
        NAME_MSG.format(t=BUCKET, n="recordings", e="dev"),
    ),
    bad(
        "naming-convention/other-environment",
        "prod",
        Res(BUCKET, {"bucket": "marin-dev-call-recordings"}),
        NAME_MSG.format(t=BUCKET, n="marin-dev-call-recordings", e="prod"),
    ),
    bad(
        "naming-convention/no-dash-after-env",
        "dev",
        Res(BUCKET, {"bucket": "marin-devx"}),
        NAME_MSG.format(t=BUCKET, n="marin-devx", e="dev"),
    ),
    ok("naming-convention/bare-env-prefix", "dev", Res(GROUP, {"name": "marin-dev"})),
    bad(
        "naming-convention/domain-name-property",
        "dev",
        Res(SEARCH, {"domainName": "search", "name": "marin-dev-s"}),
        NAME_MSG.format(t=SEARCH, n="search", e="dev"),
    ),
    bad(
        "naming-convention/replication-group-id",
        "dev",
        Res(REDIS, {"replicationGroupId": "cache"}),
        NAME_MSG.format(t=REDIS, n="cache", e="dev"),
    ),
    bad(
        "naming-convention/task-family", "dev", Res(TASK, {"family": "api"}), NAME_MSG.format(t=TASK, n="api", e="dev")
    ),
    bad(
        "naming-convention/atlas-username",
        "dev",
        Res(token(pulumi_mongodbatlas.DatabaseUser), {"username": "app"}),
        NAME_MSG.format(t=token(pulumi_mongodbatlas.DatabaseUser), n="app", e="dev"),
    ),
    ok("naming-convention/name-prefix", "dev", Res(GROUP, {"namePrefix": "marin-dev-alb-sg-"})),
    bad(
        "naming-convention/bad-name-prefix",
        "dev",
        Res(GROUP, {"namePrefix": "webX-"}),
        NAME_MSG.format(t=GROUP, n="webX", e="dev"),
    ),
    ok("naming-convention/name-over-prefix", "dev", Res(GROUP, {"name": "marin-dev-x", "namePrefix": "web-"})),
    ok("naming-convention/non-string-name", "dev", Res(GROUP, {"name": 7})),
    ok("naming-convention/exempt-default-stage", "dev", Res(token(aws.apigatewayv2.Stage), {"name": "$default"})),
    bad(
        "naming-convention/api-not-exempt",
        "dev",
        Res(token(aws.apigatewayv2.Api), {"name": "$default"}),
        NAME_MSG.format(t=token(aws.apigatewayv2.Api), n="$default", e="dev"),
    ),
    ok("naming-convention/exempt-dns-record", "dev", Res(token(aws.route53.Record), {"name": "api.dev.example.org"})),
    ok("naming-convention/exempt-random", "dev", Res(token(pulumi_random.RandomPassword), {"name": "x"})),
    ok("naming-convention/exempt-provider", "dev", Res("pulumi:providers:aws", {"name": "x"})),
    # after the provider's Check: an inline policy left unnamed is `<logical>-<7 hex>` (the bridge's
    # AutoName, pulumi-terraform-bridge pkg/tfbridge/info/autonaming.go); its role carries the name
    ok(
        "naming-convention/inline-policy-auto-name-of-role",
        "dev",
        Res(ROLE_POLICY, {"name": "iam-api-task-1a2b3c4"}, "iam-api-task"),
    ),
    bad(
        "naming-convention/auto-name-of-other-logical",
        "dev",
        Res(ROLE_POLICY, {"name": "other-1a2b3c4"}, "iam-api-task"),
        NAME_MSG.format(t=ROLE_POLICY, n="other-1a2b3c4", e="dev"),
    ),
    bad(
        "naming-convention/auto-name-wrong-suffix",
        "dev",
        Res(ROLE_POLICY, {"name": "iam-api-task-1a2b3c"}, "iam-api-task"),
        NAME_MSG.format(t=ROLE_POLICY, n="iam-api-task-1a2b3c", e="dev"),
    ),
    ok(
        "naming-convention/target-group-auto-name",
        "prod",
        Res(token(aws.lb.TargetGroup), {"name": "compute-api-tg-0f9e8d7"}, "compute-api-tg"),
    ),
    ok(
        "naming-convention/discovery-auto-name",
        "dev",
        Res(token(aws.servicediscovery.Service), {"name": "compute-api-discovery-a0b1c2d"}, "compute-api-discovery"),
    ),
    # a bucket's or a group's name is its identity: an auto-name there breaks the convention
    bad(
        "naming-convention/bucket-auto-name",
        "dev",
        Res(BUCKET, {"bucket": "recordings-1a2b3c4"}, "recordings"),
        NAME_MSG.format(t=BUCKET, n="recordings-1a2b3c4", e="dev"),
    ),
    bad(
        "naming-convention/group-auto-name",
        "dev",
        Res(GROUP, {"name": "web-1a2b3c4"}, "web"),
        NAME_MSG.format(t=GROUP, n="web-1a2b3c4", e="dev"),
    ),
    ok("naming-convention/ecs-log-group", "dev", Res(LOG_GROUP, {"name": "/ecs/dev/api"})),
    ok("naming-convention/vpc-log-group", "dev", Res(LOG_GROUP, {"name": "/vpc/dev/flow-logs"})),
    bad(
        "naming-convention/log-group-other-env",
        "prod",
        Res(LOG_GROUP, {"name": "/ecs/dev/api"}),
        "log group '/ecs/dev/api' must be /ecs/prod/<service> (or /vpc/prod/<name>)",
    ),
    bad(
        "naming-convention/log-group-not-a-path",
        "dev",
        Res(LOG_GROUP, {"name": "marin-dev-api"}),
        "log group 'marin-dev-api' must be /ecs/dev/<service> (or /vpc/dev/<name>)",
    ),
    ok("naming-convention/secret-path", "staging", Res(SECRET, {"name": "staging/audio-pipeline/x"})),
    bad(
        "naming-convention/secret-outside-path",
        "staging",
        Res(SECRET, {"name": "marin-staging-x"}),
        "secret 'marin-staging-x' must live under staging/audio-pipeline/",
    ),
    ok("naming-convention/kms-alias", "prod", Res(token(aws.kms.Alias), {"name": "alias/marin-prod-alerts"})),
    bad(
        "naming-convention/kms-alias-no-resource",
        "prod",
        Res(token(aws.kms.Alias), {"name": "alias/marin-prod"}),
        "KMS alias 'alias/marin-prod' must be alias/marin-prod-<resource>",
    ),
    bad(
        "naming-convention/kms-alias-no-prefix",
        "prod",
        Res(token(aws.kms.Alias), {"name": "marin-prod-alerts"}),
        "KMS alias 'marin-prod-alerts' must be alias/marin-prod-<resource>",
    ),
    bad(
        "naming-convention/bucket-v2",
        "prod",
        Res(token(aws.s3.BucketV2), {"bucket": "recordings"}),
        NAME_MSG.format(t=token(aws.s3.BucketV2), n="recordings", e="prod"),
    ),
    # required-tags: the provider's default tags, the resource's own, which values
    ok("required-tags/provider-default-tags", "dev", Res(token(aws.ec2.Vpc), {}), tags=TAGS),
    ok("required-tags/own-tags", "dev", Res(token(aws.ec2.Vpc), {"tags": TAGS})),
    bad(
        "required-tags/no-tags",
        "dev",
        Res(token(aws.ec2.Vpc), {}),
        "missing tags Project, Environment, ManagedBy (set them through the provider's default tags)",
    ),
    bad(
        "required-tags/merged-missing-one",
        "dev",
        Res(token(aws.ec2.Vpc), {"tags": {"Environment": "dev"}}),
        "missing tags ManagedBy (set them through the provider's default tags)",
        tags={"Project": "marin"},
    ),
    bad(
        "required-tags/tags-not-a-map",
        "dev",
        Res(token(aws.ec2.Vpc), {"tags": "Project=marin"}),
        "missing tags Environment (set them through the provider's default tags)",
        tags={"Project": "marin", "ManagedBy": "x"},
    ),
    bad(
        "required-tags/empty-value",
        "dev",
        Res(token(aws.ec2.Vpc), {"tags": {"Project": ""}}),
        "missing tags Project (set them through the provider's default tags)",
        tags=TAGS,
    ),
    bad(
        "required-tags/wrong-environment",
        "prod",
        Res(token(aws.ec2.Vpc), {}),
        "tags Project='marin' Environment='dev' ManagedBy='pulumi'; expected 'marin', 'prod', 'pulumi'",
        tags=TAGS,
    ),
    bad(
        "required-tags/wrong-project",
        "dev",
        Res(token(aws.ec2.Vpc), {"tags": {"Project": "other"}}),
        "tags Project='other' Environment='dev' ManagedBy='pulumi'; expected 'marin', 'dev', 'pulumi'",
        tags=TAGS,
    ),
    bad(
        "required-tags/wrong-managed-by",
        "dev",
        Res(token(aws.ec2.Vpc), {"tags": {"ManagedBy": "terraform"}}),
        "tags Project='marin' Environment='dev' ManagedBy='terraform'; expected 'marin', 'dev', 'pulumi'",
        tags=TAGS,
    ),
    ok("required-tags/untaggable-inline-policy", "dev", Res(ROLE_POLICY, {})),  # AWS takes no tags on an inline policy
    ok("required-tags/unknown-type", "dev", Res("aws:ec2/noSuchThing:NoSuchThing", {})),
    ok("required-tags/unknown-module", "dev", Res("aws:nosuchmodule/thing:Thing", {})),
    ok("required-tags/non-aws", "dev", Res(token(pulumi_mongodbatlas.Project), {})),
    ok("required-tags/provider-itself", "dev", Res(token(aws.Provider), {})),
    # log-retention: the stack's logRetentionDays; at least 14 with protectData
    ok("log-retention/stack-days", "prod", Res(LOG_GROUP, {"name": "g", "retentionInDays": 30})),
    ok("log-retention/minimum-days", "staging", Res(LOG_GROUP, {"name": "g", "retentionInDays": 14})),
    ok("log-retention/never-expires", "staging", Res(LOG_GROUP, {"name": "g"})),  # never expires
    ok("log-retention/unprotected-any", "dev", Res(LOG_GROUP, {"name": "g", "retentionInDays": 1})),
    bad(
        "log-retention/below-stack-days",
        "prod",
        Res(LOG_GROUP, {"name": "g", "retentionInDays": 14}),
        "log group 'g' keeps 14 days; the stack's logRetentionDays is 30",
    ),
    bad(
        "log-retention/below-minimum",
        "staging",
        Res(LOG_GROUP, {"name": "g", "retentionInDays": 7}),
        "log group 'g' keeps 7 days; this stack keeps at least 14",
    ),
    bad(
        "log-retention/below-minimum-unconfigured",
        "qa",
        Res(LOG_GROUP, {"name": "g", "retentionInDays": 7}),
        "log group 'g' keeps 7 days; this stack keeps at least 14",
    ),
    bad(
        "log-retention/days-not-a-number",
        "odd",
        Res(LOG_GROUP, {"name": "g", "retentionInDays": 7}),
        "log group 'g' keeps 7 days; the stack's logRetentionDays 'a week' is not a number",
    ),
    # cost-ceiling: advisory, without protectData: at most 512 CPU / 1024 MiB, cache.t4g.small, M10
    ok("cost-ceiling/task-at-ceiling", "dev", Res(TASK, {"family": "t", "cpu": "512", "memory": "1024"})),
    bad(
        "cost-ceiling/task-above",
        "dev",
        Res(TASK, {"family": "t", "cpu": "1024", "memory": "1536"}),
        CEIL.format(k="cpu", v="1024", b=512),
        CEIL.format(k="memory", v="1536", b=1024),
    ),
    ok("cost-ceiling/redis-at-ceiling", "dev", Res(REDIS, {"nodeType": "cache.t4g.small"})),
    bad(
        "cost-ceiling/redis-above",
        "dev",
        Res(REDIS, {"nodeType": "cache.t4g.medium"}),
        CEIL.format(k="redisNodeType", v="cache.t4g.medium", b="cache.t4g.small"),
    ),
    bad(
        "cost-ceiling/redis-unlisted",
        "dev",
        Res(REDIS, {"nodeType": "cache.r6g.xlarge"}),
        UNLISTED.format(k="redisNodeType", v="cache.r6g.xlarge"),
    ),
    ok("cost-ceiling/atlas-below", "dev", Res(ATLAS, _atlas("M0"))),
    bad(
        "cost-ceiling/atlas-above",
        "dev",
        Res(ATLAS, _atlas("M20")),
        CEIL.format(k="atlasInstanceSize", v="M20", b="M10"),
    ),
    bad(
        "cost-ceiling/atlas-unlisted",
        "dev",
        Res(ATLAS, _atlas("M200")),
        UNLISTED.format(k="atlasInstanceSize", v="M200"),
    ),
    ok("cost-ceiling/protected-stack", "staging", Res(REDIS, {"nodeType": "cache.r7g.large"})),
    # capacity-floor: with highAvailability: at least 512 CPU / 1024 MiB, cache.t4g.small, M10
    ok("capacity-floor/task-at-floor", "staging", Res(TASK, {"family": "t", "cpu": "512", "memory": "1024"})),
    bad(
        "capacity-floor/task-below",
        "prod",
        Res(TASK, {"family": "t", "cpu": "256", "memory": "4096"}),
        FLOOR_MSG.format(k="cpu", v="256", b=512),
    ),
    bad(
        "capacity-floor/redis-below",
        "prod",
        Res(REDIS, {"nodeType": "cache.t4g.micro"}),
        FLOOR_MSG.format(k="redisNodeType", v="cache.t4g.micro", b="cache.t4g.small"),
    ),
    bad(
        "capacity-floor/redis-unlisted",
        "prod",
        Res(REDIS, {"nodeType": "cache.x9.huge"}),
        UNLISTED.format(k="redisNodeType", v="cache.x9.huge"),
    ),
    bad(
        "capacity-floor/atlas-below-unconfigured",
        "qa",
        Res(ATLAS, _atlas("M0")),
        FLOOR_MSG.format(k="atlasInstanceSize", v="M0", b="M10"),
    ),
    ok("capacity-floor/atlas-above", "prod", Res(ATLAS, _atlas("M60"))),
    # sizes left out are read as none (0, or no type), and reported
    bad(
        "capacity-floor/no-task-sizes",
        "prod",
        Res(TASK, {"family": "t"}),
        FLOOR_MSG.format(k="cpu", v="0", b=512),
        FLOOR_MSG.format(k="memory", v="0", b=1024),
    ),
    bad("capacity-floor/no-node-type", "qa", Res(REDIS, {}), UNLISTED.format(k="redisNodeType", v="")),
    bad(
        "capacity-floor/no-replication-spec",
        "prod",
        Res(ATLAS, {"name": "c"}),
        UNLISTED.format(k="atlasInstanceSize", v=""),
    ),
    ok("capacity-floor/not-highly-available", "dev", Res(TASK, {"family": "t", "cpu": "256", "memory": "512"})),
    # s3-block-public-access: each control on its own resource, before it exists
    ok("s3-block-public-access/all-blocked", "dev", Res(BLOCK, ALL_BLOCKED, "pab")),
    bad(
        "s3-block-public-access/one-off",
        "dev",
        Res(BLOCK, ALL_BLOCKED | {"ignorePublicAcls": False}, "pab"),
        "public access block pab leaves ignorePublicAcls off",
    ),
    bad(
        "s3-block-public-access/string-and-none",
        "dev",
        Res(BLOCK, ALL_BLOCKED | {"blockPublicAcls": "true", "restrictPublicBuckets": None}, "pab"),
        "public access block pab leaves blockPublicAcls, restrictPublicBuckets off",
    ),
    *[ok(f"s3-default-encryption/{a}", "dev", Res(SSE, sse(a), "sse")) for a in ("AES256", "aws:kms", "aws:kms:dsse")],
    bad("s3-default-encryption/unknown-algorithm", "dev", Res(SSE, sse("aws:kms:none"), "sse"), NO_SSE),
    bad("s3-default-encryption/no-rules", "dev", Res(SSE, {"rules": []}, "sse"), NO_SSE),
    bad(
        "s3-default-encryption/v2-token",
        "dev",
        Res(token(aws.s3.BucketServerSideEncryptionConfigurationV2), {"rules": []}, "sse"),
        NO_SSE,
    ),
    ok(
        "s3-tls-only/deny-without-tls",
        "dev",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": _doc(_allow("s3:GetObject", "*"), TLS_DENY)}, "bp"),
    ),
    ok(
        "s3-tls-only/boolean-false-single-statement",
        "dev",
        Res(
            BUCKET_POLICY,
            {
                "bucket": "b1",
                "policy": json.dumps({"Statement": TLS_DENY | {"Condition": {"Bool": {"aws:SecureTransport": False}}}}),
            },
            "bp",
        ),
    ),
    ok(
        "s3-tls-only/parsed-list",
        "dev",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": {"Statement": [TLS_DENY]}}, "bp"),
    ),
    ok(
        "s3-tls-only/parsed-single",
        "dev",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": {"Statement": TLS_DENY}}, "bp"),
    ),
    bad(
        "s3-tls-only/allow-not-deny",
        "dev",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": _doc(TLS_DENY | {"Effect": "Allow"})}, "bp"),
        NO_TLS,
    ),
    bad(
        "s3-tls-only/secure-transport-true",
        "dev",
        Res(
            BUCKET_POLICY,
            {"bucket": "b1", "policy": _doc(TLS_DENY | {"Condition": {"Bool": {"aws:SecureTransport": "true"}}})},
            "bp",
        ),
        NO_TLS,
    ),
    bad(
        "s3-tls-only/document-a-list",
        "dev",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": json.dumps(["x"])}, "bp"),
        NO_TLS,
    ),
    bad(
        "s3-tls-only/statement-not-a-map",
        "dev",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": json.dumps({"Statement": ["x"]})}, "bp"),
        NO_TLS,
    ),
    bad(
        "s3-tls-only/one-account-one-action",
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
        NO_TLS,
    ),
    bad(
        "s3-tls-only/bucket-only",
        "prod",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": _doc(TLS_DENY | {"Resource": "arn:aws:s3:::b1"})}, "bp"),
        NO_TLS,
    ),
    bad(
        "s3-tls-only/other-bucket",
        "prod",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": _doc(TLS_DENY | {"Resource": "arn:aws:s3:::other/*"})}, "bp"),
        NO_TLS,
    ),
    ok(
        "s3-tls-only/list-values-and-wildcards",
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
    ),
    # IAM action names are case-insensitive, resource names are not (IAM User Guide, "IAM JSON policy
    # elements: Action" and "...: Resource")
    ok(
        "s3-tls-only/action-in-any-case",
        "dev",
        Res(BUCKET_POLICY, {"bucket": "b1", "policy": _doc(TLS_DENY | {"Action": "S3:*"})}, "bp"),
    ),
    bad(
        "s3-tls-only/bucket-in-other-case",
        "dev",
        Res(
            BUCKET_POLICY,
            {"bucket": "b1", "policy": _doc(TLS_DENY | {"Resource": ["arn:aws:s3:::B1", "arn:aws:s3:::B1/*"]})},
            "bp",
        ),
        NO_TLS,
    ),
    bad(
        "s3-tls-only/deny-without-condition",
        "dev",
        Res(
            BUCKET_POLICY,
            {"bucket": "b1", "policy": _doc({k: v for k, v in TLS_DENY.items() if k != "Condition"})},
            "bp",
        ),
        NO_TLS,
    ),
    ok(
        "s3-versioning/enabled-protected",
        "staging",
        Res(VERSIONING, {"versioningConfiguration": {"status": "Enabled"}}, "v"),
    ),
    ok(
        "s3-versioning/suspended-unprotected",
        "dev",
        Res(VERSIONING, {"versioningConfiguration": {"status": "Suspended"}}, "v"),
    ),
    bad(
        "s3-versioning/suspended-protected",
        "prod",
        Res(VERSIONING, {"versioningConfiguration": {"status": "Suspended"}}, "v"),
        f"bucket versioning v is Suspended; {WHY}",
    ),
    bad("s3-versioning/unset-unconfigured", "qa", Res(VERSIONING, {}, "v"), f"bucket versioning v is None; {WHY}"),
    bad(
        "s3-versioning/v2-token",
        "prod",
        Res(token(aws.s3.BucketVersioningV2), {"versioningConfiguration": {"status": "Suspended"}}, "v"),
        f"bucket versioning v is Suspended; {WHY}",
    ),
    # s3-bucket-controls: each bucket has every control attached (by dependency, or by name or id)
    ok("s3-bucket-controls/every-control", "dev", [B1, *controls(B1)]),
    ok("s3-bucket-controls/every-control-versioned", "prod", [B1, *controls(B1), on(B1, VERSIONING, VERSIONED, "v")]),
    bad(
        "s3-bucket-controls/none",
        "dev",
        [B1],
        MISSING.format(b="b1", w="public access block, default encryption, bucket policy"),
    ),
    bad(
        "s3-bucket-controls/no-versioning-unconfigured",
        "qa",
        [B1, *controls(B1)],
        MISSING.format(b="b1", w="versioning"),
    ),
    bad(
        "s3-bucket-controls/one-bucket-of-two",
        "dev",
        [B1, B2, *controls(B2)],
        MISSING.format(b="b1", w="public access block, default encryption, bucket policy"),
    ),
    ok("s3-bucket-controls/control-by-name", "dev", [B1, literal(BLOCK, "b1", ALL_BLOCKED), *controls(B1)[1:]]),
    ok(
        "s3-bucket-controls/control-by-name-not-id",
        "dev",
        [B1_BY_ID, literal(BLOCK, "b1", ALL_BLOCKED), *controls(B1_BY_ID)[1:]],
    ),
    ok(
        "s3-bucket-controls/control-by-id",
        "dev",
        [bucket("b1", id="b1-id"), literal(BLOCK, "b1-id", ALL_BLOCKED), *controls(B1)[1:]],
    ),
    bad(
        "s3-bucket-controls/control-names-other-bucket",
        "dev",
        [B1, literal(BLOCK, "b2", ALL_BLOCKED), *controls(B1)[1:]],
        MISSING.format(b="b1", w="public access block"),
    ),
    bad(
        "s3-bucket-controls/control-names-no-bucket",
        "dev",
        [B1, Res(BLOCK, ALL_BLOCKED, "nobucket"), *controls(B1)[1:]],
        MISSING.format(b="b1", w="public access block"),
    ),
    bad(
        "s3-bucket-controls/dependency-over-name",
        "dev",
        [B1, B2, on(B2, BLOCK, ALL_BLOCKED | {"bucket": "b1"}), *controls(B1)[1:]],
        MISSING.format(b="b1", w="public access block"),
        MISSING.format(b="b2", w="default encryption, bucket policy"),
    ),
    ok(
        "s3-bucket-controls/by-name-after-another-bucket-s",
        "dev",
        [
            B1,
            B2,
            on(B2, BLOCK, ALL_BLOCKED, "b2-block"),
            literal(BLOCK, "b1", ALL_BLOCKED),
            *controls(B1)[1:],
            *controls(B2)[1:],
        ],
    ),
    bad(
        "s3-bucket-controls/v2-none",
        "dev",
        [B_V2],
        MISSING.format(b="v2", w="public access block, default encryption, bucket policy"),
    ),
    ok(
        "s3-bucket-controls/v2-every-control",
        "prod",
        [
            B_V2,
            on(B_V2, BLOCK, ALL_BLOCKED, "v2-block"),
            on(B_V2, token(aws.s3.BucketServerSideEncryptionConfigurationV2), sse("AES256"), "v2-sse"),
            on(B_V2, BUCKET_POLICY, {"policy": _doc(TLS_DENY)}, "v2-policy"),
            on(B_V2, token(aws.s3.BucketVersioningV2), VERSIONED, "v2-versioning"),
        ],
    ),
    # s3-bucket-logging: every bucket logs where data is protected, but one logs are written to
    ok("s3-bucket-logging/server-access-logs", "prod", [B1, LOGS, logging_into(LOGS, B1)]),
    ok("s3-bucket-logging/v2-logging", "prod", [LOGS, B_V2, logging_into(LOGS, B_V2, token(aws.s3.BucketLoggingV2))]),
    ok("s3-bucket-logging/alb-log-bucket", "prod", [LOGS, alb_logging_into(LOGS)]),
    ok("s3-bucket-logging/unprotected-stack", "dev", [B1]),
    bad("s3-bucket-logging/none-unconfigured", "qa", [B1], NO_LOGS.format(b="b1")),
    bad("s3-bucket-logging/one-of-two", "prod", [B1, B2, LOGS, logging_into(LOGS, B1)], NO_LOGS.format(b="b2")),
    # a bucket that only grants log delivery in its policy, with no writer, is no log bucket
    bad(
        "s3-bucket-logging/policy-without-writer",
        "prod",
        [B1, LOGS, on(LOGS, BUCKET_POLICY, {"policy": _doc(TLS_DENY)}, "p")],
        NO_LOGS.format(b="b1"),
        NO_LOGS.format(b="logs"),
    ),
    # the writer names its target with a string: matched by name, an unknown bucket is not ours
    ok(
        "s3-bucket-logging/target-by-name",
        "prod",
        [B1, LOGS, on(B1, LOGGING, {"targetBucket": "logs", "targetPrefix": "s3/"})],
    ),
    bad(
        "s3-bucket-logging/target-elsewhere",
        "prod",
        [B1, LOGS, on(B1, LOGGING, {"targetBucket": "elsewhere", "targetPrefix": "s3/"})],
        NO_LOGS.format(b="logs"),
    ),
    # logging set on the bucket itself (Bucket `logging`, BucketV2 `loggings`, still inputs in pulumi-aws
    # 7.51.1) logs, and makes its target a log bucket; nothing else does
    ok(
        "s3-bucket-logging/own-logging",
        "prod",
        [bucket("b1", logging={"targetBucket": "logs", "targetPrefix": "s3/"}), LOGS],
    ),
    ok("s3-bucket-logging/own-loggings-v2", "prod", [LOGS, inline_logging_into(LOGS, "v2", token(aws.s3.BucketV2))]),
    ok(
        "s3-bucket-logging/own-logging-target-unknown",
        "prod",
        [LOGS, inline_logging_into(LOGS, "b1", BUCKET, target_name=UNKNOWN)],
    ),
    bad(
        "s3-bucket-logging/own-logging-elsewhere",
        "prod",
        [bucket("b1", logging={"targetBucket": "elsewhere", "targetPrefix": "s3/"}), LOGS],
        NO_LOGS.format(b="logs"),
    ),
    # access-log-bucket-sse-s3: where ELB or S3 deliver logs, SSE-S3 and nothing else
    # a log bucket whose id is not its name, matched by either; a load balancer naming its log bucket with a
    # string, or by a dependency whose value preview does not know yet
    ok(
        "s3-bucket-logging/target-by-name-not-id",
        "prod",
        [B1, LOGS_BY_ID, on(B1, LOGGING, {"targetBucket": "logs", "targetPrefix": "s3/"})],
    ),
    ok(
        "s3-bucket-logging/source-by-name-not-id",
        "prod",
        [B1_BY_ID, LOGS, literal(LOGGING, "b1", {"targetBucket": "logs"})],
    ),
    ok("s3-bucket-logging/source-by-id", "prod", [B1_BY_ID, LOGS, literal(LOGGING, "b1-id", {"targetBucket": "logs"})]),
    ok("s3-bucket-logging/target-by-id", "prod", [B1, LOGS_BY_ID, on(B1, LOGGING, {"targetBucket": "logs-id"})]),
    ok(
        "s3-bucket-logging/alb-log-bucket-by-name",
        "prod",
        [
            LOGS,
            Res(token(aws.alb.LoadBalancer), {"name": "alb", "accessLogs": {"enabled": True, "bucket": "logs"}}, "alb"),
        ],
    ),
    ok(
        "s3-bucket-logging/alb-log-bucket-unknown-in-preview",
        "prod",
        [
            LOGS,
            Res(
                token(aws.alb.LoadBalancer),
                {"name": "alb", "accessLogs": {"enabled": True, "bucket": UNKNOWN}},
                "alb",
                deps={"accessLogs": [LOGS]},
            ),
        ],
    ),
    ok("access-log-bucket-sse-s3/sse-s3", "dev", [B1, LOGS, logging_into(LOGS, B1), on(LOGS, SSE, sse("AES256"))]),
    ok("access-log-bucket-sse-s3/kms-on-no-log-bucket", "dev", [B1, on(B1, SSE, sse("aws:kms"))]),
    bad(
        "access-log-bucket-sse-s3/kms-on-s3-log-bucket",
        "dev",
        [B1, LOGS, logging_into(LOGS, B1), on(LOGS, SSE, sse("aws:kms"))],
        LOG_SSE.format(b="logs", a="aws:kms"),
    ),
    bad(
        "access-log-bucket-sse-s3/kms-by-name",
        "dev",
        [B1, LOGS_BY_ID, logging_into(LOGS_BY_ID, B1), literal(SSE, "logs", sse("aws:kms"))],
        LOG_SSE.format(b="logs", a="aws:kms"),
    ),
    bad(
        "access-log-bucket-sse-s3/kms-by-id",
        "dev",
        [B1, LOGS_BY_ID, logging_into(LOGS_BY_ID, B1), literal(SSE, "logs-id", sse("aws:kms"))],
        LOG_SSE.format(b="logs", a="aws:kms"),
    ),
    bad(
        "access-log-bucket-sse-s3/dsse-on-alb-log-bucket",
        "prod",
        [LOGS, alb_logging_into(LOGS), on(LOGS, SSE, sse("aws:kms:dsse"))],
        LOG_SSE.format(b="logs", a="aws:kms:dsse"),
    ),
    # a bucket's own logging delivers there too (S3 refuses SSE-KMS targets)
    ok(
        "access-log-bucket-sse-s3/sse-s3-own-logging",
        "prod",
        [LOGS, inline_logging_into(LOGS), on(LOGS, SSE, sse("AES256"))],
    ),
    bad(
        "access-log-bucket-sse-s3/kms-own-logging",
        "prod",
        [LOGS, bucket("b1", logging={"targetBucket": "logs", "targetPrefix": "s3/"}), on(LOGS, SSE, sse("aws:kms"))],
        LOG_SSE.format(b="logs", a="aws:kms"),
    ),
    bad(
        "access-log-bucket-sse-s3/kms-own-loggings-v2",
        "prod",
        [LOGS, inline_logging_into(LOGS, "v2", token(aws.s3.BucketV2)), on(LOGS, SSE, sse("aws:kms"))],
        LOG_SSE.format(b="logs", a="aws:kms"),
    ),
    bad(
        "access-log-bucket-sse-s3/kms-classic-log-bucket",
        "prod",
        [LOGS, classic_logging_into(LOGS), on(LOGS, SSE, sse("aws:kms"))],
        LOG_SSE.format(b="logs", a="aws:kms"),
    ),
    ok("elasticache-encryption/both-ways", "dev", Res(REDIS, _redis())),
    bad(
        "elasticache-encryption/neither-way",
        "dev",
        Res(REDIS, _redis(atRestEncryptionEnabled=False, transitEncryptionEnabled="true")),
        "Redis is not encrypted at rest",
        "Redis is not encrypted in transit",
    ),
    ok("elasticache-auth/auth-token", "dev", Res(REDIS, _redis())),
    ok("elasticache-auth/auth-token-unknown", "dev", Res(REDIS, _redis(authToken=UNKNOWN))),
    ok("elasticache-auth/user-group", "dev", Res(REDIS, _redis(authToken=None, userGroupIds=["g"]))),
    bad(
        "elasticache-auth/empty-token-and-groups",
        "dev",
        Res(REDIS, _redis(authToken="", userGroupIds=[])),
        "Redis accepts connections without AUTH",
    ),
    bad(
        "elasticache-auth/no-token", "dev", Res(REDIS, _redis(authToken=None)), "Redis accepts connections without AUTH"
    ),
    ok("elasticache-multi-az/not-highly-available", "dev", Res(REDIS, {})),
    ok(
        "elasticache-multi-az/multi-az-failover",
        "prod",
        Res(REDIS, {"multiAzEnabled": True, "automaticFailoverEnabled": True}),
    ),
    bad("elasticache-multi-az/no-failover", "staging", Res(REDIS, {"multiAzEnabled": True}), MULTI_AZ),
    bad(
        "elasticache-multi-az/no-multi-az-unconfigured", "qa", Res(REDIS, {"automaticFailoverEnabled": True}), MULTI_AZ
    ),
    ok("opensearch-in-vpc/in-vpc", "dev", Res(SEARCH, _search())),
    bad(
        "opensearch-in-vpc/no-subnets",
        "dev",
        Res(SEARCH, _search(vpcOptions={"subnetIds": []})),
        "OpenSearch domain is not inside a VPC (it would have a public endpoint)",
    ),
    ok("opensearch-https-only/https-tls-1-2", "dev", Res(SEARCH, _search())),
    bad(
        "opensearch-https-only/no-endpoint-options",
        "dev",
        Res(SEARCH, _search(domainEndpointOptions=None)),
        "OpenSearch domain does not enforce HTTPS",
    ),
    bad(
        "opensearch-https-only/enforce-https-string",
        "dev",
        Res(SEARCH, _search(domainEndpointOptions={"enforceHttps": "true"})),
        "OpenSearch domain does not enforce HTTPS",
    ),
    bad(
        "opensearch-https-only/tls-1-0-policy",
        "dev",
        Res(
            SEARCH,
            _search(domainEndpointOptions={"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-0-2019-07"}),
        ),
        "OpenSearch TLS policy 'Policy-Min-TLS-1-0-2019-07' allows TLS below 1.2",
    ),
    bad(
        "opensearch-https-only/no-tls-policy",
        "dev",
        Res(SEARCH, _search(domainEndpointOptions={"enforceHttps": True})),
        "OpenSearch TLS policy None allows TLS below 1.2",
    ),
    ok("opensearch-encryption/both", "dev", Res(SEARCH, _search())),
    bad(
        "opensearch-encryption/neither",
        "dev",
        Res(SEARCH, _search(encryptAtRest={"enabled": "true"}, nodeToNodeEncryption=None)),
        "OpenSearch domain is not encrypted at rest",
        "OpenSearch domain does not encrypt node-to-node traffic",
    ),
    # no-open-ingress-ports: rules open to the internet only on 80 or 443; no inline rule from anywhere
    ok("no-open-ingress-ports/internet-443", "dev", Res(INGRESS, _ingress("0.0.0.0/0", 443, 443), "web")),
    # a protocol by its number (EC2 API, IpPermission.IpProtocol): 6 is TCP
    ok(
        "no-open-ingress-ports/internet-443-tcp-by-number",
        "dev",
        Res(INGRESS, _ingress("0.0.0.0/0", 443, 443) | {"ipProtocol": "6"}, "web"),
    ),
    ok("no-open-ingress-ports/internet-v6-80", "dev", Res(INGRESS, _ingress("::/0", 80, 80, "cidrIpv6"), "web")),
    ok("no-open-ingress-ports/private-22", "dev", Res(INGRESS, _ingress("10.0.0.0/8", 22, 22), "ssh")),
    bad(
        "no-open-ingress-ports/internet-port-range",
        "dev",
        Res(INGRESS, _ingress("0.0.0.0/0", 80, 443), "web"),
        OPEN_PORTS.format(w="web", c="0.0.0.0/0", p="tcp 80-443"),
    ),
    bad(
        "no-open-ingress-ports/internet-v6-8443",
        "dev",
        Res(INGRESS, _ingress("::/0", 8443, 8443, "cidrIpv6"), "alt"),
        OPEN_PORTS.format(w="alt", c="::/0", p="tcp 8443-8443"),
    ),
    ok(
        "no-open-ingress-ports/inline-private",
        "dev",
        Res(GROUP, {"name": "g", "ingress": [{"cidrBlocks": ["10.0.0.0/8"]}]}),
    ),
    bad(
        "no-open-ingress-ports/inline-all-traffic",
        "dev",
        Res(GROUP, {"name": "g", "ingress": [{"cidrBlocks": ["0.0.0.0/0"], "protocol": "-1"}]}),
        OPEN_PORTS.format(w="g (inline)", c="0.0.0.0/0", p="all traffic"),
    ),
    bad(
        "no-open-ingress-ports/inline-v6-all-by-prefix",
        "dev",
        Res(GROUP, {"namePrefix": "gX-", "ingress": [{"ipv6CidrBlocks": ["::/0"], "protocol": "all"}]}),
        OPEN_PORTS.format(w="gX (inline)", c="::/0", p="all traffic"),
    ),
    bad(
        "no-open-ingress-ports/inline-after-empty-entry",
        "dev",
        Res(GROUP, {"ingress": [{}, {"cidrBlocks": ["0.0.0.0/0"], "protocol": "-1"}]}, "sg"),
        OPEN_PORTS.format(w="sg (inline)", c="0.0.0.0/0", p="all traffic"),
    ),
    bad(
        "no-open-ingress-ports/inline-tcp-22",
        "dev",
        Res(
            GROUP,
            {"name": "g", "ingress": [{"cidrBlocks": ["0.0.0.0/0"], "protocol": "tcp", "fromPort": 22, "toPort": 22}]},
        ),
        OPEN_PORTS.format(w="g (inline)", c="0.0.0.0/0", p="tcp 22-22"),
    ),
    # the internet is public and wider than /8 (IPv4); a CIDR with host bits set is read as its network
    ok("no-open-ingress-ports/public-slash-8", "dev", Res(INGRESS, _ingress("11.0.0.0/8", 22, 22), "wide")),
    bad(
        "no-open-ingress-ports/internet-with-host-bits",
        "dev",
        Res(INGRESS, _ingress("1.2.3.4/0", 22, 22), "odd"),
        OPEN_PORTS.format(w="odd", c="1.2.3.4/0", p="tcp 22-22"),
    ),
    ok("no-open-ingress-ports/not-a-group", "dev", Res(BUCKET, {"ingress": [{"cidrBlocks": ["0.0.0.0/0"]}]})),
    # ingress as EC2 reads it: protocol -1 opens every port whatever the range says
    # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html), the legacy
    # rule type, any spelling of the all-addresses CIDR, UDP on a web port
    bad(
        "no-open-ingress-ports/rule-protocol-all",
        "prod",
        Res(INGRESS, _ingress("0.0.0.0/0", 443, 443) | {"ipProtocol": "-1"}, "all"),
        OPEN_PORTS.format(w="all", c="0.0.0.0/0", p="all traffic"),
    ),
    bad(
        "no-open-ingress-ports/rule-v6-protocol-all",
        "prod",
        Res(INGRESS, _ingress("::/0", 80, 80, "cidrIpv6") | {"ipProtocol": "-1"}, "all6"),
        OPEN_PORTS.format(w="all6", c="::/0", p="all traffic"),
    ),
    bad(
        "no-open-ingress-ports/v6-zero-spelling",
        "prod",
        Res(INGRESS, _ingress("0::0/0", 22, 22, "cidrIpv6"), "ssh6"),
        OPEN_PORTS.format(w="ssh6", c="0::0/0", p="tcp 22-22"),
    ),
    bad(
        "no-open-ingress-ports/udp-on-443",
        "prod",
        Res(INGRESS, _ingress("0.0.0.0/0", 443, 443) | {"ipProtocol": "udp"}, "quic"),
        OPEN_PORTS.format(w="quic", c="0.0.0.0/0", p="udp 443-443"),
    ),
    bad(
        "no-open-ingress-ports/legacy-rule",
        "prod",
        Res(
            LEGACY,
            {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]},
            "ssh",
        ),
        OPEN_PORTS.format(w="ssh", c="0.0.0.0/0", p="tcp 22-22"),
    ),
    bad(
        "no-open-ingress-ports/legacy-v6-all",
        "prod",
        Res(LEGACY, {"type": "ingress", "protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}, "x"),
        OPEN_PORTS.format(w="x", c="::/0", p="all traffic"),
    ),
    ok(
        "no-open-ingress-ports/legacy-egress",
        "prod",
        Res(LEGACY, {"type": "egress", "protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}),
    ),
    ok(
        "no-open-ingress-ports/legacy-internet-443",
        "prod",
        Res(
            LEGACY, {"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}
        ),
    ),
    bad(
        "no-open-ingress-ports/internet-low-half",
        "prod",
        Res(INGRESS, _ingress("0.0.0.0/1", 22, 22), "low"),
        OPEN_PORTS.format(w="low", c="0.0.0.0/1", p="tcp 22-22"),
    ),
    bad(
        "no-open-ingress-ports/internet-high-half",
        "prod",
        Res(INGRESS, _ingress("128.0.0.0/1", 22, 22), "high"),
        OPEN_PORTS.format(w="high", c="128.0.0.0/1", p="tcp 22-22"),
    ),
    bad(
        "no-open-ingress-ports/v6-global-unicast",
        "prod",
        Res(INGRESS, _ingress("2000::/3", 22, 22, "cidrIpv6"), "v6"),
        OPEN_PORTS.format(w="v6", c="2000::/3", p="tcp 22-22"),
    ),
    ok("no-open-ingress-ports/v6-unique-local", "prod", Res(INGRESS, _ingress("fc00::/7", 22, 22, "cidrIpv6"), "ula")),
    ok("no-open-ingress-ports/documentation-range", "prod", Res(INGRESS, _ingress("203.0.113.0/24", 22, 22), "office")),
    bad(
        "no-open-ingress-ports/portless-protocol",
        "prod",
        Res(INGRESS, {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "50"}, "esp"),
        OPEN_PORTS.format(w="esp", c="0.0.0.0/0", p="protocol 50"),
    ),
    bad(
        "no-open-ingress-ports/prefix-list-holds-internet",
        "prod",
        Res(token(aws.ec2.ManagedPrefixList), {"entries": [{"cidr": "10.0.0.0/8"}, {"cidr": "0.0.0.0/0"}]}, "pl"),
        "prefix list pl holds 0.0.0.0/0, the internet; a rule from it would be open to anyone",
    ),
    bad(
        "no-open-ingress-ports/prefix-list-entry-internet",
        "prod",
        Res(token(aws.ec2.ManagedPrefixListEntry), {"cidr": "::/0", "prefixListId": "pl-1"}, "e"),
        "prefix list e holds ::/0, the internet; a rule from it would be open to anyone",
    ),
    ok(
        "no-open-ingress-ports/prefix-list-private",
        "prod",
        Res(token(aws.ec2.ManagedPrefixList), {"entries": [{"cidr": "10.0.0.0/8"}, {"cidr": "203.0.113.0/24"}]}, "pl"),
    ),
    # no-open-ingress: from anywhere only 80/443 on the load balancer's group
    ok(
        "no-open-ingress/alb-80-443",
        "dev",
        [ALB, rule_on(ALB, "0.0.0.0/0", 443), rule_on(ALB, "::/0", 80, "v6", "cidrIpv6")],
    ),
    ok("no-open-ingress/alb-by-prefix", "dev", [ALB_BY_PREFIX, rule_on(ALB_BY_PREFIX, "0.0.0.0/0", 443)]),
    ok("no-open-ingress/private-range", "dev", [SERVICES, rule_on(SERVICES, "10.0.0.0/8", 22)]),
    bad(
        "no-open-ingress/alb-other-port",
        "dev",
        [ALB, rule_on(ALB, "0.0.0.0/0", 22)],
        OPEN_MSG.format(r="in", c="0.0.0.0/0", p=22, g="marin-dev-alb-sg"),
    ),
    bad(
        "no-open-ingress/services-group",
        "dev",
        [SERVICES, rule_on(SERVICES, "::/0", 443, key="cidrIpv6")],
        OPEN_MSG.format(r="in", c="::/0", p=443, g="marin-dev-services-sg"),
    ),
    bad(
        "no-open-ingress/no-group",
        "dev",
        [rule_on(None, "0.0.0.0/0", 443)],
        OPEN_MSG.format(r="in", c="0.0.0.0/0", p=443, g="a security group"),
    ),
    bad(
        "no-open-ingress/not-a-group",
        "dev",
        [B1, rule_on(B1, "0.0.0.0/0", 443)],
        OPEN_MSG.format(r="in", c="0.0.0.0/0", p=443, g="a security group"),
    ),
    bad(
        "no-open-ingress/unknown-cidr-noted",
        "dev",
        [SERVICES, rule_on(SERVICES, UNKNOWN, 22, "unknown"), rule_on(SERVICES, "0.0.0.0/0", 22, "open")],
        OPEN_MSG.format(r="open", c="0.0.0.0/0", p=22, g="marin-dev-services-sg"),
        note("no-open-ingress"),
    ),
    bad(
        "no-open-ingress/legacy-rule-v6",
        "dev",
        [
            SERVICES,
            Res(
                LEGACY,
                {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "ipv6CidrBlocks": ["::/0"]},
                "legacy6",
                deps={"securityGroupId": [SERVICES]},
            ),
        ],
        OPEN_MSG.format(r="legacy6", c="::/0", p=22, g="marin-dev-services-sg"),
    ),
    ok(
        "no-open-ingress/legacy-443-on-alb",
        "dev",
        [
            ALB,
            Res(
                LEGACY,
                {"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
                "legacy",
                deps={"securityGroupId": [ALB]},
            ),
        ],
    ),
    bad(
        "no-open-ingress/legacy-rule",
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
        OPEN_MSG.format(r="legacy", c="0.0.0.0/0", p=443, g="marin-dev-services-sg"),
    ),
    bad(
        "ingress-prefix-lists-readable/unknown-list-on-our-group",
        "prod",
        [
            SERVICES,
            Res(
                INGRESS,
                {"prefixListId": "pl-0abc", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22},
                "ssh",
                deps={"securityGroupId": [SERVICES]},
            ),
        ],
        "can't read prefix list pl-0abc of ssh: not defined in this stack",
    ),
    bad(
        "ingress-prefix-lists-readable/unknown-list",
        "prod",
        [Res(INGRESS, {"prefixListId": "pl-0abc", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22}, "ssh")],
        "can't read prefix list pl-0abc of ssh: not defined in this stack",
    ),
    bad(
        "ingress-prefix-lists-readable/legacy-and-inline",
        "prod",
        [
            Res(LEGACY, {"type": "ingress", "prefixListIds": ["pl-0abc"], "protocol": "tcp"}, "legacy"),
            Res(GROUP, {"ingress": [{"prefixListIds": ["pl-0def"]}]}, "sg"),
        ],
        "can't read prefix list pl-0abc of legacy: not defined in this stack",
        "can't read prefix list pl-0def of sg: not defined in this stack",
    ),
    ok(
        "ingress-prefix-lists-readable/legacy-egress",
        "prod",
        [Res(LEGACY, {"type": "egress", "prefixListIds": ["pl-0abc"], "protocol": "tcp"}, "out")],
    ),
    ok(
        "ingress-prefix-lists-readable/own-list",
        "prod",
        [
            PREFIX_LIST,
            Res(INGRESS, {"prefixListId": "pl-ours"}, "by-dep", deps={"prefixListId": [PREFIX_LIST]}),
            Res(INGRESS, {"prefixListId": "pl-ours"}, "by-id"),
            Res(INGRESS, {"cidrIpv4": "10.0.0.0/8"}, "no-list"),
        ],
    ),
    ok(
        "default-security-group-closed/empty",
        "prod",
        Res(token(aws.ec2.DefaultSecurityGroup), {"vpcId": "v", "ingress": [], "egress": []}),
    ),
    bad(
        "default-security-group-closed/ingress",
        "prod",
        Res(
            token(aws.ec2.DefaultSecurityGroup),
            {"vpcId": "v", "ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]},
        ),
        "the default security group allows traffic",
    ),
    bad(
        "default-security-group-closed/egress",
        "dev",
        Res(token(aws.ec2.DefaultSecurityGroup), {"egress": [{"protocol": "-1"}]}),
        "the default security group allows traffic",
    ),
    bad(
        "default-security-group-managed/unmanaged",
        "dev",
        [Res(token(aws.ec2.Vpc), {})],
        "the VPC's default security group is not managed (and emptied)",
    ),
    ok(
        "default-security-group-managed/managed",
        "dev",
        [Res(token(aws.ec2.Vpc), {}), Res(token(aws.ec2.DefaultSecurityGroup), {"ingress": [], "egress": []})],
    ),
    ok("default-security-group-managed/no-vpc", "dev", [B1]),
    # iam-no-full-admin: IAM as AWS evaluates it (reference_policies_elements_action.html,
    # _notaction.html, _notresource.html, _evaluation-logic.html): wildcards and case in actions, NotAction,
    # NotResource; inline policies, managed policies attached by ARN or exclusively
    bad(
        "iam-no-full-admin/star-star",
        "dev",
        Res(ROLE_POLICY, {"policy": _doc(_allow("*", "*"))}, "p"),
        "policy of p allows actions of every service on every resource",
    ),
    bad(
        "iam-no-full-admin/star-in-lists",
        "dev",
        Res(token(aws.iam.Policy), {"policy": _doc(_allow(["s3:GetObject", "*"], ["*"]))}, "p"),
        "policy of p allows actions of every service on every resource",
    ),
    ok(
        "iam-no-full-admin/star-on-one-resource",
        "dev",
        Res(ROLE_POLICY, {"policy": _doc(_allow("s3:*", "*"), _allow("*", "arn:aws:s3:::b"))}),
    ),
    ok(
        "iam-no-full-admin/deny-star",
        "dev",
        Res(ROLE_POLICY, {"policy": _doc({"Effect": "Deny", "Action": "*", "Resource": "*"})}),
    ),
    bad(
        "iam-no-full-admin/single-statement",
        "dev",
        Res(
            ROLE_POLICY, {"policy": json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})}, "p"
        ),
        "policy of p allows actions of every service on every resource",
    ),
    ok("iam-no-full-admin/not-json", "dev", Res(ROLE_POLICY, {"policy": "{not json"})),
    ok("iam-no-full-admin/document-a-list", "dev", Res(ROLE_POLICY, {"policy": json.dumps(["*"])})),
    ok("iam-no-full-admin/statement-not-a-map", "dev", Res(ROLE_POLICY, {"policy": json.dumps({"Statement": ["*"]})})),
    ok(
        "iam-no-full-admin/role-policy-property-ignored",
        "dev",
        Res(token(aws.iam.Role), {"policy": _doc(_allow("*", "*"))}),
    ),
    bad(
        "iam-no-full-admin/star-colon-star",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("*:*", "*"))}, "p"),
        ADMIN.format(w="policy of p"),
    ),
    bad(
        "iam-no-full-admin/not-action",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}, "p"),
        ADMIN.format(w="policy of p"),
    ),
    bad(
        "iam-no-full-admin/not-resource",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::b"})}, "p"),
        ADMIN.format(w="policy of p"),
    ),
    # a Deny under a condition may not apply: the Allow stands
    bad(
        "iam-no-full-admin/conditional-deny",
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
        ADMIN.format(w="policy of p"),
    ),
    # an unconditional Deny of everything but S3 leaves S3 only
    ok(
        "iam-no-full-admin/deny-not-action-leaves-s3",
        "prod",
        Res(
            ROLE_POLICY,
            {"policy": _doc(_allow("*", "*"), {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"})},
            "p",
        ),
    ),
    bad(
        "iam-no-full-admin/aws-managed-admin",
        "prod",
        Res(ATTACHMENT, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, "a"),
        ADMIN.format(w="AWS-managed arn:aws:iam::aws:policy/AdministratorAccess on a"),
    ),
    bad(
        "iam-no-full-admin/power-user",
        "prod",
        Res(ATTACHMENT, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}, "a"),
        ADMIN.format(w="AWS-managed arn:aws:iam::aws:policy/PowerUserAccess on a"),
    ),
    ok(
        "iam-no-full-admin/ecs-execution-policy",
        "prod",
        Res(
            ATTACHMENT,
            {"role": "r", "policyArn": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"},
            "a",
        ),
    ),
    bad(
        "iam-no-full-admin/role-managed-arns",
        "prod",
        Res(ROLE, {"managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}, "r"),
        ADMIN.format(w="AWS-managed arn:aws:iam::aws:policy/AdministratorAccess on r"),
    ),
    bad(
        "iam-no-full-admin/role-inline-policy",
        "prod",
        Res(ROLE, {"inlinePolicies": [{"name": "all", "policy": _doc(_allow("*", "*"))}]}, "r"),
        ADMIN.format(w="inline policy 'all' of r"),
    ),
    # a statement skipped (no Effect; a Deny under a condition) leaves the next ones read
    bad(
        "iam-no-full-admin/after-a-statement-without-effect",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc({"Sid": "x"}, _allow("*", "*"))}, "p"),
        ADMIN.format(w="policy of p"),
    ),
    bad(
        "iam-no-full-admin/after-a-conditional-deny",
        "prod",
        Res(
            ROLE_POLICY,
            {
                "policy": _doc(
                    {
                        "Effect": "Deny",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {"Bool": {"aws:ViaAWSService": "true"}},
                    },
                    _allow("*", "*"),
                )
            },
            "p",
        ),
        ADMIN.format(w="policy of p"),
    ),
    ok(
        "iam-no-full-admin/not-resource-everything",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc({"Effect": "Allow", "Action": "*", "NotResource": "*"})}, "p"),
    ),
    # every resource of one region is probed there; the global services' resources of an account are not all
    bad(
        "iam-no-full-admin/every-resource-of-a-region",
        "prod",
        Res(
            ROLE_POLICY,
            {
                "policy": _doc(
                    {"Effect": "Allow", "NotAction": "secretsmanager:*", "Resource": "arn:aws:*:eu-west-1:*:*"}
                )
            },
            "p",
        ),
        ADMIN.format(w="policy of p"),
    ),
    ok(
        "iam-no-full-admin/global-resources-of-an-account",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("*", "arn:aws:*::123456789012:*"))}, "p"),
    ),
    bad(
        "iam-no-full-admin/user-policy",
        "prod",
        Res(token(aws.iam.UserPolicy), {"policy": _doc(_allow("*", "*"))}, "p"),
        ADMIN.format(w="policy of p"),
    ),
    # a document the analyzer passes already parsed (Mapping / Sequence proxies) is read too
    bad(
        "iam-no-full-admin/parsed-document",
        "dev",
        Res(ROLE_POLICY, {"policy": {"Statement": [_allow(["*"], "*")]}}, "p"),
        "policy of p allows actions of every service on every resource",
    ),
    bad(
        "iam-no-full-admin/group-exclusive-attachments",
        "prod",
        Res(token(aws.iam.GroupPolicyAttachmentsExclusive), {"groupName": "g", "policyArns": [ADMIN_ARN]}, "a"),
        ADMIN.format(w=f"AWS-managed {ADMIN_ARN} on a"),
    ),
    bad(
        "iam-no-full-admin/user-exclusive-attachments",
        "prod",
        Res(token(aws.iam.UserPolicyAttachmentsExclusive), {"userName": "u", "policyArns": [ADMIN_ARN]}, "a"),
        ADMIN.format(w=f"AWS-managed {ADMIN_ARN} on a"),
    ),
    bad(
        "iam-no-full-admin/not-action-on-every-arn",
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
        ADMIN.format(w="policy of p"),
    ),
    bad(
        "iam-no-privilege-escalation/iam-star",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("iam:*", "*"))}, "p"),
        ESCALATES.format(w="policy of p", a=EVERY_ESCALATION),
    ),
    bad(
        "iam-no-privilege-escalation/iam-full-access",
        "prod",
        Res(ATTACHMENT, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"}, "a"),
        ESCALATES.format(w="AWS-managed arn:aws:iam::aws:policy/IAMFullAccess on a", a=EVERY_ESCALATION),
    ),
    bad(
        "iam-no-privilege-escalation/deny-not-iam",
        "prod",
        Res(
            ROLE_POLICY,
            {"policy": _doc(_allow("*", "*"), {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"})},
            "p",
        ),
        ESCALATES.format(w="policy of p", a=EVERY_ESCALATION),
    ),
    bad(
        "iam-no-privilege-escalation/not-action-includes-iam",
        "prod",
        Res(
            ROLE_POLICY,
            {"policy": _doc({"Effect": "Allow", "NotAction": ["marinprobe:*", "secretsmanager:*"], "Resource": "*"})},
            "p",
        ),
        ESCALATES.format(w="policy of p", a=EVERY_ESCALATION),
    ),
    bad(
        "iam-no-privilege-escalation/pass-role-attach-any-role",
        "prod",
        Res(
            ROLE_POLICY,
            {"policy": _doc(_allow(["IAM:PassRole", "iam:attachrolepolicy"], "arn:aws:iam::1:role/*"))},
            "p",
        ),
        ESCALATES.format(w="policy of p", a="iam:AttachRolePolicy, iam:PassRole"),
    ),
    bad(
        "iam-no-privilege-escalation/on-users-groups-and-policies",
        "prod",
        Res(
            ROLE_POLICY,
            {
                "policy": _doc(
                    _allow("iam:CreateAccessKey", "arn:aws:iam::*:user/*"),
                    _allow("iam:PutGroupPolicy", "arn:aws:iam::*:group/*"),
                    _allow("iam:CreatePolicyVersion", "arn:aws:iam::*:policy/*"),
                )
            },
            "p",
        ),
        ESCALATES.format(w="policy of p", a="iam:PutGroupPolicy, iam:CreatePolicyVersion, iam:CreateAccessKey"),
    ),
    ok(
        "iam-no-privilege-escalation/pass-own-role",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("iam:PassRole", "arn:aws:iam::1:role/marin-prod-api-task"))}, "p"),
    ),
    bad(
        "no-public-principal/trust-any-aws",
        "prod",
        Res(
            ROLE,
            {"assumeRolePolicy": _doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})},
            "r",
        ),
        PUBLIC.format(w="r", a="sts:AssumeRole"),
    ),
    bad(
        "no-public-principal/secret-policy-star",
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
        PUBLIC.format(w="sp", a="secretsmanager:GetSecretValue"),
    ),
    bad(
        "no-public-principal/kms-aws-list-star",
        "prod",
        Res(
            KEY,
            {"policy": _doc({"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "kms:*", "Resource": "*"})},
            "k",
        ),
        PUBLIC.format(w="k", a="kms:*"),
    ),
    ok(
        "no-public-principal/conditioned-star-and-root",
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
    ),
    # only an Allow admits anyone (a Deny of everyone narrows), and a NotPrincipal Allow admits everyone
    # else (IAM User Guide, "IAM JSON policy elements: NotPrincipal"); a NotAction grants all but its actions
    bad(
        "no-public-principal/parsed-document-actions",
        "prod",
        Res(
            KEY,
            {
                "policy": {
                    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt", "kms:Encrypt"]}]
                }
            },
            "k",
        ),
        PUBLIC.format(w="k", a="['kms:Decrypt', 'kms:Encrypt']"),
    ),
    ok(
        "no-public-principal/deny-everyone",
        "prod",
        Res(KEY, {"policy": _doc({"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"})}, "k"),
    ),
    bad(
        "no-public-principal/allow-after-deny",
        "prod",
        Res(
            KEY,
            {
                "policy": _doc(
                    {"Effect": "Deny", "Principal": "*", "Action": "kms:Delete*", "Resource": "*"},
                    {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"},
                )
            },
            "k",
        ),
        PUBLIC.format(w="k", a="kms:Decrypt"),
    ),
    bad(
        "no-public-principal/not-principal",
        "prod",
        Res(
            ROLE,
            {
                "assumeRolePolicy": _doc(
                    {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:AssumeRole"}
                )
            },
            "r",
        ),
        PUBLIC.format(w="r", a="sts:AssumeRole"),
    ),
    bad(
        "no-public-principal/not-action",
        "prod",
        Res(
            KEY,
            {"policy": _doc({"Effect": "Allow", "Principal": "*", "NotAction": "kms:Decrypt", "Resource": "*"})},
            "k",
        ),
        PUBLIC.format(w="k", a="all but kms:Decrypt"),
    ),
    ok(
        "no-public-principal/service-principal",
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
    ),
    # iam-policies-readable: a policy attached by ARN that neither moto's copy nor the stack holds
    bad(
        "iam-policies-readable/customer-arn",
        "prod",
        [Res(ATTACHMENT, {"role": "r", "policyArn": "arn:aws:iam::123456789012:policy/admin"}, "a")],
        "can't read arn:aws:iam::123456789012:policy/admin attached by a: "
        "not AWS-managed (moto's copy) nor in this stack",
    ),
    bad(
        "iam-policies-readable/unknown-aws-arn",
        "prod",
        [Res(ROLE, {"managedPolicyArns": ["arn:aws:iam::aws:policy/NoSuchPolicyYet"]}, "r")],
        "can't read arn:aws:iam::aws:policy/NoSuchPolicyYet attached by r: "
        "not AWS-managed (moto's copy) nor in this stack",
    ),
    ok(
        "iam-policies-readable/own-policy-unknown-in-preview",
        "prod",
        [OWN_POLICY, Res(ATTACHMENT, {"role": "r", "policyArn": UNKNOWN}, "by-dep", deps={"policyArn": [OWN_POLICY]})],
    ),
    ok(
        "iam-policies-readable/own-and-managed",
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
    ),
    ok(
        "iam-secrets-own-environment/own-path",
        "dev",
        Res(ROLE_POLICY, {"policy": _doc(_allow("secretsmanager:GetSecretValue", OWN.format(e="dev")))}, "p"),
    ),
    bad(
        "iam-secrets-own-environment/other-env-path",
        "staging",
        Res(
            ROLE_POLICY,
            {"policy": _doc(_allow("secretsmanager:GetSecretValue", [OWN.format(e="staging"), OWN.format(e="dev")]))},
            "p",
        ),
        SECRET_GRANT.format(r=OWN.format(e="dev"), e="staging"),
    ),
    bad(
        "iam-secrets-own-environment/service-wildcard",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow(["secretsmanager:*"], "*"))}, "p"),
        SECRET_GRANT.format(r="*", e="prod"),
    ),
    bad(
        "iam-secrets-own-environment/star-action-other-resource",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("*", ["arn:aws:s3:::b"]))}, "p"),
        SECRET_GRANT.format(r="arn:aws:s3:::b", e="prod"),
    ),
    ok(
        "iam-secrets-own-environment/other-service",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow(["s3:GetObject"], "*"))}, "p"),
    ),
    ok(
        "iam-secrets-own-environment/deny",
        "prod",
        Res(
            ROLE_POLICY,
            {"policy": _doc({"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})},
        ),
    ),
    bad(
        "iam-secrets-own-environment/second-statement",
        "staging",
        Res(
            ROLE_POLICY,
            {"policy": _doc(_allow("s3:GetObject", "*"), _allow("secretsmanager:GetSecretValue", OWN.format(e="dev")))},
            "p",
        ),
        SECRET_GRANT.format(r=OWN.format(e="dev"), e="staging"),
    ),
    bad(
        "iam-secrets-own-environment/action-wildcard",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("secretsmanager:Get*", "*"))}, "p"),
        SECRET_GRANT.format(r="*", e="prod"),
    ),
    bad(
        "iam-secrets-own-environment/action-case",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("SecretsManager:GetSecretValue", "*"))}, "p"),
        SECRET_GRANT.format(r="*", e="prod"),
    ),
    bad(
        "iam-secrets-own-environment/action-single-char-wildcard",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc(_allow("secretsmanager:GetSecretValu?", "*"))}, "p"),
        SECRET_GRANT.format(r="*", e="prod"),
    ),
    bad(
        "iam-secrets-own-environment/not-action",
        "prod",
        Res(ROLE_POLICY, {"policy": _doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}, "p"),
        SECRET_GRANT.format(r="*", e="prod"),
    ),
    bad(
        "iam-secrets-own-environment/not-resource",
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
        GRANT.format(w="policy of p", r=f"all but {[OWN.format(e='prod')]}", e="prod"),
    ),
    bad(
        "iam-secrets-own-environment/role-inline-policy",
        "prod",
        Res(ROLE, {"inlinePolicies": [{"name": "read", "policy": _doc(_allow("secretsmanager:*", "*"))}]}, "r"),
        GRANT.format(w="inline policy 'read' of r", r="'*'", e="prod"),
    ),
    bad(
        "iam-secrets-own-environment/aws-managed-attached",
        "prod",
        Res(ATTACHMENT, {"role": "r", "policyArn": "arn:aws:iam::aws:policy/SecretsManagerReadWrite"}, "a"),
        GRANT.format(w="AWS-managed arn:aws:iam::aws:policy/SecretsManagerReadWrite on a", r="'*'", e="prod"),
    ),
    bad(
        "iam-secrets-own-environment/parsed-document",
        "prod",
        Res(
            ROLE_POLICY,
            {"policy": {"Statement": {"Effect": "Allow", "Action": ["secretsmanager:*"], "Resource": "*"}}},
            "p",
        ),
        SECRET_GRANT.format(r="*", e="prod"),
    ),
    # no-plaintext-secret-config: a key declared secret, set without --secret
    ok("no-plaintext-secret-config/encrypted", "encrypted", Res("pulumi:pulumi:Stack", {}, "marin-x")),
    ok("no-plaintext-secret-config/not-set", "dev", Res("pulumi:pulumi:Stack", {}, "marin-x")),
    bad(
        "no-plaintext-secret-config/plaintext",
        "plain",
        Res("pulumi:pulumi:Stack", {}, "marin-x"),
        "marin:transcriptionApiKey is in plaintext in the stack's config; "
        "set it with `pulumi config set --secret marin:transcriptionApiKey`",
    ),
    # secret-recovery-window: the stack's secretRecoveryWindowDays; at least 7 with protectData
    ok("secret-recovery-window/unprotected-zero", "dev", Res(SECRET, {"name": "s", "recoveryWindowInDays": 0})),
    ok("secret-recovery-window/minimum", "staging", Res(SECRET, {"name": "s", "recoveryWindowInDays": 7})),
    ok("secret-recovery-window/aws-default", "prod", Res(SECRET, {"name": "s"})),  # AWS's default: 30
    bad(
        "secret-recovery-window/below-minimum",
        "staging",
        Res(SECRET, {"name": "s", "recoveryWindowInDays": 0}),
        WINDOW_MIN.format(d=0, n=7),
    ),
    bad(
        "secret-recovery-window/below-minimum-unconfigured",
        "qa",
        Res(SECRET, {"name": "s", "recoveryWindowInDays": 0}),
        WINDOW_MIN.format(d=0, n=7),
    ),
    bad(
        "secret-recovery-window/below-stack-days",
        "prod",
        Res(SECRET, {"name": "s", "recoveryWindowInDays": 7}),
        "secret 's' has a 7-day recovery window; the stack's secretRecoveryWindowDays is 30",
    ),
    bad(
        "secret-recovery-window/days-not-a-number",
        "odd",
        Res(SECRET, {"name": "s", "recoveryWindowInDays": 7}),
        "secret 's' has a 7-day recovery window; the stack's secretRecoveryWindowDays 'thirty' is not a number",
    ),
    # no-secret-outputs: a declared-secret value (8 characters or more), or credentials in a URI
    bad(
        "no-secret-outputs/value-in-string",
        "dev",
        [PASSWORD, outputs(url="https://x/?k=s3cret-value")],
        LEAKED.format(k="url", w="pw.result"),
    ),
    bad(
        "no-secret-outputs/value-nested",
        "dev",
        [PASSWORD, outputs(nested={"a": [1, {"b": "s3cret-value"}]})],
        LEAKED.format(k="nested", w="pw.result"),
    ),
    ok("no-secret-outputs/no-value", "dev", [PASSWORD, outputs(name="marin-dev-api")]),
    ok("no-secret-outputs/short-value", "dev", [SHORT, outputs(code="1234567")]),
    bad(
        "no-secret-outputs/eight-characters",
        "dev",
        [EIGHT, outputs(code="12345678")],
        LEAKED.format(k="code", w="pin8.result"),
    ),
    ok(
        "no-secret-outputs/not-declared-secret",
        "dev",
        [Res(token(aws.s3.Bucket), {"result": "s3cret-value"}, "b"), outputs(x="s3cret-value")],
    ),
    ok("no-secret-outputs/secret-output-not-value", "dev", [STORED, outputs(endpoint="https://search.internal")]),
    bad(
        "no-secret-outputs/credentials-in-uri",
        "dev",
        [outputs(uri="mongodb+srv://app:hunter2@marin-dev.mongodb.net")],
        IN_URI.format(k="uri"),
    ),
    bad(
        "no-secret-outputs/credentials-uppercase-scheme",
        "dev",
        [outputs(uri="REDIS://user:pw@cache:6379", other="https://host/x@y")],
        IN_URI.format(k="uri"),
    ),
    ok("no-secret-outputs/uri-no-credentials", "dev", [outputs(api="https://api.dev.example.org/v1")]),
    bad(
        "no-secret-outputs/unknown-secret-noted",
        "dev",
        [
            Res(token(pulumi_random.RandomPassword), {"result": UNKNOWN}, "pw", secret_outputs=["result"]),
            outputs(uri="mongodb://u:p@h"),
        ],
        IN_URI.format(k="uri"),
        note("no-secret-outputs"),
    ),
    bad(
        "no-secret-outputs/second-secret-output",
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
        LEAKED.format(k="version", w="sv.versionId"),
    ),
    # data-protected: protect, Atlas termination protection, no forceDestroy, with protectData
    ok("data-protected/unprotected-stack", "dev", Res(BUCKET, {"bucket": "b", "forceDestroy": True})),
    ok("data-protected/bucket-protected", "staging", Res(BUCKET, {"bucket": "b"}, "rec", protect=True)),
    bad(
        "data-protected/secret-unprotected",
        "prod",
        Res(SECRET, {}, "sec"),
        f"Secret sec is not protected (protect=True); {WHY}",
    ),
    bad(
        "data-protected/redis-unprotected-unconfigured",
        "qa",
        Res(REDIS, {}, "c"),
        f"ReplicationGroup c is not protected (protect=True); {WHY}",
    ),
    bad(
        "data-protected/bucket-force-destroy",
        "staging",
        Res(BUCKET, {"bucket": "b", "forceDestroy": True}, "rec", protect=True),
        f"bucket 'b' can be destroyed with its recordings (forceDestroy); {WHY}",
    ),
    ok(
        "data-protected/atlas-termination-protection",
        "prod",
        Res(ATLAS, {"name": "c", "terminationProtectionEnabled": True}, protect=True),
    ),
    bad(
        "data-protected/atlas-termination-string",
        "prod",
        Res(ATLAS, {"name": "c", "terminationProtectionEnabled": "true"}, protect=True),
        f"Atlas cluster 'c' has no termination protection; {WHY}",
    ),
    ok("data-protected/not-a-data-store", "prod", Res(LOG_GROUP, {"name": "g"})),
    bad(
        "data-protected/bucket-v2",
        "prod",
        Res(token(aws.s3.BucketV2), {"bucket": "b", "forceDestroy": True}, "rec"),
        f"BucketV2 rec is not protected (protect=True); {WHY}",
        f"bucket 'b' can be destroyed with its recordings (forceDestroy); {WHY}",
    ),
    ok("atlas-no-open-access/private-cidr", "dev", Res(ACCESS, {"cidrBlock": "10.0.0.0/16"})),
    ok("atlas-no-open-access/single-address", "dev", Res(ACCESS, {"ipAddress": "203.0.113.7"})),
    bad("atlas-no-open-access/v6-anywhere", "dev", Res(ACCESS, {"cidrBlock": "::/0"}), "Atlas access list admits ::/0"),
    bad(
        "atlas-no-open-access/address-anywhere",
        "dev",
        Res(ACCESS, {"cidrBlock": "", "ipAddress": "0.0.0.0"}),
        "Atlas access list admits 0.0.0.0",
    ),
    # atlas-backups: with protectData; point-in-time recovery where the stack asks for continuous backup
    ok("atlas-backups/unprotected-stack", "dev", Res(ATLAS, {"name": "c"})),
    ok("atlas-backups/backup", "staging", Res(ATLAS, {"name": "c", "backupEnabled": True})),
    bad(
        "atlas-backups/backup-string",
        "staging",
        Res(ATLAS, {"name": "c", "backupEnabled": "true"}),
        f"Atlas cluster 'c' has no cloud backup; {WHY}",
    ),
    ok("atlas-backups/backup-and-pit", "prod", Res(ATLAS, {"name": "c", "backupEnabled": True, "pitEnabled": True})),
    bad(
        "atlas-backups/continuous-without-pit",
        "prod",
        Res(ATLAS, {"name": "c", "backupEnabled": True}),
        "Atlas cluster 'c' has no point-in-time recovery; the stack asks for continuous backup",
    ),
    bad(
        "atlas-backups/no-backup-unconfigured",
        "qa",
        Res(ATLAS, {"name": "c"}),
        f"Atlas cluster 'c' has no cloud backup; {WHY}",
    ),
    ok(
        "ecs-no-public-ip/unprotected-stack",
        "dev",
        Res(SERVICE, {"name": "s", "networkConfiguration": {"assignPublicIp": True}}),
    ),
    bad(
        "ecs-no-public-ip/public-ip-unconfigured",
        "qa",
        Res(SERVICE, {"name": "s", "networkConfiguration": {"assignPublicIp": True}}),
        f"service 's' assigns public IPs to its tasks; {WHY}",
    ),
    ok("ecs-no-public-ip/no-public-ip", "prod", Res(SERVICE, {"name": "s", "networkConfiguration": {}})),
    ok(
        "ecs-circuit-breaker/enabled-with-rollback",
        "dev",
        Res(SERVICE, {"name": "s", "deploymentCircuitBreaker": {"enable": True, "rollback": True}}),
    ),
    bad(
        "ecs-circuit-breaker/not-enabled",
        "dev",
        Res(SERVICE, {"name": "s", "deploymentCircuitBreaker": {"rollback": True}}),
        "service 's' has no deployment circuit breaker with rollback",
    ),
    bad(
        "ecs-circuit-breaker/no-rollback",
        "dev",
        Res(SERVICE, {"name": "s", "deploymentCircuitBreaker": {"enable": True}}),
        "service 's' has no deployment circuit breaker with rollback",
    ),
    ok(
        "ecs-logging/one-container-logs",
        "dev",
        Res(
            TASK,
            {
                "family": "f",
                "containerDefinitions": json.dumps([{"name": "a", "logConfiguration": {"logDriver": "awslogs"}}]),
            },
        ),
    ),
    bad(
        "ecs-logging/containers-without-logs",
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
        "container 'b' of 'f' has no log configuration",
        "container 'c' of 'f' has no log configuration",
    ),
    ok("ecs-logging/not-json", "dev", Res(TASK, {"family": "f", "containerDefinitions": "not json"})),
    ok("ecs-logging/not-a-list", "dev", Res(TASK, {"family": "f", "containerDefinitions": 7})),
    bad(
        "ecs-logging/empty-driver",
        "dev",
        Res(TASK, {"family": "f", "containerDefinitions": [{"name": "c", "logConfiguration": {"logDriver": ""}}]}),
        "container 'c' of 'f' has no log configuration",
    ),
    ok(
        "ecs-logging/no-task-definition",
        "dev",
        Res(SERVICE, {"family": "f", "containerDefinitions": json.dumps([{"name": "c"}])}),
    ),
    ok("kms-key-rotation/rotates", "dev", Res(KEY, {"enableKeyRotation": True}, "k")),
    ok("kms-key-rotation/asymmetric-key", "dev", Res(KEY, {"customerMasterKeySpec": "RSA_2048"}, "k")),
    bad(
        "kms-key-rotation/no-rotation",
        "dev",
        Res(KEY, {}, "k"),
        "KMS key k does not rotate its key material (enableKeyRotation)",
    ),
    ok(
        "alb-http-redirects-to-https/redirect",
        "prod",
        Res(LISTENER, {"protocol": "HTTP", "defaultActions": [REDIRECT]}, "l"),
    ),
    ok(
        "alb-http-redirects-to-https/https-listener",
        "prod",
        Res(LISTENER, {"protocol": "HTTPS", "defaultActions": [FORWARD]}, "l"),
    ),
    ok(
        "alb-http-redirects-to-https/http-unprotected-stack",
        "dev",
        Res(LISTENER, {"protocol": "HTTP", "defaultActions": [FORWARD]}, "l"),
    ),
    bad(
        "alb-http-redirects-to-https/http-forward",
        "prod",
        Res(LISTENER, {"protocol": "HTTP", "defaultActions": [FORWARD]}, "l"),
        PLAIN_HTTP,
    ),
    bad(
        "alb-http-redirects-to-https/http-no-action-unconfigured",
        "qa",
        Res(LISTENER, {"protocol": "HTTP", "defaultActions": []}, "l"),
        PLAIN_HTTP,
    ),
    # a redirect keeps the request's protocol unless it names another (ELB guide, "Listener rules":
    # redirect actions, protocol "#{protocol}")
    bad(
        "alb-http-redirects-to-https/redirect-keeps-http",
        "prod",
        Res(
            LISTENER,
            {"protocol": "HTTP", "defaultActions": [REDIRECT | {"redirect": {"protocol": "#{protocol}"}}]},
            "l",
        ),
        PLAIN_HTTP,
    ),
    bad(
        "alb-http-redirects-to-https/alb-token",
        "prod",
        Res(token(aws.alb.Listener), {"protocol": "HTTP", "defaultActions": [FORWARD]}, "l"),
        PLAIN_HTTP,
    ),
    ok("elb-deletion-protection/protected", "prod", Res(LB, {"name": "b", "enableDeletionProtection": True})),
    ok("elb-deletion-protection/unprotected-stack", "dev", Res(LB, {"name": "b"})),
    bad(
        "elb-deletion-protection/unprotected",
        "staging",
        Res(LB, {"name": "b"}),
        f"load balancer 'b' has no deletion protection; {WHY}",
    ),
    bad(
        "elb-deletion-protection/alb-token",
        "prod",
        Res(token(aws.alb.LoadBalancer), {"name": "b"}),
        f"load balancer 'b' has no deletion protection; {WHY}",
    ),
    ok("elb-access-logs/enabled", "prod", Res(LB, {"name": "b", "accessLogs": {"enabled": True, "bucket": "x"}})),
    ok("elb-access-logs/unprotected-stack", "dev", Res(LB, {"name": "b"})),
    bad(
        "elb-access-logs/disabled",
        "prod",
        Res(LB, {"name": "b", "accessLogs": {"enabled": False}}),
        f"load balancer 'b' keeps no access logs; {WHY}",
    ),
    bad(
        "elb-access-logs/alb-token",
        "prod",
        Res(token(aws.alb.LoadBalancer), {"name": "b"}),
        f"load balancer 'b' keeps no access logs; {WHY}",
    ),
    # ALB and Classic ELB, not NLB or GWLB (AWS Config elb-logging-enabled); a Classic ELB's
    # access_logs block is enabled by default (terraform-provider-aws elb/load_balancer.go)
    ok("elb-access-logs/network-load-balancer", "prod", Res(LB, {"name": "n", "loadBalancerType": "network"})),
    ok("elb-access-logs/gateway-load-balancer", "prod", Res(LB, {"name": "g", "loadBalancerType": "gateway"})),
    bad(
        "elb-access-logs/application-load-balancer",
        "prod",
        Res(LB, {"name": "a", "loadBalancerType": "application"}),
        f"load balancer 'a' keeps no access logs; {WHY}",
    ),
    ok(
        "elb-access-logs/classic-enabled-by-default", "prod", Res(CLASSIC, {"name": "c", "accessLogs": {"bucket": "x"}})
    ),
    bad(
        "elb-access-logs/classic-without-logs",
        "prod",
        Res(CLASSIC, {"name": "c"}),
        f"load balancer 'c' keeps no access logs; {WHY}",
    ),
    bad(
        "elb-access-logs/classic-disabled",
        "prod",
        Res(CLASSIC, {"name": "c", "accessLogs": {"bucket": "x", "enabled": False}}),
        f"load balancer 'c' keeps no access logs; {WHY}",
    ),
    ok("ec2-imdsv2/tokens-required", "dev", Res(INSTANCE, {"metadataOptions": {"httpTokens": "required"}}, "nat")),
    bad(
        "ec2-imdsv2/tokens-optional",
        "dev",
        Res(INSTANCE, {"metadataOptions": {"httpTokens": "optional"}}, "nat"),
        "instance nat accepts IMDSv1 (metadataOptions.httpTokens must be 'required')",
    ),
    ok(
        "ec2-encrypted-volumes/encrypted",
        "dev",
        Res(INSTANCE, {"rootBlockDevice": {"encrypted": True}, "ebsBlockDevices": [{"encrypted": True}]}, "nat"),
    ),
    bad(
        "ec2-encrypted-volumes/unencrypted",
        "dev",
        Res(INSTANCE, {"rootBlockDevice": {"volumeSize": 8}, "ebsBlockDevices": [{"deviceName": "/dev/sdf"}]}, "nat"),
        "instance nat's root volume is not encrypted",
        "instance nat's volume /dev/sdf is not encrypted",
    ),
]


def test_every_rule_has_a_compliant_and_a_violating_case() -> None:
    assert {c.rule for c in CASES if c.expected} == set(RULES)
    assert {c.rule for c in CASES if not c.expected} == set(RULES)
    assert len({c.id for c in CASES}) == len(CASES)


def found(servicer: Any, case: Case) -> list[tuple[str, str]]:
    if isinstance(case.subject, Res):
        prov = provider(case.tags) if case.tags is not None else None
        return analyze(servicer, case.rule, case.env, case.subject, prov)
    return analyze_stack(servicer, case.rule, case.env, case.subject)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_rule_reports_exactly_its_violations_with_its_level(servicer: Any, case: Case) -> None:
    assert _matches(found(servicer, case), case.expected), found(servicer, case)


# Each threshold `--policy-pack-config` sets, by the name docs/policy.md ("Thresholds") gives it, over
# the stack's default: every case here is reported the other way round without it (CASES).
CONFIGURED: list[tuple[dict[str, Any], Case]] = [
    (
        {"minimumDays": 30},
        bad(
            "log-retention/configured-minimum",
            "staging",
            Res(LOG_GROUP, {"name": "g", "retentionInDays": 14}),
            "log group 'g' keeps 14 days; this stack keeps at least 30",
        ),
    ),
    (
        {"minimumDays": 10},
        bad(
            "secret-recovery-window/configured-minimum",
            "staging",
            Res(SECRET, {"name": "s", "recoveryWindowInDays": 7}),
            WINDOW_MIN.format(d=7, n=10),
        ),
    ),
    ({"required": False}, ok("s3-versioning/not-required", "prod", Res(VERSIONING, {}, "v"))),
    ({"versioning": False}, ok("s3-bucket-controls/versioning-not-required", "qa", [B1, *controls(B1)])),
    ({"required": False}, ok("data-protected/not-required", "prod", Res(SECRET, {}, "sec"))),
    ({"required": False}, ok("s3-bucket-logging/not-required", "qa", [B1])),
    ({"backups": False}, ok("atlas-backups/not-required", "qa", Res(ATLAS, {"name": "c"}))),
    (
        {"pointInTime": False},
        ok("atlas-backups/no-point-in-time", "prod", Res(ATLAS, {"name": "c", "backupEnabled": True})),
    ),
    ({"required": False}, ok("elasticache-multi-az/not-required", "qa", Res(REDIS, {}))),
    (
        {"required": False},
        ok(
            "alb-http-redirects-to-https/not-required",
            "prod",
            Res(LISTENER, {"protocol": "HTTP", "defaultActions": [FORWARD]}, "l"),
        ),
    ),
    ({"required": False}, ok("elb-deletion-protection/not-required", "staging", Res(LB, {"name": "b"}))),
    ({"required": False}, ok("elb-access-logs/not-required", "prod", Res(LB, {"name": "b"}))),
    (
        {"allowed": True},
        ok(
            "ecs-no-public-ip/allowed",
            "qa",
            Res(SERVICE, {"name": "s", "networkConfiguration": {"assignPublicIp": True}}),
        ),
    ),
    (
        {"ceiling": {"memory": 2047}},
        bad(
            "cost-ceiling/one-above-configured",
            "dev",
            Res(TASK, {"family": "t", "cpu": "512", "memory": "2048"}),
            CEIL.format(k="memory", v="2048", b=2047),
        ),
    ),
    (
        {"ceiling": {"cpu": 1024, "memory": 2048}},
        ok("cost-ceiling/raised", "dev", Res(TASK, {"family": "t", "cpu": "1024", "memory": "1536"})),
    ),
    (
        {"floor": {"cpu": 1024, "redisNodeType": "cache.t4g.medium"}},
        bad(
            "capacity-floor/raised",
            "prod",
            Res(TASK, {"family": "t", "cpu": "512", "memory": "1024"}),
            FLOOR_MSG.format(k="cpu", v="512", b=1024),
        ),
    ),
]


@pytest.mark.parametrize(("properties", "case"), CONFIGURED, ids=[c.id for _, c in CONFIGURED])
def test_a_configured_threshold_is_the_one_applied(servicer: Any, properties: dict[str, Any], case: Case) -> None:
    level = policy.LEVEL_OF[RULES[case.rule][3]]
    config = pb.PolicyConfig(enforcementLevel=level, properties=_struct(properties))
    servicer.Configure(pb.ConfigureAnalyzerRequest(policyConfig={case.rule: config}), None)
    try:
        assert _matches(found(servicer, case), case.expected), found(servicer, case)
    finally:
        servicer.Configure(pb.ConfigureAnalyzerRequest(), None)


def test_the_stack_s_decrypted_secrets_are_not_kept(servicer: Any) -> None:
    """ConfigureStack carries secret values decrypted (pulumi pkg/engine/update.go); the pack keeps
    only which keys are encrypted, never their values."""
    configure(servicer, "encrypted")
    config, encrypted = type(servicer).stack_config
    assert "sk-live-X" not in json.dumps(config)
    assert encrypted == ["marin:transcriptionApiKey"]
    assert config["marin:protectData"] == "false"


def test_a_stack_the_engine_did_not_configure_is_checked_as_protected(
    servicer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine that sends no ConfigureStack (older CLIs): the stack's config is unknown, and the
    strict reading applies, as for a stack whose config holds neither key."""
    monkeypatch.delattr(type(servicer), "stack_config", raising=False)
    r = Res(LOG_GROUP, {"name": "g", "retentionInDays": 7})
    request = pb.AnalyzeRequest(type=r.type, urn=r.urn("dev"), name=r.name, properties=_struct(r.props))
    assert _found(servicer.Analyze(request, None), request.urn, "log-retention") == [
        ("log group 'g' keeps 7 days; this stack keeps at least 14", M)
    ]


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
    assert common.stack_rule("s", "d", lambda args: iter(()), level=advisory).enforcement_level == advisory
    assert common.stack_rule("s", "d", lambda args: iter(())).enforcement_level == mandatory
    assert common.resource_rule("r", "d", (), lambda args, env: iter(()), level=advisory).enforcement_level == advisory
    assert common.resource_rule("r", "d", (), lambda args, env: iter(())).enforcement_level == mandatory
