"""Run the policy pack's rules over a mocked inventory, as `pulumi preview --policy-pack` would.

Builds the analyzer's argument objects (ResourceValidationArgs with the provider, options and
props; StackValidationArgs with dependencies) from what the mock engine recorded, and calls every
rule's `validate` directly. Never constructs `PolicyPack` (that starts the analyzer server).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from marin.stackfiles import PROJECT_ROOT
from offline import engine

sys.path.insert(0, str(PROJECT_ROOT / "policy"))
from marin_policies import ALL_POLICIES


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"[{self.policy}] {self.resource}: {self.message}"


def _provider_props(inputs: dict[str, Any]) -> dict[str, Any]:
    """Provider config arrives JSON-encoded for nested values (as the engine passes it)."""
    out = {}
    for k, v in inputs.items():
        try:
            out[k] = json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v
        except ValueError:
            out[k] = v
    return out


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def resources_of(inv: engine.Inventory) -> list[tuple[engine.Resource, dict[str, Any]]]:
    return [(r, engine.unwrap(r.inputs)) for r in inv.resources if r.custom]


def check(inv: engine.Inventory, policies: list[Any] | None = None) -> list[Violation]:
    """Every violation the rules report for this inventory (resource rules, then stack rules)."""
    policies = ALL_POLICIES if policies is None else policies
    records = resources_of(inv)
    providers = {
        r.urn: PolicyProviderResource(r.type, _provider_props(props), r.urn, r.name)
        for r, props in records
        if r.type.startswith("pulumi:providers:")
    }
    stack_urn = f"urn:pulumi:{inv.env}::marin::pulumi:pulumi:Stack::marin-{inv.env}"
    violations: list[Violation] = []

    def reporter(policy: str, resource: str) -> Any:
        return lambda message, urn=None: violations.append(Violation(policy, resource, message))

    def options(r: engine.Resource) -> PolicyResourceOptions:
        return PolicyResourceOptions(
            r.protect, list(r.ignore_changes), None, [], PolicyCustomTimeouts(0, 0, 0), [], r.parent or None
        )

    resource_args = [
        ResourceValidationArgs(
            r.type,
            props,
            r.urn,
            r.name,
            options(r),
            providers.get(r.provider.rsplit("::", 1)[0]) if r.provider else None,
        )
        for r, props in records
    ]
    for policy in (p for p in policies if isinstance(p, ResourceValidationPolicy)):
        for args in resource_args:
            policy.validate(args, reporter(policy.name, args.name))

    # Stack view: dependencies are the resources whose id or ARN a resource's inputs mention.
    by_ref: dict[str, PolicyResource] = {}
    stack_resources: list[PolicyResource] = []
    for r, props in records:
        resource = PolicyResource(r.type, props, r.urn, r.name, options(r), None, None, [], {})
        stack_resources.append(resource)
        for key in ("id", "arn"):
            if isinstance(r.outputs.get(key), str):
                by_ref[r.outputs[key]] = resource
    for resource in stack_resources:
        resource.dependencies = [by_ref[s] for s in _strings(resource.props) if s in by_ref]
        resource.property_dependencies = {
            k: [by_ref[s] for s in _strings(v) if s in by_ref] for k, v in resource.props.items()
        }
    stack_resources.append(
        PolicyResource(
            "pulumi:pulumi:Stack",
            inv.outputs,
            stack_urn,
            f"marin-{inv.env}",
            PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None),
            None,
            None,
            [],
            {},
        )
    )
    for policy in (p for p in policies if isinstance(p, StackValidationPolicy)):
        policy.validate(StackValidationArgs(stack_resources), reporter(policy.name, f"stack {inv.env}"))
    return violations
