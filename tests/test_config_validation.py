"""Pure tests of marin.config: one bad input per rule, each asserting what the message names."""

from __future__ import annotations

import dataclasses
import json

import pytest
from pydantic import ValidationError

from marin import catalogue, stackfiles
from marin.config import SCHEMA, ConfigError, deploy_problems, environment_problems, parse
from tests.conftest import ENVS


def refused(env: str, raw: dict[str, str]) -> str:
    """Every problem of `env`'s config, its own and those across the committed environments."""
    across = environment_problems(stackfiles.all_environments() | {env: raw})
    try:
        parse(env, raw)
    except ConfigError as exc:
        return "\n".join([str(exc), *across])
    assert across, "accepted"
    return "\n".join(across)


@pytest.fixture
def dev() -> dict[str, str]:
    return stackfiles.effective_config("dev")


@pytest.mark.parametrize("env", ENVS)
def test_every_committed_stack_validates(env: str) -> None:
    assert parse(env, stackfiles.effective_config(env)).env == env


def test_the_committed_environments_have_disjoint_networks() -> None:
    assert environment_problems(stackfiles.all_environments()) == []


def test_environment_name_that_cannot_be_part_of_names_is_refused(dev: dict[str, str]) -> None:
    message = refused("Prod_2", dev)
    assert "environment name 'Prod_2'" in message
    assert "lowercase letters and digits" in message


@pytest.mark.parametrize("key", [k.full_name for k in SCHEMA if k.required])
def test_missing_required_key_is_refused(dev: dict[str, str], key: str) -> None:
    raw = {k: v for k, v in dev.items() if k != key}
    assert f"{key} is missing (required)" in refused("dev", raw)


def test_typo_in_a_key_is_refused_with_a_suggestion(dev: dict[str, str]) -> None:
    raw = dev | {"marin:logRetentionDay": "7"}
    assert "marin:logRetentionDay is not a known key; did you mean marin:logRetentionDays?" in refused("dev", raw)


@pytest.mark.parametrize(("cpu", "memory"), [(256, 4096), (512, 512), (1024, 1024), (4096, 4096)])
def test_fargate_pair_not_offered_is_refused(dev: dict[str, str], cpu: int, memory: int) -> None:
    raw = dev | {"marin:apiCpu": str(cpu), "marin:apiMemory": str(memory)}
    message = refused("dev", raw)
    assert f"marin:apiCpu={cpu} with marin:apiMemory={memory}: Fargate does not offer this pair" in message
    documented = {
        256: "512, 1024, 2048",
        512: "1024, 2048, 3072, 4096",
        1024: "2048, 3072, 4096, 5120, 6144, 7168, 8192",
    }
    if cpu in documented:  # AWS's table, not marin.limits (test_config_boundaries covers every size)
        assert f"must be one of {documented[cpu]}" in message


# One value each rule refuses, what the message says: AWS's documented values (Fargate task sizes,
# CloudWatch Logs retention, Secrets Manager recovery windows, S3 lifecycle and bucket names, ACM ARNs,
# ElastiCache snapshot retention) and the catalogue's sizes.
REFUSED: list[tuple[dict[str, str], str]] = [
    ({"marin:workerCpu": "300"}, "marin:workerCpu=300: allowed: 256, 512, 1024, 2048, 4096, 8192, 16384"),
    *[
        ({"marin:logRetentionDays": d}, f"marin:logRetentionDays={int(d)}: allowed: 1, 3, 5, 7, 14, 30")
        for d in ("8", "0", "31", "-7")
    ],
    ({"marin:logRetentionDays": "seven"}, "marin:logRetentionDays='seven': expected an integer"),
    *[
        ({"marin:atlasInstanceSize": t}, f"marin:atlasInstanceSize={t!r}: allowed: M0, M10, M20")
        for t in ("M5", "m10", "M2", "FREE")
    ],
    *[
        ({"marin:redisNodeType": n}, f"marin:redisNodeType={n!r}: allowed: cache.t4g.micro")
        for n in ("cache.t3.micro", "t4g.micro", "cache.t4g.nano")
    ],
    ({"marin:secretRecoveryWindowDays": "3"}, "marin:secretRecoveryWindowDays=3: allowed: 0, 7, 8"),
    ({"marin:recordingsTransitionDays": "10"}, "marin:recordingsTransitionDays=10: allowed: 0, or 30 to 36500"),
    ({"marin:recordingsBucketSuffix": "Acme_Corp"}, "marin:recordingsBucketSuffix='Acme_Corp'"),
    ({"marin:natMode": "none"}, "marin:natMode='none': allowed: instance, single-gateway, gateway-per-az"),
    *[
        ({"marin:apiImage": i}, f"marin:apiImage={i!r}: allowed: an image reference with a version tag")
        for i in ("nginx", "nginx:latest", "111111111111.dkr.ecr.us-east-1.amazonaws.com/marin/api")
    ],
    (
        {"marin:opensearchInstanceType": "t2.small.search"},
        "marin:opensearchInstanceType='t2.small.search': allowed: t3.small.search",
    ),
    (
        {"marin:opensearchInstanceType": "t3.small.search", "marin:opensearchVolumeGb": "200"},
        "marin:opensearchVolumeGb=200: t3.small.search allows 10 to 100",
    ),
    ({"marin:atlasOrgId": "my-org"}, "marin:atlasOrgId='my-org': allowed: 24 lowercase hex digits"),
    ({"marin:certificateArn": "my-cert"}, "marin:certificateArn='my-cert': allowed: empty, or an ACM certificate ARN"),
    ({"marin:redisSnapshotRetentionDays": "36"}, "marin:redisSnapshotRetentionDays=36: allowed: 0 to 35"),
]


