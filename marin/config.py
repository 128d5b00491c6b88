"""One validated environment config, read once, before any resource is created.

`SCHEMA` is the single declaration of every stack config key: type, default, category and the
check AWS or Atlas would apply. `Pulumi.yaml` declares the same keys for the Pulumi CLI; a test
keeps the two equal. `load_environment` turns the raw strings Pulumi hands the program into a
frozen `EnvConfig`, or raises `ConfigError` listing every problem with the key, the value and
what is allowed.

Categories decide what staging may differ from prod in (story risk 3):
- identity: what makes an environment itself (account, CIDR, cost tag);
- sizing: capacity; the only settings staging and prod may differ in besides identity/retention;
- retention: how long data is kept (the story sets 7/14/30 days of logs);
- topology: which resources exist and how they are protected; staging must equal prod.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, Literal

from marin import catalogue, cidr, limits
from marin.naming import PROJECT, EnvironmentNames, NamingError

NAMESPACE = PROJECT
ENV_NAME = re.compile(r"^[a-z][a-z0-9]{1,9}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}-[a-z]+-\d$")  # the standard `aws` partition only
TAG_VALUE = re.compile(r"^[\w .:/=+@-]{1,256}$")
BUCKET_SUFFIX = re.compile(r"^([a-z0-9]{1,12})?$")
NAT_MODES = ("instance", "single-gateway", "gateway-per-az")
MONITORING = ("basic", "full")
# How the api is reached from the internet: an Application Load Balancer, or an API Gateway HTTP
# API with a VPC link to the api registered in Cloud Map (no load balancer; AWS's documented
# pattern for private ECS services behind HTTP APIs).
INGRESS = ("alb", "http-api")
PROTECTED_INGRESS = "alb"
ATLAS_ORG_ID = re.compile(r"^[0-9a-f]{24}$")
# An image pinned to a version tag or a digest; `latest` (or no tag) is refused.
PINNED_IMAGE = re.compile(
    r"^[a-z0-9][a-z0-9._/-]*(:[0-9]+)?/?[a-z0-9._/-]*(:(?!latest$)\w[\w.-]{0,127}|@sha256:[0-9a-f]{64})$"
)
TIMEZONE = re.compile(r"^(UTC|[A-Za-z]+(/[A-Za-z0-9_+-]+){1,2})$")
CERT_ARN = re.compile(r"^(arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36})?$")
EMAIL = re.compile(r"^([^@\s]+@[^@\s]+\.[a-z]{2,})?$")
DOMAIN = re.compile(r"^(([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9])?$")
HOSTED_ZONE_ID = re.compile(r"^(Z[A-Z0-9]{1,31})?$")
HTTPS_URL = re.compile(r"^(https://[A-Za-z0-9.-]+(:\d{1,5})?(/\S*)?)?$")
PLACEHOLDER = "REPLACE_WITH"  # marks a value templates/Pulumi.ENV.yaml leaves for the operator

Kind = Literal["string", "integer", "boolean", "array"]
Category = Literal["identity", "sizing", "retention", "topology"]
REQUIRED: Any = object()


class ConfigError(ValueError):
    """Stack config the program refuses; the message lists every problem found."""

    def __init__(self, stack: str, problems: list[str]):
        self.stack = stack
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"stack {stack!r}: config refused, nothing was deployed:\n{lines}")


def _one_of(allowed: tuple[Any, ...]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in allowed else "allowed: " + ", ".join(str(a) for a in allowed)

    return check


def _between(lo: int, hi: int) -> Callable[[Any], str | None]:
    return lambda v: None if lo <= v <= hi else f"allowed: {lo} to {hi}"


def _matches(pattern: re.Pattern[str], allowed: str) -> Callable[[Any], str | None]:
    return lambda v: None if pattern.fullmatch(v) else f"allowed: {allowed}"


def _vpc_cidr(value: str) -> str | None:
    try:
        cidr.parse_vpc_cidr(value)
    except cidr.CidrError as exc:
        return str(exc)
    return None


def _account_ids(value: list[Any]) -> str | None:
    if not value:
        return "allowed: a non-empty list of 12-digit AWS account ids"
    bad = [v for v in value if not (isinstance(v, str) and ACCOUNT_ID.fullmatch(v))]
    return f"allowed: 12-digit AWS account ids as strings; not {bad}" if bad else None


@dataclass(frozen=True)
class Key:
    name: str
    kind: Kind
    category: Category
    description: str
    default: Any = REQUIRED
    check: Callable[[Any], str | None] | None = None

    @property
    def full_name(self) -> str:
        return f"{NAMESPACE}:{self.name}"

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


_FARGATE_CPU = _one_of(tuple(limits.FARGATE_MEMORY_BY_CPU))
_FARGATE_MEMORY = _one_of(tuple(sorted({m for ms in limits.FARGATE_MEMORY_BY_CPU.values() for m in ms})))

SCHEMA: tuple[Key, ...] = (
    # identity
    Key(
        "awsRegion",
        "string",
        "identity",
        "AWS region of every resource of the stack.",
        "us-east-1",
        _matches(REGION, "an AWS region name such as us-east-1"),
    ),
    Key(
        "allowedAccountIds",
        "array",
        "identity",
        "AWS account ids this stack may deploy to; the provider refuses any other credentials.",
        check=_account_ids,
    ),
    Key(
        "costCenter",
        "string",
        "identity",
        "Value of the CostCenter cost-allocation tag.",
        check=_matches(TAG_VALUE, "1-256 letters, digits, spaces and _.:/=+-@"),
    ),
    Key(
        "vpcCidr",
        "string",
        "identity",
        "The environment's VPC CIDR: RFC 1918, /16 to /20, overlapping no other environment.",
        check=_vpc_cidr,
    ),
    Key(
        "recordingsBucketSuffix",
        "string",
        "identity",
        "Suffix appended to the recordings bucket name when `marin-<env>-call-recordings` is taken "
        "in another AWS account (S3 names are global). Empty keeps the story's name.",
        "",
        _matches(BUCKET_SUFFIX, "empty, or 1-12 lowercase letters and digits"),
    ),
    # topology: must be identical in staging and prod
    Key(
        "azCount",
        "integer",
        "topology",
        "Availability zones the VPC spans (public + private subnet each).",
        check=_between(2, cidr.MAX_AZS),
    ),
    Key(
        "natMode",
        "string",
        "topology",
        "Egress for private subnets: `instance` (one small NAT instance, cheapest static egress), "
        "`single-gateway`, or `gateway-per-az` (highly available).",
        check=_one_of(NAT_MODES),
    ),
    Key("flowLogs", "boolean", "topology", "Send VPC flow logs to CloudWatch Logs."),
    Key(
        "protectData",
        "boolean",
        "topology",
        "Protect data stores (bucket, secrets, databases) from deletion; off only in disposable environments.",
    ),
    Key("recordingsVersioning", "boolean", "topology", "Keep object versions in the recordings bucket."),
    # retention
    Key(
        "logRetentionDays",
        "integer",
        "retention",
        "Days CloudWatch keeps the service and flow logs.",
        check=_one_of(limits.LOG_RETENTION_DAYS),
    ),
    Key(
        "secretRecoveryWindowDays",
        "integer",
        "retention",
        "Days a deleted secret can be restored; 0 deletes at once so the name can be reused.",
        check=_one_of(limits.SECRET_RECOVERY_WINDOW_DAYS),
    ),
    Key(
        "recordingsTransitionDays",
        "integer",
        "retention",
        "Days before recordings move to S3 Standard-IA; 0 never moves them (minimum 30 otherwise).",
        check=lambda v: None if v == 0 or 30 <= v <= 36500 else "allowed: 0, or 30 to 36500",
    ),
    Key(
        "recordingsExpirationDays",
        "integer",
        "retention",
        "Days before recordings are deleted; 0 keeps them.",
        check=_between(0, 36500),
    ),
    # sizing
    Key("apiCpu", "integer", "sizing", "Fargate CPU units of the api task.", check=_FARGATE_CPU),
    Key("apiMemory", "integer", "sizing", "Fargate memory (MiB) of the api task.", check=_FARGATE_MEMORY),
    Key("workerCpu", "integer", "sizing", "Fargate CPU units of the worker task.", check=_FARGATE_CPU),
    Key("workerMemory", "integer", "sizing", "Fargate memory (MiB) of the worker task.", check=_FARGATE_MEMORY),
    Key(
        "atlasInstanceSize",
        "string",
        "sizing",
        "MongoDB Atlas cluster tier (M0 is the shared free tier).",
        check=_one_of(catalogue.ATLAS_TIERS),
    ),
    Key("redisNodeType", "string", "sizing", "ElastiCache node type.", check=_one_of(catalogue.REDIS_NODE_TYPES)),
    Key(
        "natInstanceType",
        "string",
        "sizing",
        "EC2 type of the NAT instance when natMode is `instance`.",
        "t4g.nano",
        _one_of(catalogue.NAT_INSTANCE_TYPES),
    ),
    # identity (issue 3)
    Key(
        "atlasOrgId",
        "string",
        "identity",
        "MongoDB Atlas organization id (24 hex digits) that owns the project.",
        check=_matches(ATLAS_ORG_ID, "24 lowercase hex digits"),
    ),
    Key(
        "apiImage",
        "string",
        "identity",
        "Container image of the api, pinned to a tag or digest (never latest).",
        check=_matches(PINNED_IMAGE, "an image reference with a version tag (not latest) or @sha256 digest"),
    ),
    Key(
        "workerImage",
        "string",
        "identity",
        "Container image of the worker, pinned to a tag or digest.",
        check=_matches(PINNED_IMAGE, "an image reference with a version tag (not latest) or @sha256 digest"),
    ),
    Key(
        "certificateArn",
        "string",
        "identity",
        "An existing ACM certificate for the api's HTTPS listener; empty: the program issues one for "
        "api.<env>.<domainName> (or, with no domain, serves plain HTTP on port 80).",
        "",
        _matches(CERT_ARN, "empty, or an ACM certificate ARN"),
    ),
    Key(
        "alertEmail",
        "string",
        "identity",
        "Address subscribed to the alerts topic (full monitoring); empty: none.",
        "",
        _matches(EMAIL, "empty, or an email address"),
    ),
    # identity (issue 10): the api's public HTTPS name and who hears the alarms
    Key(
        "domainName",
        "string",
        "identity",
        "DNS domain the api is published under, as api.<env>.<domainName>, with a DNS-validated ACM "
        "certificate; needs hostedZoneId. Empty: no DNS name (HTTPS only with certificateArn).",
        "",
        _matches(DOMAIN, "empty, or a lowercase DNS name such as marin.example.com"),
    ),
    Key(
        "hostedZoneId",
        "string",
        "identity",
        "Route 53 public hosted zone, in the stack's account, for domainName or <env>.<domainName>.",
        "",
        _matches(HOSTED_ZONE_ID, "empty, or a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ"),
    ),
    Key(
        "alertHttpsEndpoint",
        "string",
        "identity",
        "HTTPS endpoint (chat or incident webhook) subscribed to the alerts topic; empty: none.",
        "",
        _matches(HTTPS_URL, "empty, or an https:// URL"),
    ),
    # topology (issue 3)
    Key(
        "highAvailability",
        "boolean",
        "topology",
        "Spread every tier over AZs: Redis replica with automatic failover, OpenSearch over 3 AZs, >= 2 tasks.",
    ),
    Key(
        "monitoring",
        "string",
        "topology",
        "`basic`: AWS default metrics only; `full`: Container Insights, alarms and an SNS alerts topic.",
        check=_one_of(MONITORING),
    ),
    Key("fargateSpot", "boolean", "topology", "Run tasks on Fargate Spot (x86 only; interruptible, ~70% cheaper)."),
    Key("autoStop", "boolean", "topology", "Scale services to zero outside business hours (scheduled scaling)."),
    Key(
        "businessHoursStart",
        "integer",
        "sizing",
        "Hour (0-23, local) the services start when autoStop is on.",
        8,
        _between(0, 23),
    ),
    Key(
        "businessHoursEnd",
        "integer",
        "sizing",
        "Hour (1-23, local) the services stop when autoStop is on.",
        19,
        _between(1, 23),
    ),
    Key(
        "businessTimezone",
        "string",
        "sizing",
        "IANA timezone of businessHoursStart/End.",
        "America/New_York",
        _matches(TIMEZONE, "an IANA timezone such as America/New_York, or UTC"),
    ),
    # sizing (issue 3)
    Key(
        "apiDesiredCount", "integer", "sizing", "Running api tasks (minimum when autoscaling).", check=_between(1, 100)
    ),
    Key(
        "workerDesiredCount",
        "integer",
        "sizing",
        "Running worker tasks (minimum when autoscaling).",
        check=_between(1, 100),
    ),
    Key(
        "maxTaskCount",
        "integer",
        "sizing",
        "Upper bound of CPU target-tracking autoscaling per service.",
        check=_between(1, 200),
    ),
    Key(
        "opensearchInstanceType",
        "string",
        "sizing",
        "OpenSearch data node type.",
        check=_one_of(catalogue.OPENSEARCH_INSTANCE_TYPES),
    ),
    Key(
        "opensearchInstanceCount",
        "integer",
        "sizing",
        "OpenSearch data nodes (a multiple of 3 when highly available: one per AZ over 3 AZs).",
        check=_between(1, 10),
    ),
    Key(
        "opensearchDedicatedMasterType",
        "string",
        "topology",
        "Instance type of 3 dedicated master nodes; empty: none, the data nodes are master-eligible "
        "(with highAvailability, 3 or a multiple of 3 over 3 AZs keep a quorum when one AZ is lost).",
        "",
        _one_of(("", *catalogue.OPENSEARCH_INSTANCE_TYPES)),
    ),
    # topology (issue 14): how the api is reached
    Key(
        "ingress",
        "string",
        "topology",
        "`alb`: an Application Load Balancer in the public subnets; `http-api`: an API Gateway HTTP API "
        "(HTTPS execute-api endpoint) with a VPC link to the api registered in Cloud Map, no load balancer.",
        "alb",
        _one_of(INGRESS),
    ),
    Key(
        "ingressChangeApproved",
        "boolean",
        "topology",
        "A protected environment (protectData) may use an ingress other than `alb` only with this set to "
        "true: switching ingress replaces the public endpoint (its DNS target and TLS termination).",
        False,
    ),
    Key(
        "apiThrottleBurstLimit",
        "integer",
        "sizing",
        "Requests the http-api ingress admits in a burst (API Gateway stage throttling; account quota 5000).",
        100,
        _between(1, 5000),
    ),
    Key(
        "apiThrottleRateLimit",
        "integer",
        "sizing",
        "Steady requests per second the http-api ingress admits (API Gateway stage throttling; account quota 10000).",
        50,
        _between(1, 10000),
    ),
    Key(
        "opensearchVolumeGb",
        "integer",
        "sizing",
        "gp3 storage per OpenSearch data node (GiB).",
        check=_between(*limits.OPENSEARCH_VOLUME_GB),
    ),
    # retention (issue 3)
    Key(
        "atlasBackup",
        "string",
        "retention",
        "`none` (M0 has no backups), `daily` snapshots, or `continuous` cloud backup with point-in-time recovery.",
        check=_one_of(limits.ATLAS_BACKUP_MODES),
    ),
    Key(
        "redisSnapshotRetentionDays",
        "integer",
        "retention",
        "Days of daily Redis snapshots kept (0: none).",
        check=_between(*limits.ELASTICACHE_SNAPSHOT_RETENTION_DAYS),
    ),
)

SCHEMA_BY_NAME: dict[str, Key] = {k.name: k for k in SCHEMA}


@dataclass(frozen=True)
class SecretKey:
    """A secret stack config key (`pulumi config set --secret`): the first value of an operator secret.

    Its value never enters `EnvConfig` (which is printable): the program reads it as a secret
    Output (`components.bootstrap.operator_secret_values`). The secret it seeds is written once and
    then belongs to whoever rotates it in Secrets Manager.
    """

    name: str
    secret: str
    """The `marin.catalogue` secret whose first value this is."""
    description: str

    @property
    def full_name(self) -> str:
        return f"{NAMESPACE}:{self.name}"


SECRET_KEYS: tuple[SecretKey, ...] = (
    SecretKey(
        "transcriptionApiKey",
        "transcription-api-key",
        "First value of <env>/audio-pipeline/transcription-api-key (secret: `pulumi config set --secret`); "
        "later rotations happen in Secrets Manager and are not reverted.",
    ),
)
SECRET_KEYS_BY_NAME: dict[str, SecretKey] = {k.name: k for k in SECRET_KEYS}

# Values the committed stack files carry as examples. The offline tools and tests run with them;
# a real `pulumi up` refuses them before any resource is registered (`deploy_problems`).
EXAMPLE_ACCOUNT_IDS = frozenset({"111111111111", "222222222222", "333333333333", "123456789012"})
EXAMPLE_ATLAS_ORG_IDS = frozenset({"64c0ffee00000000000000aa"})
# RFC 2606 / RFC 6761 names reserved for documentation and testing.
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org", "example", "test", "invalid", "localhost")
EXAMPLE_ZONE_MARK = "EXAMPLE"


def _is_example_domain(name: str) -> bool:
    """The host of an https:// URL (an `@` in its path is no user), an e-mail address or a domain."""
    host = name.removeprefix("https://").partition("/")[0] if name.startswith("https://") else name.rpartition("@")[2]
    host = host.partition(":")[0].lower()
    return any(host == d or host.endswith(f".{d}") for d in EXAMPLE_DOMAINS)


