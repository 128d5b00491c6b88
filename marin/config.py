"""One validated environment config, read once, before any resource is created.

Every stack config key is declared once, below, as a field of its tier's section (`NetworkConfig`,
`ComputeConfig`, ...): its type (enumerations as `Literal`), default, bounds, description and
category. Stack files keep flat keys (`marin:apiCpu`): a field's key is its name in camelCase.
`Pulumi.yaml`'s `config:` declarations, the configuration table of docs/environments.md and the
staging/prod parity categories are generated from these declarations (`marin.declarations`).

`parse` turns the raw strings Pulumi hands the program into a frozen `EnvConfig`, or raises
`ConfigError` listing every problem, one line each, with the key, the value and what is allowed.

Categories decide what staging may differ from prod in (story risk 3):
- identity: what makes an environment itself (account, CIDR, cost tag);
- sizing: capacity; the only settings staging and prod may differ in besides identity/retention;
- retention: how long data is kept (the story sets 7/14/30 days of logs);
- topology: which resources exist and how they are protected; staging must equal prod.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import json
import re
import typing
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from marin import catalogue, cidr, limits
from marin.naming import PROJECT, EnvironmentNames, NamingError
from marin.stackfiles import plaintext_secret

NAMESPACE = PROJECT
ENV_NAME = re.compile(r"^[a-z][a-z0-9]{1,9}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
PLACEHOLDER = "REPLACE_WITH"  # marks a value templates/Pulumi.ENV.yaml leaves for the operator
PROTECTED_INGRESS = "alb"

Category = Literal["identity", "sizing", "retention", "topology"]
NatMode = Literal["instance", "single-gateway", "gateway-per-az"]
# How the api is reached from the internet: an Application Load Balancer, or an API Gateway HTTP
# API with a VPC link to the api registered in Cloud Map (no load balancer; AWS's documented
# pattern for private ECS services behind HTTP APIs).
IngressMode = Literal["alb", "http-api"]
MonitoringLevel = Literal["basic", "full"]
AtlasBackup = Literal["none", "daily", "continuous"]


class ConfigError(ValueError):
    """Stack config the program refuses; the message lists every problem found."""

    def __init__(self, stack: str, problems: list[str]):
        self.stack = stack
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"stack {stack!r}: config refused, nothing was deployed:\n{lines}")


# --- how the engine's strings become values (Pulumi passes every value as a string) ------------


def _string(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("expected a string")
    return raw


def _integer(raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
        return int(raw)
    raise ValueError("expected an integer")


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ValueError("expected true or false")


def _list(raw: Any) -> tuple[Any, ...]:
    if isinstance(raw, str):
        with contextlib.suppress(ValueError):  # not JSON: refused below, as any other non-list
            raw = json.loads(raw)
    if not isinstance(raw, (list, tuple)):
        raise ValueError("expected a list")
    return tuple(raw)


def _one_of(*allowed: Any) -> AfterValidator:
    def check(value: Any) -> Any:
        if value not in allowed:
            raise ValueError("allowed: " + ", ".join(str(a) for a in allowed))
        return value

    return AfterValidator(check)


def _matches(pattern: str, allowed: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"allowed: {allowed}")
        return value

    return AfterValidator(check)


def _vpc_cidr(value: str) -> str:
    try:
        cidr.parse_vpc_cidr(value)
    except cidr.CidrError as exc:
        raise ValueError(str(exc)) from None
    return value


def _account_ids(value: tuple[Any, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("allowed: a non-empty list of 12-digit AWS account ids")
    bad = [v for v in value if not (isinstance(v, str) and ACCOUNT_ID.fullmatch(v))]
    if bad:
        raise ValueError(f"allowed: 12-digit AWS account ids as strings; not {bad}")
    return value


def _zone_ids(value: tuple[Any, ...]) -> tuple[str, ...]:
    bad = [v for v in value if not (isinstance(v, str) and re.fullmatch(r"[a-z]{2,5}\d-az\d{1,2}", v))]
    if bad or len(set(value)) != len(value):
        raise ValueError(f"allowed: distinct availability zone ids such as use1-az1; not {bad or list(value)}")
    return value


def _transition_days(value: int) -> int:
    if not (value == 0 or 30 <= value <= 36500):
        raise ValueError("allowed: 0, or 30 to 36500")
    return value


Str = Annotated[str, BeforeValidator(_string)]
Int = Annotated[int, BeforeValidator(_integer)]
Bool = Annotated[bool, BeforeValidator(_boolean)]
Pinned = Annotated[
    Str,
    _matches(
        r"[a-z0-9][a-z0-9._/-]*(:[0-9]+)?/?[a-z0-9._/-]*(:(?!latest$)\w[\w.-]{0,127}|@sha256:[0-9a-f]{64})",
        "an image reference with a version tag (not latest) or @sha256 digest",
    ),
]
FargateCpu = Annotated[Int, _one_of(*limits.FARGATE_MEMORY_BY_CPU)]
FargateMemory = Annotated[Int, _one_of(*sorted({m for ms in limits.FARGATE_MEMORY_BY_CPU.values() for m in ms}))]
TaskCount = Annotated[Int, Field(ge=1, le=100)]

REQUIRED: Any = ...


def key(category: Category, description: str, default: Any = REQUIRED, changing: str = "in place", **field: Any) -> Any:
    """One config key: its category and description (with the type, bounds and default of the field).

    `changing`: what changing its value on a deployed stack does, as `python -m offline keys` finds
    it through the diff model over every committed stack (`in place`, `replaces X`, `... with
    downtime or data loss`, `refused where protected`); CI fails when the two differ."""
    return Field(
        default, description=description, json_schema_extra={"category": category, "changing": changing}, **field
    )


class Section(BaseModel):
    """A tier's keys; stack files name each `marin:<fieldNameInCamelCase>`."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, validate_by_name=True)