@pytest.mark.parametrize(
    ("changes", "expected"), REFUSED, ids=[",".join(f"{k[6:]}={v}" for k, v in c.items()) for c, _ in REFUSED]
)
def test_a_refused_value_is_named_with_its_key_and_what_is_allowed(
    dev: dict[str, str], changes: dict[str, str], expected: str
) -> None:
    assert expected in refused("dev", dev | changes)


@pytest.mark.parametrize(
    ("cidr", "reason"),
    [
        ("10.10.0.0/33", "is not a valid IPv4 network"),
        ("10.10.0.1/16", "is not a valid IPv4 network"),  # host bits set
        ("not-a-cidr", "is not a valid IPv4 network"),
        ("8.8.0.0/16", "is not private"),
        ("172.32.0.0/16", "is not private"),
        ("10.0.0.0/8", "has prefix /8; allowed: /16 to /20"),
        ("10.10.0.0/24", "has prefix /24; allowed: /16 to /20"),
    ],
)
def test_invalid_or_public_vpc_cidr_is_refused(dev: dict[str, str], cidr: str, reason: str) -> None:
    message = refused("dev", dev | {"marin:vpcCidr": cidr})
    assert f"marin:vpcCidr={cidr!r}" in message
    assert reason in message


@pytest.mark.parametrize("cidr", ["10.20.0.0/16", "10.20.128.0/17", "10.20.64.0/18"])
def test_cidr_overlapping_another_environment_is_refused(dev: dict[str, str], cidr: str) -> None:
    message = refused("dev", dev | {"marin:vpcCidr": cidr})
    assert f"dev: marin:vpcCidr={cidr!r} overlaps staging (10.20.0.0/16)" in message


def test_protected_environment_cannot_force_delete_secrets(dev: dict[str, str]) -> None:
    raw = dev | {"marin:protectData": "true", "marin:secretRecoveryWindowDays": "0"}
    assert "a protected environment needs a recovery window" in refused("dev", raw)


def test_expiration_before_transition_is_refused(dev: dict[str, str]) -> None:
    raw = dev | {"marin:recordingsTransitionDays": "60", "marin:recordingsExpirationDays": "45"}
    assert "marin:recordingsExpirationDays=45 must be greater than marin:recordingsTransitionDays=60" in refused(
        "dev", raw
    )


def test_bucket_suffix_is_appended_and_default_keeps_the_story_name(dev: dict[str, str]) -> None:
    assert parse("dev", dev).names.recordings_bucket == "marin-dev-call-recordings"
    assert (
        parse("dev", dev | {"marin:recordingsBucketSuffix": "a1b2"}).names.recordings_bucket
        == "marin-dev-call-recordings-a1b2"
    )


