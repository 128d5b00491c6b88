"""Boundaries of every validation rule: the last accepted value and the first refused one.

Expected values are AWS's documented tables, held here independently of `marin.limits` (a wrong
entry there must fail a test here):
- Fargate task sizes: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
- CloudWatch Logs PutRetentionPolicy `retentionInDays`: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
- Secrets Manager DeleteSecret `RecoveryWindowInDays` (7-30; the provider's 0 forces deletion):
  https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
- S3 lifecycle: a transition to STANDARD_IA needs >= 30 days, and expiration must come after it:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
- ALB: subnets in at least two Availability Zones:
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#availability-zones
"""

from __future__ import annotations

import pytest

from marin import stackfiles
from marin.cidr import CidrError, parse_vpc_cidr, plan_subnets
from marin.config import SCHEMA, ConfigError, EnvConfig, Key, _is_example_domain, environment_problems, parse

FARGATE = {
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
    2048: [m * 1024 for m in range(4, 17)],
    4096: [m * 1024 for m in range(8, 31)],
    8192: [m * 1024 for m in range(16, 61, 4)],
    16384: [m * 1024 for m in range(32, 121, 8)],
}
RETENTION = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]


@pytest.fixture
def dev() -> dict[str, str]:
    return stackfiles.effective_config("dev")


@pytest.fixture
def prod() -> dict[str, str]:
    return stackfiles.effective_config("prod")


def problems(env: str, raw: dict[str, str]) -> list[str]:
    try:
        parse(env, raw)
    except ConfigError as exc:
        return exc.problems
    return []


@pytest.mark.parametrize("cpu", sorted(FARGATE))
def test_every_documented_fargate_pair_is_accepted_and_its_neighbours_refused(dev: dict[str, str], cpu: int) -> None:
    allowed = FARGATE[cpu]
    for memory in allowed:
        assert problems("dev", dev | {"marin:apiCpu": str(cpu), "marin:apiMemory": str(memory)}) == []
    step = allowed[1] - allowed[0]
    for memory in sorted({allowed[0] - step, allowed[-1] + step, allowed[0] + 512} - set(allowed)):
        found = problems("dev", dev | {"marin:apiCpu": str(cpu), "marin:apiMemory": str(memory)})
        assert found, (cpu, memory)


@pytest.mark.parametrize("days", RETENTION)
def test_every_documented_log_retention_is_accepted(dev: dict[str, str], days: int) -> None:
    assert problems("dev", dev | {"marin:logRetentionDays": str(days)}) == []


@pytest.mark.parametrize("days", sorted({d + k for d in RETENTION for k in (-1, 1)} - set(RETENTION) | {0}))
def test_every_neighbour_of_a_log_retention_is_refused(dev: dict[str, str], days: int) -> None:
    (problem,) = problems("dev", dev | {"marin:logRetentionDays": str(days)})
    assert problem.startswith(f"marin:logRetentionDays={days}: allowed: 1, 3, 5, 7, 14, 30")


@pytest.mark.parametrize(("days", "ok"), [(0, True), (1, False), (6, False), (7, True), (30, True), (31, False)])
def test_secret_recovery_window_boundaries(dev: dict[str, str], days: int, ok: bool) -> None:
    assert (problems("dev", dev | {"marin:secretRecoveryWindowDays": str(days)}) == []) is ok


@pytest.mark.parametrize(("days", "ok"), [(0, False), (6, False), (7, True)])
def test_a_protected_environment_keeps_a_recovery_window(prod: dict[str, str], days: int, ok: bool) -> None:
    found = problems("prod", prod | {"marin:secretRecoveryWindowDays": str(days)})
    assert (found == []) is ok, found


@pytest.mark.parametrize(
    ("transition", "expiration", "ok"),
    [
        (0, 0, True),  # never moved, kept
        (0, 1, True),  # expires, never moved
        (29, 0, False),  # below STANDARD_IA's 30-day minimum
        (30, 0, True),
        (30, 30, False),  # expiration must come after the transition
        (30, 31, True),
        (30, 29, False),
        (36500, 0, True),
        (36501, 0, False),
    ],
)
def test_lifecycle_boundaries(prod: dict[str, str], transition: int, expiration: int, ok: bool) -> None:
    raw = prod | {"marin:recordingsTransitionDays": str(transition), "marin:recordingsExpirationDays": str(expiration)}
    found = problems("prod", raw)
    assert (found == []) is ok, found
    if transition == expiration == 30:
        assert found == [
            "marin:recordingsExpirationDays=30 must be greater than marin:recordingsTransitionDays=30 "
            "(or 0 to keep recordings)"
        ]


