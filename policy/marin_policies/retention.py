"""retention: log groups keep the days the stack's config says, and at least 14 where data is protected."""

from __future__ import annotations

from collections.abc import Iterator

import pulumi_aws as aws
from pulumi_policy import ResourceValidationArgs

from ._common import differs_from_config, num, resource_rule, setting, stack_says, token

PROTECTED_MINIMUM_DAYS = 14  # story 1.8: the shortest retention of an environment with real data


def _check(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    days = args.props.get("retentionInDays") or 0  # 0 or unset: never expires
    minimum = setting(args, "minimumDays", PROTECTED_MINIMUM_DAYS if stack_says("protectData") else 1)
    name = args.props.get("name")
    if why := differs_from_config("logRetentionDays", days):
        yield f"log group {name!r} keeps {num(days)} days; {why}"
    if days and days < minimum:
        yield f"log group {name!r} keeps {num(days)} days; this stack keeps at least {num(minimum)}"


POLICIES = [
    resource_rule(
        "log-retention",
        "Log groups keep the stack's logRetentionDays; at least 14 days with protectData (minimumDays)",
        (token(aws.cloudwatch.LogGroup),),
        _check,
        config={"minimumDays": {"type": "integer", "minimum": 1, "description": "default 14 with protectData, else 1"}},
    ),
]
