"""The small builders the config schema and the name rules are made of, called directly.

`SCHEMA` (marin/config.py) and `NAME_RULES` (marin/limits.py) are built once, when the modules are
imported; the schema's tests then exercise the checks those builders returned. Calling the builders
here pins what each returns (bounds inclusive, the message whole), so a wrong builder fails here
and not only through the one schema key that happens to use it.
"""

from __future__ import annotations

import re

import pytest

from marin import config, limits


def test_one_of_accepts_exactly_the_allowed_values_and_lists_them() -> None:
    check = config._one_of(("a", 2, True))
    assert [check("a"), check(2), check(True)] == [None, None, None]
    assert check("b") == "allowed: a, 2, True"
    assert check("A") == "allowed: a, 2, True"
    assert config._one_of(("x",))("y") == "allowed: x"


@pytest.mark.parametrize(
    ("value", "expected"), [(3, None), (5, None), (4, None), (2, "allowed: 3 to 5"), (6, "allowed: 3 to 5")]
)
def test_between_includes_both_bounds(value: int, expected: str | None) -> None:
    assert config._between(3, 5)(value) == expected


def test_matches_needs_the_whole_value_to_match() -> None:
    check = config._matches(re.compile(r"[a-z]+"), "lowercase letters")
    assert check("abc") is None
    assert check("abc1") == "allowed: lowercase letters"
    assert check("1abc") == "allowed: lowercase letters"
    assert check("") == "allowed: lowercase letters"


def test_a_name_rule_is_built_from_its_arguments_in_order() -> None:
    rule = limits._rule("svc", 2, 9, r"^[a-z-]+$", "letters and hyphens", no_double_hyphen=True, no_edge_hyphen=True)
    assert rule == limits.NameRule(
        "svc", 2, 9, re.compile(r"^[a-z-]+$"), "letters and hyphens", no_double_hyphen=True, no_edge_hyphen=True
    )
    plain = limits._rule("s", 1, 3, r"^a$", "a")
    assert (plain.no_double_hyphen, plain.no_edge_hyphen) == (False, False)
    assert plain.pattern.pattern == "^a$"
