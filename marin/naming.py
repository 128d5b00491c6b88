"""Physical names for every resource, `{project}-{env}-{resource}`, checked against AWS limits.

`EnvironmentNames.plan(...)` computes every physical name the program uses, eagerly, so a name
that would not fit is refused before any resource is registered. Names are never truncated or
rewritten: a name that breaks a rule raises `NamingError` naming the service, the name and the rule.
Logical (URN) names are not made here: they stay free of the environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from marin.catalogue import SECRETS
from marin.limits import NAME_RULES

PROJECT = "marin"
SECRETS_APP = "audio-pipeline"
SERVICES: tuple[str, ...] = ("api", "worker")
# Where each writer's logs go in the environment's access-log bucket (its policy grants each writer
# exactly its own prefix). ELB adds `/AWSLogs/<account>/...` after its prefix, which must not
# contain `AWSLogs`; S3 server access logs are named `<prefix><date>-<unique string>`.
ALB_ACCESS_LOG_PREFIX = "alb"
RECORDINGS_ACCESS_LOG_PREFIX = "s3/call-recordings/"


class NamingError(ValueError):
    """A physical name that the AWS service would reject."""


def check_name(service: str, name: str) -> str:
    """Return `name` unchanged if `service` accepts it, else raise NamingError saying why."""
    rule = NAME_RULES[service]
    problems = []
    if not rule.min_len <= len(name) <= rule.max_len:
        problems.append(f"is {len(name)} characters; {rule.service} allows {rule.min_len}-{rule.max_len}")
    if not rule.pattern.fullmatch(name):
        problems.append(f"must contain only {rule.allowed}")
    if rule.no_double_hyphen and "--" in name:
        problems.append("must not contain '--'")
    if rule.no_edge_hyphen and (name.startswith("-") or name.endswith("-")):
        problems.append("must not start or end with a hyphen")
    if problems:
        raise NamingError(
            f"{rule.service} name {name!r} "
            + "; ".join(problems)
            + " (names are never truncated: shorten the environment or resource name)"
        )
    return name


@dataclass(frozen=True)
class Namer:
    """Builds physical names for one environment. Every method validates what it returns."""

    env: str
    project: str = PROJECT

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.env}"

    def name(self, resource: str, service: str = "tag-name") -> str:
        return check_name(service, f"{self.prefix}-{resource}")

    def bucket(self, resource: str, suffix: str = "") -> str:
        base = f"{self.prefix}-{resource}"
        return check_name("s3-bucket", f"{base}-{suffix}" if suffix else base)

    def log_group(self, service: str) -> str:
        return check_name("log-group", f"/ecs/{self.env}/{service}")

    def vpc_log_group(self, resource: str) -> str:
        return check_name("log-group", f"/vpc/{self.env}/{resource}")

    @property
    def secret_prefix(self) -> str:
        """The environment's Secrets Manager path; IAM grants are scoped to it."""
        return f"{self.env}/{SECRETS_APP}/"

    def secret(self, name: str) -> str:
        return check_name("secret", f"{self.secret_prefix}{name}")


