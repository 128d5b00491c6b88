"""compute tier: the ECS cluster, the api and the worker, autoscaling and dev auto-stop.

The api registers its tasks where the ingress (`components.ingress`) reaches them: the load
balancer's target group, or the Cloud Map service behind the HTTP API's VPC link.

Every service waits until its task definition's secrets have values and its roles have their
policies (the ARNs it is given resolve only then), and `pulumi up` waits for the service to reach
a steady state: a deploy whose tasks cannot start fails instead of reporting success.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components._outputs import declared
from components.ingress import Ingress
from components.secrets import SecretWriter
from marin.catalogue import APP_PORT, secrets_for
from marin.config import ComputeConfig, StackConfig
from marin.naming import SERVICES, EnvironmentNames

CPU_TARGET_PERCENT = 60
# How long `pulumi up` waits for a service to reach a steady state before it fails.
SERVICE_TIMEOUT = "30m"
# The image contract (README): both images ship this command; it exits 0 while healthy. ECS stops
# an unhealthy task and, behind the HTTP API, reports the health to Cloud Map.
HEALTH_CHECK = {
    "command": ["CMD", "/app/healthcheck"],
    "interval": 30,
    "timeout": 5,
    "retries": 3,
    "startPeriod": 60,
}
SCRATCH_VOLUME, SCRATCH_PATH = "scratch", "/tmp"
SECRET_VERSION_LABEL = "marin.secret-version."


@dataclass(frozen=True)
class ComputeArgs:
    config: ComputeConfig
    stack: StackConfig
    names: EnvironmentNames
    container_insights: bool
    private_subnet_ids: list[pulumi.Output[str]]
    services_sg_id: pulumi.Output[str]
    ingress: Ingress
    """Where the api registers its tasks (target group or Cloud Map service) and what it waits for."""
    execution_role_arns: dict[str, pulumi.Output[str]]
    task_role_arns: dict[str, pulumi.Output[str]]
    secret_writers: tuple[SecretWriter, ...]
    """The tiers that write the secrets' values: a task waits until each secret it injects has one."""
    bucket_name: pulumi.Output[str]
    redis_endpoint: pulumi.Output[str]


def container_definitions(
    service: str,
    args: ComputeArgs,
    secret_arns: dict[str, str],
    bucket: str,
    redis: str,
    *,
    secret_versions: dict[str, str],
) -> str:
    region = args.stack.aws_region
    injected = secrets_for(service)
    container: dict[str, Any] = {
        "name": service,
        "image": args.config.image(service),
        "essential": True,
        "environment": [
            {"name": "APP_ENV", "value": args.names.env},
            {"name": "AWS_REGION", "value": region},
            {"name": "RECORDINGS_BUCKET", "value": bucket},
            {"name": "REDIS_HOST", "value": redis},
        ],
        # Secrets are injected by ECS from Secrets Manager, never written into the task definition.
        "secrets": [{"name": s.env_var, "valueFrom": secret_arns[s.name]} for s in injected],
        # ECS reads a secret when a task starts. The version id of each value (never the value) makes
        # a new value written by this stack a new task definition revision, which rolls the tasks.
        "dockerLabels": {f"{SECRET_VERSION_LABEL}{s.name}": secret_versions[s.name] for s in injected},
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": args.names.log_groups[service],
                "awslogs-region": region,
                "awslogs-stream-prefix": service,
            },
        },
        "linuxParameters": {"initProcessEnabled": True},
        # Read-only root filesystem (Security Hub ECS.5); /tmp is a task-local scratch volume.
        "readonlyRootFilesystem": True,
        "mountPoints": [{"sourceVolume": SCRATCH_VOLUME, "containerPath": SCRATCH_PATH, "readOnly": False}],
    }
    container["healthCheck"] = HEALTH_CHECK
    if service == "api":
        container["portMappings"] = [{"containerPort": APP_PORT, "protocol": "tcp"}]
    return json.dumps([container], sort_keys=True)


