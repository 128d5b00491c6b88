"""protection: staging and prod data stores are protected (and keep the service's own guard)."""

from __future__ import annotations

from collections.abc import Iterator

import pulumi_aws as aws
import pulumi_mongodbatlas as mongodbatlas
from pulumi_policy import ResourceValidationArgs

from ._common import resource_rule, setting, stack_says, token

BUCKETS = (token(aws.s3.Bucket), token(aws.s3.BucketV2))
DATA_STORES = (
    *BUCKETS,
    token(aws.secretsmanager.Secret),
    token(aws.elasticache.ReplicationGroup),
    token(aws.opensearch.Domain),
    token(mongodbatlas.AdvancedCluster),
    token(mongodbatlas.Project),
)


def _check(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if not setting(args, "required", stack_says("protectData")):
        return
    why = "the stack protects its data"
    # `protect` is the one deletion guard the analyzer receives (retainOnDelete is not in its options).
    if not args.opts.protect:
        yield f"{args.resource_type.split(':')[-1]} {args.name} is not protected (protect=True); {why}"
    if (
        args.resource_type == token(mongodbatlas.AdvancedCluster)
        and args.props.get("terminationProtectionEnabled") is not True
    ):
        yield f"Atlas cluster {args.props.get('name')!r} has no termination protection; {why}"
    if args.resource_type in BUCKETS and args.props.get("forceDestroy"):
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