@pytest.mark.parametrize(("start", "end", "ok"), [(8, 19, True), (18, 19, True), (19, 19, False), (20, 19, False)])
def test_business_hours_boundaries_with_auto_stop(dev: dict[str, str], start: int, end: int, ok: bool) -> None:
    raw = dev | {"marin:businessHoursStart": str(start), "marin:businessHoursEnd": str(end)}
    found = problems("dev", raw)
    assert (found == []) is ok, found
    if not ok:
        assert found == [f"marin:businessHoursStart={start} must be before marin:businessHoursEnd={end}"]


def test_business_hours_are_not_checked_without_auto_stop(prod: dict[str, str]) -> None:
    raw = prod | {"marin:businessHoursStart": "19", "marin:businessHoursEnd": "19"}
    assert problems("prod", raw) == []


@pytest.mark.parametrize(("azs", "ok"), [(1, False), (2, True), (3, True), (4, False)])
def test_az_count_boundaries(dev: dict[str, str], azs: int, ok: bool) -> None:
    """The load balancer needs subnets in two AZs; the address plan holds three."""
    found = problems("dev", dev | {"marin:azCount": str(azs)})
    assert (found == []) is ok, found
    if not ok:
        assert found == [f"marin:azCount={azs}: allowed: 2 to 3"]


ACCOUNT_IDS = "marin:allowedAccountIds={}: allowed: 12-digit AWS account ids as strings; not {}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # the provider would then be pinned to no account at all
        ("[]", ["marin:allowedAccountIds=(): allowed: a non-empty list of 12-digit AWS account ids"]),
        ('["444455556666"]', []),
        ('["444455556666", "777788889999"]', []),
        ('["44445555666"]', [ACCOUNT_IDS.format("('44445555666',)", "['44445555666']")]),  # 11 digits
        ('["4444555566667"]', [ACCOUNT_IDS.format("('4444555566667',)", "['4444555566667']")]),  # 13 digits
        # a number, which YAML also reads from an unquoted id (was "allowed: None to None")
        ("[444455556666]", [ACCOUNT_IDS.format("(444455556666,)", "[444455556666]")]),
        ('["4444-5555-6666"]', [ACCOUNT_IDS.format("('4444-5555-6666',)", "['4444-5555-6666']")]),
    ],
)
def test_allowed_account_ids_boundaries(dev: dict[str, str], value: str, expected: list[str]) -> None:
    assert problems("dev", dev | {"marin:allowedAccountIds": value}) == expected


@pytest.mark.parametrize(("gb", "ok"), [(9, False), (10, True), (100, True), (101, False)])
def test_t3_small_search_volume_boundaries(dev: dict[str, str], gb: int, ok: bool) -> None:
    found = problems("dev", dev | {"marin:opensearchVolumeGb": str(gb)})
    assert (found == []) is ok, found


# OpenSearch developer guide, "Amazon OpenSearch Service quotas", EBS volume size quotas (gp3).
@pytest.mark.parametrize(
    ("instance", "gb", "ok"),
    [
        ("t3.medium.search", 200, True),
        ("t3.medium.search", 201, False),
        ("t3.small.search", 101, False),
        ("m6g.large.search", 1024, True),
    ],
)
def test_opensearch_volume_ceiling_per_instance_type(dev: dict[str, str], instance: str, gb: int, ok: bool) -> None:
    found = problems("dev", dev | {"marin:opensearchInstanceType": instance, "marin:opensearchVolumeGb": str(gb)})
    assert (found == []) is ok, found
    if not ok:
        assert found == [f"marin:opensearchVolumeGb={gb}: {instance} allows 10 to {gb - 1}"]


@pytest.mark.parametrize(("ceiling", "ok"), [(1, False), (2, True), (3, True)])
def test_autoscaling_ceiling_boundaries(prod: dict[str, str], ceiling: int, ok: bool) -> None:
    found = problems("prod", prod | {"marin:maxTaskCount": str(ceiling)})
    assert (found == []) is ok, found
    if not ok:
        assert found == [
            "marin:maxTaskCount=1 is below marin:apiDesiredCount=2",
            "marin:maxTaskCount=1 is below marin:workerDesiredCount=2",
        ]


