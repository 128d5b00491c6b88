"""secrets: recovery window by environment; no secret value in the stack's outputs."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pulumi_aws as aws
from pulumi_policy import ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from marin.config import SECRET_KEYS

from ._common import (
    decide_each,
    differs_from_config,
    num,
    resource_rule,
    setting,
    stack_config,
    stack_rule,
    stack_says,
    token,
)

# user:password@ in a connection string (mongodb://, redis://, https://, ...)
CREDENTIALS_IN_URI = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I)
SHORTEST_SECRET = 8  # shorter secret values (flags, enum-like strings) would match by accident
# Secret *stores*: their content is whatever was put in (an endpoint, say), and a credential put in
# is caught where it came from (a generated password, an AUTH token) or by its shape (a URI).
STORES = {
    token(aws.secretsmanager.SecretVersion): ("secretString", "secretBinary"),
    token(aws.ssm.Parameter): ("value", "insecureValue"),
}


def _window(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    """AWS: 0 (deleted at once) or 7 to 30 days, 30 when unset (DeleteSecret's RecoveryWindowInDays)."""
    days = args.props.get("recoveryWindowInDays", 30)
    minimum = setting(args, "minimumDays", 7 if stack_says("protectData") else 0)
    name = args.props.get("name")
    if why := differs_from_config("secretRecoveryWindowDays", days):
        yield f"secret {name!r} has a {num(days)}-day recovery window; {why}"
    if days < minimum:
        yield f"secret {name!r} has a {num(days)}-day recovery window; this stack keeps at least {num(minimum)}"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key in value:
            yield from _strings(value[key])
    elif isinstance(value, Sequence):
        for item in value:
            yield from _strings(item)


def _secret_values(args: StackValidationArgs) -> tuple[dict[str, str], UnknownValueError | None]:
    """Plaintext of every property a resource declares secret, by value -> 'resource.property'.

    The servicer unwraps secrets, so whether a *stack output* was marked secret is lost; what
    remains is each resource's `additionalSecretOutputs` option (the SDKs set it for passwords,
    AUTH tokens, generated values) and the plaintext values themselves.
    """
    values: dict[str, str] = {}
    unknown = None
    for r in args.resources:
        for key in r.opts.additional_secret_outputs or []:
            if key in STORES.get(r.resource_type, ()):
                continue
            try:
                for value in _strings(r.props.get(key)):
                    if len(value) >= SHORTEST_SECRET:
                        values.setdefault(value, f"{r.name}.{key}")
            except UnknownValueError as exc:  # generated during `up`: unknown in a first preview
                unknown = unknown or exc
    return values, unknown


def _outputs(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    secrets, unknown = _secret_values(args)
    stacks = [r for r in args.resources if r.resource_type == "pulumi:pulumi:Stack"]

    def one(item: tuple[Any, str]) -> Iterator[tuple[str, str]]:
        stack, key = item
        for text in _strings(stack.props[key]):
            source = next((where for value, where in secrets.items() if value in text), None)
            if source:
                yield (
                    stack.urn,
                    f"stack output {key!r} carries the secret value of {source}; outputs carry ARNs, never values",
                )
            elif CREDENTIALS_IN_URI.search(text):
                yield stack.urn, f"stack output {key!r} carries credentials in a URI; outputs carry ARNs, never values"

    yield from decide_each([(stack, key) for stack in stacks for key in stack.props], one)
    if unknown is not None:
        raise unknown


def _plaintext_config(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    """Keys the project declares secret (Pulumi.yaml `secret: true`) must be encrypted in the stack's
    config: the engine names the encrypted ones in ConfigureStack's `config_secret_keys`."""
    config, encrypted = stack_config()
    for key in SECRET_KEYS:
        if key.full_name in config and key.full_name not in encrypted:
            yield (
                f"{key.full_name} is in plaintext in the stack's config; "
                f"set it with `pulumi config set --secret {key.full_name}`"
            )


POLICIES = [
    resource_rule(
        "no-plaintext-secret-config",
        "Config keys declared secret are encrypted in the stack's config",
        ("pulumi:pulumi:Stack",),
        _plaintext_config,
    ),
    resource_rule(
        "secret-recovery-window",
        "Secrets keep the stack's secretRecoveryWindowDays; at least 7 with protectData (minimumDays)",
        (token(aws.secretsmanager.Secret),),
        _window,
        config={"minimumDays": {"type": "integer", "minimum": 0, "description": "default 7 with protectData, else 0"}},
    ),
    stack_rule("no-secret-outputs", "No secret value in the stack's outputs, marked secret or not", _outputs),
]