class Compute(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    service_names: dict[str, pulumi.Output[str]]
    task_definition_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ComputeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:compute:Compute", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=args.names.ecs_cluster,
            settings=[{"name": "containerInsights", "value": "enabled" if args.container_insights else "disabled"}],
            opts=child,
        )
        provider = "FARGATE_SPOT" if args.config.fargate_spot else "FARGATE"
        capacity = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=[{"capacity_provider": provider, "weight": 1}],
            opts=child,
        )

        written = [name for writer in args.secret_writers for name in writer.value_arns]
        missing = sorted({s.name for k in SERVICES for s in secrets_for(k)} - set(written))
        twice = sorted({name for name in written if written.count(name) > 1})
        if missing or twice:
            raise ValueError(f"secrets without a writer: {missing}; written twice: {twice}")
        ingress = args.ingress
        load_balancer: aws.ecs.ServiceLoadBalancerArgsDict | None = None
        if ingress.target_group_arn is not None:
            load_balancer = {
                "target_group_arn": ingress.target_group_arn,
                "container_name": "api",
                "container_port": APP_PORT,
            }

        secret_arns = pulumi.Output.all(**{k: v for w in args.secret_writers for k, v in w.value_arns.items()})
        secret_versions = pulumi.Output.all(**{k: v for w in args.secret_writers for k, v in w.value_versions.items()})
        c, n = args.config, args.names
        scaled = args.stack.high_availability or c.auto_stop
        self.service_names, self.task_definition_arns = {}, {}
        for service_key in SERVICES:
            definitions = pulumi.Output.all(secret_arns, args.bucket_name, args.redis_endpoint, secret_versions).apply(
                lambda v, s=service_key: container_definitions(s, args, v[0], v[1], v[2], secret_versions=v[3])
            )
            task = aws.ecs.TaskDefinition(
                f"{name}-{service_key}-task",
                family=n.task_families[service_key],
                cpu=str(c.cpu(service_key)),
                memory=str(c.memory(service_key)),
                network_mode="awsvpc",
                requires_compatibilities=["FARGATE"],
                runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
                execution_role_arn=args.execution_role_arns[service_key],
                task_role_arn=args.task_role_arns[service_key],
                container_definitions=definitions,
                volumes=[{"name": SCRATCH_VOLUME}],
                opts=child,
            )
            is_api = service_key == "api"
            service = aws.ecs.Service(
                f"{name}-{service_key}-service",
                name=n.services[service_key],
                cluster=cluster.arn,
                task_definition=task.arn,
                desired_count=c.desired_count(service_key),
                capacity_provider_strategies=[{"capacity_provider": provider, "weight": 1}],
                # Toggling fargateSpot changes the strategy. At this provider version (pulumi-aws
                # 7.x, terraform-provider-aws ecs/service.go) a strategy change without this FAILS
                # the preview ("force_new_deployment should be true when capacity_provider_strategy
                # is being updated"). The cost: the update sends ForceNewDeployment on every in-place
                # change of the service, so each such `up` (desired count, strategy, task definition)
                # rolls all its tasks (docs/naming-policy.md, ECS services).
                force_new_deployment=True,
                network_configuration={
                    "subnets": args.private_subnet_ids,
                    "security_groups": [args.services_sg_id],
                    "assign_public_ip": False,
                },
                deployment_circuit_breaker={"enable": True, "rollback": True},
                deployment_minimum_healthy_percent=100,
                deployment_maximum_percent=200,
                load_balancers=[load_balancer] if is_api and load_balancer else None,
                # The api registers its tasks in Cloud Map (SRV: address and port) for the VPC link.
                service_registries={
                    "registry_arn": ingress.registry_arn,
                    "container_name": "api",
                    "container_port": APP_PORT,
                }
                if is_api and ingress.registry_arn is not None
                else None,
                # Only valid with a load balancer (ECS refuses it otherwise).
                health_check_grace_period_seconds=60 if is_api and load_balancer else None,
                propagate_tags="SERVICE",
                enable_ecs_managed_tags=True,
                # `up` fails unless the tasks start; on a first deployment the circuit breaker has
                # nothing to roll back to, so without this a dead service would report success.
                wait_for_steady_state=True,
                # Scheduled scaling and autoscaling own the running count once the service exists.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[capacity, *(ingress.listeners if is_api else [])],
                    ignore_changes=["desiredCount"] if scaled else None,
                    custom_timeouts=pulumi.CustomTimeouts(create=SERVICE_TIMEOUT, update=SERVICE_TIMEOUT),
                ),
            )
            self.service_names[service_key] = service.name
            self.task_definition_arns[service_key] = task.arn
            if scaled:
                self._scaling(name, service_key, args, service)

        self.cluster_name = cluster.name
        self.register_outputs(declared(self))

    def _scaling(self, name: str, service_key: str, args: ComputeArgs, service: aws.ecs.Service) -> None:
        c, autoscaling = args.config, args.stack.high_availability
        service_name, desired = args.names.services[service_key], c.desired_count(service_key)
        resource_id = f"service/{args.names.ecs_cluster}/{service_name}"
        dimension = "ecs:service:DesiredCount"
        upper = c.max_task_count if autoscaling else desired
        target = aws.appautoscaling.Target(
            f"{name}-{service_key}-scaling",
            service_namespace="ecs",
            scalable_dimension=dimension,
            resource_id=resource_id,
            min_capacity=desired,
            max_capacity=upper,
            # The schedule moves min/max between 0 and the desired count: neither a refresh nor
            # the nightly drift check may put them back or call the schedule drift.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[service],
                ignore_changes=["minCapacity", "maxCapacity"] if c.auto_stop else None,
            ),
        )
        if autoscaling:
            aws.appautoscaling.Policy(
                f"{name}-{service_key}-cpu",
                name=f"{service_name}-cpu",
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
        if c.auto_stop:
            start, end = c.business_hours_start, c.business_hours_end
            for action, hour, count in (("start", start, desired), ("stop", end, 0)):
                aws.appautoscaling.ScheduledAction(
                    f"{name}-{service_key}-{action}",
                    name=f"{service_name}-{action}",
                    service_namespace="ecs",
                    scalable_dimension=dimension,
                    resource_id=resource_id,
                    schedule=f"cron(0 {hour} ? * MON-FRI *)",
                    timezone=c.business_timezone,
                    scalable_target_action={"min_capacity": count, "max_capacity": count},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[target]),
                )
