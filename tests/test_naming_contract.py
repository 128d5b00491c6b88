"""The naming contract, name by name, and every AWS name rule at its boundaries.

Limits held here independently of `marin.limits` (../shared/notes/aws-limits.md, from the AWS API
references): OpenSearch domain 3-28 `[a-z][a-z0-9-]+`; ElastiCache replication group 1-40, starts
with a letter, no `--`, no trailing hyphen; ALB and target group <= 32, no edge hyphen; S3 bucket
3-63; IAM role 1-64; ECS cluster/service 1-255; ACM first domain name <= 64 octets.
"""

from __future__ import annotations

from dataclasses import asdict

import pytest

from marin import naming
from marin.naming import EnvironmentNames, NamingError, check_name

QA = {
    "env": "qa",
    "prefix": "marin-qa",
    "vpc": "marin-qa-vpc",
    "internet_gateway": "marin-qa-igw",
    "public_subnets": ("marin-qa-public-1", "marin-qa-public-2"),
    "private_subnets": ("marin-qa-private-1", "marin-qa-private-2"),
    "public_route_table": "marin-qa-public-rt",
    "private_route_tables": ("marin-qa-private-rt-1", "marin-qa-private-rt-2"),
    "nat": ("marin-qa-nat-1", "marin-qa-nat-2"),
    "nat_instance": "marin-qa-nat-instance",
    "s3_endpoint": "marin-qa-s3-endpoint",
    "flow_log": "marin-qa-flow-log",
    "flow_log_group": "/vpc/qa/flow-logs",
    "flow_log_role": "marin-qa-vpc-flow-logs",
    "sg_alb": "marin-qa-alb-sg",
    "sg_services": "marin-qa-services-sg",
    "sg_redis": "marin-qa-redis-sg",
    "sg_opensearch": "marin-qa-opensearch-sg",
    "sg_endpoints": "marin-qa-endpoints-sg",
    "sg_nat": "marin-qa-nat-sg",
    "sg_vpc_link": "marin-qa-vpc-link-sg",
    "recordings_bucket": "marin-qa-call-recordings-acme1",
    "access_logs_buckets": {"123456789012": "marin-qa-access-logs-123456789012"},
    "log_groups": {"api": "/ecs/qa/api", "worker": "/ecs/qa/worker"},
    "query_errors_by_service": "marin-qa-errors-by-service",
    "query_slowest_requests": "marin-qa-slowest-requests",
    "secret_prefix": "qa/audio-pipeline/",
    "secrets": {
        "mongodb-uri": "qa/audio-pipeline/mongodb-uri",
        "redis-auth-token": "qa/audio-pipeline/redis-auth-token",
        "opensearch-endpoint": "qa/audio-pipeline/opensearch-endpoint",
        "app-signing-key": "qa/audio-pipeline/app-signing-key",
        "transcription-api-key": "qa/audio-pipeline/transcription-api-key",
    },
    "atlas_project": "marin-qa",
    "atlas_cluster": "marin-qa",
    "atlas_user": "marin-qa-app",
    "atlas_endpoint": "marin-qa-atlas-endpoint",
    "redis": "marin-qa-redis",
    "redis_subnet_group": "marin-qa-redis-subnets",
    "opensearch": "marin-qa-search",
    "ecs_cluster": "marin-qa-ecs-cluster",
    "alb": "marin-qa-api-alb",
    "target_group": "marin-qa-api-tg",
    "http_api": "marin-qa-api",
    "vpc_link": "marin-qa-api-vpc-link",
    "discovery_namespace": "marin-qa-services.internal",
    "discovery_service": "marin-qa-api",
    "services": {"api": "marin-qa-api-service", "worker": "marin-qa-worker-service"},
    "task_families": {"api": "marin-qa-api-task", "worker": "marin-qa-worker-task"},
    "execution_roles": {"api": "marin-qa-api-execution", "worker": "marin-qa-worker-execution"},
    "task_roles": {"api": "marin-qa-api-task", "worker": "marin-qa-worker-task"},
    "alerts_topic": "marin-qa-alerts",
    "alerts_key_alias": "alias/marin-qa-alerts",
    "api_hostname": "api.qa.marin.io",
}


def test_every_physical_name_follows_the_story_convention_exactly() -> None:
    """`{project}-{env}-{resource}` (story AC3), the story's log groups and secret paths."""
    assert asdict(EnvironmentNames.plan("qa", 2, "acme1", "marin.io", ("123456789012",))) == QA


def test_three_zones_name_three_of_each() -> None:
    names = EnvironmentNames.plan("qa", 3)
    assert names.private_subnets == ("marin-qa-private-1", "marin-qa-private-2", "marin-qa-private-3")
    assert names.nat == ("marin-qa-nat-1", "marin-qa-nat-2", "marin-qa-nat-3")
    assert names.recordings_bucket == "marin-qa-call-recordings"
    assert names.access_logs_buckets == {}
    assert names.api_hostname == ""