@dataclass(frozen=True)
class EnvironmentNames:
    """Every physical name of one environment, computed and validated up front."""

    env: str
    prefix: str
    vpc: str
    internet_gateway: str
    public_subnets: tuple[str, ...]
    private_subnets: tuple[str, ...]
    public_route_table: str
    private_route_tables: tuple[str, ...]
    nat: tuple[str, ...]
    nat_instance: str
    s3_endpoint: str
    flow_log: str
    flow_log_group: str
    flow_log_role: str
    sg_alb: str
    sg_services: str
    sg_redis: str
    sg_opensearch: str
    sg_endpoints: str
    sg_nat: str
    sg_vpc_link: str
    recordings_bucket: str
    access_logs_buckets: dict[str, str]
    """By account id: the access-log bucket (the load balancer's access logs and the recordings
    bucket's server access logs) the stack has in that account, `marin-<env>-access-logs-<account>`.
    S3 names are global; the account id, which no one else's bucket name contains by construction,
    makes this one the account's own. One per allowed account: the credentials pick the account."""
    log_groups: dict[str, str]
    query_errors_by_service: str
    query_slowest_requests: str
    secret_prefix: str
    secrets: dict[str, str]
    atlas_project: str
    atlas_cluster: str
    atlas_user: str
    atlas_endpoint: str
    redis: str
    redis_subnet_group: str
    opensearch: str
    ecs_cluster: str
    alb: str
    target_group: str
    http_api: str
    vpc_link: str
    discovery_namespace: str
    """Cloud Map private DNS namespace (a Route 53 private zone in the VPC) the api registers in."""
    discovery_service: str
    services: dict[str, str]
    task_families: dict[str, str]
    execution_roles: dict[str, str]
    task_roles: dict[str, str]
    alerts_topic: str
    alerts_key_alias: str
    api_hostname: str
    """`api.<env>.<domain>` when the stack sets a domain (ACM certificate and alias record), else ''."""

    @classmethod
    def plan(
        cls, env: str, az_count: int, bucket_suffix: str = "", domain: str = "", account_ids: tuple[str, ...] = ()
    ) -> EnvironmentNames:
        n = Namer(env)
        azs = [str(i) for i in range(1, az_count + 1)]
        return cls(
            env=env,
            prefix=n.prefix,
            vpc=n.name("vpc"),
            internet_gateway=n.name("igw"),
            public_subnets=tuple(n.name(f"public-{z}") for z in azs),
            private_subnets=tuple(n.name(f"private-{z}") for z in azs),
            public_route_table=n.name("public-rt"),
            private_route_tables=tuple(n.name(f"private-rt-{z}") for z in azs),
            nat=tuple(n.name(f"nat-{z}") for z in azs),
            nat_instance=n.name("nat-instance"),
            s3_endpoint=n.name("s3-endpoint"),
            flow_log=n.name("flow-log"),
            flow_log_group=n.vpc_log_group("flow-logs"),
            flow_log_role=n.name("vpc-flow-logs", "iam-role"),
            sg_alb=n.name("alb-sg", "security-group"),
            sg_services=n.name("services-sg", "security-group"),
            sg_redis=n.name("redis-sg", "security-group"),
            sg_opensearch=n.name("opensearch-sg", "security-group"),
            sg_endpoints=n.name("endpoints-sg", "security-group"),
            sg_nat=n.name("nat-sg", "security-group"),
            sg_vpc_link=n.name("vpc-link-sg", "security-group"),
            recordings_bucket=n.bucket("call-recordings", bucket_suffix),
            access_logs_buckets={a: n.bucket("access-logs", a) for a in account_ids},
            log_groups={s: n.log_group(s) for s in SERVICES},
            query_errors_by_service=n.name("errors-by-service", "query-definition"),
            query_slowest_requests=n.name("slowest-requests", "query-definition"),
            secret_prefix=n.secret_prefix,
            secrets={s.name: n.secret(s.name) for s in SECRETS},
            atlas_project=check_name("atlas-project", n.prefix),
            atlas_cluster=check_name("atlas-cluster", n.prefix),
            atlas_user=n.name("app", "tag-name"),
            atlas_endpoint=n.name("atlas-endpoint"),
            redis=n.name("redis", "elasticache-replication-group"),
            redis_subnet_group=n.name("redis-subnets", "elasticache-replication-group"),
            opensearch=n.name("search", "opensearch-domain"),
            ecs_cluster=n.name("ecs-cluster", "ecs-cluster"),
            alb=n.name("api-alb", "load-balancer"),
            target_group=n.name("api-tg", "target-group"),
            http_api=n.name("api", "apigateway"),
            vpc_link=n.name("api-vpc-link", "apigateway"),
            discovery_namespace=check_name("cloudmap-namespace", f"{n.prefix}-services.internal"),
            discovery_service=n.name("api", "cloudmap-service"),
            services={s: n.name(f"{s}-service", "ecs-service") for s in SERVICES},
            task_families={s: n.name(f"{s}-task", "ecs-service") for s in SERVICES},
            execution_roles={s: n.name(f"{s}-execution", "iam-role") for s in SERVICES},
            task_roles={s: n.name(f"{s}-task", "iam-role") for s in SERVICES},
            alerts_topic=n.name("alerts", "ecs-service"),
            alerts_key_alias=check_name("kms-alias", f"alias/{n.prefix}-alerts"),
            api_hostname=check_name("acm-domain", f"api.{env}.{domain}") if domain else "",
        )
