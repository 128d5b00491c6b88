"""storage tier: the call-recordings bucket, private, encrypted, TLS-only, with lifecycle rules and
server access logs (into the logging tier's access-log bucket)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components._outputs import declared
from components._policy import document, to_json
from marin.config import StackConfig, StorageConfig
from marin.iam import tls_only
from marin.naming import RECORDINGS_ACCESS_LOG_PREFIX, EnvironmentNames

NONCURRENT_VERSION_DAYS = 30  # an overwritten or deleted recording can be restored for 30 days


@dataclass(frozen=True)
class StorageArgs:
    config: StorageConfig
    stack: StackConfig
    names: EnvironmentNames
    access_log_bucket: pulumi.Output[str]
    """The logging tier's access-log bucket, once its policy lets S3 deliver there."""


class Storage(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:storage:Storage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-recordings",
            bucket=args.names.recordings_bucket,
            # Only a disposable environment may delete a bucket that still holds recordings.
            force_destroy=not args.stack.protect_data,
            opts=pulumi.ResourceOptions(parent=self, protect=args.stack.protect_data),
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            # SSE-S3. No bucket key: S3 Bucket Keys reduce calls to KMS and apply to SSE-KMS only
            # (S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys").
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=to_json(document(*tls_only(args.names.recordings_bucket))),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
        )
        # Every request to the recordings (who read or wrote which call, from where) lands in the
        # access-log bucket within hours (S3 User Guide, "Logging requests with server access logging").
        aws.s3.BucketLogging(
            f"{name}-access-logging",
            bucket=bucket.id,
            target_bucket=args.access_log_bucket,
            target_prefix=RECORDINGS_ACCESS_LOG_PREFIX,
            opts=child,
        )
        versioning = None
        if args.config.recordings_versioning:
            versioning = aws.s3.BucketVersioning(
                f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
            )

        rule: dict[str, object] = {
            "id": "recordings-retention",
            "status": "Enabled",
            "filter": {},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        }
        if args.config.recordings_transition_days:
            rule["transitions"] = [{"days": args.config.recordings_transition_days, "storage_class": "STANDARD_IA"}]
        if args.config.recordings_expiration_days:
            rule["expiration"] = {"days": args.config.recordings_expiration_days}
        elif args.config.recordings_versioning:
            # Kept forever: only clean up delete markers left without versions behind them.
            rule["expiration"] = {"expired_object_delete_marker": True}
        if args.config.recordings_versioning:
            rule["noncurrent_version_expiration"] = {"noncurrent_days": NONCURRENT_VERSION_DAYS}
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[rule],  # type: ignore[list-item]
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning] if versioning else []),
        )

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.register_outputs(declared(self))