def test_a_load_balanced_stack_in_a_region_without_an_elb_log_principal_is_refused_in_one_line(
    prod: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The access-log bucket must grant the region's ELB principal (ELB User Guide, "Enable access
    logs"): a region added to the zone lists without one fails here, not at deploy with "Access
    Denied for bucket"."""
    monkeypatch.delitem(catalogue.ELB_LOG_DELIVERY, "eu-west-1")
    raw = prod | {"marin:awsRegion": "eu-west-1"}
    problems = [line for line in refused("prod", raw).splitlines() if "awsRegion" in line]
    assert problems == [
        "  - marin:awsRegion='eu-west-1' with marin:ingress='alb': no Elastic Load Balancing log delivery "
        "principal for the load balancer's access logs there (marin/catalogue.py ELB_LOG_DELIVERY); allowed: "
        + ", ".join(sorted(set(catalogue.FARGATE_ZONES) - {"eu-west-1"}))
    ]
    parse("dev", stackfiles.effective_config("dev") | {"marin:awsRegion": "eu-west-1"})  # no load balancer


def test_the_access_log_bucket_name_is_the_account_s_own(dev: dict[str, str]) -> None:
    """S3 bucket names are unique across all accounts (S3 User Guide, "Bucket naming rules"): two
    teams deploying this repo, each into its own account, get two names, so neither first `up` meets
    BucketAlreadyExists. One name per account the stack may deploy to; nothing else in config moves it."""
    ours = parse("dev", dev | {"marin:allowedAccountIds": '["123456789012", "210987654321"]'}).names
    theirs = parse("dev", dev | {"marin:allowedAccountIds": '["555555555555"]'}).names
    assert ours.access_logs_buckets == {
        "123456789012": "marin-dev-access-logs-123456789012",
        "210987654321": "marin-dev-access-logs-210987654321",
    }
    assert theirs.access_logs_buckets == {"555555555555": "marin-dev-access-logs-555555555555"}


def test_all_problems_are_reported_at_once(dev: dict[str, str]) -> None:
    message = refused("dev", dev | {"marin:logRetentionDays": "8", "marin:redisNodeType": "big"})
    assert "marin:logRetentionDays=8" in message
    assert "marin:redisNodeType='big'" in message


def test_config_is_frozen(dev: dict[str, str]) -> None:
    config = parse("dev", dev)
    with pytest.raises(ValidationError, match="frozen"):
        config.logging.log_retention_days = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.env = "prod"  # type: ignore[misc]


@pytest.fixture
def prod() -> dict[str, str]:
    return stackfiles.effective_config("prod")


def test_shared_atlas_tier_cannot_have_backups(dev: dict[str, str]) -> None:
    message = refused("dev", dev | {"marin:atlasBackup": "daily"})
    assert "marin:atlasBackup='daily' with marin:atlasInstanceSize=M0: the shared tier has no backups" in message


@pytest.mark.parametrize("key", ["marin:apiDesiredCount", "marin:workerDesiredCount"])
def test_high_availability_needs_two_tasks_per_service(prod: dict[str, str], key: str) -> None:
    message = refused("prod", prod | {key: "1"})
    assert f"{key}=1 with marin:highAvailability=true: allowed: 2 or more" in message
    assert parse("prod", prod | {key: "2"}).stack.high_availability


# A master quorum is a majority of 3 master-eligible nodes (or of 3 dedicated masters); one per AZ
# over 3 AZs keeps 2 of 3 when an AZ is lost. AWS OpenSearch developer guide, "Configuring a
# multi-AZ domain" and "Dedicated master nodes".
@pytest.mark.parametrize(("count", "ok"), [(1, False), (2, False), (3, True), (4, False), (5, False), (6, True)])
def test_high_availability_search_needs_a_multiple_of_three_nodes(prod: dict[str, str], count: int, ok: bool) -> None:
    raw = prod | {"marin:opensearchInstanceCount": str(count)}
    if ok:
        assert parse("prod", raw).search.opensearch_instance_count == count
    else:
        message = refused("prod", raw)
        assert f"marin:opensearchInstanceCount={count} with marin:highAvailability=true" in message
        assert "a multiple of 3" in message


@pytest.mark.parametrize(("azs", "ok"), [(2, False), (3, True)])
def test_high_availability_needs_three_availability_zones(prod: dict[str, str], azs: int, ok: bool) -> None:
    raw = prod | {"marin:azCount": str(azs)}
    if ok:
        assert parse("prod", raw).stack.high_availability
    else:
        assert f"marin:azCount={azs} with marin:highAvailability=true: allowed: 3 or more" in refused("prod", raw)


def test_search_without_high_availability_stays_in_one_zone(dev: dict[str, str]) -> None:
    assert not parse("dev", dev).stack.high_availability
    assert parse("dev", dev | {"marin:opensearchInstanceCount": "2"}).search.opensearch_instance_count == 2


def test_spot_is_refused_where_high_availability_is_required(prod: dict[str, str]) -> None:
    assert "marin:fargateSpot=true with marin:highAvailability=true" in refused(
        "prod", prod | {"marin:fargateSpot": "true"}
    )


def test_auto_stop_is_refused_where_high_availability_is_required(prod: dict[str, str]) -> None:
    assert "marin:autoStop=true with marin:highAvailability=true" in refused("prod", prod | {"marin:autoStop": "true"})


def test_business_hours_must_start_before_they_end(dev: dict[str, str]) -> None:
    raw = dev | {"marin:businessHoursStart": "18", "marin:businessHoursEnd": "9"}
    assert "marin:businessHoursStart=18 must be before marin:businessHoursEnd=9" in refused("dev", raw)


def test_autoscaling_ceiling_below_the_floor_is_refused(prod: dict[str, str]) -> None:
    assert "marin:maxTaskCount=1 is below marin:apiDesiredCount=2" in refused(
        "prod", prod | {"marin:maxTaskCount": "1"}
    )


@pytest.mark.parametrize(
    "image",
    [
        "nginx:1.27",
        "ghcr.io/acme/api@sha256:" + "a" * 64,
        "111111111111.dkr.ecr.us-east-1.amazonaws.com/marin/api:2.3.1",
    ],
)
def test_pinned_images_are_accepted(dev: dict[str, str], image: str) -> None:
    assert parse("dev", dev | {"marin:apiImage": image}).compute.api_image == image


# --- issue 10: TLS, alert subscribers and what a real deploy refuses --------------------------


def test_protected_environment_without_tls_is_refused(prod: dict[str, str]) -> None:
    raw = {k: v for k, v in prod.items() if k not in ("marin:domainName", "marin:hostedZoneId")}
    message = refused("prod", raw)
    assert "marin:protectData=true without TLS" in message
    assert "set marin:domainName and marin:hostedZoneId (or marin:certificateArn)" in message
    arn = "arn:aws:acm:us-east-1:333333333333:certificate/01234567-89ab-cdef-0123-456789abcdef"
    assert parse("prod", raw | {"marin:certificateArn": arn}).ingress.tls


def test_unprotected_environment_may_serve_plain_http_without_a_domain(dev: dict[str, str]) -> None:
    raw = {k: v for k, v in dev.items() if k not in ("marin:domainName", "marin:hostedZoneId")}
    config = parse("dev", raw | {"marin:ingress": "alb"})
    assert not config.ingress.tls
    assert config.names.api_hostname == ""
    # an HTTP API ingress is HTTPS even without a domain (its execute-api endpoint)
    assert parse("dev", raw | {"marin:ingress": "http-api"}).ingress.tls


@pytest.mark.parametrize("missing", ["marin:domainName", "marin:hostedZoneId"])
def test_domain_and_hosted_zone_come_together(dev: dict[str, str], missing: str) -> None:
    raw = {k: v for k, v in dev.items() if k != missing}
    assert "set both (the certificate is validated and the api published in that zone) or neither" in refused(
        "dev", raw
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("marin:domainName", "Marin.Example.com"),
        ("marin:domainName", "marin_example.com"),
        ("marin:domainName", "marin."),
        ("marin:hostedZoneId", "z0123"),
        ("marin:hostedZoneId", "Y0123"),
        ("marin:alertHttpsEndpoint", "http://hooks.example.net/x"),
    ],
)
def test_malformed_domain_zone_or_endpoint_is_refused(prod: dict[str, str], key: str, value: str) -> None:
    assert f"{key}={value!r}: allowed:" in refused("prod", prod | {key: value})