# --- the declarations: one per key, grouped by the tier that reads it ----------------------------


class StackConfig(Section):
    """What every tier of the environment shares: where it runs and how it is protected."""

    aws_region: Annotated[Str, _matches(r"[a-z]{2}-[a-z]+-\d", "an AWS region name such as us-east-1")] = key(
        "identity",
        "AWS region of every resource of the stack. A deployed stack moves by `pulumi destroy`, then `up` "
        "(docs/environments.md, 'Moving an environment to another region').",
        "us-east-1",
        changing="replaces ec2.Subnet and 9 other types with downtime or data loss",
    )
    allowed_account_ids: Annotated[tuple[str, ...], BeforeValidator(_account_ids), BeforeValidator(_list)] = key(
        "identity", "AWS account ids this stack may deploy to; the provider refuses any other credentials."
    )
    cost_center: Annotated[Str, _matches(r"[\w .:/=+@-]{1,256}", "1-256 letters, digits, spaces and _.:/=+-@")] = key(
        "identity", "Value of the CostCenter cost-allocation tag."
    )
    protect_data: Bool = key(
        "topology",
        "Protect data stores (bucket, secrets, databases) from deletion; off only in disposable environments.",
    )
    high_availability: Bool = key(
        "topology",
        "Spread every tier over AZs: Redis replica with automatic failover, OpenSearch over 3 AZs, >= 2 tasks.",
    )


