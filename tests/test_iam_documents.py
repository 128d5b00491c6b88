"""The IAM documents of `marin/iam.py`, statement by statement, against AWS's documentation.

Pure: no program run. The program-wide invariants (every grant names this environment's ARNs,
evaluated with moto) are in `test_least_privilege.py`; here each document is pinned whole, so a
wider action, resource or condition fails, not only a missing one.
- task role trust: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
- execution role: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
- ECR image URIs `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]` and repository
  ARNs `arn:aws:ecr:<region>:<account>:repository/<name>`:
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-pull-ecr-image.html
- ALB access logs (the regional ELB accounts, the `<prefix>/AWSLogs/<account>/*` keys):
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
- S3 server access logs (the logging service principal, aws:SourceArn and aws:SourceAccount):
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
"""

from __future__ import annotations

from typing import Any

import pytest

from marin import catalogue, iam

ACCOUNT, REGION = "123456789012", "eu-west-1"
LOGS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/dev/api"
SECRETS = [
    f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dev/audio-pipeline/mongodb-uri-AbCdEf",
    f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dev/audio-pipeline/redis-auth-token-GhIjKl",
]
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/marin/api:1.4.2"
REPO = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/marin/api"


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


WRITE_LOGS = {
    "Sid": "WriteOwnLogs",
    "Effect": "Allow",
    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": f"{LOGS}:*",
}
ECR_LOGIN = {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
PULL = {
    "Sid": "PullOwnImage",
    "Effect": "Allow",
    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
    "Resource": REPO,
}
READ_SECRETS = {
    "Sid": "ReadInjectedSecrets",
    "Effect": "Allow",
    "Action": "secretsmanager:GetSecretValue",
    "Resource": SECRETS,
}


@pytest.mark.parametrize(
    ("image", "arn"),
    [
        (IMAGE, REPO),
        (f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/marin/api@sha256:{'a' * 64}", REPO),
        (f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/marin/api", REPO),
        (f"{ACCOUNT}.dkr.ecr.us-gov-west-1.amazonaws.com/w:1", f"arn:aws:ecr:us-gov-west-1:{ACCOUNT}:repository/w"),
        # not ECR: no repository to grant, so no pull statement
        ("public.ecr.aws/nginx/nginx:1.27", None),
        ("docker.io/library/nginx:1.27", None),
        ("nginx:1.27", None),
        # the account is exactly 12 digits, at the very start; the host is ECR's
        (f"1{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/marin/api:1", None),
        (f"{ACCOUNT[1:]}.dkr.ecr.{REGION}.amazonaws.com/marin/api:1", None),
        (f"x{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/marin/api:1", None),
        (f"{ACCOUNT}.dkr.ecrXamazonaws.com/marin/api:1", None),
        (f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.comX/marin/api:1", None),
        (f"{ACCOUNT}.dkr.ecr.{REGION}.amazonawsXcom/marin/api:1", None),
        (f"{ACCOUNT}.dkrXecr.{REGION}.amazonaws.com/marin/api:1", None),
        (f"{ACCOUNT}Xdkr.ecr.{REGION}.amazonaws.com/marin/api:1", None),
        (f"{ACCOUNT}.dkr.ecr.EU-WEST-1.amazonaws.com/marin/api:1", None),
        (f"{ACCOUNT}.dkr.ecr..amazonaws.com/marin/api:1", None),
        (f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/:1", None),
    ],
)
def test_the_repository_arn_is_exactly_the_image_s_repository(image: str, arn: str | None) -> None:
    assert iam.ecr_repository_arn(image) == arn


def test_the_repository_stops_at_the_tag_or_digest() -> None:
    """A wider repository (a prefix, or `*`) would let the role pull every image of the account."""
    assert iam.ecr_repository_arn(f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/a/b/c:1") == (
        f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/a/b/c"
    )
    assert iam.ecr_repository_arn(f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/r@sha256:1") == (
        f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/r"
    )


def test_the_execution_trust_is_exactly_ecs_tasks_assuming_the_role() -> None:
    assert iam.ecs_execution_trust() == _doc(
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )


def test_the_task_trust_is_bound_to_this_account_and_region() -> None:
    assert iam.ecs_tasks_trust(ACCOUNT, REGION) == _doc(
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:*"},
            },
        }
    )


def test_the_execution_policy_writes_its_logs_pulls_its_image_and_reads_its_secrets() -> None:
    assert iam.execution_policy(IMAGE, LOGS, SECRETS) == _doc(WRITE_LOGS, ECR_LOGIN, PULL, READ_SECRETS)


def test_an_image_outside_ecr_gets_no_pull_statement_and_no_secrets_no_read() -> None:
    assert iam.execution_policy("docker.io/library/nginx:1.27", LOGS, []) == _doc(WRITE_LOGS)
    assert iam.execution_policy(IMAGE, LOGS, []) == _doc(WRITE_LOGS, ECR_LOGIN, PULL)
    assert iam.execution_policy("nginx:1", LOGS, SECRETS[:1]) == _doc(
        WRITE_LOGS, READ_SECRETS | {"Resource": SECRETS[:1]}
    )


def test_the_task_policy_reaches_only_its_bucket_and_its_objects() -> None:
    assert iam.task_policy("marin-dev-call-recordings") == _doc(
        {
            "Sid": "ListRecordings",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::marin-dev-call-recordings",
        },
        {
            "Sid": "ReadWriteRecordings",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            "Resource": "arn:aws:s3:::marin-dev-call-recordings/*",
        },
    )


def test_the_search_domain_admits_only_the_task_roles_http_verbs() -> None:
    domain = f"arn:aws:es:{REGION}:{ACCOUNT}:domain/marin-dev-search"
    roles = [f"arn:aws:iam::{ACCOUNT}:role/marin-dev-api-task", f"arn:aws:iam::{ACCOUNT}:role/marin-dev-worker-task"]
    assert iam.opensearch_access_policy(domain, roles) == _doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": roles},
            "Action": ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"],
            "Resource": f"{domain}/*",
        }
    )


def _resources(doc: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for s in doc["Statement"]:
        out += s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
    return out


def test_no_statement_names_a_resource_outside_the_environment() -> None:
    """Every resource is one of the environment's ARNs (or below them); `*` only for the ECR login,
    which AWS documents as taking no resource."""
    own = [LOGS, REPO, *SECRETS, "arn:aws:s3:::marin-dev-call-recordings"]
    docs = [iam.execution_policy(IMAGE, LOGS, SECRETS), iam.task_policy("marin-dev-call-recordings")]
    for doc in docs:
        for statement in doc["Statement"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for resource in resources:
                if resource == "*":
                    assert statement["Action"] == "ecr:GetAuthorizationToken"
                else:
                    assert any(resource == arn or resource.startswith((f"{arn}:", f"{arn}/")) for arn in own)
    assert len(_resources(docs[0])) == 5


# ELB User Guide, "Enable access logs for your Application Load Balancer", step 2: the Elastic Load
# Balancing account of each region available before August 2022 (transcribed here, not from the code).
ELB_ACCOUNTS_FROM_THE_GUIDE = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-south-1": "718504428378",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}


def test_every_region_the_config_accepts_grants_the_guide_s_elb_principal() -> None:
    """A load balancer in any region config validation lets through can write its access logs: the
    principal is that region's ELB account from the guide (or, for a region the guide does not list,
    the log delivery service)."""
    for region in catalogue.FARGATE_ZONES:
        assert catalogue.ELB_LOG_DELIVERY[region] == ELB_ACCOUNTS_FROM_THE_GUIDE.get(region, ELB_SERVICE), region
    assert catalogue.ELB_LOG_DELIVERY_SERVICE == ELB_SERVICE


ELB_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"  # the guide's principal for newer regions
LOG_BUCKET = "arn:aws:s3:::marin-dev-access-logs"
TLS_ONLY = [
    {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [LOG_BUCKET, f"{LOG_BUCKET}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    },
    {
        "Sid": "DenyOutdatedTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [LOG_BUCKET, f"{LOG_BUCKET}/*"],
        "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
    },
]
S3_SERVER_ACCESS_LOGS = {
    "Sid": "S3ServerAccessLogs",
    "Effect": "Allow",
    "Principal": {"Service": "logging.s3.amazonaws.com"},
    "Action": "s3:PutObject",
    "Resource": f"{LOG_BUCKET}/s3/call-recordings/*",
    "Condition": {
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::marin-dev-call-recordings"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    },
}


@pytest.mark.parametrize(
    ("region", "principal"),
    [
        ("us-east-1", {"AWS": "arn:aws:iam::127311923021:root"}),
        ("eu-west-1", {"AWS": "arn:aws:iam::156460612806:root"}),
        ("ap-southeast-3", {"Service": ELB_SERVICE}),  # Jakarta, opened after the account-id regions
    ],
)
def test_the_access_log_bucket_admits_each_writer_under_its_own_prefix_for_this_account_only(
    region: str, principal: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guide's policy for a region available before August 2022 (the regional ELB account) and
    for a newer one (the log delivery service), its resource narrowed to the program's prefix: ELB
    writes only `<prefix>/AWSLogs/<account>/...` (its test file included). A team adds a region by
    adding its row, in either form."""
    monkeypatch.setitem(catalogue.ELB_LOG_DELIVERY, "ap-southeast-3", catalogue.ELB_LOG_DELIVERY_SERVICE)
    doc = iam.access_log_bucket_policy(
        "marin-dev-access-logs",
        ACCOUNT,
        source_bucket="marin-dev-call-recordings",
        source_prefix="s3/call-recordings/",
        elb=catalogue.ELB_LOG_DELIVERY[region],
        elb_prefix="alb",
    )
    assert doc == _doc(
        S3_SERVER_ACCESS_LOGS,
        {
            "Sid": "LoadBalancerAccessLogs",
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:PutObject",
            "Resource": f"{LOG_BUCKET}/alb/AWSLogs/{ACCOUNT}/*",
        },
        *TLS_ONLY,
    )


def test_without_a_load_balancer_elb_is_granted_nothing() -> None:
    doc = iam.access_log_bucket_policy(
        "marin-dev-access-logs", ACCOUNT, source_bucket="marin-dev-call-recordings", source_prefix="s3/call-recordings/"
    )
    assert doc == _doc(S3_SERVER_ACCESS_LOGS, *TLS_ONLY)


def test_a_load_balancer_logging_without_a_prefix_writes_under_awslogs_at_the_root() -> None:
    """ELB User Guide, "Enable access logs for your Application Load Balancer", step 2: the resource
    is `bucket-name/prefix/AWSLogs/aws-account-id/*`, or `bucket-name/AWSLogs/aws-account-id/*` when
    the load balancer's access logs have no prefix."""
    doc = iam.access_log_bucket_policy(
        "marin-dev-access-logs",
        ACCOUNT,
        source_bucket="marin-dev-call-recordings",
        source_prefix="s3/call-recordings/",
        elb=catalogue.ELB_LOG_DELIVERY["us-east-1"],
    )
    (elb,) = [s for s in doc["Statement"] if s.get("Sid") == "LoadBalancerAccessLogs"]
    assert elb["Resource"] == f"{LOG_BUCKET}/AWSLogs/{ACCOUNT}/*"