@dataclass(frozen=True)
class EnvConfig:
    """Everything the program reads from stack config, typed and validated."""

    env: str
    aws_region: str
    allowed_account_ids: tuple[str, ...]
    cost_center: str
    vpc_cidr: str
    recordings_bucket_suffix: str
    az_count: int
    nat_mode: str
    flow_logs: bool
    protect_data: bool
    recordings_versioning: bool
    log_retention_days: int
    secret_recovery_window_days: int
    recordings_transition_days: int
    recordings_expiration_days: int
    api_cpu: int
    api_memory: int
    worker_cpu: int
    worker_memory: int
    atlas_instance_size: str
    redis_node_type: str
    nat_instance_type: str
    atlas_org_id: str
    api_image: str
    worker_image: str
    certificate_arn: str
    alert_email: str
    domain_name: str
    hosted_zone_id: str
    alert_https_endpoint: str
    high_availability: bool
    monitoring: str
    fargate_spot: bool
    auto_stop: bool
    business_hours_start: int
    business_hours_end: int
    business_timezone: str
    api_desired_count: int
    worker_desired_count: int
    max_task_count: int
    opensearch_instance_type: str
    opensearch_instance_count: int
    opensearch_dedicated_master_type: str
    opensearch_volume_gb: int
    ingress: str
    ingress_change_approved: bool
    api_throttle_burst_limit: int
    api_throttle_rate_limit: int
    atlas_backup: str
    redis_snapshot_retention_days: int

    def task_cpu(self, service: str) -> int:
        return {"api": self.api_cpu, "worker": self.worker_cpu}[service]

    def task_memory(self, service: str) -> int:
        return {"api": self.api_memory, "worker": self.worker_memory}[service]

    def desired_count(self, service: str) -> int:
        return {"api": self.api_desired_count, "worker": self.worker_desired_count}[service]

    @property
    def tls(self) -> bool:
        """The api is served over HTTPS: a certificate is issued here or given, or the ingress is an
        HTTP API (its execute-api endpoint is HTTPS only)."""
        return bool(self.certificate_arn or self.domain_name) or self.ingress == "http-api"

    @property
    def load_balanced(self) -> bool:
        """The api is behind an Application Load Balancer (else an API Gateway HTTP API)."""
        return self.ingress == "alb"

    @property
    def alert_subscribers(self) -> dict[str, str]:
        """SNS protocol -> endpoint of everyone the alerts topic reaches."""
        pairs = {"email": self.alert_email, "https": self.alert_https_endpoint}
        return {protocol: endpoint for protocol, endpoint in pairs.items() if endpoint}

    @property
    def opensearch_zones(self) -> int:
        return limits.OPENSEARCH_QUORUM_ZONES if self.high_availability else 1

    @property
    def atlas_shared_tier(self) -> bool:
        return self.atlas_instance_size in catalogue.ATLAS_SHARED_TIERS

    @property
    def atlas_region(self) -> str:
        """Atlas spells AWS regions in upper case with underscores (us-east-1 -> US_EAST_1)."""
        return self.aws_region.upper().replace("-", "_")

    @property
    def default_tags(self) -> dict[str, str]:
        """Tags the AWS provider puts on every taggable resource of the stack."""
        return {
            "Project": PROJECT,
            "Environment": self.env,
            "ManagedBy": "pulumi",
            "Stack": f"{PROJECT}/{self.env}",
            "CostCenter": self.cost_center,
        }

    @cached_property
    def names(self) -> EnvironmentNames:
        return EnvironmentNames.plan(self.env, self.az_count, self.recordings_bucket_suffix, self.domain_name)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _convert(key: Key, raw: Any) -> Any:
    """Turn the string Pulumi hands over (or a YAML scalar) into the key's type, or raise ValueError."""
    if key.kind == "string":
        if not isinstance(raw, str):
            raise ValueError("expected a string")
        return raw
    if key.kind == "integer":
        if isinstance(raw, bool):
            raise ValueError("expected an integer")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
            return int(raw)
        raise ValueError("expected an integer")
    if key.kind == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise ValueError("expected true or false")
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return tuple(value)


