"""protection: staging and prod data stores are protected (and keep the service's own guard)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from ._common import PROTECTED_ENVS, resource_rule

DATA_STORES = (
    "aws:s3/bucket:Bucket",
    "aws:secretsmanager/secret:Secret",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:opensearch/domain:Domain",
    "mongodbatlas:index/advancedCluster:AdvancedCluster",
    "mongodbatlas:index/project:Project",
)


def _check(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if env not in PROTECTED_ENVS:
        return
    # `protect` is the one deletion guard the analyzer receives (retainOnDelete is not in its options).
    if not args.opts.protect:
        yield f"{args.resource_type.split(':')[-1]} {args.name} in {env} is not protected (protect=True)"
    if (
        args.resource_type == "mongodbatlas:index/advancedCluster:AdvancedCluster"
        and args.props.get("terminationProtectionEnabled") is not True
    ):
        yield f"Atlas cluster {args.props.get('name')!r} in {env} has no termination protection"
    if args.resource_type == "aws:s3/bucket:Bucket" and args.props.get("forceDestroy"):
        yield f"bucket {args.props.get('bucket')!r} in {env} can be destroyed with its recordings (forceDestroy)"


POLICIES = [
    resource_rule(
        "data-protected-outside-dev", "Staging and prod data stores are protected from deletion", DATA_STORES, _check
    ),
]
