"""S3: public access blocked, encryption, TLS-only policy, versioning where data is protected,
server access logs, and log buckets ELB and S3 can deliver to.

Each control is decided on its own resource, before the engine creates it (resource rules). Stack
rules check what takes several resources (every bucket has each control attached; who writes logs
into which bucket), matched through the engine's property dependencies (so they decide during a
first preview, when ids are unknown).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi_aws as aws
from pulumi_policy import ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from ._common import (
    _is_map,
    attached,
    decide_each,
    get,
    json_of,
    listed,
    of_type,
    resource_rule,
    setting,
    stack_rule,
    stack_says,
    token,
)
from .guard import LOGGED_BALANCERS
from .iam import covers, everyone

# pulumi-aws still ships the V2 tokens of a bucket and its controls: both are matched.
BUCKETS = (token(aws.s3.Bucket), token(aws.s3.BucketV2))
BLOCK = (token(aws.s3.BucketPublicAccessBlock),)
SSE = (token(aws.s3.BucketServerSideEncryptionConfiguration), token(aws.s3.BucketServerSideEncryptionConfigurationV2))
POLICY = (token(aws.s3.BucketPolicy),)
VERSIONING = (token(aws.s3.BucketVersioning), token(aws.s3.BucketVersioningV2))
LOGGING = (token(aws.s3.BucketLogging), token(aws.s3.BucketLoggingV2))
# Server access logs configured on the bucket itself, deprecated but still inputs in pulumi-aws
# 7.51.1: `logging` of aws.s3.Bucket (one object), `loggings` of aws.s3.BucketV2 (a list of one).
INLINE_LOGGING = ("logging.targetBucket", "loggings.0.targetBucket")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
BLOCKS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
PROTECTED = {"required": {"type": "boolean", "description": "default: the stack's protectData"}}


def _public_access(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    open_ = [k for k in BLOCKS if args.props.get(k) is not True]
    if open_:
        yield f"public access block {args.name} leaves {', '.join(open_)} off"


def _encryption(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if get(args.props, "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm") not in ALGORITHMS:
        yield f"encryption configuration {args.name} sets no default server-side encryption"


def _denies_plain_http(statement: Any, bucket: str) -> bool:
    """A Deny of every S3 action by everyone on the bucket and its objects when aws:SecureTransport
    is false (a list of values, and any case in the key, are valid IAM)."""
    if not _is_map(statement) or statement.get("Effect") != "Deny":
        return False
    condition = get(statement, "Condition.Bool")
    keys = [k for k in condition if k.lower() == "aws:securetransport"] if _is_map(condition) else []
    secure = [str(v).lower() for k in keys for v in listed(condition[k])]
    resources = statement.get("Resource") or []
    return (
        "false" in secure
        and everyone(statement.get("Principal"))
        and covers(statement.get("Action") or [], "s3:marinprobe", action=True)
        and any(
            covers(resources, f"arn:{p}:s3:::{bucket}") and covers(resources, f"arn:{p}:s3:::{bucket}/marinprobe")
            for p in PARTITIONS
        )
    )


def _tls_only(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    # The document names the bucket's ARN: unknown during a first preview (the note says so).
    document = json_of(args.props["policy"])
    bucket = str(args.props.get("bucket"))
    statements = document.get("Statement", []) if _is_map(document) else []
    if not any(_denies_plain_http(s, bucket) for s in listed(statements)):
        yield (
            f"bucket policy {args.name} does not deny requests without TLS (aws:SecureTransport) "
            "to everyone, for every S3 action, on the bucket and its objects"
        )


def _versioning(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    status = get(args.props, "versioningConfiguration.status")
    if setting(args, "required", stack_says("protectData")) and status != "Enabled":
        yield f"bucket versioning {args.name} is {status}; the stack protects its data"


def _controls(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    """Every bucket has each control attached (versioning where the stack protects its data)."""
    wanted = {BLOCK: "public access block", SSE: "default encryption", POLICY: "bucket policy"}
    if setting(args, "versioning", stack_says("protectData")):
        wanted[VERSIONING] = "versioning"

    def one(bucket: Any) -> Iterator[tuple[str, str]]:
        missing = [
            what for types, what in wanted.items() if not attached(args, types, "bucket", bucket, ("bucket", "id"))
        ]
        if missing:
            yield bucket.urn, f"bucket {bucket.props.get('bucket')!r} has no {', '.join(missing)}"

    return decide_each(of_type(args, *BUCKETS), one)


def _receives_logs(args: StackValidationArgs, bucket: Any) -> bool:
    """A bucket some bucket's server access logs (a logging resource, or a bucket's own `logging`) or
    some load balancer's access logs go to."""
    names = ("bucket", "id")
    return bool(
        attached(args, LOGGING, "targetBucket", bucket, names)
        or any(attached(args, BUCKETS, key, bucket, names) for key in INLINE_LOGGING)
        or attached(args, LOGGED_BALANCERS, "accessLogs.bucket", bucket, names)
    )


