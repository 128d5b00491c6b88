"""sizing: a stack that does not protect data stays below a cost ceiling (advisory); a highly
available one stays above a capacity floor. Sizes rank by the catalogue's order (marin/catalogue.py,
cheapest first), the one the config validation and the cost model read; a size the catalogue does
not list cannot be ranked and is reported."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi_aws as aws
import pulumi_mongodbatlas as mongodbatlas
from pulumi_policy import ResourceValidationArgs

from marin import catalogue

from ._common import ADVISORY, get, num, resource_rule, setting, stack_says, token

TASK = token(aws.ecs.TaskDefinition)
REDIS = token(aws.elasticache.ReplicationGroup)
ATLAS = token(mongodbatlas.AdvancedCluster)
ORDER = catalogue.SIZES  # by config key, cheapest first
# Defaults (pack config `ceiling` / `floor` override them). Ceiling: story task 4's largest dev sizes.
# Floor: Atlas's smallest dedicated tier (M0 is shared: no backups, no dedicated replica set), the
# smallest ElastiCache node above micro, and a task of half a vCPU; the story's production floor
# (1024 / 2048, cache.t4g.medium, M20) is a pack config for a production stack (docs/policy.md).
CEILING = {"cpu": 512, "memory": 1024, "redisNodeType": "cache.t4g.small", "atlasInstanceSize": "M10"}
FLOOR = {"cpu": 512, "memory": 1024, "redisNodeType": "cache.t4g.small", "atlasInstanceSize": "M10"}
SIZES_SCHEMA = {
    "type": "object",
    "properties": {
        "cpu": {"type": "integer"},
        "memory": {"type": "integer"},
        "redisNodeType": {"type": "string", "enum": list(ORDER["redisNodeType"])},
        "atlasInstanceSize": {"type": "string", "enum": list(ORDER["atlasInstanceSize"])},
    },
}


def _sizes(args: ResourceValidationArgs) -> dict[str, Any]:
    p = args.props
    if args.resource_type == TASK:
        return {"cpu": float(p.get("cpu", 0)), "memory": float(p.get("memory", 0))}
    if args.resource_type == REDIS:
        return {"redisNodeType": p.get("nodeType", "")}
    return {"atlasInstanceSize": get(p, "replicationSpecs.0.regionConfigs.0.electableSpecs.instanceSize", "")}


def _compare(args: ResourceValidationArgs, bound: dict[str, Any], sign: int, what: str) -> Iterator[str]:
    """Each size against `bound`: `sign` 1 reports sizes above it, -1 sizes below it."""
    for key, size in _sizes(args).items():
        limit = bound.get(key)
        if limit is None:
            continue
        if key in ORDER:
            if size not in ORDER[key]:
                yield f"{key} {size!r} is not in the catalogue (marin/catalogue.py): cannot be ranked"
                continue
            over = (ORDER[key].index(size) - ORDER[key].index(limit)) * sign > 0
        else:
            over = (size - limit) * sign > 0
        if over:
            yield f"{key} {num(size)} is {what} {num(limit)}"


def _ceiling(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if not stack_says("protectData"):
        yield from _compare(
            args, {**CEILING, **setting(args, "ceiling", {})}, 1, "above the ceiling of a stack without protectData:"
        )


def _floor(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if stack_says("highAvailability"):
        yield from _compare(
            args, {**FLOOR, **setting(args, "floor", {})}, -1, "below the floor of a highly available stack:"
        )


POLICIES = [
    resource_rule(
        "cost-ceiling",
        "Without protectData, task, Redis and Atlas sizes stay at or below the ceiling (ceiling)",
        (TASK, REDIS, ATLAS),
        _ceiling,
        level=ADVISORY,
        config={"ceiling": SIZES_SCHEMA},
    ),
    resource_rule(
        "capacity-floor",
        "With highAvailability, task, Redis and Atlas sizes stay at or above the floor (floor)",
        (TASK, REDIS, ATLAS),
        _floor,
        config={"floor": SIZES_SCHEMA},
    ),
]
