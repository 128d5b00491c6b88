"""Refactoring keeps every resource's identity: each URN main had at 1fea684 is still a resource's
URN or one of its aliases, so a real `pulumi up` after the refactoring replaces nothing.

The engine identifies a resource by its URN, `urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>`,
and takes a resource whose alias resolves to an existing URN for that resource (pulumi/pulumi
`sdk/go/common/resource/urn.go` NewURN; `pkg/resource/deploy/step_generator.go`, alias handling).
`tests/fixtures/urns-1fea684.json` is the URN set of each committed stack on main at 1fea684.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline import engine
from tests.conftest import inventory_of

BEFORE = json.loads((Path(__file__).parent / "fixtures" / "urns-1fea684.json").read_text(encoding="utf-8"))


def alias_urns(resource: engine.Resource, by_urn: dict[str, engine.Resource]) -> set[str]:
    """The URNs a resource's aliases name, resolved as the engine resolves an alias spec."""
    stack, project = resource.urn.split("::")[0].removeprefix("urn:pulumi:"), resource.urn.split("::")[1]
    out = set()
    for alias in resource.request.aliases:
        if alias.urn:
            out.add(alias.urn)
            continue
        spec = alias.spec
        parent = spec.parentUrn or ("" if spec.noParent else resource.parent)
        parent_type = parent.split("::")[2] if parent and parent.split("::")[2] != "pulumi:pulumi:Stack" else ""
        kind = spec.type or resource.type
        qualified = f"{parent_type}${kind}" if parent_type else kind
        out.add(
            f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::{qualified}::{spec.name or resource.name}"
        )
    return out


def identities(inv: engine.Inventory) -> set[str]:
    by_urn = inv.by_urn
    return {r.urn for r in inv.resources} | {u for r in inv.resources for u in alias_urns(r, by_urn)}


@pytest.mark.parametrize("env", sorted(BEFORE))
def test_every_resource_of_main_at_1fea684_keeps_its_identity(env: str) -> None:
    lost = sorted(set(BEFORE[env]) - identities(inventory_of(env)))
    assert lost == [], f"{len(lost)} resources would be deleted and recreated: {lost}"


def test_the_moved_ingress_resources_are_children_of_the_ingress_with_an_alias_to_compute() -> None:
    inv = inventory_of("dev")
    moved = [r for r in inv.resources if r.parent.endswith("::ingress") and r.custom]
    assert moved, "no resource under the ingress component"
    for r in moved:
        former = f"urn:pulumi:dev::marin::marin:compute:Compute${r.type}::compute-{r.name.removeprefix('ingress-')}"
        assert former in alias_urns(r, inv.by_urn)