def test_protected_environment_without_an_alert_subscriber_is_refused(prod: dict[str, str]) -> None:
    raw = {k: v for k, v in prod.items() if k != "marin:alertEmail"}
    assert "marin:protectData=true without an alert subscriber" in refused("prod", raw)
    hook = parse("prod", raw | {"marin:alertHttpsEndpoint": "https://hooks.slack.com/services/T0/B0/x"})
    assert hook.monitoring.subscribers == {"https": "https://hooks.slack.com/services/T0/B0/x"}


def test_protected_environment_with_basic_monitoring_is_refused(prod: dict[str, str]) -> None:
    message = refused("prod", prod | {"marin:monitoring": "basic"})
    assert "marin:monitoring='basic' with marin:protectData=true" in message
    assert "basic monitoring has no alerts topic" in message  # and the subscriber has nothing to hear


def test_a_subscriber_without_an_alerts_topic_is_refused(dev: dict[str, str]) -> None:
    message = refused("dev", dev | {"marin:alertEmail": "oncall@marin.io"})
    assert "marin:alertEmail with marin:monitoring='basic': basic monitoring has no alerts topic" in message


def with_example_identities(raw: dict[str, str]) -> dict[str, str]:
    """`raw` with the identities the committed stack files ship as examples (built here, so the test
    holds once a team has put its own in): example accounts and Atlas organization, RFC 2606 names,
    an example zone, and no operator secret."""
    account, region = "111111111111", raw.get("marin:awsRegion", "us-east-1")
    out = {k: v for k, v in raw.items() if k != "marin:transcriptionApiKey"} | {
        "marin:allowedAccountIds": json.dumps([account]),
        "marin:atlasOrgId": "64c0ffee00000000000000aa",
        "marin:apiImage": f"{account}.dkr.ecr.{region}.amazonaws.com/marin/api:1.0.0",
        "marin:workerImage": f"{account}.dkr.ecr.{region}.amazonaws.com/marin/worker:1.0.0",
    }
    for key, value in (
        ("domainName", "marin.example.com"),
        ("hostedZoneId", "Z01EXAMPLEZONE"),
        ("alertEmail", "oncall@example.com"),
    ):
        if raw.get(f"marin:{key}"):
            out[f"marin:{key}"] = value
    return out