class NetworkConfig(Section):
    vpc_cidr: Annotated[Str, AfterValidator(_vpc_cidr)] = key(
        "identity",
        "The environment's VPC CIDR: RFC 1918, /16 to /20, overlapping no other environment.",
        changing="replaces ec2.Subnet, ec2.Vpc, servicediscovery.PrivateDnsNamespace and 15 other types "
        "with downtime or data loss",
    )
    az_count: Annotated[Int, Field(ge=2, le=cidr.MAX_AZS)] = key(
        "topology",
        "Availability zones the VPC spans (public + private subnet each).",
        changing="replaces apigatewayv2.VpcLink",
    )
    availability_zone_ids: Annotated[tuple[str, ...], BeforeValidator(_zone_ids), BeforeValidator(_list)] = key(
        "identity",
        "Zone ids (use1-az1, ...) of the subnets, used as given: azCount of them, each where every service "
        "of the stack is offered. Empty: the lowest such ids. A stack deployed before zones were chosen by "
        "id pins the zones its subnets are in (docs/environments.md, 'Availability zones').",
        (),
    )
    nat_mode: Annotated[NatMode, BeforeValidator(_string)] = key(
        "topology",
        "Egress for private subnets: `instance` (one small NAT instance, cheapest static egress), "
        "`single-gateway`, or `gateway-per-az` (highly available).",
        changing="deletes ec2.Eip",
    )
    nat_instance_type: Annotated[Str, _one_of(*catalogue.NAT_INSTANCE_TYPES)] = key(
        "sizing", "EC2 type of the NAT instance when natMode is `instance`.", "t4g.nano"
    )
    flow_logs: Bool = key("topology", "Send VPC flow logs to CloudWatch Logs.", changing="deletes cloudwatch.LogGroup")


class StorageConfig(Section):
    recordings_bucket_suffix: Annotated[
        Str, _matches(r"([a-z0-9]{1,12})?", "empty, or 1-12 lowercase letters and digits")
    ] = key(
        "identity",
        "Suffix appended to the recordings bucket name when `marin-<env>-call-recordings` is taken "
        "in another AWS account (S3 names are global). Empty keeps the story's name.",
        "",
        changing="replaces s3.Bucket and 8 other types with downtime or data loss; refused where protected",
    )
    recordings_versioning: Bool = key("topology", "Keep object versions in the recordings bucket.")
    recordings_transition_days: Annotated[Int, AfterValidator(_transition_days)] = key(
        "retention", "Days before recordings move to S3 Standard-IA; 0 never moves them (minimum 30 otherwise)."
    )
    recordings_expiration_days: Annotated[Int, Field(ge=0, le=36500)] = key(
        "retention", "Days before recordings are deleted; 0 keeps them."
    )


class LoggingConfig(Section):
    log_retention_days: Annotated[Int, _one_of(*limits.LOG_RETENTION_DAYS)] = key(
        "retention",
        "Days the service and flow logs are kept (CloudWatch), and the load balancer's and the recordings "
        "bucket's access logs (S3). With protectData the access-log bucket is versioned: an access log "
        "expired or deleted stays restorable as many days again, so it is kept up to twice this.",
    )


class SecretsConfig(Section):
    secret_recovery_window_days: Annotated[Int, _one_of(*limits.SECRET_RECOVERY_WINDOW_DAYS)] = key(
        "retention", "Days a deleted secret can be restored; 0 deletes at once so the name can be reused."
    )


class DatabaseConfig(Section):
    atlas_org_id: Annotated[Str, _matches(r"[0-9a-f]{24}", "24 lowercase hex digits")] = key(
        "identity",
        "MongoDB Atlas organization id (24 hex digits) that owns the project.",
        changing="replaces mongodbatlas.AdvancedCluster, mongodbatlas.Project and 6 other types with downtime "
        "or data loss; refused where protected",
    )
    atlas_instance_size: Annotated[Str, _one_of(*catalogue.ATLAS_TIERS)] = key(
        "sizing",
        "MongoDB Atlas cluster tier (M0 is the shared free tier).",
        changing="replaces ecs.TaskDefinition, secretsmanager.SecretVersion",
    )
    atlas_backup: Annotated[AtlasBackup, BeforeValidator(_string)] = key(
        "retention",
        "`none` (M0 has no backups), `daily` snapshots, or `continuous` cloud backup with point-in-time recovery.",
    )

    @property
    def shared_tier(self) -> bool:
        return self.atlas_instance_size in catalogue.ATLAS_SHARED_TIERS


