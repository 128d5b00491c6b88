"""Issue 14: the api's ingress is a config choice (`marin:ingress`).

`alb` (staging, prod): the Application Load Balancer, as before. `http-api` (dev): an API Gateway
HTTP API with a VPC link to the api registered in Cloud Map, no load balancer and no public
address but the NAT's. Every test keys on what the stack's config says, never on its name; the
few variants (a protected stack that switches, no domain, other throttling) run the real program
once each under mocks.
"""

from __future__ import annotations

import functools
import json
import re

import pulumi_aws as aws
import pytest

from components.ingress import ACCESS_LOG_FORMAT
from components.logs import ERRORS_BY_SERVICE
from marin import cost
from marin.catalogue import APP_PORT
from marin.config import ConfigError, EnvConfig, parse
from offline import engine, policy, report
from offline.engine import Inventory, Resource, token

LB = token(aws.lb.LoadBalancer)
API = token(aws.apigatewayv2.Api)
VPC_LINK = token(aws.apigatewayv2.VpcLink)
INTEGRATION = token(aws.apigatewayv2.Integration)
ROUTE = token(aws.apigatewayv2.Route)
STAGE = token(aws.apigatewayv2.Stage)
DOMAIN = token(aws.apigatewayv2.DomainName)
MAPPING = token(aws.apigatewayv2.ApiMapping)
NAMESPACE = token(aws.servicediscovery.PrivateDnsNamespace)
DISCOVERY = token(aws.servicediscovery.Service)
SG = token(aws.ec2.SecurityGroup)
INGRESS_RULE = token(aws.vpc.SecurityGroupIngressRule)
EGRESS_RULE = token(aws.vpc.SecurityGroupEgressRule)
HTTP_API_TYPES = (API, VPC_LINK, INTEGRATION, ROUTE, STAGE, DOMAIN, MAPPING, NAMESPACE, DISCOVERY)
ALB_TYPES = (LB, token(aws.lb.TargetGroup), token(aws.lb.Listener))
APPROVED_SWITCH = {"marin:ingress": "http-api", "marin:ingressChangeApproved": "true"}


def variant(env: str, config: dict[str, str]) -> Inventory:
    """One extra run of the real program (once per session)."""
    return _run(env, tuple(sorted(config.items())))


@functools.cache
def _run(env: str, config: tuple[tuple[str, str], ...]) -> Inventory:
    return engine.run(env, config=dict(config))


def api_service(inv: Inventory) -> Resource:
    (service,) = [s for s in inv.of_type(token(aws.ecs.Service)) if s.inputs["name"].endswith("-api-service")]
    return service


def groups_by_id(inv: Inventory) -> dict[str, str]:
    return {g.outputs["id"]: str(g.physical_name) for g in inv.of_type(SG)}


def rules(inv: Inventory, type_: str, group_id: str) -> list[dict]:
    return [r.inputs for r in inv.of_type(type_) if r.inputs["securityGroupId"] == group_id]


@pytest.fixture
def switched_staging(committed: dict[str, dict[str, str]]) -> Inventory:
    """Staging (protected, full monitoring) with an approved switch to the HTTP API."""
    return variant("staging", committed["staging"] | APPROVED_SWITCH)


def test_every_committed_stack_declares_its_ingress(committed: dict[str, dict[str, str]]) -> None:
    for env, raw in committed.items():
        assert raw.get("marin:ingress") in ("alb", "http-api"), env
        assert parse(env, raw).ingress.mode == raw["marin:ingress"]