@pytest.mark.parametrize(("count", "ok"), [(0, False), (1, True), (100, True), (101, False)])
def test_desired_count_boundaries(dev: dict[str, str], count: int, ok: bool) -> None:
    raw = dev | {"marin:apiDesiredCount": str(count), "marin:maxTaskCount": "100"}
    found = problems("dev", raw)
    assert (found == []) is ok, found


@pytest.mark.parametrize(("days", "ok"), [(-1, False), (0, True), (35, True), (36, False)])
def test_redis_snapshot_retention_boundaries(dev: dict[str, str], days: int, ok: bool) -> None:
    found = problems("dev", dev | {"marin:redisSnapshotRetentionDays": str(days)})
    assert (found == []) is ok, found


@pytest.mark.parametrize(("hour", "ok"), [(-1, False), (0, True), (23, True), (24, False)])
def test_business_hours_start_range(dev: dict[str, str], hour: int, ok: bool) -> None:
    found = problems("dev", dev | {"marin:businessHoursStart": str(hour), "marin:businessHoursEnd": "23"})
    if hour == 23:
        assert found  # start must be before end
        return
    assert (found == []) is ok, found


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("7.0", "marin:logRetentionDays='7.0': expected an integer"),
        ("true", "marin:logRetentionDays='true': expected an integer"),
        ("", "marin:logRetentionDays='': expected an integer"),
    ],
)
def test_non_integers_are_refused_with_the_raw_value(dev: dict[str, str], raw: str, message: str) -> None:
    assert problems("dev", dev | {"marin:logRetentionDays": raw}) == [message]


@pytest.mark.parametrize(("raw", "value"), [("True", True), ("FALSE", False), ("false", False)])
def test_booleans_are_read_in_any_case(dev: dict[str, str], raw: str, value: bool) -> None:
    assert parse("dev", dev | {"marin:flowLogs": raw}).network.flow_logs is value


@pytest.mark.parametrize("raw", ["yes", "1", ""])
def test_other_booleans_are_refused(dev: dict[str, str], raw: str) -> None:
    assert problems("dev", dev | {"marin:flowLogs": raw}) == [f"marin:flowLogs={raw!r}: expected true or false"]


