"""The small builders the config schema and the name rules are made of, called directly, and the
per-service accessors of the config and the secret catalogue.

`SCHEMA` (marin/config.py) and `NAME_RULES` (marin/limits.py) are built once, when the modules are
imported; the schema's tests then exercise the checks those builders returned. Calling the builders
here pins what each returns (bounds inclusive, the message whole), so a wrong builder fails here
and not only through the one schema key that happens to use it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import pytest
from pydantic import TypeAdapter, ValidationError

from marin import catalogue, config, limits, stackfiles
from tests.test_naming_contract import services_checking_each_name


def refusal(annotation: Any, value: Any) -> str | None:
    """What a declared type says of `value`: None, or the reason it gives."""
    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError as exc:
        return str(exc.errors()[0].get("ctx", {}).get("error"))
    return None


def test_one_of_accepts_exactly_the_allowed_values_and_lists_them() -> None:
    one_of = Annotated[Any, config._one_of("a", 2, True)]
    assert [refusal(one_of, "a"), refusal(one_of, 2), refusal(one_of, True)] == [None, None, None]
    assert refusal(one_of, "b") == "allowed: a, 2, True"
    assert refusal(one_of, "A") == "allowed: a, 2, True"
    assert refusal(Annotated[Any, config._one_of("x")], "y") == "allowed: x"


BOUNDED = [k for k in config.SCHEMA if k.bounds != (None, None)]


@pytest.mark.parametrize("key", BOUNDED, ids=lambda k: k.name)
def test_a_bounded_key_includes_both_bounds_and_says_them(key: config.Key) -> None:
    lo, hi = key.bounds
    assert lo is not None, "a key with an upper bound only"
    assert hi is not None, "a key with a lower bound only"
    assert key.validate(str(lo)) == (lo, None)
    assert key.validate(str(hi)) == (hi, None)
    for outside in (lo - 1, hi + 1):
        assert key.validate(str(outside)) == (None, f"{key.full_name}={outside}: allowed: {lo} to {hi}")


def test_matches_needs_the_whole_value_to_match() -> None:
    letters = Annotated[str, config._matches(r"[a-z]+", "lowercase letters")]
    assert refusal(letters, "abc") is None
    assert refusal(letters, "abc1") == "allowed: lowercase letters"
    assert refusal(letters, "1abc") == "allowed: lowercase letters"
    assert refusal(letters, "") == "allowed: lowercase letters"


def test_a_name_rule_is_built_from_its_arguments_in_order() -> None:
    rule = limits._rule("svc", 2, 9, r"^[a-z-]+$", "letters and hyphens", no_double_hyphen=True, no_edge_hyphen=True)
    assert rule == limits.NameRule(
        "svc", 2, 9, re.compile(r"^[a-z-]+$"), "letters and hyphens", no_double_hyphen=True, no_edge_hyphen=True
    )
    plain = limits._rule("s", 1, 3, r"^a$", "a")
    assert (plain.no_double_hyphen, plain.no_edge_hyphen) == (False, False)
    assert plain.pattern.pattern == "^a$"


def test_a_service_s_sizes_are_its_own() -> None:
    committed = config.parse("dev", stackfiles.effective_config("dev"))
    sized = committed.compute.model_copy(
        update={
            "api_cpu": 256,
            "api_memory": 512,
            "worker_cpu": 1024,
            "worker_memory": 4096,
            "api_desired_count": 2,
            "worker_desired_count": 3,
            "api_image": "a:1",
            "worker_image": "w:1",
        }
    )
    api, worker = ("api", "worker")
    assert [sized.cpu(api), sized.memory(api), sized.desired_count(api), sized.image(api)] == [256, 512, 2, "a:1"]
    assert [sized.cpu(worker), sized.memory(worker), sized.desired_count(worker), sized.image(worker)] == [
        1024,
        4096,
        3,
        "w:1",
    ]
    with pytest.raises(KeyError):
        sized.cpu("batch")


def test_each_service_gets_exactly_the_secrets_injected_into_it() -> None:
    """The story's table: both services read the data stores; only the api signs; only the worker transcribes."""
    assert [s.name for s in catalogue.secrets_for("api")] == [
        "mongodb-uri",
        "redis-auth-token",
        "opensearch-endpoint",
        "app-signing-key",
    ]
    assert [s.name for s in catalogue.secrets_for("worker")] == [
        "mongodb-uri",
        "redis-auth-token",
        "opensearch-endpoint",
        "transcription-api-key",
    ]
    assert catalogue.secrets_for("batch") == ()


