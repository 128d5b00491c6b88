"""Shared helpers of the marin rules: the stack's environment, the story's values, rule builders."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeGuard, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UnknownValueError

from marin.sdk import token  # noqa: F401 - the one copy; the rules import it from here

T = TypeVar("T")
PROJECT = "marin"
ADVISORY, MANDATORY = EnforcementLevel.ADVISORY, EnforcementLevel.MANDATORY
SECRET_PATH = "{env}/audio-pipeline/"
# The stack's config as the engine sends it before any resource (ConfigureStack's `config`, secret
# values decrypted, and `config_secret_keys`: pulumi pkg/resource/plugin/analyzer_plugin.go).
# pulumi_policy 1.21 keeps only the stack's tags from that request; `keep_stack_config` (run by
# the pack's __main__.py) keeps the rest on the servicer class, the one object every load of the
# pack shares. What a stack must meet follows from what its config says (protectData,
# highAvailability), never from its name.


def keep_stack_config() -> None:
    """Wrap the servicer's ConfigureStack to keep the stack's config and its encrypted keys."""
    configure = _PolicyAnalyzerServicer.ConfigureStack
    if getattr(configure, "keeps_stack_config", False):
        return

    def configure_stack(self: Any, request: Any, _context: Any) -> Any:
        # The engine decrypts secrets before ConfigureStack (pulumi pkg/engine/update.go): their
        # values are not kept, only that they are encrypted.
        encrypted = list(request.config_secret_keys)
        config = {k: v for k, v in request.config.items() if k not in encrypted}
        type(self).stack_config = (config, encrypted)
        return configure(self, request, _context)

    configure_stack.keeps_stack_config = True  # type: ignore[attr-defined]
    _PolicyAnalyzerServicer.ConfigureStack = configure_stack


def stack_config() -> tuple[dict[str, str], list[str]]:
    """The stack's plaintext config (`marin:key` -> string) and the keys it holds encrypted."""
    return getattr(_PolicyAnalyzerServicer, "stack_config", ({}, []))


def stack_says(key: str) -> bool:
    """A boolean `marin:<key>` of the stack's config; true when the analyzer was not told (the
    strict reading: a stack whose config is unknown is checked as protected and highly available)."""
    value = stack_value(key)
    return value is None or value.strip().lower() == "true"


def stack_value(key: str) -> str | None:
    return stack_config()[0].get(f"{PROJECT}:{key}")


def differs_from_config(key: str, value: float) -> str | None:
    """Why `value` is not the stack's numeric `marin:<key>`; None when equal or unset."""
    configured = stack_value(key)
    if configured is None:
        return None
    try:
        return None if value == float(configured) else f"the stack's {key} is {configured}"
    except ValueError:
        return f"the stack's {key} {configured!r} is not a number"


def setting(args: ResourceValidationArgs | StackValidationArgs, name: str, default: Any) -> Any:
    """A rule's threshold: its `--policy-pack-config` value, else `default` (from the stack's config)."""
    return args.get_config().get(name, default)


def environment(urn: str) -> str:
    """`urn:pulumi:<stack>::marin::...` -> the stack name, which is the environment."""
    return urn.partition("::")[0].rpartition(":")[2]


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
StackCheck = Callable[[StackValidationArgs], Iterable[tuple[str, str]]]
"""Yields (URN of the resource at fault, message): every diagnostic names its resource."""


def resource_rule(
    name: str,
    description: str,
    types: tuple[str, ...],
    check: Check,
    *,
    control: str | None = None,
    level: EnforcementLevel = MANDATORY,
    config: dict[str, dict[str, Any]] | None = None,
) -> ResourceValidationPolicy:
    """A rule over single resources of `types` (empty: every resource); `check` yields messages.
    `config`: the JSON schema of its `--policy-pack-config` properties (no `default`: the engine
    would send it, and a threshold's default comes from the stack's config)."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if types and args.resource_type not in types:
            return
        for message in check(args, environment(args.urn)):
            report(message, None)

    return ResourceValidationPolicy(
        validate=validate,
        config_schema=PolicyConfigSchema(properties=config) if config else None,
        **_metadata(name, description, control, level),
    )


def stack_rule(
    name: str,
    description: str,
    check: StackCheck,
    *,
    control: str | None = None,
    level: EnforcementLevel = MANDATORY,
    config: dict[str, dict[str, Any]] | None = None,
) -> StackValidationPolicy:
    """A rule over the whole stack (several resources together)."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        for urn, message in check(args):
            report(message, urn)

    return StackValidationPolicy(
        validate=validate,
        config_schema=PolicyConfigSchema(properties=config) if config else None,
        **_metadata(name, description, control, level),
    )


