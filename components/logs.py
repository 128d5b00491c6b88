"""logging tier: the services' CloudWatch log groups and Logs Insights saved queries."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components._outputs import declared
from marin.config import LoggingConfig
from marin.naming import EnvironmentNames

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
    names: EnvironmentNames


class Logging(pulumi.ComponentResource):
    log_group_names: dict[str, pulumi.Output[str]]
    log_group_arns: dict[str, pulumi.Output[str]]

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
        self.register_outputs(declared(self))
