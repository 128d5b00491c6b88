"""compute tier: the ECS cluster, the api behind its ingress, the worker, autoscaling and dev auto-stop.

Ingress (`marin:ingress`):
- `alb`: an Application Load Balancer. With a domain, `api.<env>.<domain>` gets a DNS-validated
  ACM certificate and an alias record to the ALB; with TLS (that certificate, or `certificateArn`)
  the ALB serves HTTPS only and port 80 redirects to 443. Without either (dev may), it forwards
  plain HTTP on port 80.
- `http-api`: an API Gateway HTTP API, HTTPS only on its execute-api endpoint, with a VPC link
  (private subnets, its own security group) to the api registered in Cloud Map (SRV records);
  an HTTP_PROXY integration on the `$default` route and stage, throttled from config, access log
  in JSON to the api's log group. With a domain, the same certificate serves a custom domain
  `api.<env>.<domain>` and an alias record points at it. No load balancer, no public address.

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
from marin.catalogue import APP_PORT, secrets_for

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HTTP_API_TLS_POLICY = "TLS_1_2"  # the one security policy API Gateway offers regional HTTP API domains
DEFAULT_STAGE = "$default"  # API Gateway's reserved stage served at the API's root
# One JSON object per request (API Gateway "HTTP API access logging variables").
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "path": "$context.path",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "integrationStatus": "$context.integrationStatus",
        # (no key may contain "error": the errors-by-service query matches on the whole line)
        "integrationMessage": "$context.integrationErrorMessage",
    },
    sort_keys=True,
)
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
    ingress: str
    """alb | http-api"""
    alb_name: str
    target_group_name: str
    http_api_name: str
    vpc_link_name: str
    discovery_namespace: str
    discovery_service: str
    throttle_burst_limit: int
    throttle_rate_limit: int
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
    ingress_sg_id: pulumi.Output[str]
    services_sg_id: pulumi.Output[str]
    api_log_group_arn: pulumi.Output[str]
    """The api's log group: the HTTP API's access log goes there (same retention)."""
    secret_arns: dict[str, pulumi.Output[str]]
    """Secret ARNs as written by their owners' versions: a task waits until each has a value."""
    secret_versions: dict[str, pulumi.Output[str]]
    """The version id of each secret's value as this stack wrote it."""
    bucket_name: pulumi.Output[str]
    redis_endpoint: pulumi.Output[str]


def container_definitions(
    spec: ServiceSpec,
    args: ComputeArgs,
    secret_arns: dict[str, str],
    bucket: str,
    redis: str,
    *,
    secret_versions: dict[str, str],
) -> str:
    injected = secrets_for(spec.name)
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
        "secrets": [{"name": s.env_var, "valueFrom": secret_arns[s.name]} for s in injected],
        # ECS reads a secret when a task starts. The version id of each value (never the value) makes
        # a new value written by this stack a new task definition revision, which rolls the tasks.
        "dockerLabels": {f"{SECRET_VERSION_LABEL}{s.name}": secret_versions[s.name] for s in injected},
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
    container["healthCheck"] = HEALTH_CHECK
    if spec.name == "api":
        container["portMappings"] = [{"containerPort": APP_PORT, "protocol": "tcp"}]
    return json.dumps([container], sort_keys=True)


def _given(value: str | None, what: str) -> str:
    """A computed output API Gateway always returns for a created custom domain; never guessed."""
    if not value:
        raise ValueError(f"API Gateway returned no {what} for the api's custom domain")
    return value


