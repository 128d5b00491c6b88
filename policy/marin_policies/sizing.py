"""sizing: dev may not use production-grade sizes (cost guard); prod may not fall below its floor."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from ._common import ADVISORY, get, resource_rule

REDIS_ORDER = ("cache.t4g.micro", "cache.t4g.small", "cache.t4g.medium", "cache.m7g.large", "cache.r7g.large")
ATLAS_ORDER = ("M0", "M10", "M20", "M30", "M40", "M50", "M60")
# (task cpu, task memory, redis node, atlas tier): dev's ceiling and prod's floor (story task 4)
DEV_CEILING = (512, 1024, "cache.t4g.small", "M10")
PROD_FLOOR = (1024, 2048, "cache.t4g.medium", "M20")


def _sizes(args: ResourceValidationArgs) -> tuple[str, float, float | str] | None:
    p = args.props
    if args.resource_type == "aws:ecs/taskDefinition:TaskDefinition":
        return "task", float(p.get("cpu", 0)), float(p.get("memory", 0))
    if args.resource_type == "aws:elasticache/replicationGroup:ReplicationGroup":
        return "redis", 0, p.get("nodeType", "")
    if args.resource_type == "mongodbatlas:index/advancedCluster:AdvancedCluster":
        return "atlas", 0, get(p, "replicationSpecs.0.regionConfigs.0.electableSpecs.instanceSize", "")
    return None


def _rank(order: tuple[str, ...], value: str) -> int:
    return order.index(value) if value in order else len(order)


def _check_dev(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    sizes = _sizes(args)
    if env != "dev" or sizes is None:
        return
    kind, cpu, other = sizes
    cpu_max, mem_max, redis_max, atlas_max = DEV_CEILING
    if kind == "task" and (cpu > cpu_max or float(other) > mem_max):
        yield (
            f"task {args.props.get('family')!r} is {cpu:g} CPU / {float(other):g} MiB; "
            f"dev allows at most {cpu_max} / {mem_max}"
        )
    if kind == "redis" and _rank(REDIS_ORDER, str(other)) > _rank(REDIS_ORDER, redis_max):
        yield f"Redis node {other} is production-grade; dev allows at most {redis_max}"
    if kind == "atlas" and _rank(ATLAS_ORDER, str(other)) > _rank(ATLAS_ORDER, atlas_max):
        yield f"Atlas tier {other} is production-grade; dev allows at most {atlas_max}"


def _check_prod(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    sizes = _sizes(args)
    if env != "prod" or sizes is None:
        return
    kind, cpu, other = sizes
    cpu_min, mem_min, redis_min, atlas_min = PROD_FLOOR
    if kind == "task" and (cpu < cpu_min or float(other) < mem_min):
        yield (
            f"task {args.props.get('family')!r} is {cpu:g} CPU / {float(other):g} MiB; "
            f"prod needs at least {cpu_min} / {mem_min}"
        )
    if kind == "redis" and _rank(REDIS_ORDER, str(other)) < _rank(REDIS_ORDER, redis_min):
        yield f"Redis node {other} is below prod's floor {redis_min}"
    if kind == "atlas" and _rank(ATLAS_ORDER, str(other)) < _rank(ATLAS_ORDER, atlas_min):
        yield f"Atlas tier {other} is below prod's floor {atlas_min}"


SIZED = (
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "mongodbatlas:index/advancedCluster:AdvancedCluster",
)
POLICIES = [
    resource_rule(
        "dev-cost-ceiling", "Dev uses no production-grade task, Redis or Atlas sizes", SIZED, _check_dev, level=ADVISORY
    ),
    resource_rule(
        "prod-capacity-floor",
        "Prod tasks, Redis and Atlas are at least the story's production sizes",
        SIZED,
        _check_prod,
    ),
]