def test_a_refusal_names_its_stack_and_every_problem(dev: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as refused:
        parse("dev", dev | {"marin:azCount": "9", "marin:logRetentionDays": "8"})
    assert refused.value.stack == "dev"
    assert len(refused.value.problems) == 2
    assert str(refused.value).startswith("stack 'dev': config refused, nothing was deployed:\n  - ")


@pytest.mark.parametrize("other_cidr", ["10.10.0.0/16", None, "not-a-cidr", "8.8.0.0/16"])
def test_only_valid_cidrs_of_other_environments_can_clash(dev: dict[str, str], other_cidr: str | None) -> None:
    other = {} if other_cidr is None else {"marin:vpcCidr": other_cidr}
    found = environment_problems({"dev": dev, "qa": other})
    if other_cidr == dev["marin:vpcCidr"]:
        assert len(found) == 1
        assert "overlaps qa (10.10.0.0/16)" in found[0]
    else:  # the other stack's own validation reports its bad CIDR; it cannot clash with ours
        assert found == []


@pytest.mark.parametrize(
    ("value", "example"),
    [
        ("oncall@example.com", True),
        ("a@b.example.org", True),
        ("https://hooks.example.net/x/y", True),
        ("https://example.com:8443/x", True),
        ("https://hooks.marin.io/example.com", False),  # only the host counts
        ("oncall@notexample.com", False),
        ("marin.test", True),
        ("marin.io", False),
    ],
)
def test_reserved_example_names_are_recognised_by_their_host(value: str, example: bool) -> None:
    assert _is_example_domain(value) is example


def test_plan_subnets_returns_the_vpc_it_planned() -> None:
    plan = plan_subnets("10.40.0.0/16", 2)
    assert plan.vpc == "10.40.0.0/16"
    assert plan.private == ("10.40.0.0/18", "10.40.64.0/18")
    assert plan.public == ("10.40.192.0/20", "10.40.208.0/20")


@pytest.mark.parametrize("order", [("dev", "qa"), ("qa", "dev")])  # whichever order the stacks come in
def test_a_clash_names_both_environments_and_their_ranges(order: tuple[str, str]) -> None:
    ranges = {"dev": "10.10.0.0/16", "qa": "10.10.128.0/17"}
    found = environment_problems({e: {"marin:vpcCidr": ranges[e]} for e in order})
    assert found == [
        "dev: marin:vpcCidr='10.10.0.0/16' overlaps qa (10.10.128.0/17); every environment needs its own range"
    ]


# --- every cross-check's message, whole (a changed word or value is a changed contract) -----------

ARN = "arn:aws:acm:us-east-1:333333333333:certificate/01234567-89ab-cdef-0123-456789abcdef"


@pytest.mark.parametrize(
    ("env", "changes", "expected"),
    [
        (
            "prod",
            {"marin:fargateSpot": "true"},
            "marin:fargateSpot=true with marin:highAvailability=true: Spot tasks can all be reclaimed at once; "
            "allowed: false",
        ),
        (
            "prod",
            {"marin:autoStop": "true"},
            "marin:autoStop=true with marin:highAvailability=true: an environment that stops every night is not "
            "highly available; allowed: false",
        ),
        (
            "prod",
            {"marin:opensearchInstanceCount": "4"},
            "marin:opensearchInstanceCount=4 with marin:highAvailability=true: allowed: 3, 6, 9... "
            "(a multiple of 3, one set per AZ)",
        ),
        (
            "prod",
            {"marin:ingress": "http-api"},
            "marin:ingress='http-api' with marin:protectData=true: a protected environment keeps marin:ingress='alb' "
            "unless marin:ingressChangeApproved=true says so explicitly (switching ingress replaces the public "
            "endpoint clients use)",
        ),
        (
            "dev",
            {
                "marin:ingress": "http-api",
                "marin:certificateArn": ARN,
                "marin:domainName": "",
                "marin:hostedZoneId": "",
            },
            "marin:certificateArn with marin:ingress='http-api' and no marin:domainName: the HTTP API serves HTTPS "
            "on its execute-api name; a certificate needs a custom domain; set marin:domainName, or leave "
            "certificateArn empty",
        ),
        (
            "dev",
            {"marin:domainName": "marin.io", "marin:hostedZoneId": ""},
            "marin:domainName='marin.io' with marin:hostedZoneId='': set both (the certificate is validated and "
            "the api published in that zone) or neither",
        ),
        (
            "dev",
            {"marin:domainName": "", "marin:hostedZoneId": "Z0123"},
            "marin:domainName='' with marin:hostedZoneId='Z0123': set both (the certificate is validated and "
            "the api published in that zone) or neither",
        ),
        (
            "dev",
            {"marin:alertHttpsEndpoint": "https://events.pagerduty.com/x"},
            "marin:alertHttpsEndpoint with marin:monitoring='basic': basic monitoring has no alerts topic to "
            "subscribe to; allowed: monitoring 'full', or no subscriber",
        ),
        (
            "dev",
            {"marin:workerCpu": "512", "marin:workerMemory": "512"},
            "marin:workerCpu=512 with marin:workerMemory=512: Fargate does not offer this pair; memory for 512 "
            "CPU units must be one of 1024, 2048, 3072, 4096",
        ),
    ],
)
def test_each_cross_check_says_exactly_what_is_wrong(
    dev: dict[str, str], prod: dict[str, str], env: str, changes: dict[str, str], expected: str
) -> None:
    raw = (dev if env == "dev" else prod) | changes
    assert expected in problems(env, raw)


# --- zones, by id: where every service of the stack is offered ---------------------------------------
# Held here, not read from marin.catalogue: ECS on Fargate runs in every zone of us-east-1 (ECS guide,
# "Supported Regions for Amazon ECS on AWS Fargate"); API Gateway VPC links V2 (the http-api ingress)
# only in use1-az1, az2, az4, az5 and az6 (API Gateway guide, "Set up VPC links V2", Availability by
# Region). The regions listed are those marin/catalogue.py covers for both (a region added there is
# added here).
IN_US_EAST_1 = {"marin:awsRegion": "us-east-1", "marin:azCount": "2", "marin:protectData": "false"}
ZONE_IDS = "allowed: distinct availability zone ids such as use1-az1; not"
COVERED = "ap-east-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, eu-west-1, us-east-1, us-east-2, "
NO_LIST = "marin:awsRegion='mx-central-1': no list of the zones where {s} are offered there (marin/catalogue.py "
NO_LIST += "FARGATE_ZONES, VPC_LINK_ZONES); allowed: " + COVERED + "us-west-1, us-west-2"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"marin:ingress": "alb", "marin:availabilityZoneIds": '["use1-az3", "use1-az6"]'}, []),
        ({"marin:ingress": "http-api", "marin:availabilityZoneIds": '["use1-az4", "use1-az6"]'}, []),
        (
            {"marin:ingress": "http-api", "marin:availabilityZoneIds": '["use1-az3", "use1-az6"]'},
            [
                "marin:availabilityZoneIds=['use1-az3', 'use1-az6']: use1-az3 not offered by every service of the "
                "stack in us-east-1; allowed: use1-az1, use1-az2, use1-az4, use1-az5, use1-az6"
            ],
        ),
        (
            {"marin:ingress": "http-api", "marin:availabilityZoneIds": '["use1-az3", "use1-az7"]'},
            [
                "marin:availabilityZoneIds=['use1-az3', 'use1-az7']: use1-az3, use1-az7 not offered by every service "
                "of the stack in us-east-1; allowed: use1-az1, use1-az2, use1-az4, use1-az5, use1-az6"
            ],
        ),
        (
            {"marin:ingress": "alb", "marin:availabilityZoneIds": '["use1-az1", "use1-az2", "use1-az4"]'},
            [
                "marin:availabilityZoneIds=['use1-az1', 'use1-az2', 'use1-az4'] with marin:azCount=2: allowed: "
                "exactly 2 zone ids (one per AZ), or none"
            ],
        ),
        ({"marin:ingress": "alb", "marin:awsRegion": "mx-central-1"}, [NO_LIST.format(s="ECS on Fargate")]),
        (
            {"marin:ingress": "http-api", "marin:awsRegion": "mx-central-1"},
            [NO_LIST.format(s="ECS on Fargate and HTTP API VPC links")],
        ),
        # a value refused on its own is reported once: no zone check runs without a region or zones
        ({"marin:awsRegion": "mars"}, ["marin:awsRegion='mars': allowed: an AWS region name such as us-east-1"]),
        (
            {"marin:availabilityZoneIds": '["use1-az1", "us-east-1a"]'},
            [f"marin:availabilityZoneIds=('use1-az1', 'us-east-1a'): {ZONE_IDS} ['us-east-1a']"],
        ),
        (
            {"marin:availabilityZoneIds": '["USE1-AZ1", "use1-az2"]'},
            [f"marin:availabilityZoneIds=('USE1-AZ1', 'use1-az2'): {ZONE_IDS} ['USE1-AZ1']"],
        ),
        (
            {"marin:availabilityZoneIds": '["use1-az1", "use1-az1"]'},
            [f"marin:availabilityZoneIds=('use1-az1', 'use1-az1'): {ZONE_IDS} ['use1-az1', 'use1-az1']"],
        ),
        (
            {"marin:availabilityZoneIds": '[1, "use1-az1"]'},
            [f"marin:availabilityZoneIds=(1, 'use1-az1'): {ZONE_IDS} [1]"],
        ),
    ],
    ids=[
        "alb-in-use1-az3",
        "http-api-outside-use1-az3",
        "http-api-in-use1-az3",
        "http-api-in-two-zones-without-it",
        "more-zones-than-azs",
        "unlisted-region",
        "unlisted-region-http-api",
        "refused-region",
        "zone-name-not-id",
        "uppercase-id",
        "same-id-twice",
        "not-a-string",
    ],
)
def test_zone_ids_are_ones_where_every_service_of_the_stack_is_offered(
    dev: dict[str, str], changes: dict[str, str], expected: list[str]
) -> None:
    assert problems("dev", dev | IN_US_EAST_1 | changes) == expected