def _cross_checks(v: dict[str, Any]) -> list[str]:
    problems = []
    for svc in ("api", "worker"):
        cpu, mem = v.get(f"{svc}Cpu"), v.get(f"{svc}Memory")
        allowed = limits.FARGATE_MEMORY_BY_CPU.get(cpu) if cpu is not None else None
        if allowed and mem is not None and mem not in allowed:
            problems.append(
                f"{NAMESPACE}:{svc}Cpu={cpu} with {NAMESPACE}:{svc}Memory={mem}: Fargate does not offer "
                f"this pair; memory for {cpu} CPU units must be one of {', '.join(map(str, allowed))}"
            )
    t, e = v.get("recordingsTransitionDays"), v.get("recordingsExpirationDays")
    if t and e and e <= t:
        problems.append(
            f"{NAMESPACE}:recordingsExpirationDays={e} must be greater than "
            f"{NAMESPACE}:recordingsTransitionDays={t} (or 0 to keep recordings)"
        )
    ns = NAMESPACE
    if v.get("atlasInstanceSize") in catalogue.ATLAS_SHARED_TIERS and v.get("atlasBackup", "none") != "none":
        problems.append(
            f"{ns}:atlasBackup={v['atlasBackup']!r} with {ns}:atlasInstanceSize="
            f"{v['atlasInstanceSize']}: the shared tier has no backups; allowed: none"
        )
    if v.get("highAvailability"):
        for key in ("apiDesiredCount", "workerDesiredCount"):
            if key in v and v[key] < 2:
                problems.append(f"{ns}:{key}={v[key]} with {ns}:highAvailability=true: allowed: 2 or more (one per AZ)")
        zones = limits.OPENSEARCH_QUORUM_ZONES
        if "azCount" in v and v["azCount"] < zones:
            problems.append(
                f"{ns}:azCount={v['azCount']} with {ns}:highAvailability=true: allowed: {zones} or more "
                f"(OpenSearch keeps a master quorum through the loss of one AZ only over {zones} AZs)"
            )
        count = v.get("opensearchInstanceCount")
        if count is not None and count % zones:
            problems.append(
                f"{ns}:opensearchInstanceCount={count} with {ns}:highAvailability=true: allowed: "
                f"{', '.join(str(zones * i) for i in range(1, 4))}... (a multiple of {zones}, one set per AZ)"
            )
        if v.get("fargateSpot"):
            problems.append(
                f"{ns}:fargateSpot=true with {ns}:highAvailability=true: Spot tasks can all be "
                "reclaimed at once; allowed: false"
            )
    for key in ("apiDesiredCount", "workerDesiredCount"):
        if key in v and "maxTaskCount" in v and v["maxTaskCount"] < v[key]:
            problems.append(f"{ns}:maxTaskCount={v['maxTaskCount']} is below {ns}:{key}={v[key]}")
    if (
        v.get("autoStop")
        and "businessHoursStart" in v
        and "businessHoursEnd" in v
        and v["businessHoursStart"] >= v["businessHoursEnd"]
    ):
        problems.append(
            f"{ns}:businessHoursStart={v['businessHoursStart']} must be before "
            f"{ns}:businessHoursEnd={v['businessHoursEnd']}"
        )
    if v.get("autoStop") and v.get("highAvailability"):
        problems.append(
            f"{ns}:autoStop=true with {ns}:highAvailability=true: an environment that stops "
            "every night is not highly available; allowed: false"
        )
    if v.get("opensearchInstanceType") == "t3.small.search" and v.get("opensearchVolumeGb", 0) > 100:
        problems.append(f"{ns}:opensearchVolumeGb={v['opensearchVolumeGb']}: t3.small.search allows 10 to 100")
    # A key whose own value was refused is not in `v`: checks that involve it wait for a good value.
    if {"domainName", "hostedZoneId"} <= v.keys() and bool(v["domainName"]) != bool(v["hostedZoneId"]):
        problems.append(
            f"{ns}:domainName={v['domainName']!r} with {ns}:hostedZoneId={v['hostedZoneId']!r}: "
            "set both (the certificate is validated and the api published in that zone) or neither"
        )
    subscribers = [k for k in ("alertEmail", "alertHttpsEndpoint") if v.get(k)]
    if subscribers and v.get("monitoring") == "basic":
        problems.append(
            f"{ns}:{subscribers[0]} with {ns}:monitoring='basic': basic monitoring has no alerts topic "
            "to subscribe to; allowed: monitoring 'full', or no subscriber"
        )
    ingress = v.get("ingress")
    if ingress not in (None, "alb") and v.get("certificateArn") and not v.get("domainName"):
        problems.append(
            f"{ns}:certificateArn with {ns}:ingress={ingress!r} and no {ns}:domainName: the HTTP API serves "
            f"HTTPS on its execute-api name; a certificate needs a custom domain; set {ns}:domainName, or "
            "leave certificateArn empty"
        )
    if v.get("protectData") and ingress not in (None, PROTECTED_INGRESS) and not v.get("ingressChangeApproved"):
        problems.append(
            f"{ns}:ingress={ingress!r} with {ns}:protectData=true: a protected environment keeps "
            f"{ns}:ingress={PROTECTED_INGRESS!r} unless {ns}:ingressChangeApproved=true says so explicitly "
            "(switching ingress replaces the public endpoint clients use)"
        )
    if v.get("protectData"):
        tls_keys = {"certificateArn", "domainName", "ingress"} <= v.keys()
        if tls_keys and not (v["certificateArn"] or v["domainName"] or ingress == "http-api"):
            problems.append(
                f"{ns}:protectData=true without TLS: a protected environment serves its api over HTTPS only; "
                f"set {ns}:domainName and {ns}:hostedZoneId (or {ns}:certificateArn)"
            )
        if v.get("monitoring") == "basic":
            problems.append(
                f"{ns}:monitoring='basic' with {ns}:protectData=true: a protected environment needs alarms; "
                "allowed: full"
            )
        if not subscribers:
            problems.append(
                f"{ns}:protectData=true without an alert subscriber: set {ns}:alertEmail or "
                f"{ns}:alertHttpsEndpoint, so the alarms reach someone"
            )
    if v.get("protectData") and v.get("secretRecoveryWindowDays") == 0:
        problems.append(
            f"{NAMESPACE}:secretRecoveryWindowDays=0 with {NAMESPACE}:protectData=true: a "
            "protected environment needs a recovery window; allowed: 7 to 30"
        )
    return problems