class CacheConfig(Section):
    redis_node_type: Annotated[Str, _one_of(*catalogue.REDIS_NODE_TYPES)] = key("sizing", "ElastiCache node type.")
    redis_snapshot_retention_days: Annotated[Int, Field(ge=0, le=limits.ELASTICACHE_SNAPSHOT_RETENTION_DAYS[1])] = key(
        "retention", "Days of daily Redis snapshots kept (0: none)."
    )


class SearchConfig(Section):
    opensearch_instance_type: Annotated[Str, _one_of(*catalogue.OPENSEARCH_INSTANCE_TYPES)] = key(
        "sizing", "OpenSearch data node type."
    )
    opensearch_instance_count: Annotated[Int, Field(ge=1, le=10)] = key(
        "sizing", "OpenSearch data nodes (a multiple of 3 when highly available: one per AZ over 3 AZs)."
    )
    opensearch_dedicated_master_type: Annotated[Str, _one_of("", *catalogue.OPENSEARCH_INSTANCE_TYPES)] = key(
        "topology",
        "Instance type of 3 dedicated master nodes; empty: none, the data nodes are master-eligible "
        "(with highAvailability, 3 or a multiple of 3 over 3 AZs keep a quorum when one AZ is lost).",
        "",
    )
    opensearch_volume_gb: Annotated[
        Int, Field(ge=limits.OPENSEARCH_VOLUME_GB[0], le=limits.OPENSEARCH_VOLUME_GB[1])
    ] = key("sizing", "gp3 storage per OpenSearch data node (GiB).")


class ComputeConfig(Section):
    api_image: Pinned = key(
        "identity",
        "Container image of the api, pinned to a tag or digest (never latest).",
        changing="replaces ecs.TaskDefinition",
    )
    worker_image: Pinned = key(
        "identity", "Container image of the worker, pinned to a tag or digest.", changing="replaces ecs.TaskDefinition"
    )
    api_cpu: FargateCpu = key("sizing", "Fargate CPU units of the api task.", changing="replaces ecs.TaskDefinition")
    api_memory: FargateMemory = key(
        "sizing", "Fargate memory (MiB) of the api task.", changing="replaces ecs.TaskDefinition"
    )
    worker_cpu: FargateCpu = key(
        "sizing", "Fargate CPU units of the worker task.", changing="replaces ecs.TaskDefinition"
    )
    worker_memory: FargateMemory = key(
        "sizing", "Fargate memory (MiB) of the worker task.", changing="replaces ecs.TaskDefinition"
    )
    api_desired_count: TaskCount = key("sizing", "Running api tasks (minimum when autoscaling).")
    worker_desired_count: TaskCount = key("sizing", "Running worker tasks (minimum when autoscaling).")
    max_task_count: Annotated[Int, Field(ge=1, le=200)] = key(
        "sizing", "Upper bound of CPU target-tracking autoscaling per service."
    )
    fargate_spot: Bool = key("topology", "Run tasks on Fargate Spot (x86 only; interruptible, ~70% cheaper).")
    auto_stop: Bool = key("topology", "Scale services to zero outside business hours (scheduled scaling).")
    business_hours_start: Annotated[Int, Field(ge=0, le=23)] = key(
        "sizing", "Hour (0-23, local) the services start when autoStop is on.", 8
    )
    business_hours_end: Annotated[Int, Field(ge=1, le=23)] = key(
        "sizing", "Hour (1-23, local) the services stop when autoStop is on.", 19
    )
    business_timezone: Annotated[
        Str, _matches(r"(UTC|[A-Za-z]+(/[A-Za-z0-9_+-]+){1,2})", "an IANA timezone such as America/New_York, or UTC")
    ] = key("sizing", "IANA timezone of businessHoursStart/End.", "America/New_York")

    def image(self, service: str) -> str:
        return {"api": self.api_image, "worker": self.worker_image}[service]

    def cpu(self, service: str) -> int:
        return {"api": self.api_cpu, "worker": self.worker_cpu}[service]

    def memory(self, service: str) -> int:
        return {"api": self.api_memory, "worker": self.worker_memory}[service]

    def desired_count(self, service: str) -> int:
        return {"api": self.api_desired_count, "worker": self.worker_desired_count}[service]


