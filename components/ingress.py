"""ingress tier: how the api is reached from the internet (`marin:ingress`).

- `alb`: an Application Load Balancer. With a domain, `api.<env>.<domain>` gets a DNS-validated
  ACM certificate and an alias record to the ALB; with TLS (that certificate, or `certificateArn`)
  the ALB serves HTTPS only and port 80 redirects to 443. Without either (dev may), it forwards
  plain HTTP on port 80.
- `http-api`: an API Gateway HTTP API, HTTPS only on its execute-api endpoint, with a VPC link
  (private subnets, its own security group) to the api registered in Cloud Map (SRV records);
  an HTTP_PROXY integration on the `$default` route and stage, throttled from config, access log
  in JSON to the api's log group. With a domain, the same certificate serves a custom domain
  `api.<env>.<domain>` and an alias record points at it. No load balancer, no public address.

These resources were children of the compute component, named `compute-<suffix>`, until the
ingress became a component of its own: each carries an alias to that identity, so the move
changes no resource (no replacement of the load balancer, the API or its DNS record).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components._outputs import declared
from marin.catalogue import APP_PORT
from marin.config import IngressConfig, StackConfig
from marin.naming import ALB_ACCESS_LOG_PREFIX, EnvironmentNames, check_name

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
SUFFIX_HEX = 6


def replaceable_name(base: str, rule: str, **force_new: Any) -> pulumi.Output[str]:
    """`<base>-<6 hex>`: the naming module's name plus a digest of the inputs that force a new
    resource, so the name changes exactly when the resource is replaced, and the replacement can be
    created before the old one (still in use) is deleted, under a name of its own. The longest
    form is checked against `rule` now, before anything is registered."""
    check_name(rule, f"{base}-{'0' * SUFFIX_HEX}")

    def name(values: dict[str, Any]) -> str:
        digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
        return f"{base}-{digest[:SUFFIX_HEX]}"

    return pulumi.Output.all(**force_new).apply(name)


FORMER_PARENT = ("marin:compute:Compute", "compute")
"""Type and name of the component the ingress resources were created under."""


@dataclass(frozen=True)
class IngressArgs:
    config: IngressConfig
    stack: StackConfig
    names: EnvironmentNames
    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    ingress_sg_id: pulumi.Output[str]
    api_log_group_arn: pulumi.Output[str]
    """The api's log group: the HTTP API's access log goes there (same retention)."""
    access_log_bucket: pulumi.Output[str]
    """The logging tier's access-log bucket, once its policy lets the load balancer write there."""


def _given(value: str | None, what: str) -> str:
    """A computed output API Gateway always returns for a created custom domain; never guessed."""
    if not value:
        raise ValueError(f"API Gateway returned no {what} for the api's custom domain")
    return value