def test_a_protected_environment_without_monitoring_says_what_is_allowed(prod: dict[str, str]) -> None:
    found = problems("prod", prod | {"marin:monitoring": "basic"})
    assert (
        "marin:monitoring='basic' with marin:protectData=true: a protected environment needs alarms; allowed: full"
        in found
    )


@pytest.mark.parametrize(
    ("env", "changes", "ok"),
    [
        ("prod", {"marin:ingress": "http-api", "marin:ingressChangeApproved": "true"}, True),
        ("prod", {"marin:ingress": "alb"}, True),
        ("dev", {"marin:ingress": "alb"}, True),
        ("dev", {"marin:ingress": "http-api", "marin:domainName": "", "marin:hostedZoneId": ""}, True),
        ("dev", {"marin:ingress": "http-api", "marin:certificateArn": ARN}, True),  # with the committed domain
        ("dev", {"marin:ingress": "nlb"}, False),
    ],
)
def test_ingress_choices(
    dev: dict[str, str], prod: dict[str, str], env: str, changes: dict[str, str], ok: bool
) -> None:
    found = problems(env, (dev if env == "dev" else prod) | changes)
    assert (found == []) is ok, found


def test_without_an_ingress_key_a_stack_gets_the_load_balancer(prod: dict[str, str]) -> None:
    raw = {k: v for k, v in prod.items() if k != "marin:ingress"}
    assert parse("prod", raw).ingress.mode == "alb"