class IngressConfig(Section):
    ingress_change_approved: Bool = key(
        "topology",
        "A protected environment (protectData) may use an ingress other than `alb` only with this set to "
        "true: switching ingress replaces the public endpoint (its DNS target and TLS termination).",
        False,
    )
    certificate_arn: Annotated[
        Str, _matches(r"(arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36})?", "empty, or an ACM certificate ARN")
    ] = key(
        "identity",
        "An existing ACM certificate for the api's HTTPS listener; empty: the program issues one for "
        "api.<env>.<domainName> (or, with no domain, serves plain HTTP on port 80).",
        "",
    )
    domain_name: Annotated[
        Str,
        _matches(
            r"(([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9])?",
            "empty, or a lowercase DNS name such as marin.example.com",
        ),
    ] = key(
        "identity",
        "DNS domain the api is published under, as api.<env>.<domainName>, with a DNS-validated ACM "
        "certificate; needs hostedZoneId. Empty: no DNS name (HTTPS only with certificateArn).",
        "",
        changing="replaces route53.Record and 4 other types with downtime or data loss",
    )
    hosted_zone_id: Annotated[
        Str, _matches(r"(Z[A-Z0-9]{1,31})?", "empty, or a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ")
    ] = key(
        "identity",
        "Route 53 public hosted zone, in the stack's account, for domainName or <env>.<domainName>.",
        "",
        changing="replaces route53.Record and 1 other type with downtime or data loss",
    )
    api_throttle_burst_limit: Annotated[Int, Field(ge=1, le=5000)] = key(
        "sizing",
        "Requests the http-api ingress admits in a burst (API Gateway stage throttling; account quota 5000).",
        100,
    )
    api_throttle_rate_limit: Annotated[Int, Field(ge=1, le=10000)] = key(
        "sizing",
        "Steady requests per second the http-api ingress admits (API Gateway stage throttling; account quota 10000).",
        50,
    )

    mode: Annotated[IngressMode, BeforeValidator(_string)] = key(
        "topology",
        "`alb`: an Application Load Balancer in the public subnets; `http-api`: an API Gateway HTTP API "
        "(HTTPS execute-api endpoint) with a VPC link to the api registered in Cloud Map, no load balancer.",
        "alb",
        alias="ingress",
    )

    @property
    def tls(self) -> bool:
        """The api is served over HTTPS: a certificate is issued here or given, or the ingress is an
        HTTP API (its execute-api endpoint is HTTPS only)."""
        return bool(self.certificate_arn or self.domain_name) or self.mode == "http-api"

    @property
    def load_balanced(self) -> bool:
        """The api is behind an Application Load Balancer (else an API Gateway HTTP API)."""
        return self.mode == "alb"


class MonitoringConfig(Section):
    level: Annotated[MonitoringLevel, BeforeValidator(_string)] = key(
        "topology",
        "`basic`: AWS default metrics only; `full`: Container Insights, alarms and an SNS alerts topic.",
        alias="monitoring",
    )
    alert_email: Annotated[Str, _matches(r"([^@\s]+@[^@\s]+\.[a-z]{2,})?", "empty, or an email address")] = key(
        "identity",
        "Address subscribed to the alerts topic (full monitoring); empty: none.",
        "",
        changing="replaces sns.TopicSubscription",
    )
    alert_https_endpoint: Annotated[
        Str, _matches(r"(https://[A-Za-z0-9.-]+(:\d{1,5})?(/\S*)?)?", "empty, or an https:// URL")
    ] = key("identity", "HTTPS endpoint (chat or incident webhook) subscribed to the alerts topic; empty: none.", "")

    @property
    def full(self) -> bool:
        return self.level == "full"

    @property
    def subscribers(self) -> dict[str, str]:
        """SNS protocol -> endpoint of everyone the alerts topic reaches."""
        pairs = {"email": self.alert_email, "https": self.alert_https_endpoint}
        return {protocol: endpoint for protocol, endpoint in pairs.items() if endpoint}


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


