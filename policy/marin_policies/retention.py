"""retention: log groups keep exactly their environment's days (story: 7 / 14 / 30)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from ._common import LOG_RETENTION, num, resource_rule


def _check(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    expected = LOG_RETENTION.get(env)
    days = args.props.get("retentionInDays")
    if expected is not None and days != expected:
        yield f"log group {args.props.get('name')!r} keeps {num(days)} days; {env} keeps exactly {expected}"


POLICIES = [
    resource_rule(
        "log-retention-by-environment",
        "Log groups keep 7 (dev), 14 (staging) or 30 (prod) days",
        ("aws:cloudwatch/logGroup:LogGroup",),
        _check,
    ),
]
