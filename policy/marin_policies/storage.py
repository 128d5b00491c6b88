"""S3: public access blocked, encryption, TLS-only policy, versioning in staging and prod."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import StackValidationArgs

from ._common import PROTECTED_ENVS, get, json_of, of_type, stack_rule

BLOCKS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _buckets(args: StackValidationArgs) -> list[str]:
    return [b.props.get("bucket") for b in of_type(args, "aws:s3/bucket:Bucket")]


def _attached(args: StackValidationArgs, type_: str, bucket: str) -> list[dict]:
    return [r.props for r in of_type(args, type_) if r.props.get("bucket") == bucket]


def _public_access(args: StackValidationArgs, env: str) -> Iterator[str]:
    for bucket in _buckets(args):
        blocks = _attached(args, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)
        if not blocks or not all(blocks[0].get(k) is True for k in BLOCKS):
            yield f"bucket {bucket!r} does not block all public access ({', '.join(BLOCKS)})"


def _encryption(args: StackValidationArgs, env: str) -> Iterator[str]:
    for bucket in _buckets(args):
        sse = _attached(
            args, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", bucket
        )
        algorithm = get(sse[0], "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm") if sse else None
        if algorithm not in ("AES256", "aws:kms", "aws:kms:dsse"):
            yield f"bucket {bucket!r} has no default server-side encryption"


def _tls_only(args: StackValidationArgs, env: str) -> Iterator[str]:
    for bucket in _buckets(args):
        policies = _attached(args, "aws:s3/bucketPolicy:BucketPolicy", bucket)
        document = json_of(policies[0]["policy"]) if policies else {}
        if policies and document is None:
            continue  # computed from outputs that are unknown until the bucket exists
        statements = (document or {}).get("Statement", [])
        if not any(
            s.get("Effect") == "Deny" and get(s, "Condition.Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        ):
            yield f"bucket {bucket!r} does not deny requests without TLS (aws:SecureTransport)"


def _versioning(args: StackValidationArgs, env: str) -> Iterator[str]:
    if env not in PROTECTED_ENVS:
        return
    for bucket in _buckets(args):
        versioning = _attached(args, "aws:s3/bucketVersioning:BucketVersioning", bucket)
        if not versioning or get(versioning[0], "versioningConfiguration.status") != "Enabled":
            yield f"bucket {bucket!r} is not versioned; {env} keeps object versions"


POLICIES = [
    stack_rule("s3-block-public-access", "Buckets block all public access", _public_access, control="S3.8"),
    stack_rule("s3-default-encryption", "Buckets encrypt objects at rest by default", _encryption, control="S3.4"),
    stack_rule("s3-tls-only", "Bucket policies deny requests without TLS", _tls_only, control="S3.5"),
    stack_rule(
        "s3-versioning-outside-dev", "Staging and prod buckets keep object versions", _versioning, control="S3.14"
    ),
]