def _is_map(value: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping)


def _is_seq(value: Any) -> TypeGuard[Sequence[Any]]:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def listed(value: Any) -> list[Any]:
    """A value IAM allows as one item or a list (Statement, Action, Resource...), as a list."""
    return list(value) if _is_seq(value) else [value]


def get(props: Any, path: str, default: Any = None) -> Any:
    """props['a']['b'][0] as get(props, 'a.b.0'), None-safe.

    Walks the analyzer's proxies (`Mapping` / `Sequence`, not `dict` / `list`); an unknown value on
    the way raises pulumi_policy's `UnknownValueError`, which the servicer reports as an advisory
    "can't run policy ... during preview" note.
    """
    value = props
    for part in path.split("."):
        if _is_seq(value) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif _is_map(value):
            value = value.get(part)
        else:
            return default
        if value is None:
            return default
    return value


def is_set(props: Any, key: str) -> bool:
    """The property has a value: non-empty, or unknown during preview (it will have one)."""
    if not _is_map(props) or key not in list(props):  # listing the keys reads no value
        return False
    try:
        return bool(props[key])
    except UnknownValueError:
        return True


def json_of(value: Any) -> Any:
    """A JSON document property (a string, or already a document), or None when malformed.

    An unknown document raises `UnknownValueError` where the rule reads the property, before this.
    """
    if _is_map(value) or _is_seq(value):
        return value
    try:
        return json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None


def provider_input(provider: Any, key: str) -> Any:
    """A provider input as the analyzer receives it: the Python SDK registers every non-string
    provider input JSON-encoded (`defaultTags`, `allowedAccountIds`), the engine passes the
    provider's inputs through as they are, and pulumi_policy does not decode them."""
    value = get(provider.props, key) if provider is not None else None
    if isinstance(value, str) and value[:1] in "[{":
        return json_of(value)
    return value


def decide_each(items: Iterable[Any], check: Callable[[Any], Iterable[T]]) -> Iterator[T]:
    """Run `check` on every item: report what it decides, then raise the first unknown value.

    A rule thus reports every violation it can see during preview, and pulumi_policy still turns
    what it could not decide into its advisory "can't run policy ... during preview" note.
    """
    unknown: UnknownValueError | None = None
    for item in items:
        try:
            yield from check(item)
        except UnknownValueError as exc:
            unknown = unknown or exc
    if unknown is not None:
        raise unknown


def num(value: Any) -> str:
    """Numbers reach the analyzer as floats (protobuf Struct): print 6379.0 as 6379."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def of_type(args: StackValidationArgs, *types: str) -> list[Any]:
    return [r for r in args.resources if r.resource_type in types]


def attached(
    args: StackValidationArgs, types: tuple[str, ...], key: str, target: Any, names: tuple[str, ...]
) -> list[Any]:
    """Resources of `types` whose input `key` (a dotted path: `accessLogs.bucket`) refers to
    `target`: by the engine's property dependencies of its top-level input (known during preview,
    when ids are not), or, where a literal was passed, by value against `target`'s properties
    `names` (e.g. a bucket's name, then its id)."""
    out = []
    for r in of_type(args, *types):
        deps = r.property_dependencies.get(key.partition(".")[0]) or []
        if deps:
            if any(d is target for d in deps):
                out.append(r)
            continue
        value = get(r.props, key)
        if value is not None and any(get(target.props, n) == value for n in names):
            out.append(r)
    return out
