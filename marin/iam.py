"""Least-privilege IAM documents for the ECS services and the buckets, as plain dicts.

Per service, two roles (the terraform-aws-modules/ecs split):
- the *execution* role is what ECS itself uses to start a task: pull the image, write the
  service's own log group, and read exactly the secrets injected into the container;
- the *task* role is what the application code gets: read/write its environment's recordings
  bucket. Nothing else: the secrets a service needs are injected by ECS (execution role), so no
  task role can read any secret, its own environment's included.
"""

from __future__ import annotations

import re
from typing import Any

ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[^:@]+)")


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def ecr_repository_arn(image: str) -> str | None:
    """The ECR repository an image lives in, or None for an image outside ECR."""
    m = ECR_IMAGE.match(image)
    return f"arn:aws:ecr:{m['region']}:{m['account']}:repository/{m['repo']}" if m else None


def ecs_execution_trust() -> dict[str, Any]:
    """Trust of an execution role, exactly as AWS documents it (no confused-deputy conditions:
    AWS documents `aws:SourceArn`/`aws:SourceAccount` for task roles only, and an execution role
    ECS cannot assume fails every task). https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
    """
    return document(
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )


def ecs_tasks_trust(account_id: str, region: str) -> dict[str, Any]:
    """Trust of a task role, with the confused-deputy conditions AWS documents for it.
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
    """
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{region}:{account_id}:*"},
            },
        }
    )


def execution_policy(image: str, log_group_arn: str, secret_arns: list[Any]) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        }
    ]
    repo = ecr_repository_arn(image)
    if repo:
        statements += [
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "PullOwnImage",
                "Effect": "Allow",
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                "Resource": repo,
            },
        ]
    if secret_arns:
        statements.append(
            {
                "Sid": "ReadInjectedSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arns,
            }
        )
    return document(*statements)


def task_policy(bucket_name: str) -> dict[str, Any]:
    bucket = f"arn:aws:s3:::{bucket_name}"
    return document(
        {"Sid": "ListRecordings", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket},
        {
            "Sid": "ReadWriteRecordings",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            "Resource": f"{bucket}/*",
        },
    )


def opensearch_access_policy(domain_arn: str, task_role_arns: list[Any]) -> dict[str, Any]:
    """Resource policy of the search domain: only the environment's task roles, HTTP verbs only."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": task_role_arns},
            "Action": ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"],
            "Resource": f"{domain_arn}/*",
        }
    )


def tls_only(bucket_name: str) -> list[dict[str, Any]]:
    """Bucket policy statements refusing plain HTTP and TLS below 1.2, to everyone, on the bucket and
    its objects: S3 User Guide, "Security best practices" (aws:SecureTransport) and "Amazon S3
    condition key examples" (s3:TlsVersion)."""
    bucket = f"arn:aws:s3:::{bucket_name}"
    return [
        {
            "Sid": sid,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket, f"{bucket}/*"],
            "Condition": condition,
        }
        for sid, condition in (
            ("DenyInsecureTransport", {"Bool": {"aws:SecureTransport": "false"}}),
            ("DenyOutdatedTls", {"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
        )
    ]


def elb_log_writer(row: str) -> dict[str, str]:
    """The principal a marin.catalogue.ELB_LOG_DELIVERY row grants: a region available before
    August 2022 names its Elastic Load Balancing account (`{"AWS": "arn:aws:iam::<id>:root"}`), a
    newer one the log delivery service (`{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}`)
    (ELB User Guide, "Enable access logs for your Application Load Balancer", step 2)."""
    return {"AWS": f"arn:aws:iam::{row}:root"} if row.isdigit() else {"Service": row}


def access_log_bucket_policy(
    bucket_name: str,
    account_id: str,
    *,
    source_bucket: str,
    source_prefix: str,
    elb: str | None = None,
    elb_prefix: str = "",
) -> dict[str, Any]:
    """Policy of the access-log bucket: each writer may put objects under its own prefix only, and
    only for this account; TLS only.

    - S3 server access logs of `source_bucket`: the logging service principal, for that bucket of
      this account (S3 User Guide, "Enabling Amazon S3 server access logging", permissions for log
      delivery: a bucket policy is the only grant when ACLs are disabled by BucketOwnerEnforced).
    - `elb` (the region's row of marin.catalogue.ELB_LOG_DELIVERY), when a load balancer logs
      here: `<prefix>/AWSLogs/<account>/*`, the only keys ELB writes, whichever the principal (ELB
      User Guide, "Enable access logs for your Application Load Balancer")."""
    bucket = f"arn:aws:s3:::{bucket_name}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "S3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket}/{source_prefix}*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source_bucket}"},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        }
    ]
    if elb is not None:
        elb_logs = f"{elb_prefix}/AWSLogs" if elb_prefix else "AWSLogs"  # without a prefix, at the root
        statements.append(
            {
                "Sid": "LoadBalancerAccessLogs",
                "Effect": "Allow",
                "Principal": elb_log_writer(elb),
                "Action": "s3:PutObject",
                "Resource": f"{bucket}/{elb_logs}/{account_id}/*",
            }
        )
    return document(*statements, *tls_only(bucket_name))
