"""secrets: recovery window by environment; no secret value in the stack's plaintext outputs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from ._common import num, resource_rule, stack_rule

SECRET_LOOKING = re.compile(r"(password|token|secret|uri|key)(?!.*(arn|id|name|path)s?$)", re.I)


def _window(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    days = args.props.get("recoveryWindowInDays", 30)
    allowed = {"dev": (0,), "staging": tuple(range(7, 31)), "prod": (30,)}.get(env)
    if allowed is not None and days not in allowed:
        yield f"secret {args.props.get('name')!r} has a {num(days)}-day recovery window; {env} needs " + (
            "0" if env == "dev" else "30" if env == "prod" else "7 to 30"
        )


def _outputs(args: StackValidationArgs, env: str) -> Iterator[str]:
    for stack in (r for r in args.resources if r.resource_type == "pulumi:pulumi:Stack"):
        for key, value in stack.props.items():
            if SECRET_LOOKING.search(key) and isinstance(value, str) and not value.startswith("arn:"):
                yield f"stack output {key!r} looks like a secret value in plaintext"


POLICIES = [
    resource_rule(
        "secret-recovery-window",
        "Secrets keep 0 (dev), 7-30 (staging) or 30 (prod) days after deletion",
        ("aws:secretsmanager/secret:Secret",),
        _window,
    ),
    stack_rule("no-secret-outputs", "No secret value in the stack's plaintext outputs", _outputs),
]
