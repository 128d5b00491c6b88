"""Shared helpers of the marin rules: the stack's environment, the story's values, rule builders."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

PROJECT = "marin"
ADVISORY, MANDATORY = EnforcementLevel.ADVISORY, EnforcementLevel.MANDATORY
# The story's per-environment values (story 1.8); other environments get the rules that hold everywhere.
LOG_RETENTION = {"dev": 7, "staging": 14, "prod": 30}
PROTECTED_ENVS = ("staging", "prod")
SECRET_PATH = "{env}/audio-pipeline/"


def environment(urn: str) -> str:
    """`urn:pulumi:<stack>::marin::...` -> the stack name, which is the environment."""
    return urn.split("::", maxsplit=1)[0].rsplit(":", 1)[-1]


def fsbp(control: str | None) -> PolicyComplianceFramework | None:
    if control is None:
        return None
    return PolicyComplianceFramework(
        name="AWS Foundational Security Best Practices", version="1.0.0", reference=control
    )


def _metadata(name: str, description: str, control: str | None, level: EnforcementLevel) -> dict[str, Any]:
    """What every rule declares besides its check: name, description, level, FSBP control."""
    return {
        "name": name,
        "description": description,
        "enforcement_level": level,
        "framework": fsbp(control),
        "tags": [control] if control else None,
    }


Check = Callable[[ResourceValidationArgs, str], Iterable[str]]
StackCheck = Callable[[StackValidationArgs, str], Iterable[str]]


def resource_rule(
    name: str,
    description: str,
    types: tuple[str, ...],
    check: Check,
    *,
    control: str | None = None,
    level: EnforcementLevel = MANDATORY,
) -> ResourceValidationPolicy:
    """A rule over single resources of `types` (empty: every resource); `check` yields messages."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if types and args.resource_type not in types:
            return
        for message in check(args, environment(args.urn)):
            report(message, None)

    return ResourceValidationPolicy(validate=validate, **_metadata(name, description, control, level))


def stack_rule(
    name: str, description: str, check: StackCheck, *, control: str | None = None, level: EnforcementLevel = MANDATORY
) -> StackValidationPolicy:
    """A rule over the whole stack (several resources together)."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        env = environment(args.resources[0].urn) if args.resources else ""
        for message in check(args, env):
            report(message, None)

    return StackValidationPolicy(validate=validate, **_metadata(name, description, control, level))


def get(props: Any, path: str, default: Any = None) -> Any:
    """props['a']['b'][0] as get(props, 'a.b.0'), None-safe."""
    value = props
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return default
        if value is None:
            return default
    return value


def json_of(value: Any) -> Any:
    """A JSON document property, or None while it is unknown (preview of a new stack) or malformed."""
    if isinstance(value, (dict, list)):
        return value
    try:
        return json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None


def num(value: Any) -> str:
    """Numbers reach the analyzer as floats (protobuf Struct): print 6379.0 as 6379."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def of_type(args: StackValidationArgs, type_: str) -> list[Any]:
    return [r for r in args.resources if r.resource_type == type_]