def test_an_http_api_ingress_has_no_load_balancer_and_no_public_address_but_the_nats(
    inv: Inventory, config: EnvConfig
) -> None:
    present = {t for t in (*ALB_TYPES, *HTTP_API_TYPES) if inv.of_type(t)}
    if config.ingress.load_balanced:
        assert present == set(ALB_TYPES), "an alb stack has the ALB and nothing of the HTTP API"
        return
    assert present == set(HTTP_API_TYPES) - (set() if config.ingress.domain_name else {DOMAIN, MAPPING})
    assert not any(str(g.physical_name).endswith("-alb-sg") for g in inv.of_type(SG))
    # Public IPv4: only Elastic IPs, each held by the NAT (instance or gateway).
    nat_ids = {r.outputs["id"] for r in inv.of_type(token(aws.ec2.Instance))}
    nat_allocations = {g.inputs["allocationId"] for g in inv.of_type(token(aws.ec2.NatGateway))}
    eips = inv.of_type(token(aws.ec2.Eip))
    assert eips
    for eip in eips:
        assert eip.inputs.get("instance") in nat_ids or eip.outputs["id"] in nat_allocations, eip.name
    assert not any(s.inputs["mapPublicIpOnLaunch"] for s in inv.of_type(token(aws.ec2.Subnet)))
    assert not any(i.inputs.get("associatePublicIpAddress") for i in inv.of_type(token(aws.ec2.Instance)))
    for service in inv.of_type(token(aws.ecs.Service)):
        assert service.inputs["networkConfiguration"]["assignPublicIp"] is False
    # and no security group admits the internet at all
    open_to = ("0.0.0.0/0", "::/0")
    assert not [
        r.name
        for r in inv.of_type(INGRESS_RULE)
        if r.inputs.get("cidrIpv4") in open_to or r.inputs.get("cidrIpv6") in open_to
    ]


def test_the_api_is_reachable_only_through_the_vpc_links_security_group(inv: Inventory, config: EnvConfig) -> None:
    groups = groups_by_id(inv)
    by_name = {name: gid for gid, name in groups.items()}
    services = by_name[f"marin-{config.env}-services-sg"]
    front = by_name[f"marin-{config.env}-{'alb' if config.ingress.load_balanced else 'vpc-link'}-sg"]
    (into_services,) = rules(inv, INGRESS_RULE, services)
    assert into_services["referencedSecurityGroupId"] == front
    assert (into_services["fromPort"], into_services["toPort"], into_services["ipProtocol"]) == (
        APP_PORT,
        APP_PORT,
        "tcp",
    )
    (out_of_front,) = rules(inv, EGRESS_RULE, front)
    assert out_of_front["referencedSecurityGroupId"] == services
    assert out_of_front["fromPort"] == out_of_front["toPort"] == APP_PORT
    api = api_service(inv).inputs["networkConfiguration"]
    assert api["securityGroups"] == [services]
    assert set(api["subnets"]) == set(inv.outputs["privateSubnetIds"])
    if config.ingress.load_balanced:
        return
    assert rules(inv, INGRESS_RULE, front) == []  # API Gateway's link opens connections, accepts none
    link = inv.one(VPC_LINK).inputs
    assert link["securityGroupIds"] == [front]
    assert link["subnetIds"] == inv.outputs["privateSubnetIds"]
    subnets = {s.outputs["id"]: s.inputs["availabilityZoneId"] for s in inv.of_type(token(aws.ec2.Subnet))}
    assert len({subnets[s] for s in link["subnetIds"]}) >= 2  # a VPC link wants 2+ AZs


def test_the_api_registers_in_cloud_map_and_the_http_api_proxies_to_it_over_the_vpc_link(
    inv: Inventory, config: EnvConfig
) -> None:
    if config.ingress.load_balanced:
        assert "serviceRegistries" not in api_service(inv).inputs
        return
    namespace, discovery = inv.one(NAMESPACE), inv.one(DISCOVERY)
    assert namespace.inputs["vpc"] == inv.outputs["vpcId"]
    dns = discovery.inputs["dnsConfig"]
    assert dns["namespaceId"] == namespace.outputs["id"]
    assert dns["dnsRecords"] == [{"type": "SRV", "ttl": 10}]  # SRV: API Gateway needs the port
    assert api_service(inv).inputs["serviceRegistries"] == {
        "registryArn": discovery.outputs["arn"],
        "containerName": "api",
        "containerPort": APP_PORT,
    }
    assert "healthCheckGracePeriodSeconds" not in api_service(inv).inputs  # ECS refuses it without a load balancer
    api, link = inv.one(API), inv.one(VPC_LINK)
    assert api.inputs["protocolType"] == "HTTP"
    integration = inv.one(INTEGRATION).inputs
    assert integration["apiId"] == api.outputs["id"]
    assert (integration["integrationType"], integration["connectionType"]) == ("HTTP_PROXY", "VPC_LINK")
    assert integration["connectionId"] == link.outputs["id"]
    assert integration["integrationUri"] == discovery.outputs["arn"]
    route = inv.one(ROUTE).inputs
    assert (route["apiId"], route["routeKey"]) == (api.outputs["id"], "$default")
    assert route["target"] == f"integrations/{inv.one(INTEGRATION).outputs['id']}"
    stage = inv.one(STAGE).inputs
    assert (stage["apiId"], stage["name"], stage["autoDeploy"]) == (api.outputs["id"], "$default", True)


