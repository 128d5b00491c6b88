"""logging tier: the services' CloudWatch log groups and Logs Insights saved queries, and the
access-log bucket: the load balancer's access logs and the recordings bucket's server access logs.

The access-log bucket exists in every environment, whatever protectData says: flipping it then
only protects or unprotects the bucket (in place) instead of creating it or deleting a bucket
`protect` keeps, and a disposable stack logs like a protected one for cents a month
(docs/environments.md, "Flipping protectData").
Its writers get its name through its policy, so each waits for its grant: ELB checks that it can
write when access logging is enabled and fails the load balancer with "Access Denied for bucket"
otherwise (ELB User Guide, "Enable access logs for your Application Load Balancer").
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components._outputs import declared
from components._policy import to_json
from marin import catalogue
from marin.config import LoggingConfig, StackConfig
from marin.iam import access_log_bucket_policy
from marin.naming import ALB_ACCESS_LOG_PREFIX, RECORDINGS_ACCESS_LOG_PREFIX, EnvironmentNames

ERRORS_BY_SERVICE = """fields @timestamp, @log, @message
| filter @message like /(?i)(error|exception|traceback)/
| stats count(*) as errors by @log, bin(5m)
| sort errors desc"""

# The api logs one JSON line per request with `duration_ms`, `method`, `path` and `status`.
SLOWEST_REQUESTS = """fields @timestamp, method, path, status, duration_ms
| filter ispresent(duration_ms)
| sort duration_ms desc
| limit 25"""


@dataclass(frozen=True)
class LoggingArgs:
    config: LoggingConfig
    stack: StackConfig
    names: EnvironmentNames
    account_id: str
    load_balanced: bool
    """A load balancer writes access logs here (the region's ELB principal is granted)."""


class Logging(pulumi.ComponentResource):
    log_group_names: dict[str, pulumi.Output[str]]
    log_group_arns: dict[str, pulumi.Output[str]]
    access_log_bucket: pulumi.Output[str]
    """The access-log bucket's name, resolved once its policy grants the writers."""

    def __init__(self, name: str, args: LoggingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:logging:Logging", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        groups = {
            service: aws.cloudwatch.LogGroup(
                f"{name}-{service}",
                name=group_name,
                retention_in_days=args.config.log_retention_days,
                # Standard class: Logs Insights, metric filters and subscriptions all available.
                log_group_class="STANDARD",
                opts=child,
            )
            for service, group_name in args.names.log_groups.items()
        }
        aws.cloudwatch.QueryDefinition(
            f"{name}-errors-by-service",
            name=args.names.query_errors_by_service,
            query_string=ERRORS_BY_SERVICE,
            log_group_names=[g.name for g in groups.values()],
            opts=child,
        )
        aws.cloudwatch.QueryDefinition(
            f"{name}-slowest-requests",
            name=args.names.query_slowest_requests,
            query_string=SLOWEST_REQUESTS,
            log_group_names=[groups["api"].name],
            opts=child,
        )
        self.log_group_names = {s: g.name for s, g in groups.items()}
        self.log_group_arns = {s: g.arn for s, g in groups.items()}
        self.access_log_bucket = self._access_logs(name, args)
        self.register_outputs(declared(self))

    def _access_logs(self, name: str, args: LoggingArgs) -> pulumi.Output[str]:
        """The access-log bucket: private, SSE-S3, TLS only, a log readable for the stack's log retention;
        protected and versioned where the stack protects its data, where an expired or deleted log then
        stays restorable as long again (kept up to twice the retention). Returns its name."""
        child = pulumi.ResourceOptions(parent=self)
        protect = args.stack.protect_data
        bucket_name = args.names.access_logs_buckets[args.account_id]
        # Its name is the environment's and the account's: nothing in the stack's config renames it.
        # Another region replaces it (a force-new `region`), which is a destroy and an up, not an up
        # (docs/environments.md, "Moving an environment to another region").
        bucket = aws.s3.Bucket(
            f"{name}-access-logs",
            bucket=bucket_name,
            force_destroy=not protect,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-access-logs-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-access-logs-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        # SSE-S3: the only default encryption ELB access logs and S3 server access logs are
        # delivered to (ELB User Guide, "Enable access logs", bucket requirements; S3 User Guide,
        # "Enabling Amazon S3 server access logging").
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-access-logs-encryption",
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        document = access_log_bucket_policy(
            bucket_name,
            args.account_id,
            source_bucket=args.names.recordings_bucket,
            source_prefix=RECORDINGS_ACCESS_LOG_PREFIX,
            elb=catalogue.ELB_LOG_DELIVERY[args.stack.aws_region] if args.load_balanced else None,
            elb_prefix=ALB_ACCESS_LOG_PREFIX,
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-access-logs-policy",
            bucket=bucket.id,
            policy=to_json(document),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
        )
        versioning = []
        if protect:
            versioning = [
                aws.s3.BucketVersioning(
                    f"{name}-access-logs-versioning",
                    bucket=bucket.id,
                    versioning_configuration={"status": "Enabled"},
                    opts=child,
                )
            ]
        days = args.config.log_retention_days
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "access-logs-retention",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": days},
                    # Versioned: a log deleted or expired stays restorable as long again; S3 removes
                    # the delete markers left behind (a rule with expiration days does so itself:
                    # S3 User Guide, "Lifecycle configuration elements", ExpiredObjectDeleteMarker).
                    "noncurrent_version_expiration": {"noncurrent_days": days},
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=versioning),
        )
        # The name once the policy and the encryption are in place: every writer waits for both.
        return pulumi.Output.all(bucket.bucket, policy.id, encryption.id).apply(lambda values: values[0])