def test_an_http_api_is_tls_even_without_a_domain(dev: dict[str, str]) -> None:
    raw = dev | {"marin:ingress": "http-api", "marin:domainName": "", "marin:hostedZoneId": ""}
    assert parse("dev", raw).ingress.tls
    assert not parse("dev", raw | {"marin:ingress": "alb"}).ingress.tls


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("marin:costCenter", 5, "marin:costCenter=5: expected a string"),
        ("marin:allowedAccountIds", '"444455556666"', "marin:allowedAccountIds='\"444455556666\"': expected a list"),
        ("marin:azCount", True, "marin:azCount=True: expected an integer"),
    ],
)
def test_a_value_of_the_wrong_type_names_the_type_expected(
    dev: dict[str, str], key: str, raw: object, message: str
) -> None:
    assert problems("dev", dev | {key: raw}) == [message]  # type: ignore[operator]


def test_an_optional_key_left_out_takes_its_documented_default(dev: dict[str, str]) -> None:
    raw = {k: v for k, v in dev.items() if k not in ("marin:businessTimezone", "marin:businessHoursEnd")}
    config = parse("dev", raw)
    assert (config.compute.business_timezone, config.compute.business_hours_end) == ("America/New_York", 19)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("marin:zzzzzz", "marin:zzzzzz is not a known key"),
        # the namespace is what precedes the first colon: this is an unknown marin key, not another namespace
        (
            "marin:logRetentionDays:x",
            "marin:logRetentionDays:x is not a known key; did you mean marin:logRetentionDays?",
        ),
    ],
)
def test_unknown_keys_get_a_suggestion_only_when_one_is_close(dev: dict[str, str], key: str, expected: str) -> None:
    assert problems("dev", dev | {key: "1"}) == [expected]


def test_a_name_that_would_not_fit_refuses_the_stack(dev: dict[str, str]) -> None:
    domain = "a" * 50 + ".marin.io"  # api.dev. + 59 = 67 > ACM's 64
    with pytest.raises(ConfigError) as refused:
        parse("dev", dev | {"marin:domainName": domain})
    assert refused.value.stack == "dev"
    (problem,) = refused.value.problems
    assert problem.startswith(f"acm-domain name 'api.dev.{domain}' is 67 characters; acm-domain allows 4-64")


def test_an_environment_name_that_cannot_be_part_of_names_says_why(dev: dict[str, str]) -> None:
    assert problems("Dev", dev)[0] == (
        "environment name 'Dev': allowed: 2-10 lowercase letters and digits, starting with a letter "
        "(it is part of every physical name)"
    )


@pytest.mark.parametrize(
    ("cidr", "message"),
    [
        ("fd00::/16", "'fd00::/16' is IPv6; the VPC needs an IPv4 CIDR"),
        (
            "8.8.0.0/16",
            "'8.8.0.0/16' is not private; allowed: a network inside 10.0.0.0/8, 172.16.0.0/12, "
            "192.168.0.0/16 (RFC 1918)",
        ),
        ("10.10.0.1/16", "'10.10.0.1/16' is not a valid IPv4 network in CIDR notation"),  # host bits set
    ],
)
def test_each_cidr_refusal_says_why(cidr: str, message: str) -> None:
    with pytest.raises(CidrError) as refused:
        parse_vpc_cidr(cidr)
    assert str(refused.value).startswith(message)


