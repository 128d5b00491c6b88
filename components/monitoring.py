"""monitoring tier: `basic` is AWS's default metrics (dev); `full` adds alarms to an SNS topic.

Full monitoring (staging, prod): service CPU and memory, the ingress's errors (load balancer and
target 5xx; or, behind an HTTP API, API Gateway 5xx and latency), Redis memory and OpenSearch
cluster status, each alarm to the environment's alerts topic (encrypted).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components._outputs import declared

LATENCY_P99_MS = 3000  # the HTTP API's integration timeout is 30 s; 3 s at p99 is already broken


@dataclass(frozen=True)
class MonitoringArgs:
    full: bool
    topic_name: str
    key_alias: str
    alarm_prefix: str
    subscribers: dict[str, str]
    """SNS protocol (email, https) -> endpoint."""
    account_id: str
    cluster_name: str
    service_names: dict[str, str]
    load_balancer_arn_suffix: pulumi.Output[str] | None
    """The ALB's ARN suffix (alb ingress), else None."""
    http_api_id: pulumi.Output[str] | None
    """The HTTP API's id (http-api ingress), else None."""
    http_api_stage: str | None
    redis_member_ids: list[str]
    opensearch_domain: str


def alerts_key_policy(account_id: str) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchPublishesAlarms",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ],
    }


class Monitoring(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:monitoring:Monitoring", name, None, opts)
        self.topic_arn = None
        if not args.full:
            self.register_outputs(declared(self))
            return
        child = pulumi.ResourceOptions(parent=self)
        # CloudWatch cannot publish to a topic under the AWS-managed aws/sns key (its policy cannot
        # name cloudwatch.amazonaws.com): the alerts topic gets its own key that allows it.
        key = aws.kms.Key(
            f"{name}-alerts-key",
            description=f"{args.topic_name}: SNS alerts topic encryption",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(alerts_key_policy(args.account_id), sort_keys=True),
            opts=child,
        )
        aws.kms.Alias(f"{name}-alerts-key", name=args.key_alias, target_key_id=key.key_id, opts=child)
        topic = aws.sns.Topic(f"{name}-alerts", name=args.topic_name, kms_master_key_id=key.arn, opts=child)
        # Email confirms by a person's click (the subscription stays pending until then). An HTTPS
        # endpoint must confirm SNS's SubscriptionConfirmation itself (PagerDuty, Opsgenie do; a
        # chat incoming webhook does not): `up` waits for it and fails if it never comes.
        for protocol, endpoint in args.subscribers.items():
            aws.sns.TopicSubscription(
                f"{name}-alerts-{protocol}",
                topic=topic.arn,
                protocol=protocol,
                endpoint=endpoint,
                endpoint_auto_confirms=True if protocol == "https" else None,
                confirmation_timeout_in_minutes=5 if protocol == "https" else None,
                opts=child,
            )

        def alarm(
            key: str,
            *,
            description: str,
            namespace: str,
            metric: str,
            dimensions: Mapping[str, pulumi.Input[str]],
            threshold: float,
            statistic: str = "Average",
            extended_statistic: str | None = None,
            periods: int = 3,
        ) -> None:
            aws.cloudwatch.MetricAlarm(
                f"{name}-{key}",
                name=f"{args.alarm_prefix}-{key}",
                alarm_description=description,
                namespace=namespace,
                metric_name=metric,
                dimensions=dimensions,
                statistic=None if extended_statistic else statistic,
                extended_statistic=extended_statistic,
                period=60,
                evaluation_periods=periods,
                datapoints_to_alarm=periods,
                threshold=threshold,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[topic.arn],
                ok_actions=[topic.arn],
                opts=child,
            )

        for service, service_name in args.service_names.items():
            ecs = {"ClusterName": args.cluster_name, "ServiceName": service_name}
            for metric, what in (("CPUUtilization", "cpu"), ("MemoryUtilization", "memory")):
                alarm(
                    f"{service}-{what}",
                    description=f"{service} {what} >= 85% for 3 minutes",
                    namespace="AWS/ECS",
                    metric=metric,
                    dimensions=ecs,
                    threshold=85,
                )
        if args.load_balancer_arn_suffix is not None:
            alb = {"LoadBalancer": args.load_balancer_arn_suffix}
            alarm(
                "alb-5xx",
                description="load balancer answered 10+ 5xx a minute",
                namespace="AWS/ApplicationELB",
                metric="HTTPCode_ELB_5XX_Count",
                dimensions=alb,
                threshold=10,
                statistic="Sum",
            )
            alarm(
                "targets-5xx",
                description="api tasks answered 10+ 5xx a minute",
                namespace="AWS/ApplicationELB",
                metric="HTTPCode_Target_5XX_Count",
                dimensions=alb,
                threshold=10,
                statistic="Sum",
            )
        if args.http_api_id is not None and args.http_api_stage is not None:
            api = {"ApiId": args.http_api_id, "Stage": args.http_api_stage}
            alarm(
                "api-5xx",
                description="API Gateway answered 10+ 5xx a minute (its own or the api's)",
                namespace="AWS/ApiGateway",
                metric="5xx",
                dimensions=api,
                threshold=10,
                statistic="Sum",
            )
            alarm(
                "api-latency",
                description=f"API Gateway p99 latency >= {LATENCY_P99_MS} ms for 5 minutes",
                namespace="AWS/ApiGateway",
                metric="Latency",
                dimensions=api,
                threshold=LATENCY_P99_MS,
                extended_statistic="p99",
                periods=5,
            )
        for member in args.redis_member_ids:
            alarm(
                f"redis-memory-{member.rsplit('-', 1)[1]}",
                description=f"Redis {member} memory >= 80%",
                namespace="AWS/ElastiCache",
                metric="DatabaseMemoryUsagePercentage",
                dimensions={"CacheClusterId": member},
                threshold=80,
            )
        domain = {"DomainName": args.opensearch_domain, "ClientId": args.account_id}
        alarm(
            "opensearch-red",
            description="OpenSearch cluster status red",
            namespace="AWS/ES",
            metric="ClusterStatus.red",
            dimensions=domain,
            threshold=1,
            statistic="Maximum",
            periods=1,
        )
        alarm(
            "opensearch-yellow",
            description="OpenSearch cluster status yellow for 5 minutes",
            namespace="AWS/ES",
            metric="ClusterStatus.yellow",
            dimensions=domain,
            threshold=1,
            statistic="Maximum",
            periods=5,
        )
        self.topic_arn = topic.arn
        self.register_outputs(declared(self))