def test_the_engine_orders_the_http_api_after_what_it_needs(inv: Inventory, config: EnvConfig) -> None:
    if config.ingress.load_balanced:
        return
    discovery, link, integration = inv.one(DISCOVERY), inv.one(VPC_LINK), inv.one(INTEGRATION)
    route, stage, namespace = inv.one(ROUTE), inv.one(STAGE), inv.one(NAMESPACE)
    assert inv.depends_on(api_service(inv), discovery)  # the service registers its tasks there
    assert inv.depends_on(discovery, namespace)
    assert inv.depends_on(integration, link)
    assert inv.depends_on(integration, discovery)
    assert inv.depends_on(route, integration)
    assert inv.depends_on(stage, route)  # auto-deploy deploys the route, not an empty API
    if config.ingress.domain_name:
        domain, mapping = inv.one(DOMAIN), inv.one(MAPPING)
        waiter = inv.one(token(aws.acm.CertificateValidation))
        assert inv.depends_on(domain, waiter)  # ACM has issued the certificate
        assert inv.depends_on(mapping, domain)
        assert inv.depends_on(mapping, stage)


def test_throttling_and_the_access_log_come_from_config(inv: Inventory, config: EnvConfig) -> None:
    if config.ingress.load_balanced:
        return
    stage = inv.one(STAGE).inputs
    assert stage["defaultRouteSettings"] == {
        "throttlingBurstLimit": config.ingress.api_throttle_burst_limit,
        "throttlingRateLimit": config.ingress.api_throttle_rate_limit,
    }
    groups = {g.inputs["name"]: g for g in inv.of_type(token(aws.cloudwatch.LogGroup))}
    api_logs = groups[f"/ecs/{config.env}/api"]
    log = stage["accessLogSettings"]
    assert log["destinationArn"] == api_logs.outputs["arn"]
    assert api_logs.inputs["retentionInDays"] == config.logging.log_retention_days
    fields = json.loads(log["format"])
    assert {"requestId", "status", "responseLatency", "integrationMessage"} <= set(fields)
    assert fields["requestId"] == "$context.requestId"


def test_other_throttling_in_config_reaches_the_stage(committed: dict[str, dict[str, str]]) -> None:
    raw = committed["dev"] | {
        "marin:ingress": "http-api",
        "marin:apiThrottleBurstLimit": "77",
        "marin:apiThrottleRateLimit": "33",
    }
    stage = variant("dev", raw).one(STAGE).inputs
    assert stage["defaultRouteSettings"] == {"throttlingBurstLimit": 77, "throttlingRateLimit": 33}


def test_alb_stacks_keep_the_https_listener_and_the_redirect(inv: Inventory, config: EnvConfig) -> None:
    if not config.ingress.load_balanced:
        return
    listeners = {int(li.inputs["port"]): li.inputs for li in inv.of_type(token(aws.lb.Listener))}
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[80]["defaultActions"][0]["redirect"]["protocol"] == "HTTPS"
    (alb,) = inv.of_type(LB)
    assert alb.inputs["internal"] is False
    assert inv.outputs["loadBalancerDnsName"] == alb.outputs["dnsName"]
    assert "httpApiId" not in inv.outputs


def test_with_a_domain_the_custom_domain_uses_the_validated_certificate_and_the_alias_targets_it(
    inv: Inventory, config: EnvConfig
) -> None:
    if config.ingress.load_balanced or not config.ingress.domain_name:
        return
    host = f"api.{config.env}.{config.ingress.domain_name}"
    (certificate,) = inv.of_type(token(aws.acm.Certificate))
    assert certificate.inputs["domainName"] == host
    waiter = inv.one(token(aws.acm.CertificateValidation))
    domain = inv.one(DOMAIN)
    assert domain.inputs["domainName"] == host
    settings = domain.inputs["domainNameConfiguration"]
    assert settings["certificateArn"] == waiter.outputs["certificateArn"] == certificate.outputs["arn"]
    assert (settings["endpointType"], settings["securityPolicy"]) == ("REGIONAL", "TLS_1_2")
    mapping = inv.one(MAPPING).inputs
    assert mapping["apiId"] == inv.one(API).outputs["id"]
    assert mapping["domainName"] == domain.outputs["id"]
    assert mapping["stage"] == inv.one(STAGE).inputs["name"] == "$default"
    (alias,) = [r.inputs for r in inv.of_type(token(aws.route53.Record)) if r.inputs["name"] == host]
    target = domain.outputs["domainNameConfiguration"]
    assert (alias["type"], alias["zoneId"]) == ("A", config.ingress.hosted_zone_id)
    assert alias["aliases"] == [
        {"name": target["targetDomainName"], "zoneId": target["hostedZoneId"], "evaluateTargetHealth": False}
    ]
    assert inv.outputs["apiUrl"] == f"https://{host}"