class Compute(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    service_names: dict[str, pulumi.Output[str]]
    task_definition_arns: dict[str, pulumi.Output[str]]
    api_url: pulumi.Output[str]
    load_balancer_dns_name: pulumi.Output[str] | None
    load_balancer_arn_suffix: pulumi.Output[str] | None
    http_api_id: pulumi.Output[str] | None
    http_api_stage: str | None

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

        self.load_balancer_dns_name = self.load_balancer_arn_suffix = None
        self.http_api_id, self.http_api_stage = None, None
        registry: aws.servicediscovery.Service | None = None
        load_balancer: aws.ecs.ServiceLoadBalancerArgsDict | None = None
        api_waits_for: list[pulumi.Resource] = []
        if args.ingress == "alb":
            target_group_arn, api_waits_for = self._alb(name, args)
            load_balancer = {"target_group_arn": target_group_arn, "container_name": "api", "container_port": APP_PORT}
        else:
            registry = self._discovery(name, args)

        secret_arns = pulumi.Output.all(**args.secret_arns)
        secret_versions = pulumi.Output.all(**args.secret_versions)
        scaled = args.autoscaling or args.auto_stop
        self.service_names, self.task_definition_arns = {}, {}
        for spec in args.services:
            definitions = pulumi.Output.all(secret_arns, args.bucket_name, args.redis_endpoint, secret_versions).apply(
                lambda v, spec=spec: container_definitions(spec, args, v[0], v[1], v[2], secret_versions=v[3])
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
                # Toggling fargateSpot changes the strategy: without this the provider replaces the
                # service (or refuses the update, in later versions); with it, it rolls the tasks.
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
                service_registries={"registry_arn": registry.arn, "container_name": "api", "container_port": APP_PORT}
                if is_api and registry is not None
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
                    depends_on=[capacity, *(api_waits_for if is_api else [])],
                    ignore_changes=["desiredCount"] if scaled else None,
                    custom_timeouts=pulumi.CustomTimeouts(create=SERVICE_TIMEOUT, update=SERVICE_TIMEOUT),
                ),
            )
            self.service_names[spec.name] = service.name
            self.task_definition_arns[spec.name] = task.arn
            if scaled:
                self._scaling(name, spec, args, service)

        if registry is not None:
            self.api_url = self._http_api(name, args, registry)
        self.cluster_name = cluster.name
        self.register_outputs(declared(self))

    def _alb(self, name: str, args: ComputeArgs) -> tuple[pulumi.Output[str], list[pulumi.Resource]]:
        """The ALB, its target group, listeners and alias; sets api_url. Returns the target group's
        ARN and what the api service waits for (its listeners)."""
        child = pulumi.ResourceOptions(parent=self)
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=args.alb_name,
            load_balancer_type="application",
            internal=False,
            security_groups=[args.ingress_sg_id],
            subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.protect,
            idle_timeout=60,
            opts=child,
        )
        # Auto-named (docs/naming-policy.md): a replacement is created first, the listener and the
        # service move to it, then the old one goes. A fixed name can do neither (in use; taken).
        target_group = aws.lb.TargetGroup(
            f"{name}-api-tg",
            tags={"Name": args.target_group_name},
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

        self.load_balancer_dns_name = alb.dns_name
        self.load_balancer_arn_suffix = alb.arn_suffix
        return target_group.arn, list(listeners)

    def _discovery(self, name: str, args: ComputeArgs) -> aws.servicediscovery.Service:
        """The Cloud Map namespace (a private zone in the VPC) and the api's service in it."""
        child = pulumi.ResourceOptions(parent=self)
        namespace = aws.servicediscovery.PrivateDnsNamespace(
            f"{name}-discovery",
            name=args.discovery_namespace,
            description="Service discovery of the api for the API Gateway VPC link",
            vpc=args.vpc_id,
            opts=child,
        )
        # Auto-named (docs/naming-policy.md): a replacement is created before the old service, which
        # still has the running tasks registered, is deleted.
        return aws.servicediscovery.Service(
            f"{name}-api-discovery",
            tags={"Name": args.discovery_service},
            description="The api's tasks (address and port), registered by ECS",
            dns_config={
                "namespace_id": namespace.id,
                # SRV carries the port: API Gateway needs it to reach a Cloud Map service.
                "dns_records": [{"type": "SRV", "ttl": 10}],
                "routing_policy": "MULTIVALUE",
            },
            # ECS reports each task's health (its container health check) to Cloud Map, which then
            # answers with healthy tasks only. The block is ForceNew and the provider keeps it in
            # state only when failure_threshold is set (terraform-provider-aws servicediscovery/
            # service.go, flattenHealthCheckCustomConfig; hashicorp/terraform-provider-aws#44285):
            # `{}` is never stored and replaced the service on every `up`, without a custom health
            # check. AWS always stores 1 (the value is deprecated, API_HealthCheckCustomConfig), so
            # 1 is what a refresh reads back: no diff.
            health_check_custom_config={"failure_threshold": 1},
            # ECS deregisters its tasks; left-over instances (a failed task) must not block a destroy.
            force_destroy=not args.protect,
            opts=child,
        )

    def _http_api(self, name: str, args: ComputeArgs, registry: aws.servicediscovery.Service) -> pulumi.Output[str]:
        """The HTTP API in front of the api's Cloud Map service; returns the api's URL."""
        child = pulumi.ResourceOptions(parent=self)
        link = aws.apigatewayv2.VpcLink(
            f"{name}-vpc-link",
            name=args.vpc_link_name,
            subnet_ids=args.private_subnet_ids,
            security_group_ids=[args.ingress_sg_id],
            # Immutable, and in use by the integration: a replacement (new subnets or security group)
            # must exist before the old link can go. Names needn't be unique (docs/naming-policy.md).
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=False),
        )
        api = aws.apigatewayv2.Api(
            f"{name}-http-api",
            name=args.http_api_name,
            protocol_type="HTTP",
            description=f"Public HTTPS ingress of the {args.env} api",
            opts=child,
        )
        integration = aws.apigatewayv2.Integration(
            f"{name}-api-integration",
            api_id=api.id,
            integration_type="HTTP_PROXY",
            integration_method="ANY",
            integration_uri=registry.arn,
            connection_type="VPC_LINK",
            connection_id=link.id,
            payload_format_version="1.0",
            timeout_milliseconds=30000,
            opts=child,
        )
        route = aws.apigatewayv2.Route(
            f"{name}-api-route",
            api_id=api.id,
            route_key="$default",
            target=pulumi.Output.concat("integrations/", integration.id),
            opts=child,
        )
        stage = aws.apigatewayv2.Stage(
            f"{name}-api-stage",
            api_id=api.id,
            name=DEFAULT_STAGE,
            auto_deploy=True,
            default_route_settings={
                "throttling_burst_limit": args.throttle_burst_limit,
                "throttling_rate_limit": float(args.throttle_rate_limit),
            },
            access_log_settings={"destination_arn": args.api_log_group_arn, "format": ACCESS_LOG_FORMAT},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[route]),
        )
        self.http_api_id, self.http_api_stage = api.id, DEFAULT_STAGE
        certificate_arn = self._certificate(name, args)
        if not args.api_hostname or certificate_arn is None:
            return api.api_endpoint
        domain = aws.apigatewayv2.DomainName(
            f"{name}-api-domain",
            domain_name=args.api_hostname,
            domain_name_configuration={
                "certificate_arn": certificate_arn,
                "endpoint_type": "REGIONAL",
                "security_policy": HTTP_API_TLS_POLICY,
            },
            opts=child,
        )
        aws.apigatewayv2.ApiMapping(
            f"{name}-api-mapping", api_id=api.id, domain_name=domain.id, stage=stage.name, opts=child
        )
        target = domain.domain_name_configuration
        aws.route53.Record(
            f"{name}-api-dns",
            zone_id=args.hosted_zone_id,
            name=args.api_hostname,
            type="A",
            aliases=[
                {
                    "name": target.target_domain_name.apply(lambda v: _given(v, "target domain name")),
                    "zone_id": target.hosted_zone_id.apply(lambda v: _given(v, "hosted zone id")),
                    "evaluate_target_health": False,
                }
            ],
            opts=child,
        )
        return pulumi.Output.concat("https://", args.api_hostname)

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