def _logs_inline(bucket: Any) -> bool:
    """The bucket's own `logging`/`loggings` names a target (an unknown one during preview does too)."""
    for key in INLINE_LOGGING:
        try:
            if get(bucket.props, key) is not None:
                return True
        except UnknownValueError:
            return True
    return False


def _bucket_logging(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    """Every bucket sends server access logs somewhere, but the buckets that receive logs."""
    if not setting(args, "required", stack_says("protectData")):
        return iter(())

    def one(bucket: Any) -> Iterator[tuple[str, str]]:
        sends = _logs_inline(bucket) or attached(args, LOGGING, "bucket", bucket, ("bucket", "id"))
        if not sends and not _receives_logs(args, bucket):
            name = bucket.props.get("bucket")
            yield bucket.urn, f"bucket {name!r} sends no server access logs; the stack protects its data"

    return decide_each(of_type(args, *BUCKETS), one)


def _log_bucket_encryption(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    """A bucket that receives access logs encrypts with SSE-S3: ELB delivers to no other (ELB User
    Guide, "Enable access logs", bucket requirements), nor do S3 server access logs."""

    def one(bucket: Any) -> Iterator[tuple[str, str]]:
        if not _receives_logs(args, bucket):
            return
        for sse in attached(args, SSE, "bucket", bucket, ("bucket", "id")):
            algorithm = get(sse.props, "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm")
            if algorithm != "AES256":
                yield (
                    sse.urn,
                    (
                        f"bucket {bucket.props.get('bucket')!r} receives access logs but encrypts with {algorithm}; "
                        "ELB and S3 log delivery write only to SSE-S3 (AES256) buckets"
                    ),
                )

    return decide_each(of_type(args, *BUCKETS), one)


POLICIES = [
    resource_rule("s3-block-public-access", "Buckets block all public access", BLOCK, _public_access, control="S3.8"),
    resource_rule(
        "s3-default-encryption", "Buckets encrypt objects at rest by default", SSE, _encryption, control="S3.4"
    ),
    resource_rule("s3-tls-only", "Bucket policies deny requests without TLS", POLICY, _tls_only, control="S3.5"),
    resource_rule(
        "s3-versioning",
        "Buckets keep object versions where the stack's protectData is true (required)",
        VERSIONING,
        _versioning,
        control="S3.14",
        config=PROTECTED,
    ),
    stack_rule(
        "s3-bucket-controls",
        "Every bucket has its public access block, encryption, bucket policy and (protectData) versioning",
        _controls,
        config={"versioning": {"type": "boolean", "description": "default: the stack's protectData"}},
    ),
    stack_rule(
        "s3-bucket-logging",
        "Buckets send server access logs where the stack's protectData is true (required); log buckets excepted",
        _bucket_logging,
        control="S3.9",
        config=PROTECTED,
    ),
    stack_rule(
        "access-log-bucket-sse-s3",
        "Buckets that receive access logs (load balancer, S3 server access) encrypt with SSE-S3",
        _log_bucket_encryption,
    ),
]
