"""S3: public access blocked, encryption, TLS-only policy, versioning in staging and prod.

Stack rules: each needs a bucket together with the resources attached to it, matched through the
engine's property dependencies (so they decide during a first preview, when ids are unknown).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi_aws as aws
from pulumi_policy import StackValidationArgs

from ._common import (
    _is_map,
    _is_seq,
    attached,
    decide_each,
    get,
    json_of,
    of_type,
    setting,
    stack_rule,
    stack_says,
    token,
)

BUCKET = token(aws.s3.Bucket)
BLOCKS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


def _each_bucket(args: StackValidationArgs, type_: str, check: Any) -> Iterator[tuple[str, str]]:
    """`check(name, attachments)` for every bucket, with the resources of `type_` attached to it."""

    def one(bucket: Any) -> Iterator[tuple[str, str]]:
        for message in check(bucket.props.get("bucket"), attached(args, type_, "bucket", bucket, ("bucket", "id"))):
            yield bucket.urn, message

    return decide_each(of_type(args, BUCKET), one)


def _public_access(args: StackValidationArgs, env: str) -> Iterator[tuple[str, str]]:
    def check(bucket: str, blocks: list[Any]) -> Iterator[str]:
        if not blocks or not all(blocks[0].props.get(k) is True for k in BLOCKS):
            yield f"bucket {bucket!r} does not block all public access ({', '.join(BLOCKS)})"

    return _each_bucket(args, token(aws.s3.BucketPublicAccessBlock), check)


def _encryption(args: StackValidationArgs, env: str) -> Iterator[tuple[str, str]]:
    def check(bucket: str, sse: list[Any]) -> Iterator[str]:
        algorithm = get(sse[0].props, "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm") if sse else None
        if algorithm not in ALGORITHMS:
            yield f"bucket {bucket!r} has no default server-side encryption"

    return _each_bucket(args, token(aws.s3.BucketServerSideEncryptionConfiguration), check)


def _denies_plain_http(statement: Any) -> bool:
    return (
        _is_map(statement)
        and statement.get("Effect") == "Deny"
        and str(get(statement, "Condition.Bool.aws:SecureTransport")).lower() == "false"
    )


def _tls_only(args: StackValidationArgs, env: str) -> Iterator[tuple[str, str]]:
    def check(bucket: str, policies: list[Any]) -> Iterator[str]:
        # The document names the bucket's ARN: unknown during a first preview (the note says so).
        document = json_of(policies[0].props["policy"]) if policies else None
        statements = document.get("Statement", []) if _is_map(document) else []
        if not any(_denies_plain_http(s) for s in (statements if _is_seq(statements) else [statements])):
            yield f"bucket {bucket!r} does not deny requests without TLS (aws:SecureTransport)"

    return _each_bucket(args, token(aws.s3.BucketPolicy), check)


def _versioning(args: StackValidationArgs, env: str) -> Iterator[tuple[str, str]]:
    if not setting(args, "required", stack_says("protectData")):
        return iter(())

    def check(bucket: str, versioning: list[Any]) -> Iterator[str]:
        if not versioning or get(versioning[0].props, "versioningConfiguration.status") != "Enabled":
            yield f"bucket {bucket!r} is not versioned; the stack protects its data"

    return _each_bucket(args, token(aws.s3.BucketVersioning), check)


POLICIES = [
    stack_rule("s3-block-public-access", "Buckets block all public access", _public_access, control="S3.8"),
    stack_rule("s3-default-encryption", "Buckets encrypt objects at rest by default", _encryption, control="S3.4"),
    stack_rule("s3-tls-only", "Bucket policies deny requests without TLS", _tls_only, control="S3.5"),
    stack_rule(
        "s3-versioning",
        "Buckets keep object versions where the stack's protectData is true (required)",
        _versioning,
        control="S3.14",
        config={"required": {"type": "boolean", "description": "default: the stack's protectData"}},
    ),
]