def parse(env: str, raw: Mapping[str, Any]) -> EnvConfig:
    """Parse one environment's raw config (keys `marin:<name>`); raise ConfigError on any problem."""
    problems: list[str] = []
    if not ENV_NAME.fullmatch(env):
        problems.append(
            f"environment name {env!r}: allowed: 2-10 lowercase letters and digits, "
            "starting with a letter (it is part of every physical name)"
        )
    for full in sorted(raw):
        ns, _, name = full.partition(":")
        if ns == NAMESPACE and name not in SCHEMA_BY_NAME and name not in SECRET_KEYS_BY_NAME:
            hint = difflib.get_close_matches(name, SCHEMA_BY_NAME, n=1)
            problems.append(f"{full} is not a known key" + (f"; did you mean {NAMESPACE}:{hint[0]}?" if hint else ""))
    values: dict[str, Any] = {}
    for key in SCHEMA:
        if key.full_name not in raw or raw[key.full_name] is None:
            if key.required:
                problems.append(f"{key.full_name} is missing (required): {key.description}")
            else:
                values[key.name] = key.default
            continue
        raw_value = raw[key.full_name]
        if PLACEHOLDER in str(raw_value):
            problems.append(
                f"{key.full_name}={raw_value!r} is still the template's placeholder; set it: {key.description}"
            )
            continue
        try:
            value = _convert(key, raw_value)
        except ValueError as exc:
            problems.append(f"{key.full_name}={raw_value!r}: {exc}")
            continue
        problem = key.check(value) if key.check else None
        if problem:
            problems.append(f"{key.full_name}={value!r}: {problem}")
        else:
            values[key.name] = value
    problems += _cross_checks(values)
    if problems:
        raise ConfigError(env, problems)
    config = EnvConfig(env=env, **{snake(k): v for k, v in values.items()})
    try:
        config.names  # noqa: B018 - every physical name must fit before anything is built
    except NamingError as exc:
        raise ConfigError(env, [str(exc)]) from None
    return config