@pytest.mark.parametrize(
    ("value", "example"),
    [
        # an @ in a URL's path or query is no user: the host is still the URL's
        ("https://hooks.slack.com/services/T0@x", False),
        ("https://hooks.example.com/a@b.io", True),
        ("https://example.org", True),
        ("https://example.org:8443", True),
        # an address's domain is after its last @
        ("a@b@example.com", True),
        ("marin.test:80:80", True),
        ("EXAMPLE.com", True),
    ],
)
def test_an_example_host_is_found_wherever_the_value_puts_it(value: str, example: bool) -> None:
    assert config._is_example_domain(value) is example


def test_a_refusal_lists_every_problem_on_its_own_line() -> None:
    assert str(config.ConfigError("qa", ["first", "second"])) == (
        "stack 'qa': config refused, nothing was deployed:\n  - first\n  - second"
    )


# Names that test_naming_contract.py's table does not list yet, and the rule that checks each
# (AWS API references: EC2 security groups, API Gateway v2, Cloud Map, SNS topics as ECS-like names).
LATER_NAMES = {
    "marin-qa-vpc-link-sg": {"security-group"},
    "marin-qa-api": {"apigateway", "cloudmap-service"},  # the HTTP API and its Cloud Map service
    "marin-qa-api-vpc-link": {"apigateway"},
    "marin-qa-alerts": {"ecs-service"},
    "marin-qa-app": {"tag-name"},
}


def test_later_names_are_checked_against_the_rule_of_their_service(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = services_checking_each_name(monkeypatch)
    assert {name: seen.get(name) for name in LATER_NAMES} == LATER_NAMES


def test_a_list_arrives_as_json_from_the_engine_or_as_a_list_from_yaml() -> None:
    array = next(k for k in config.SCHEMA if k.kind == "array")
    assert array.validate('["111111111111"]') == (("111111111111",), None)
    assert array.validate(["111111111111"]) == (("111111111111",), None)
    assert array.validate('{"a": 1}') == (None, f"{array.full_name}='{{\"a\": 1}}': expected a list")
    assert array.validate("[1") == (None, f"{array.full_name}='[1': expected a list")


def test_a_key_is_a_field_with_its_category_description_and_default() -> None:
    """`key` runs while the module is imported; called here, so a wrong builder fails here too."""
    info = config.key("sizing", "Seconds an idle connection is kept.", 60, alias="idleTimeout")
    assert (info.default, info.description, info.json_schema_extra, info.alias) == (
        60,
        "Seconds an idle connection is kept.",
        {"category": "sizing", "changing": "in place"},
        "idleTimeout",
    )
    assert not info.is_required()
    assert config.key("identity", "No default.").is_required()
    assert config.key("identity", "Moves it.", changing="replaces s3.Bucket").json_schema_extra == {
        "category": "identity",
        "changing": "replaces s3.Bucket",
    }


def test_every_field_of_every_section_is_a_key_under_its_camel_case_name() -> None:
    keys = list(config._keys())
    assert keys == list(config.SCHEMA)
    assert [(k.section, k.field) for k in keys] == [
        (section, field) for section, model in config.SECTIONS.items() for field in model.model_fields
    ]
    by_field = {k.field: k.name for k in keys}
    assert by_field["api_cpu"] == "apiCpu"
    assert by_field["allowed_account_ids"] == "allowedAccountIds"
    assert (by_field["mode"], by_field["level"]) == ("ingress", "monitoring")  # their own aliases
    assert len(set(by_field.values())) == len(keys), "two fields under one key"
