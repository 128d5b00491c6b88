"""Staging mirrors production (story AC4, risk 3): only declared sizing, retention and identity differ."""

from __future__ import annotations

import copy

import pulumi_aws as aws
import pytest

from marin import stackfiles
from marin.config import SCHEMA
from marin.sdk import token
from offline import engine, parity, report


def test_staging_and_prod_configs_differ_only_in_declared_keys(committed: dict[str, dict[str, str]]) -> None:
    assert parity.undeclared_differences(committed["staging"], committed["prod"]) == []


def test_topology_keys_exist_so_the_check_is_not_empty() -> None:
    assert len([k for k in SCHEMA if k.category == "topology"]) >= 8


def test_a_topology_change_in_staging_is_reported(committed: dict[str, dict[str, str]]) -> None:
    changed = committed["staging"] | {"marin:flowLogs": "false"}
    assert parity.undeclared_differences(changed, committed["prod"]) == ["marin:flowLogs (topology): 'false' vs 'true'"]


def test_an_undeclared_key_difference_is_reported(committed: dict[str, dict[str, str]]) -> None:
    changed = committed["staging"] | {"aws:region": "eu-west-1"}
    assert parity.undeclared_differences(changed, committed["prod"]) == ["aws:region (undeclared): 'eu-west-1' vs None"]


@pytest.mark.parametrize(("source", "renamed"), [("staging", "prod"), ("prod", "staging")])
def test_the_program_derives_nothing_from_the_stack_name_but_names(source: str, renamed: str) -> None:
    assert parity.name_only_differences(source, renamed) == []


def test_the_inventory_comparison_sees_real_differences(all_inventories: dict[str, engine.Inventory]) -> None:
    dev, prod = (report.to_doc(all_inventories[env]) for env in ("dev", "prod"))
    differences = parity.differences(dev, prod)
    assert any("NatGateway" in d for d in differences)
    assert any("TaskDefinition" in d and "cpu" in d for d in differences)


def test_staging_has_the_same_resources_as_prod(all_inventories: dict[str, engine.Inventory]) -> None:
    staging, prod = all_inventories["staging"], all_inventories["prod"]
    keys = lambda inv: sorted(f"{r.type} {r.name}" for r in inv.resources)  # noqa: E731
    assert keys(staging) == keys(prod)
    assert stackfiles.environments()[:3] == ["dev", "staging", "prod"]


def test_the_comparison_sees_a_difference_in_an_ignored_input_or_in_ignore_changes() -> None:
    """A stack-name-derived value hidden from a preview (ignore_changes, optional computed inputs) is
    still a difference between two environments; so is a different ignore_changes list."""
    a = report.to_doc(engine.run_cached("staging", id_seed="parity"))
    for change in ("input", "option"):
        b = copy.deepcopy(a)
        service = next(r for r in b["resources"] if r["type"] == token(aws.ecs.Service))
        assert "desiredCount" in service["ignoreChanges"]  # autoscaling owns it after the first deploy
        if change == "input":
            service["inputs"]["desiredCount"] += 1
        else:
            service["ignoreChanges"].append("taskDefinition")
        assert parity.differences(a, b), change