@dataclass(frozen=True)
class EnvConfig:
    """Everything the program reads from stack config, typed and validated, one section per tier."""

    env: str
    stack: StackConfig
    network: NetworkConfig
    storage: StorageConfig
    logging: LoggingConfig
    secrets: SecretsConfig
    database: DatabaseConfig
    cache: CacheConfig
    search: SearchConfig
    compute: ComputeConfig
    ingress: IngressConfig
    monitoring: MonitoringConfig

    @property
    def default_tags(self) -> dict[str, str]:
        """Tags the AWS provider puts on every taggable resource of the stack."""
        return {
            "Project": PROJECT,
            "Environment": self.env,
            "ManagedBy": "pulumi",
            "Stack": f"{PROJECT}/{self.env}",
            "CostCenter": self.stack.cost_center,
        }

    @cached_property
    def names(self) -> EnvironmentNames:
        return EnvironmentNames.plan(
            self.env,
            self.network.az_count,
            self.storage.recordings_bucket_suffix,
            self.ingress.domain_name,
            self.stack.allowed_account_ids,
        )


SECTIONS: dict[str, type[Section]] = {
    name: hint
    for name, hint in typing.get_type_hints(EnvConfig).items()
    if isinstance(hint, type) and issubclass(hint, Section)
}
Kind = Literal["string", "integer", "boolean", "array"]


@dataclass(frozen=True)
class Key:
    """A declared key as the stack file, Pulumi.yaml and the docs see it (derived from its field)."""

    name: str
    section: str
    field: str
    info: FieldInfo

    @property
    def full_name(self) -> str:
        return f"{NAMESPACE}:{self.name}"

    @property
    def required(self) -> bool:
        return self.info.is_required()

    @property
    def default(self) -> Any:
        return self.info.default

    @property
    def description(self) -> str:
        return self.info.description or ""

    @property
    def category(self) -> Category:
        extra = self.info.json_schema_extra
        assert isinstance(extra, dict)
        return typing.cast(Category, extra["category"])

    @property
    def changing(self) -> str:
        extra = self.info.json_schema_extra
        assert isinstance(extra, dict)
        return str(extra["changing"])

    @property
    def kind(self) -> Kind:
        base = self.info.annotation
        if base is bool:
            return "boolean"
        if base is int:
            return "integer"
        return "array" if typing.get_origin(base) is tuple else "string"

    @property
    def choices(self) -> tuple[Any, ...]:
        """The values an enumeration allows (empty for other keys)."""
        return typing.get_args(self.info.annotation) if typing.get_origin(self.info.annotation) is Literal else ()

    @property
    def bounds(self) -> tuple[int | None, int | None]:
        lo = next((m.ge for m in self.info.metadata if isinstance(m, annotated_types.Ge)), None)
        hi = next((m.le for m in self.info.metadata if isinstance(m, annotated_types.Le)), None)
        return typing.cast(int | None, lo), typing.cast(int | None, hi)

    @functools.cached_property
    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(typing.cast(Any, self.info.rebuild_annotation()))

    def validate(self, raw: Any) -> tuple[Any, str | None]:
        """(value, None), or (None, the problem in one line naming the key, the value and what is allowed)."""
        try:
            return self.adapter.validate_python(raw), None
        except ValidationError as exc:
            error = exc.errors()[0]
        if error["type"] == "value_error":
            allowed = str(error.get("ctx", {}).get("error"))
        elif error["type"] == "literal_error":
            allowed = "allowed: " + ", ".join(self.choices)
        else:  # greater_than_equal, less_than_equal: the only other constraints declared
            allowed = "allowed: {} to {}".format(*self.bounds)
        shown = raw
        if not allowed.startswith("expected"):  # refused after conversion: show the converted value
            # pydantic runs the last before-validator first: `_list` before a list's own check
            convert = [m.func for m in self.info.metadata if isinstance(m, BeforeValidator)][-1]
            shown = typing.cast(Callable[[Any], Any], convert)(raw)
        return None, f"{self.full_name}={shown!r}: {allowed}"


