"""Pure tests of marin.naming: the convention, the AWS limits, and no silent truncation."""

from __future__ import annotations

from dataclasses import fields

import pytest

from marin import stackfiles
from marin.config import parse
from marin.naming import EnvironmentNames, Namer, NamingError, check_name
from tests.conftest import ENVS


def all_names(names: EnvironmentNames) -> list[str]:
    out: list[str] = []
    for f in fields(names):
        value = getattr(names, f.name)
        if f.name in ("env", "prefix", "secret_prefix"):
            continue
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(value)
        elif isinstance(value, dict):
            out.extend(value.values())
    return out


@pytest.mark.parametrize("env", ENVS)
def test_every_name_of_every_environment_carries_the_environment(env: str) -> None:
    names = parse(env, stackfiles.effective_config(env)).names
    for name in all_names(names):
        assert name == f"marin-{env}" or (
            name.startswith(f"marin-{env}-")
            or name.startswith(f"/ecs/{env}/")
            or name.startswith(f"/vpc/{env}/")
            or name.startswith((f"{env}/audio-pipeline/", f"alias/marin-{env}-"))
            # the api's DNS name (the env is a label), or none when the stack sets no domain
            or name == (f"api.{env}.{names_domain(env)}" if names_domain(env) else "")
        ), name


def names_domain(env: str) -> str:
    return stackfiles.effective_config(env).get("marin:domainName", "")


def test_api_hostname_is_the_environment_label_under_the_domain() -> None:
    assert EnvironmentNames.plan("dev", 2, "", "marin.example.com").api_hostname == "api.dev.marin.example.com"
    assert EnvironmentNames.plan("dev", 2).api_hostname == ""


@pytest.mark.parametrize(
    ("domain", "ok"),
    [
        ("a" * 45 + ".com", True),  # api.dev. (8) + 49 = 57
        ("a" * 51 + ".com", True),  # 8 + 55 = 63
        ("a" * 52 + ".com", True),  # 8 + 56 = 64: ACM's limit for the first domain name
        ("a" * 53 + ".com", False),  # 65
        ("Marin.example.com", False),
        ("marin..example.com", False),
        ("-marin.example.com", False),
    ],
)
def test_api_hostname_fits_acms_64_octet_limit(domain: str, ok: bool) -> None:
    if ok:
        assert len(EnvironmentNames.plan("dev", 2, "", domain).api_hostname) <= 64
    else:
        with pytest.raises(NamingError, match=r"api\.dev\."):
            EnvironmentNames.plan("dev", 2, "", domain)


def test_story_examples() -> None:
    n = Namer("dev")
    assert n.name("api-service", "ecs-service") == "marin-dev-api-service"
    assert Namer("staging").name("ecs-cluster", "ecs-cluster") == "marin-staging-ecs-cluster"
    assert n.bucket("call-recordings") == "marin-dev-call-recordings"
    assert n.log_group("api") == "/ecs/dev/api"
    assert n.secret("mongodb-uri") == "dev/audio-pipeline/mongodb-uri"


def test_longest_accepted_environment_name_fits_every_planned_name() -> None:
    # marin.config accepts environment names of up to 10 characters, suffixes of up to 12 and 12-digit
    # account ids: whatever it accepts, every physical name must still fit its service's limits.
    names = EnvironmentNames.plan("q" * 10, 3, "s" * 12, account_ids=("9" * 12,))
    assert names.recordings_bucket == f"marin-{'q' * 10}-call-recordings-{'s' * 12}"
    assert names.access_logs_buckets == {"9" * 12: f"marin-{'q' * 10}-access-logs-{'9' * 12}"}
    assert len(all_names(names)) > 30


def test_an_environment_name_too_long_for_a_limit_is_refused() -> None:
    with pytest.raises(NamingError, match=r"security-group name|s3-bucket name|iam-role name"):
        EnvironmentNames.plan("q" * 50, 3, "s" * 12)


def test_opensearch_name_over_28_characters_is_refused_not_truncated() -> None:
    with pytest.raises(NamingError) as caught:
        Namer("staging").name("search-domain-primary", "opensearch-domain")
    message = str(caught.value)
    assert "opensearch-domain name 'marin-staging-search-domain-primary' is 35 characters" in message
    assert "allows 3-28" in message
    assert "never truncated" in message


def test_load_balancer_name_over_32_characters_is_refused() -> None:
    with pytest.raises(NamingError, match=r"load-balancer name .* is 33 characters; load-balancer allows 1-32"):
        Namer("staging").name("api-load-balancer-x", "load-balancer")


def test_elasticache_id_with_double_hyphen_is_refused() -> None:
    with pytest.raises(NamingError, match="must not contain '--'"):
        check_name("elasticache-replication-group", "marin-dev--redis")


def test_bucket_name_with_uppercase_is_refused() -> None:
    with pytest.raises(NamingError, match="s3-bucket name 'marin-dev-Recordings' must contain only lowercase"):
        Namer("dev").bucket("Recordings")


def test_bucket_name_over_63_characters_is_refused() -> None:
    with pytest.raises(NamingError, match=r"is 64 characters; s3-bucket allows 3-63"):
        Namer("dev").bucket("call-recordings", "x" * 38)


def test_iam_role_over_64_characters_is_refused() -> None:
    with pytest.raises(NamingError, match=r"iam-role name .* allows 1-64"):
        Namer("dev").name("r" * 60, "iam-role")


def test_environment_names_differ_between_environments() -> None:
    plans = {env: set(all_names(parse(env, stackfiles.effective_config(env)).names)) - {""} for env in ENVS}
    for a in ENVS:
        for b in ENVS:
            if a < b:
                assert not plans[a] & plans[b], f"{a} and {b} share {plans[a] & plans[b]}"
