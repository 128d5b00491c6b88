"""compute tier: the ECS cluster, the api behind an ALB, the worker, autoscaling and dev auto-stop.

Ingress: with a domain, `api.<env>.<domain>` gets a DNS-validated ACM certificate and an alias
record to the ALB; with TLS (that certificate, or `certificateArn`) the ALB serves HTTPS only and
port 80 redirects to 443. Without either (dev may), it forwards plain HTTP on port 80.

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

from marin.catalogue import APP_PORT, secrets_for

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
CPU_TARGET_PERCENT = 60
# How long `pulumi up` waits for a service to reach a steady state before it fails.
SERVICE_TIMEOUT = "30m"
# The image contract (README): the worker image ships this command; it exits 0 while healthy.
WORKER_HEALTH_CHECK = {
    "command": ["CMD", "/app/healthcheck"],
    "interval": 30,
    "timeout": 5,
    "retries": 3,
    "startPeriod": 60,
}
SCRATCH_VOLUME, SCRATCH_PATH = "scratch", "/tmp"


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
    """An existing ACM certificate for the HTTPS listener; '' to issue one for api_hostname (or none)."""
    api_hostname: str
    """`api.<env>.<domain>`, published in hosted_zone_id; '' for none."""
    hosted_zone_id: str
    protect: bool
    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    alb_sg_id: pulumi.Output[str]
    services_sg_id: pulumi.Output[str]
    secret_arns: dict[str, pulumi.Output[str]]
    """Secret ARNs as written by their owners' versions: a task waits until each has a value."""
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
        # Read-only root filesystem (Security Hub ECS.5); /tmp is a task-local scratch volume.
        "readonlyRootFilesystem": True,
        "mountPoints": [{"sourceVolume": SCRATCH_VOLUME, "containerPath": SCRATCH_PATH, "readOnly": False}],
    }
    if spec.name == "api":
        container["portMappings"] = [{"containerPort": APP_PORT, "protocol": "tcp"}]
    else:  # the api's health is the load balancer's check; the worker has no port to check
        container["healthCheck"] = WORKER_HEALTH_CHECK
    return json.dumps([container], sort_keys=True)


class Compute(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    service_names: dict[str, pulumi.Output[str]]
    task_definition_arns: dict[str, pulumi.Output[str]]
    api_url: pulumi.Output[str]
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
        certificate_arn = self._certificate(name, args)
        if certificate_arn is not None:
            listeners = [
                aws.lb.Listener(
                    f"{name}-https",
                    load_balancer_arn=alb.arn,
                    port=443,
                    protocol="HTTPS",
                    ssl_policy=TLS_POLICY,
                    certificate_arn=certificate_arn,
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
        if args.api_hostname:
            aws.route53.Record(
                f"{name}-api-dns",
                zone_id=args.hosted_zone_id,
                name=args.api_hostname,
                type="A",
                aliases=[{"name": alb.dns_name, "zone_id": alb.zone_id, "evaluate_target_health": True}],
                opts=child,
            )
        scheme = "https" if certificate_arn is not None else "http"
        host: pulumi.Input[str] = args.api_hostname or alb.dns_name
        self.api_url = pulumi.Output.concat(scheme, "://", host)

        secret_arns = pulumi.Output.all(**args.secret_arns)
        scaled = args.autoscaling or args.auto_stop
        self.service_names, self.task_definition_arns = {}, {}
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
                volumes=[{"name": SCRATCH_VOLUME}],
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
                # `up` fails unless the tasks start; on a first deployment the circuit breaker has
                # nothing to roll back to, so without this a dead service would report success.
                wait_for_steady_state=True,
                # Scheduled scaling and autoscaling own the running count once the service exists.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[capacity, *listeners],
                    ignore_changes=["desiredCount"] if scaled else None,
                    custom_timeouts=pulumi.CustomTimeouts(create=SERVICE_TIMEOUT, update=SERVICE_TIMEOUT),
                ),
            )
            self.service_names[spec.name] = service.name
            self.task_definition_arns[spec.name] = task.arn
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
                "api_url": self.api_url,
                "load_balancer_dns_name": self.load_balancer_dns_name,
            }
        )

    def _certificate(self, name: str, args: ComputeArgs) -> pulumi.Input[str] | None:
        """The HTTPS listener's certificate: the given one, one issued for api_hostname, or None."""
        if args.certificate_arn:
            return args.certificate_arn
        if not args.api_hostname:
            return None
        child = pulumi.ResourceOptions(parent=self)
        certificate = aws.acm.Certificate(
            f"{name}-api-certificate",
            domain_name=args.api_hostname,
            validation_method="DNS",
            key_algorithm="RSA_2048",
            opts=child,
        )
        # One name, so exactly one validation record (known before the certificate exists).
        option = certificate.domain_validation_options.apply(lambda options: options[0])
        record = aws.route53.Record(
            f"{name}-api-certificate-validation",
            zone_id=args.hosted_zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,  # the record ACM asks for is the same for a reissued certificate
            opts=child,
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-api-certificate",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            # ACM validates within minutes when the zone is delegated; fail sooner than the
            # provider's default if it is not.
            opts=pulumi.ResourceOptions(parent=self, custom_timeouts=pulumi.CustomTimeouts(create="30m")),
        )
        return validation.certificate_arn

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
            # The schedule moves min/max between 0 and the desired count: neither a refresh nor
            # the nightly drift check may put them back or call the schedule drift.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[service],
                ignore_changes=["minCapacity", "maxCapacity"] if args.auto_stop else None,
            ),
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