def load_environment(stack: str, raw: Mapping[str, Any], environments: Mapping[str, Mapping[str, Any]]) -> EnvConfig:
    """Validate the selected stack against the set of configured environments.

    `environments` maps each configured environment (one `Pulumi.<env>.yaml` each) to its raw
    config; it is used to refuse an unknown stack and CIDRs that overlap another environment's.
    """
    if stack not in environments:
        known = ", ".join(environments) or "none"
        raise ConfigError(
            stack,
            [
                f"stack {stack!r} is not a configured environment; configured: {known}. "
                f"Add Pulumi.{stack}.yaml from templates/Pulumi.ENV.yaml (README: Adding an environment)"
            ],
        )
    config = parse(stack, raw)
    cidrs = {config.env: config.vpc_cidr}
    for other, other_raw in environments.items():
        value = other_raw.get(f"{NAMESPACE}:vpcCidr")
        if other != stack and isinstance(value, str) and _vpc_cidr(value) is None:
            cidrs[other] = value
    clashes = [pair for pair in cidr.overlapping(cidrs) if stack in pair]
    if clashes:
        raise ConfigError(
            stack,
            [
                f"{NAMESPACE}:vpcCidr={config.vpc_cidr!r} overlaps {other} ({cidrs[other]}); "
                "every environment needs its own range"
                for a, b in clashes
                for other in [b if a == stack else a]
            ],
        )
    return config


