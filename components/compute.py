"""compute tier: the ECS cluster, the api behind an ALB, the worker, autoscaling and dev auto-stop."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from marin.catalogue import APP_PORT, secrets_for

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
CPU_TARGET_PERCENT = 60


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    """api | worker"""
    service_name: str
    family: str
    image: str
    cpu: int
    memory: int
    desired_count: int
    log_group_name: str
    execution_role_arn: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]


@dataclass(frozen=True)
class ComputeArgs:
    env: str
    region: str
    cluster_name: str
    alb_name: str
    target_group_name: str
    services: tuple[ServiceSpec, ...]
    container_insights: bool
    fargate_spot: bool
    autoscaling: bool
    max_task_count: int
    auto_stop: bool
    business_hours: tuple[int, int]
    timezone: str
    certificate_arn: str
    protect: bool
    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    alb_sg_id: pulumi.Output[str]
    services_sg_id: pulumi.Output[str]
    secret_arns: dict[str, pulumi.Output[str]]
    bucket_name: pulumi.Output[str]
    redis_endpoint: pulumi.Output[str]


def container_definitions(
    spec: ServiceSpec, args: ComputeArgs, secret_arns: dict[str, str], bucket: str, redis: str
) -> str:
    container: dict[str, Any] = {
        "name": spec.name,
        "image": spec.image,
        "essential": True,
        "environment": [
            {"name": "APP_ENV", "value": args.env},
            {"name": "AWS_REGION", "value": args.region},
            {"name": "RECORDINGS_BUCKET", "value": bucket},
            {"name": "REDIS_HOST", "value": redis},
        ],
        # Secrets are injected by ECS from Secrets Manager, never written into the task definition.
        "secrets": [{"name": s.env_var, "valueFrom": secret_arns[s.name]} for s in secrets_for(spec.name)],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": spec.log_group_name,
                "awslogs-region": args.region,
                "awslogs-stream-prefix": spec.name,
            },
        },
        "linuxParameters": {"initProcessEnabled": True},
    }
    if spec.name == "api":
        container["portMappings"] = [{"containerPort": APP_PORT, "protocol": "tcp"}]
    return json.dumps([container], sort_keys=True)


class Compute(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    service_names: dict[str, pulumi.Output[str]]
    load_balancer_dns_name: pulumi.Output[str]
    load_balancer_arn_suffix: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]

    def __init__(self, name: str, args: ComputeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:compute:Compute", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            settings=[{"name": "containerInsights", "value": "enabled" if args.container_insights else "disabled"}],
            opts=child,
        )
        provider = "FARGATE_SPOT" if args.fargate_spot else "FARGATE"
        capacity = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=[{"capacity_provider": provider, "weight": 1}],
            opts=child,
        )

        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=args.alb_name,
            load_balancer_type="application",
            internal=False,
            security_groups=[args.alb_sg_id],
            subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.protect,
            idle_timeout=60,
            opts=child,
        )
        target_group = aws.lb.TargetGroup(
            f"{name}-api-tg",
            name=args.target_group_name,
            port=APP_PORT,
            protocol="HTTP",
            target_type="ip",
            vpc_id=args.vpc_id,
            deregistration_delay=30,
            health_check={
                "path": "/health",
                "matcher": "200-399",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            opts=child,
        )
        forward = [aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)]
        if args.certificate_arn:
            listeners = [
                aws.lb.Listener(
                    f"{name}-https",
                    load_balancer_arn=alb.arn,
                    port=443,
                    protocol="HTTPS",
                    ssl_policy=TLS_POLICY,
                    certificate_arn=args.certificate_arn,
                    default_actions=forward,
                    opts=child,
                ),
                aws.lb.Listener(
                    f"{name}-http-redirect",
                    load_balancer_arn=alb.arn,
                    port=80,
                    protocol="HTTP",
                    default_actions=[
                        aws.lb.ListenerDefaultActionArgs(
                            type="redirect",
                            redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                                port="443", protocol="HTTPS", status_code="HTTP_301"
                            ),
                        )
                    ],
                    opts=child,
                ),
            ]
        else:
            listeners = [
                aws.lb.Listener(
                    f"{name}-http",
                    load_balancer_arn=alb.arn,
                    port=80,
                    protocol="HTTP",
                    default_actions=forward,
                    opts=child,
                )
            ]

        secret_arns = pulumi.Output.all(**args.secret_arns)
        scaled = args.autoscaling or args.auto_stop
        self.service_names = {}
        for spec in args.services:
            definitions = pulumi.Output.all(secret_arns, args.bucket_name, args.redis_endpoint).apply(
                lambda v, spec=spec: container_definitions(spec, args, v[0], v[1], v[2])
            )
            task = aws.ecs.TaskDefinition(
                f"{name}-{spec.name}-task",
                family=spec.family,
                cpu=str(spec.cpu),
                memory=str(spec.memory),
                network_mode="awsvpc",
                requires_compatibilities=["FARGATE"],
                runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
                execution_role_arn=spec.execution_role_arn,
                task_role_arn=spec.task_role_arn,
                container_definitions=definitions,
                opts=child,
            )
            is_api = spec.name == "api"
            service = aws.ecs.Service(
                f"{name}-{spec.name}-service",
                name=spec.service_name,
                cluster=cluster.arn,
                task_definition=task.arn,
                desired_count=spec.desired_count,
                capacity_provider_strategies=[{"capacity_provider": provider, "weight": 1}],
                network_configuration={
                    "subnets": args.private_subnet_ids,
                    "security_groups": [args.services_sg_id],
                    "assign_public_ip": False,
                },
                deployment_circuit_breaker={"enable": True, "rollback": True},
                deployment_minimum_healthy_percent=100,
                deployment_maximum_percent=200,
                load_balancers=[
                    {"target_group_arn": target_group.arn, "container_name": "api", "container_port": APP_PORT}
                ]
                if is_api
                else None,
                health_check_grace_period_seconds=60 if is_api else None,
                propagate_tags="SERVICE",
                enable_ecs_managed_tags=True,
                wait_for_steady_state=False,
                # Scheduled scaling and autoscaling own the running count once the service exists.
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[capacity, *listeners], ignore_changes=["desiredCount"] if scaled else None
                ),
            )
            self.service_names[spec.name] = service.name
            if scaled:
                self._scaling(name, spec, args, service)

        self.cluster_name = cluster.name
        self.load_balancer_dns_name = alb.dns_name
        self.load_balancer_arn_suffix = alb.arn_suffix
        self.target_group_arn_suffix = target_group.arn_suffix
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "service_names": self.service_names,
                "load_balancer_dns_name": self.load_balancer_dns_name,
            }
        )

    def _scaling(self, name: str, spec: ServiceSpec, args: ComputeArgs, service: aws.ecs.Service) -> None:
        resource_id = f"service/{args.cluster_name}/{spec.service_name}"
        dimension = "ecs:service:DesiredCount"
        upper = args.max_task_count if args.autoscaling else spec.desired_count
        target = aws.appautoscaling.Target(
            f"{name}-{spec.name}-scaling",
            service_namespace="ecs",
            scalable_dimension=dimension,
            resource_id=resource_id,
            min_capacity=spec.desired_count,
            max_capacity=upper,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[service]),
        )
        if args.autoscaling:
            aws.appautoscaling.Policy(
                f"{name}-{spec.name}-cpu",
                name=f"{spec.service_name}-cpu",
                policy_type="TargetTrackingScaling",
                service_namespace="ecs",
                scalable_dimension=dimension,
                resource_id=resource_id,
                target_tracking_scaling_policy_configuration={
                    "target_value": CPU_TARGET_PERCENT,
                    "scale_in_cooldown": 300,
                    "scale_out_cooldown": 60,
                    "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"},
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[target]),
            )
        if args.auto_stop:
            start, end = args.business_hours
            for action, hour, count in (("start", start, spec.desired_count), ("stop", end, 0)):
                aws.appautoscaling.ScheduledAction(
                    f"{name}-{spec.name}-{action}",
                    name=f"{spec.service_name}-{action}",
                    service_namespace="ecs",
                    scalable_dimension=dimension,
                    resource_id=resource_id,
                    schedule=f"cron(0 {hour} ? * MON-FRI *)",
                    timezone=args.timezone,
                    scalable_target_action={"min_capacity": count, "max_capacity": count},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[target]),
                )