def test_without_a_domain_the_api_url_is_the_https_execute_api_endpoint(committed: dict[str, dict[str, str]]) -> None:
    raw = {k: v for k, v in committed["dev"].items() if k not in ("marin:domainName", "marin:hostedZoneId")}
    inv = variant("dev", raw | {"marin:ingress": "http-api"})
    assert not inv.of_type(DOMAIN)
    assert not inv.of_type(token(aws.acm.Certificate))
    endpoint = inv.one(API).outputs["apiEndpoint"]
    assert endpoint.startswith("https://")
    assert ".execute-api." in endpoint
    assert inv.outputs["apiUrl"] == endpoint


def test_alarms_follow_the_ingress(switched_staging: Inventory, all_inventories: dict[str, Inventory]) -> None:
    def alarms(inv: Inventory) -> dict[str, dict]:
        return {a.inputs["metricName"]: a.inputs for a in inv.of_type(token(aws.cloudwatch.MetricAlarm))}

    for env, inv in [*all_inventories.items(), ("staging+http-api", switched_staging)]:
        found = alarms(inv)
        if not found:  # basic monitoring: no alarms at all
            continue
        if inv.of_type(LB):
            assert {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"} <= set(found), env
            assert not [a for a in found.values() if a["namespace"] == "AWS/ApiGateway"], env
        else:
            assert not [a for a in found.values() if a["namespace"] == "AWS/ApplicationELB"], env
            dims = {"ApiId": inv.one(API).outputs["id"], "Stage": "$default"}
            assert found["5xx"]["namespace"] == found["Latency"]["namespace"] == "AWS/ApiGateway"
            assert found["5xx"]["dimensions"] == found["Latency"]["dimensions"] == dims
            assert (found["5xx"]["statistic"], found["5xx"]["threshold"]) == ("Sum", 10)
            assert found["Latency"]["extendedStatistic"] == "p99"
            assert "statistic" not in found["Latency"]
    assert switched_staging.of_type(API)  # the switched variant was really checked


def test_the_policy_pack_passes_a_protected_stack_behind_an_http_api(switched_staging: Inventory) -> None:
    assert switched_staging.of_type(API)
    report = policy.analyze(switched_staging)
    assert [str(f) for f in report.violations] == []


# --- the switch ---------------------------------------------------------------------------------


def test_switching_a_protected_environments_ingress_is_refused_unless_approved(
    committed: dict[str, dict[str, str]],
) -> None:
    for env, raw in committed.items():
        config = parse(env, raw)
        if not config.stack.protect_data:
            continue
        other = "http-api" if config.ingress.mode == "alb" else "alb"
        with pytest.raises(ConfigError) as refused:
            parse(env, raw | {"marin:ingress": other, "marin:ingressChangeApproved": "false"})
        if other == "http-api":
            (problem,) = refused.value.problems
            assert problem.startswith("marin:ingress='http-api' with marin:protectData=true")
            assert "marin:ingressChangeApproved=true" in problem
            assert "replaces the public endpoint" in problem
        assert parse(env, raw | {"marin:ingress": other, "marin:ingressChangeApproved": "true"}).ingress.mode == other


def test_an_unprotected_environment_chooses_its_ingress_freely(committed: dict[str, dict[str, str]]) -> None:
    for env, raw in committed.items():
        if parse(env, raw).stack.protect_data:
            continue
        assert {parse(env, raw | {"marin:ingress": i}).ingress.mode for i in ("alb", "http-api")} == {"alb", "http-api"}


def test_unknown_ingress_and_a_certificate_without_a_domain_are_refused(committed: dict[str, dict[str, str]]) -> None:
    with pytest.raises(ConfigError, match=r"marin:ingress='nlb': allowed: alb, http-api"):
        parse("dev", committed["dev"] | {"marin:ingress": "nlb"})
    arn = "arn:aws:acm:us-east-1:111111111111:certificate/01234567-89ab-cdef-0123-456789abcdef"
    raw = {k: v for k, v in committed["dev"].items() if k not in ("marin:domainName", "marin:hostedZoneId")}
    refusal = r"marin:certificateArn with marin:ingress='http-api' and no marin:domainName"
    with pytest.raises(ConfigError, match=refusal):
        parse("dev", raw | {"marin:ingress": "http-api", "marin:certificateArn": arn})
    for key, bad in (("apiThrottleBurstLimit", "0"), ("apiThrottleRateLimit", "10001")):
        with pytest.raises(ConfigError, match=rf"marin:{key}={bad}: allowed: 1 to"):
            parse("dev", committed["dev"] | {f"marin:{key}": bad})


# --- cost ---------------------------------------------------------------------------------------


def test_http_api_stacks_cost_at_most_60_a_month_with_every_tier_present(inv: Inventory, config: EnvConfig) -> None:
    if config.ingress.load_balanced:
        return
    items = cost.estimate(report.records(inv), cost.load_prices(), cost.load_usage(config.env))
    tiers = cost.by_tier(items)
    assert {"network", "storage", "logging", "secrets", "database", "cache", "search", "compute"} <= {
        r.tier for r in inv.custom
    }
    assert sum(tiers.values()) <= 60.0
    assert not [i for i in items if i.type == LB]


def test_the_http_api_line_is_requests_times_the_price(inv: Inventory, config: EnvConfig) -> None:
    if config.ingress.load_balanced:
        return
    items = {i.type: i for i in cost.estimate(report.records(inv), cost.load_prices(), cost.load_usage(config.env))}
    usage = cost.load_usage(config.env)
    # by hand: API Gateway HTTP APIs cost $1.00 per million requests, the first 300 M a month
    # (aws.amazon.com/api-gateway/pricing), times the stack's volume in pricing/usage.yaml
    assert items[API].monthly == pytest.approx(usage["api_requests_millions"] * 1.00)
    assert items[NAMESPACE].monthly == pytest.approx(0.50)  # its Route 53 private hosted zone
    assert items[DISCOVERY].monthly == pytest.approx(0.10)  # one registered api task
    assert VPC_LINK in cost.FREE


def test_requests_beyond_the_first_price_tier_are_refused() -> None:
    api = {"type": API, "name": "api", "tier": "compute", "inputs": {}, "outputs": {}}
    with pytest.raises(cost.CostError, match="beyond the first price tier"):
        cost.estimate([api], cost.load_prices(), {"api_requests_millions": 301})


def test_a_successful_access_log_line_is_not_counted_as_an_error() -> None:
    """The errors-by-service query matches a whole line; a 200's access log must not match it."""
    pattern = re.search(r"like /(.*?)/", ERRORS_BY_SERVICE)
    assert pattern
    line = re.sub(r"\$context\.\w+", "-", ACCESS_LOG_FORMAT).replace('"status": "-"', '"status": "200"')
    assert not re.search(pattern.group(1), line)
    assert re.search(pattern.group(1), "Traceback (most recent call last)")


def test_cloud_map_answers_with_healthy_tasks_only(inv: Inventory, config: EnvConfig) -> None:
    services = inv.of_type(token(aws.servicediscovery.Service))
    if config.ingress.load_balanced:
        assert not services
        return
    (service,) = services
    # ECS reports each task's health. The block (ForceNew) reaches state only with failure_threshold
    # set, and AWS stores 1 (terraform-provider-aws servicediscovery/service.go,
    # flattenHealthCheckCustomConfig; AWS Cloud Map API_HealthCheckCustomConfig): anything else is
    # read back differently and replaces the service on every `up` (hashicorp/terraform-provider-aws#44285).
    assert service.inputs["healthCheckCustomConfig"] == {"failureThreshold": 1}
    for task in inv.of_type(token(aws.ecs.TaskDefinition)):
        (container,) = json.loads(task.inputs["containerDefinitions"])
        assert container["healthCheck"]["command"] == ["CMD", "/app/healthcheck"]