def _keys() -> Iterator[Key]:
    for section, model in SECTIONS.items():
        for field, info in model.model_fields.items():
            yield Key(info.alias or field, section, field, info)  # the alias: Section's alias_generator


SCHEMA: tuple[Key, ...] = tuple(_keys())
SCHEMA_BY_NAME: dict[str, Key] = {k.name: k for k in SCHEMA}


def parse(env: str, raw: Mapping[str, Any], secret_keys: Collection[str] | None = None) -> EnvConfig:
    """Parse one environment's raw config (keys `marin:<name>`); raise ConfigError on any problem.

    `secret_keys`: the keys the engine passed as secrets (the CLI marks each value it decrypted);
    a secret key's value outside them was given in plaintext."""
    problems: list[str] = []
    if not ENV_NAME.fullmatch(env):
        problems.append(
            f"environment name {env!r}: allowed: 2-10 lowercase letters and digits, "
            "starting with a letter (it is part of every physical name)"
        )
    for full in sorted(raw):
        ns, _, name = full.partition(":")
        if ns == NAMESPACE and name not in SCHEMA_BY_NAME and name not in SECRET_KEYS_BY_NAME:
            hint = difflib.get_close_matches(name, SCHEMA_BY_NAME)
            problems.append(f"{full} is not a known key" + (f"; did you mean {NAMESPACE}:{hint[0]}?" if hint else ""))
    for secret in SECRET_KEYS:
        if secret_keys is not None and secret.full_name in raw and secret.full_name not in secret_keys:
            problems.append(plaintext_secret(secret.full_name))
    values: dict[str, Any] = {}
    for key in SCHEMA:
        raw_value = raw.get(key.full_name)
        if raw_value is None:
            if key.required:
                problems.append(f"{key.full_name} is missing (required): {key.description}")
            else:
                values[key.name] = key.default
        elif PLACEHOLDER in str(raw_value):
            problems.append(
                f"{key.full_name}={raw_value!r} is still the template's placeholder; set it: {key.description}"
            )
        else:
            value, problem = key.validate(raw_value)
            if problem:
                problems.append(problem)
            else:
                values[key.name] = value
    problems += _cross_checks(values)
    if problems:
        raise ConfigError(env, problems)
    sections = {
        name: model.model_construct(**{k.field: values[k.name] for k in SCHEMA if k.section == name})
        for name, model in SECTIONS.items()
    }
    config = EnvConfig(env=env, **sections)  # type: ignore[arg-type]
    try:
        config.names  # noqa: B018 - every physical name must fit before anything is built
    except NamingError as exc:
        raise ConfigError(env, [str(exc)]) from None
    return config