@pytest.mark.parametrize("env", ENVS)
def test_a_real_deploy_refuses_every_example_identity(env: str) -> None:
    raw = with_example_identities(stackfiles.effective_config(env))
    problems = "\n".join(deploy_problems(parse(env, raw), raw))
    for key in ("allowedAccountIds", "atlasOrgId", "apiImage", "workerImage", "transcriptionApiKey"):
        assert f"marin:{key}" in problems, key
    for key in ("domainName", "hostedZoneId", "alertEmail"):
        if raw.get(f"marin:{key}"):
            assert f"marin:{key}" in problems, key
    assert "pulumi config set --secret marin:transcriptionApiKey" in problems


REAL_IDENTITIES = {
    "marin:allowedAccountIds": '["444455556666"]',
    "marin:atlasOrgId": "5f1e2d3c4b5a69788796a5b4",
    "marin:apiImage": "444455556666.dkr.ecr.us-east-1.amazonaws.com/marin/api:1.4.2",
    "marin:workerImage": "444455556666.dkr.ecr.us-east-1.amazonaws.com/marin/worker:1.4.2",
    "marin:domainName": "marin.io",
    "marin:hostedZoneId": "Z08123456ABCDEFGHIJK",
    "marin:alertEmail": "oncall@marin.io",
    "marin:transcriptionApiKey": "sk-live-123",
}


def test_a_real_deploy_accepts_real_identities(prod: dict[str, str]) -> None:
    raw = prod | REAL_IDENTITIES
    assert deploy_problems(parse("prod", raw), raw) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("marin:allowedAccountIds", '["444455556666", "123456789012"]'),  # one example among real ones
        ("marin:domainName", "staging.example.org"),
        ("marin:alertEmail", "oncall@mail.example.net"),
        ("marin:alertHttpsEndpoint", "https://hooks.example.com/alerts"),
        ("marin:hostedZoneId", "Z0EXAMPLE12345"),
    ],
)
def test_a_real_deploy_refuses_each_example_value(prod: dict[str, str], key: str, value: str) -> None:
    raw = prod | REAL_IDENTITIES | {key: value}
    (problem,) = deploy_problems(parse("prod", raw), raw)
    assert problem.startswith(f"{key}=")
    assert problem.endswith("replace it before deploying")


def test_a_secret_key_the_engine_did_not_pass_as_a_secret_is_refused() -> None:
    raw = stackfiles.effective_config("dev") | {"marin:transcriptionApiKey": "sk-live-X"}
    with pytest.raises(ConfigError) as refused:
        parse("dev", raw, secret_keys=set())
    assert refused.value.problems == [
        "marin:transcriptionApiKey is a secret but the stack holds it in plaintext: "
        "`pulumi config set --secret marin:transcriptionApiKey <value>`"
    ]
    assert parse("dev", raw, secret_keys={"marin:transcriptionApiKey"}).env == "dev"