def deploy_problems(config: EnvConfig, raw: Mapping[str, Any]) -> list[str]:
    """What stops a real `pulumi up` that the offline tools accept: the committed example
    identities, and operator secrets without a first value. Each names the key to set."""
    ns, problems = NAMESPACE, []
    examples = sorted(set(config.allowed_account_ids) & EXAMPLE_ACCOUNT_IDS)
    if examples:
        problems.append(f"{ns}:allowedAccountIds={list(config.allowed_account_ids)}: {examples} are example ids")
    if config.atlas_org_id in EXAMPLE_ATLAS_ORG_IDS:
        problems.append(f"{ns}:atlasOrgId={config.atlas_org_id!r} is the example organization")
    for key, image in (("apiImage", config.api_image), ("workerImage", config.worker_image)):
        registry_account = image.partition(".")[0]
        if registry_account in EXAMPLE_ACCOUNT_IDS:
            problems.append(f"{ns}:{key}={image!r} is in the example account {registry_account}")
    for key, value in (
        ("domainName", config.domain_name),
        ("alertEmail", config.alert_email),
        ("alertHttpsEndpoint", config.alert_https_endpoint),
    ):
        if value and _is_example_domain(value):
            problems.append(f"{ns}:{key}={value!r} is a reserved example name (RFC 2606)")
    if EXAMPLE_ZONE_MARK in config.hosted_zone_id:
        problems.append(f"{ns}:hostedZoneId={config.hosted_zone_id!r} is the example zone")
    problems = [f"{p}; replace it before deploying" for p in problems]
    for key in SECRET_KEYS:
        if not raw.get(key.full_name):
            problems.append(
                f"{key.full_name} is not set (the first value of {key.secret}, injected into the tasks): "
                f"`pulumi config set --secret {key.full_name} <value> --stack <stack>`"
            )
    return problems


def schema_field_names() -> set[str]:
    return {f.name for f in fields(EnvConfig)} - {"env"}