def environment_problems(environments: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What no single environment can see: VPC ranges that overlap another environment's.

    Run by the offline commands and CI over every stack file; the program itself reads only its
    own stack's config, so one environment's broken file never stops another's `up`."""
    cidrs = {}
    for env, raw in environments.items():
        value = raw.get(f"{NAMESPACE}:vpcCidr")
        if isinstance(value, str) and SCHEMA_BY_NAME["vpcCidr"].validate(value)[1] is None:
            cidrs[env] = value
    return [
        f"{a}: {NAMESPACE}:vpcCidr={cidrs[a]!r} overlaps {b} ({cidrs[b]}); every environment needs its own range"
        for a, b in cidr.overlapping(cidrs)
    ]


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
    region, ingress_mode = v.get("awsRegion"), v.get("ingress")
    usable = catalogue.usable_zones(region, ingress_mode != "http-api") if region and ingress_mode else frozenset()
    if usable is None:
        services = "ECS on Fargate" + ("" if ingress_mode != "http-api" else " and HTTP API VPC links")
        problems.append(
            f"{NAMESPACE}:awsRegion={region!r}: no list of the zones where {services} are offered there "
            f"(marin/catalogue.py FARGATE_ZONES, VPC_LINK_ZONES); allowed: "
            + ", ".join(sorted(set(catalogue.FARGATE_ZONES) & set(catalogue.VPC_LINK_ZONES)))
        )
    if usable and ingress_mode == "alb" and region not in catalogue.ELB_LOG_DELIVERY:
        problems.append(
            f"{NAMESPACE}:awsRegion={region!r} with {NAMESPACE}:ingress='alb': no Elastic Load Balancing "
            "log delivery principal for the load balancer's access logs there (marin/catalogue.py "
            "ELB_LOG_DELIVERY); allowed: "
            + ", ".join(sorted(set(catalogue.FARGATE_ZONES) & set(catalogue.ELB_LOG_DELIVERY)))
        )
    zones, count = v.get("availabilityZoneIds"), v.get("azCount")
    wrong = [z for z in zones or () if usable and z not in usable]
    if wrong:
        problems.append(
            f"{NAMESPACE}:availabilityZoneIds={list(zones or ())}: {', '.join(wrong)} not offered by every service "
            f"of the stack in {region}; allowed: {', '.join(sorted(usable or ()))}"
        )
    if zones and count is not None and len(zones) != count:
        problems.append(
            f"{NAMESPACE}:availabilityZoneIds={list(zones)} with {NAMESPACE}:azCount={count}: allowed: exactly "
            f"{count} zone ids (one per AZ), or none"
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
    search_type, gb = v.get("opensearchInstanceType"), v.get("opensearchVolumeGb", 0)
    if search_type and gb > catalogue.OPENSEARCH_MAX_VOLUME_GB[search_type]:
        lo, hi = limits.OPENSEARCH_VOLUME_GB[0], catalogue.OPENSEARCH_MAX_VOLUME_GB[search_type]
        problems.append(f"{ns}:opensearchVolumeGb={gb}: {search_type} allows {lo} to {hi}")
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


def deploy_problems(config: EnvConfig, raw: Mapping[str, Any]) -> list[str]:
    """What stops a real `pulumi up` that the offline tools accept: the committed example
    identities, and operator secrets without a first value. Each names the key to set."""
    ns, problems = NAMESPACE, []
    accounts = config.stack.allowed_account_ids
    examples = sorted(set(accounts) & EXAMPLE_ACCOUNT_IDS)
    if examples:
        problems.append(f"{ns}:allowedAccountIds={list(accounts)}: {examples} are example ids")
    if config.database.atlas_org_id in EXAMPLE_ATLAS_ORG_IDS:
        problems.append(f"{ns}:atlasOrgId={config.database.atlas_org_id!r} is the example organization")
    for key, image in (("apiImage", config.compute.api_image), ("workerImage", config.compute.worker_image)):
        registry_account = image.partition(".")[0]
        if registry_account in EXAMPLE_ACCOUNT_IDS:
            problems.append(f"{ns}:{key}={image!r} is in the example account {registry_account}")
    for key, value in (
        ("domainName", config.ingress.domain_name),
        ("alertEmail", config.monitoring.alert_email),
        ("alertHttpsEndpoint", config.monitoring.alert_https_endpoint),
    ):
        if value and _is_example_domain(value):
            problems.append(f"{ns}:{key}={value!r} is a reserved example name (RFC 2606)")
    if EXAMPLE_ZONE_MARK in config.ingress.hosted_zone_id:
        problems.append(f"{ns}:hostedZoneId={config.ingress.hosted_zone_id!r} is the example zone")
    problems = [f"{p}; replace it before deploying" for p in problems]
    for key in SECRET_KEYS:
        if not raw.get(key.full_name):
            problems.append(
                f"{key.full_name} is not set (the first value of {key.secret}, injected into the tasks): "
                f"`pulumi config set --secret {key.full_name} <value> --stack <stack>`"
            )
    return problems