ZONE = "Z0123456789ABCDEFGHIJ"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"marin:domainName": "bad..name", "marin:hostedZoneId": ZONE},
            ["marin:domainName='bad..name': allowed: empty, or a lowercase DNS name such as marin.example.com"],
        ),
        (
            {"marin:domainName": "marin.io", "marin:hostedZoneId": "not-a-zone"},
            [
                "marin:hostedZoneId='not-a-zone': allowed: empty, or a Route 53 hosted zone id such as "
                "Z0123456789ABCDEFGHIJ"
            ],
        ),
        ({"marin:ingress": "nlb"}, ["marin:ingress='nlb': allowed: alb, http-api"]),
        (
            {"marin:ingress": "nlb", "marin:certificateArn": "x"},
            [
                "marin:certificateArn='x': allowed: empty, or an ACM certificate ARN",
                "marin:ingress='nlb': allowed: alb, http-api",
            ],
        ),
    ],
    ids=["bad-domain", "bad-zone", "bad-ingress", "bad-ingress-and-certificate"],
)
def test_a_refused_value_is_reported_once_not_again_by_the_checks_that_involve_it(
    prod: dict[str, str], extra: dict[str, str], expected: list[str]
) -> None:
    """Checks across keys wait for each key's own value to be good: a refused domain is not also
    reported as a missing one ("set both ... or neither", "without TLS")."""
    assert problems("prod", prod | extra) == expected


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"marin:domainName": "", "marin:hostedZoneId": ZONE},
            f"marin:domainName='' with marin:hostedZoneId='{ZONE}': set both",
        ),
        (
            {"marin:domainName": "api.marin.io", "marin:hostedZoneId": ""},
            "marin:domainName='api.marin.io' with marin:hostedZoneId='': set both",
        ),
    ],
    ids=["zone-only", "domain-only"],
)
def test_domain_and_zone_come_together_with_both_values_named(
    dev: dict[str, str], extra: dict[str, str], expected: str
) -> None:
    found = problems("dev", dev | extra)
    assert [p for p in found if "set both" in p] == [
        expected + " (the certificate is validated and the api published in that zone) or neither"
    ]


def test_a_protected_http_api_without_a_domain_serves_https_on_its_execute_api_name(prod: dict[str, str]) -> None:
    """The HTTP API's own endpoint is HTTPS only: a protected environment behind it needs no
    certificate or domain of its own (every other protected ingress does)."""
    raw = prod | {
        "marin:ingress": "http-api",
        "marin:ingressChangeApproved": "true",
        "marin:domainName": "",
        "marin:hostedZoneId": "",
        "marin:certificateArn": "",
    }
    assert problems("prod", raw) == []
    assert [p for p in problems("prod", raw | {"marin:ingress": "alb"}) if "without TLS" in p] == [
        "marin:protectData=true without TLS: a protected environment serves its api over HTTPS only; "
        "set marin:domainName and marin:hostedZoneId (or marin:certificateArn)"
    ]


def value(config: EnvConfig, key: Key) -> object:
    return getattr(getattr(config, key.section), key.field)


@pytest.mark.parametrize("key", [k for k in SCHEMA if not k.required], ids=lambda k: k.name)
def test_an_optional_key_left_out_takes_its_default_and_changes_nothing_else(dev: dict[str, str], key: Key) -> None:
    """(domainName and hostedZoneId come together: leaving one out leaves out both.)"""
    left_out = {key.name} | ({"domainName", "hostedZoneId"} if key.name in ("domainName", "hostedZoneId") else set())
    full = parse("dev", dev)
    without = parse("dev", {k: v for k, v in dev.items() if k.partition(":")[2] not in left_out})
    changed = {k.name for k in SCHEMA if value(full, k) != value(without, k)}
    assert changed <= left_out
    assert value(without, key) == key.default


def test_every_value_that_is_not_of_its_kind_is_reported_at_once(dev: dict[str, str]) -> None:
    """A wrong kind does not stop the reading: the later keys are still checked, each reported."""
    raw = dev | {"marin:apiCpu": "many", "marin:highAvailability": "maybe", "marin:opensearchVolumeGb": "lots"}
    found = problems("dev", raw)
    assert "marin:apiCpu='many': expected an integer" in found
    assert "marin:opensearchVolumeGb='lots': expected an integer" in found
    assert (
        [p for p in found if p.startswith("marin:highAvailability=")]
        == [p for p in found if p.startswith("marin:highAvailability='maybe'")]
        != []
    )
