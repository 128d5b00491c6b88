"""protection: staging and prod data stores are protected (and keep the service's own guard)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from ._common import resource_rule, setting, stack_says

DATA_STORES = (
    "aws:s3/bucket:Bucket",
    "aws:secretsmanager/secret:Secret",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:opensearch/domain:Domain",
    "mongodbatlas:index/advancedCluster:AdvancedCluster",
    "mongodbatlas:index/project:Project",
)


def _check(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if not setting(args, "required", stack_says("protectData")):
        return
    why = "the stack protects its data"
    # `protect` is the one deletion guard the analyzer receives (retainOnDelete is not in its options).
    if not args.opts.protect:
        yield f"{args.resource_type.split(':')[-1]} {args.name} is not protected (protect=True); {why}"
    if (
        args.resource_type == "mongodbatlas:index/advancedCluster:AdvancedCluster"
        and args.props.get("terminationProtectionEnabled") is not True
    ):
        yield f"Atlas cluster {args.props.get('name')!r} has no termination protection; {why}"
    if args.resource_type == "aws:s3/bucket:Bucket" and args.props.get("forceDestroy"):
        yield f"bucket {args.props.get('bucket')!r} can be destroyed with its recordings (forceDestroy); {why}"


POLICIES = [
    resource_rule(
        "data-protected",
        "Data stores are protected from deletion where the stack's protectData is true (required)",
        DATA_STORES,
        _check,
        config={"required": {"type": "boolean", "description": "default: the stack's protectData"}},
    ),
]