class Ingress(pulumi.ComponentResource):
    api_url: pulumi.Output[str]
    target_group_arn: pulumi.Output[str] | None
    """The api's target group (alb), which the api service registers its tasks in; else None."""
    registry_arn: pulumi.Output[str] | None
    """The api's Cloud Map service (http-api), which the api service registers its tasks in; else None."""
    load_balancer_dns_name: pulumi.Output[str] | None
    load_balancer_arn_suffix: pulumi.Output[str] | None
    http_api_id: pulumi.Output[str] | None
    http_api_stage: str | None

    def __init__(self, name: str, args: IngressArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:ingress:Ingress", name, None, opts)
        kind, former = FORMER_PARENT
        self._former_parent = f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{kind}::{former}"
        self.target_group_arn = self.registry_arn = None
        self.load_balancer_dns_name = self.load_balancer_arn_suffix = None
        self.http_api_id, self.http_api_stage = None, None
        # What the api service waits for (a service cannot join a target group without a listener);
        # not an output of the component.
        self.listeners: list[pulumi.Resource] = []
        if args.config.load_balanced:
            self.target_group_arn, self.listeners = self._alb(name, args)
        else:
            registry = self._discovery(name, args)
            self.registry_arn = registry.arn
            self.api_url = self._http_api(name, args, registry)
        self.register_outputs(declared(self))

    def _moved(self, suffix: str, **options: object) -> pulumi.ResourceOptions:
        """Options of a child, with an alias to its name under the former parent (`compute-<suffix>`)."""
        former = pulumi.Alias(name=f"{FORMER_PARENT[1]}-{suffix}", parent=self._former_parent)
        return pulumi.ResourceOptions(parent=self, aliases=[former], **options)  # type: ignore[arg-type]

    def _alb(self, name: str, args: IngressArgs) -> tuple[pulumi.Output[str], list[pulumi.Resource]]:
        """The ALB, its target group, listeners and alias; sets api_url. Returns the target group's
        ARN and what the api service waits for (its listeners)."""
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=args.names.alb,
            load_balancer_type="application",
            internal=False,
            security_groups=[args.ingress_sg_id],
            subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.stack.protect_data,
            idle_timeout=60,
            # One file per node every 5 minutes under alb/AWSLogs/<account>/elasticloadbalancing/...
            access_logs={"bucket": args.access_log_bucket, "prefix": ALB_ACCESS_LOG_PREFIX, "enabled": True},
            opts=self._moved("alb"),
        )
        # Named `marin-<env>-api-tg-<6 hex>` from its force-new inputs (docs/naming-policy.md): a
        # replacement gets a new name and is created first, the listener and the service move to it,
        # then the old one goes. A fixed name could do neither (in use; taken).
        tg: dict[str, Any] = {"port": APP_PORT, "protocol": "HTTP", "target_type": "ip"}
        target_group = aws.lb.TargetGroup(
            f"{name}-api-tg",
            name=replaceable_name(args.names.target_group, "target-group", vpc_id=args.vpc_id, **tg),
            tags={"Name": args.names.target_group},
            vpc_id=args.vpc_id,
            **tg,
            deregistration_delay=30,
            health_check={
                "path": "/health",
                "matcher": "200-399",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            opts=self._moved("api-tg", delete_before_replace=False),
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
                    opts=self._moved("https"),
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
                    opts=self._moved("http-redirect"),
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
                    opts=self._moved("http"),
                )
            ]
        if args.names.api_hostname:
            aws.route53.Record(
                f"{name}-api-dns",
                zone_id=args.config.hosted_zone_id,
                name=args.names.api_hostname,
                type="A",
                aliases=[{"name": alb.dns_name, "zone_id": alb.zone_id, "evaluate_target_health": True}],
                opts=self._moved("api-dns"),
            )
        scheme = "https" if certificate_arn is not None else "http"
        host: pulumi.Input[str] = args.names.api_hostname or alb.dns_name
        self.api_url = pulumi.Output.concat(scheme, "://", host)

        self.load_balancer_dns_name = alb.dns_name
        self.load_balancer_arn_suffix = alb.arn_suffix
        return target_group.arn, list(listeners)

    def _discovery(self, name: str, args: IngressArgs) -> aws.servicediscovery.Service:
        """The Cloud Map namespace (a private zone in the VPC) and the api's service in it."""
        namespace = aws.servicediscovery.PrivateDnsNamespace(
            f"{name}-discovery",
            name=args.names.discovery_namespace,
            description="Service discovery of the api for the API Gateway VPC link",
            vpc=args.vpc_id,
            opts=self._moved("discovery"),
        )
        # Named `marin-<env>-api-<6 hex>` from its force-new inputs (docs/naming-policy.md): a
        # replacement is created under its own name before the old service, which still has the
        # running tasks registered, is deleted.
        sd = aws.servicediscovery
        records: list[sd.ServiceDnsConfigDnsRecordArgsDict] = [{"type": "SRV", "ttl": 10}]  # SRV: the port
        routing = "MULTIVALUE"
        health: sd.ServiceHealthCheckCustomConfigArgsDict = {"failure_threshold": 1}  # why 1: below
        return aws.servicediscovery.Service(
            f"{name}-api-discovery",
            name=replaceable_name(
                args.names.discovery_service,
                "cloudmap-service",
                namespace_id=namespace.id,
                record_types=[r["type"] for r in records],
                routing_policy=routing,
                health_check_custom_config=health,
            ),
            tags={"Name": args.names.discovery_service},
            description="The api's tasks (address and port), registered by ECS",
            dns_config={"namespace_id": namespace.id, "dns_records": records, "routing_policy": routing},
            # ECS reports each task's health (its container health check) to Cloud Map, which then
            # answers with healthy tasks only. The block is ForceNew and the provider keeps it in
            # state only when failure_threshold is set (terraform-provider-aws servicediscovery/
            # service.go, flattenHealthCheckCustomConfig; hashicorp/terraform-provider-aws#44285):
            # `{}` is never stored and replaced the service on every `up`, without a custom health
            # check. AWS always stores 1 (the value is deprecated, API_HealthCheckCustomConfig), so
            # 1 is what a refresh reads back: no diff.
            health_check_custom_config=health,
            # ECS deregisters its tasks; left-over instances (a failed task) must not block a destroy.
            force_destroy=not args.stack.protect_data,
            opts=self._moved("api-discovery", delete_before_replace=False),
        )

    def _http_api(self, name: str, args: IngressArgs, registry: aws.servicediscovery.Service) -> pulumi.Output[str]:
        """The HTTP API in front of the api's Cloud Map service; returns the api's URL."""
        link = aws.apigatewayv2.VpcLink(
            f"{name}-vpc-link",
            name=args.names.vpc_link,
            subnet_ids=args.private_subnet_ids,
            security_group_ids=[args.ingress_sg_id],
            # Immutable, and in use by the integration: a replacement (new subnets or security group)
            # must exist before the old link can go. Names needn't be unique (docs/naming-policy.md).
            opts=self._moved("vpc-link", delete_before_replace=False),
        )
        api = aws.apigatewayv2.Api(
            f"{name}-http-api",
            name=args.names.http_api,
            protocol_type="HTTP",
            description=f"Public HTTPS ingress of the {args.names.env} api",
            opts=self._moved("http-api"),
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
            opts=self._moved("api-integration"),
        )
        route = aws.apigatewayv2.Route(
            f"{name}-api-route",
            api_id=api.id,
            route_key="$default",
            target=pulumi.Output.concat("integrations/", integration.id),
            opts=self._moved("api-route"),
        )
        stage = aws.apigatewayv2.Stage(
            f"{name}-api-stage",
            api_id=api.id,
            name=DEFAULT_STAGE,
            auto_deploy=True,
            default_route_settings={
                "throttling_burst_limit": args.config.api_throttle_burst_limit,
                "throttling_rate_limit": float(args.config.api_throttle_rate_limit),
            },
            access_log_settings={"destination_arn": args.api_log_group_arn, "format": ACCESS_LOG_FORMAT},
            opts=self._moved("api-stage", depends_on=[route]),
        )
        self.http_api_id, self.http_api_stage = api.id, DEFAULT_STAGE
        certificate_arn = self._certificate(name, args)
        if not args.names.api_hostname or certificate_arn is None:
            return api.api_endpoint
        domain = aws.apigatewayv2.DomainName(
            f"{name}-api-domain",
            domain_name=args.names.api_hostname,
            domain_name_configuration={
                "certificate_arn": certificate_arn,
                "endpoint_type": "REGIONAL",
                "security_policy": HTTP_API_TLS_POLICY,
            },
            opts=self._moved("api-domain"),
        )
        aws.apigatewayv2.ApiMapping(
            f"{name}-api-mapping",
            api_id=api.id,
            domain_name=domain.id,
            stage=stage.name,
            opts=self._moved("api-mapping"),
        )
        target = domain.domain_name_configuration
        aws.route53.Record(
            f"{name}-api-dns",
            zone_id=args.config.hosted_zone_id,
            name=args.names.api_hostname,
            type="A",
            aliases=[
                {
                    "name": target.target_domain_name.apply(lambda v: _given(v, "target domain name")),
                    "zone_id": target.hosted_zone_id.apply(lambda v: _given(v, "hosted zone id")),
                    "evaluate_target_health": False,
                }
            ],
            opts=self._moved("api-dns"),
        )
        return pulumi.Output.concat("https://", args.names.api_hostname)

    def _certificate(self, name: str, args: IngressArgs) -> pulumi.Input[str] | None:
        """The HTTPS listener's certificate: the given one, one issued for api_hostname, or None."""
        if args.config.certificate_arn:
            return args.config.certificate_arn
        if not args.names.api_hostname:
            return None
        certificate = aws.acm.Certificate(
            f"{name}-api-certificate",
            domain_name=args.names.api_hostname,
            validation_method="DNS",
            key_algorithm="RSA_2048",
            opts=self._moved("api-certificate"),
        )
        # One name, so exactly one validation record (known before the certificate exists).
        option = certificate.domain_validation_options.apply(lambda options: options[0])
        record = aws.route53.Record(
            f"{name}-api-certificate-validation",
            zone_id=args.config.hosted_zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,  # the record ACM asks for is the same for a reissued certificate
            opts=self._moved("api-certificate-validation"),
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-api-certificate",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            # ACM validates within minutes when the zone is delegated; fail sooner than the
            # provider's default if it is not.
            opts=self._moved("api-certificate", custom_timeouts=pulumi.CustomTimeouts(create="30m")),
        )
        return validation.certificate_arn
