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
from components.ingress import Ingress
from marin.config import MonitoringConfig
from marin.naming import EnvironmentNames

LATENCY_P99_MS = 3000  # the HTTP API's integration timeout is 30 s; 3 s at p99 is already broken


@dataclass(frozen=True)
class MonitoringArgs:
    config: MonitoringConfig
    names: EnvironmentNames
    account_id: str
    ingress: Ingress
    """Its load balancer (alb) or HTTP API and stage (http-api) carry the ingress alarms."""
    redis_member_ids: list[str]


@dataclass(frozen=True)
class Alarm:
    key: str
    description: str
    namespace: str
    metric: str
    dimensions: Mapping[str, pulumi.Input[str]]
    threshold: float
    statistic: str = "Average"
    extended_statistic: str | None = None
    periods: int = 3
    """Consecutive minutes over the threshold (every one of them) before it alarms."""


def alarms(args: MonitoringArgs) -> list[Alarm]:
    """Every alarm of a fully monitored environment, as data."""
    n = args.names
    table = [
        Alarm(
            f"{service}-{what}",
            f"{service} {what} >= 85% for 3 minutes",
            "AWS/ECS",
            metric,
            {"ClusterName": n.ecs_cluster, "ServiceName": service_name},
            85,
        )
        for service, service_name in n.services.items()
        for metric, what in (("CPUUtilization", "cpu"), ("MemoryUtilization", "memory"))
    ]
    if args.ingress.load_balancer_arn_suffix is not None:
        alb = {"LoadBalancer": args.ingress.load_balancer_arn_suffix}
        table += [
            Alarm(
                "alb-5xx",
                "load balancer answered 10+ 5xx a minute",
                "AWS/ApplicationELB",
                "HTTPCode_ELB_5XX_Count",
                alb,
                10,
                "Sum",
            ),
            Alarm(
                "targets-5xx",
                "api tasks answered 10+ 5xx a minute",
                "AWS/ApplicationELB",
                "HTTPCode_Target_5XX_Count",
                alb,
                10,
                "Sum",
            ),
        ]
    if args.ingress.http_api_id is not None:
        api = {"ApiId": args.ingress.http_api_id, "Stage": args.ingress.http_api_stage or ""}
        table += [
            Alarm(
                "api-5xx",
                "API Gateway answered 10+ 5xx a minute (its own or the api's)",
                "AWS/ApiGateway",
                "5xx",
                api,
                10,
                "Sum",
            ),
            Alarm(
                "api-latency",
                f"API Gateway p99 latency >= {LATENCY_P99_MS} ms for 5 minutes",
                "AWS/ApiGateway",
                "Latency",
                api,
                LATENCY_P99_MS,
                extended_statistic="p99",
                periods=5,
            ),
        ]
    table += [
        Alarm(
            f"redis-memory-{member.rsplit('-', 1)[1]}",
            f"Redis {member} memory >= 80%",
            "AWS/ElastiCache",
            "DatabaseMemoryUsagePercentage",
            {"CacheClusterId": member},
            80,
        )
        for member in args.redis_member_ids
    ]
    domain = {"DomainName": n.opensearch, "ClientId": args.account_id}
    table += [
        Alarm(
            "opensearch-red",
            "OpenSearch cluster status red",
            "AWS/ES",
            "ClusterStatus.red",
            domain,
            1,
            "Maximum",
            periods=1,
        ),
        Alarm(
            "opensearch-yellow",
            "OpenSearch cluster status yellow for 5 minutes",
            "AWS/ES",
            "ClusterStatus.yellow",
            domain,
            1,
            "Maximum",
            periods=5,
        ),
    ]
    return table


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
        if not args.config.full:
            self.register_outputs(declared(self))
            return
        child = pulumi.ResourceOptions(parent=self)
        # CloudWatch cannot publish to a topic under the AWS-managed aws/sns key (its policy cannot
        # name cloudwatch.amazonaws.com): the alerts topic gets its own key that allows it.
        key = aws.kms.Key(
            f"{name}-alerts-key",
            description=f"{args.names.alerts_topic}: SNS alerts topic encryption",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(alerts_key_policy(args.account_id), sort_keys=True),
            opts=child,
        )
        aws.kms.Alias(f"{name}-alerts-key", name=args.names.alerts_key_alias, target_key_id=key.key_id, opts=child)
        topic = aws.sns.Topic(f"{name}-alerts", name=args.names.alerts_topic, kms_master_key_id=key.arn, opts=child)
        # Email confirms by a person's click (the subscription stays pending until then). An HTTPS
        # endpoint must confirm SNS's SubscriptionConfirmation itself (PagerDuty, Opsgenie do; a
        # chat incoming webhook does not): `up` waits for it and fails if it never comes.
        for protocol, endpoint in args.config.subscribers.items():
            aws.sns.TopicSubscription(
                f"{name}-alerts-{protocol}",
                topic=topic.arn,
                protocol=protocol,
                endpoint=endpoint,
                endpoint_auto_confirms=True if protocol == "https" else None,
                confirmation_timeout_in_minutes=5 if protocol == "https" else None,
                opts=child,
            )

        for a in alarms(args):
            aws.cloudwatch.MetricAlarm(
                f"{name}-{a.key}",
                name=f"{args.names.prefix}-{a.key}",
                alarm_description=a.description,
                namespace=a.namespace,
                metric_name=a.metric,
                dimensions=a.dimensions,
                statistic=None if a.extended_statistic else a.statistic,
                extended_statistic=a.extended_statistic,
                period=60,
                evaluation_periods=a.periods,
                datapoints_to_alarm=a.periods,
                threshold=a.threshold,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[topic.arn],
                ok_actions=[topic.arn],
                opts=child,
            )
        self.topic_arn = topic.arn
        self.register_outputs(declared(self))