@pytest.mark.parametrize(
    ("service", "shortest", "longest"),
    [
        ("opensearch-domain", 3, 28),
        ("elasticache-replication-group", 1, 40),
        ("load-balancer", 1, 32),
        ("target-group", 1, 32),
        ("s3-bucket", 3, 63),
        ("iam-role", 1, 64),
        ("ecs-cluster", 1, 255),
        ("ecs-service", 1, 255),
        ("apigateway", 1, 128),
        ("cloudmap-service", 1, 63),
    ],
)
def test_length_limits_at_both_boundaries(service: str, shortest: int, longest: int) -> None:
    def name(n: int) -> str:
        return "a" * n

    assert check_name(service, name(shortest)) == name(shortest)
    assert check_name(service, name(longest)) == name(longest)
    with pytest.raises(NamingError, match=f"is {longest + 1} characters; {service} allows {shortest}-{longest}"):
        check_name(service, name(longest + 1))
    if shortest > 1:
        with pytest.raises(NamingError, match=f"is {shortest - 1} characters"):
            check_name(service, name(shortest - 1))


@pytest.mark.parametrize(
    ("service", "bad", "why"),
    [
        ("opensearch-domain", "1search", "must contain only lowercase letters"),
        ("opensearch-domain", "Search", "must contain only lowercase letters"),
        ("elasticache-replication-group", "marin--redis", "must not contain '--'"),
        ("elasticache-replication-group", "marin-redis-", "must not start or end with a hyphen"),
        ("load-balancer", "-marin-alb", "must not start or end with a hyphen"),
        ("target-group", "marin_tg", "must contain only letters, digits and hyphens"),
        ("s3-bucket", "Marin-bucket", "must contain only lowercase letters"),
        ("acm-domain", "api.qa.Marin.io", "must contain only lowercase DNS labels"),
        ("acm-domain", "api.qa.-marin.io", "must contain only lowercase DNS labels"),
        ("apigateway", "marin/qa-api", "must contain only letters, digits, spaces and ._-"),
        ("cloudmap-namespace", "marin-qa", "must contain only lowercase DNS labels joined by dots"),
        ("cloudmap-namespace", "Marin-qa.internal", "must contain only lowercase DNS labels joined by dots"),
        ("cloudmap-service", "marin.qa", "must contain only one lowercase DNS label"),
        ("cloudmap-service", "-marin-qa", "must contain only one lowercase DNS label"),
    ],
)
def test_each_pattern_rule_is_named_in_the_refusal(service: str, bad: str, why: str) -> None:
    with pytest.raises(NamingError) as refused:
        check_name(service, bad)
    message = str(refused.value)
    assert message.startswith(f"{service} name {bad!r} ")
    assert why in message
    assert message.endswith("(names are never truncated: shorten the environment or resource name)")


def test_double_hyphens_are_allowed_where_the_service_allows_them() -> None:
    assert check_name("s3-bucket", "marin--x") == "marin--x"
    assert check_name("load-balancer", "marin--alb") == "marin--alb"


def test_every_problem_of_a_name_is_listed_at_once() -> None:
    with pytest.raises(NamingError, match=r"is 41 characters.*; must not contain '--'; must not start or end"):
        check_name("elasticache-replication-group", "a" * 36 + "--xx-")


# The rule each physical name must satisfy: the service that owns the name (AWS API references).
RULE_OF_NAME = {
    "marin-qa-api-alb": "load-balancer",
    "marin-qa-api-tg": "target-group",
    "marin-qa-search": "opensearch-domain",
    "marin-qa-redis": "elasticache-replication-group",
    "marin-qa-redis-subnets": "elasticache-replication-group",
    "marin-qa-ecs-cluster": "ecs-cluster",
    "marin-qa-api-service": "ecs-service",
    "marin-qa-worker-service": "ecs-service",
    "marin-qa-api-execution": "iam-role",
    "marin-qa-worker-execution": "iam-role",
    "marin-qa-api-task": {"iam-role", "ecs-service"},  # the task role and the task family
    "marin-qa-worker-task": {"iam-role", "ecs-service"},
    "marin-qa-vpc-flow-logs": "iam-role",
    "marin-qa-alb-sg": "security-group",
    "marin-qa-services-sg": "security-group",
    "marin-qa-redis-sg": "security-group",
    "marin-qa-opensearch-sg": "security-group",
    "marin-qa-endpoints-sg": "security-group",
    "marin-qa-nat-sg": "security-group",
    "marin-qa-errors-by-service": "query-definition",
    "marin-qa-slowest-requests": "query-definition",
    "/ecs/qa/api": "log-group",
    "/vpc/qa/flow-logs": "log-group",
    "marin-qa-call-recordings": "s3-bucket",
    "alias/marin-qa-alerts": "kms-alias",
    "api.qa.marin.io": "acm-domain",
}


def services_checking_each_name(monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """{name: services whose rule checked it} while the names of a `qa` environment are planned."""
    seen: dict[str, set[str]] = {}
    real = naming.check_name

    def recording(service: str, name: str) -> str:
        seen.setdefault(name, set()).add(service)
        return real(service, name)

    monkeypatch.setattr(naming, "check_name", recording)
    EnvironmentNames.plan("qa", 2, "", "marin.io")
    return seen


def test_each_name_is_checked_against_the_rule_of_the_service_that_owns_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = services_checking_each_name(monkeypatch)
    for name, rule in RULE_OF_NAME.items():
        assert seen.get(name) == (rule if isinstance(rule, set) else {rule}), name
