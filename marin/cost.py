"""Monthly cost of an environment from what the program declares, a price table and usage.

Pure: takes plain resource records (type, name, tier, inputs, outputs as the mock engine
recorded them), `pricing/prices.yaml` and `pricing/usage.yaml`, and returns line items. Every
resource type is either priced here, listed in FREE, or listed in UNPRICED with the reason; a
type in none of them raises `CostError`, so a new resource cannot silently drop out.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pulumi_mongodbatlas as atlas
import pulumi_random as random

from marin.sdk import token
from marin.stackfiles import load_yaml

PRICING_DIR = Path(__file__).resolve().parent.parent / "pricing"

FREE: dict[str, str] = {
    t: "no charge of its own"
    for t in (
        token(aws.ec2.Vpc),
        token(aws.ec2.Subnet),
        token(aws.ec2.InternetGateway),
        token(aws.ec2.RouteTable),
        token(aws.ec2.Route),
        token(aws.ec2.RouteTableAssociation),
        token(aws.ec2.SecurityGroup),
        token(aws.ec2.DefaultSecurityGroup),
        token(aws.vpc.SecurityGroupIngressRule),
        token(aws.vpc.SecurityGroupEgressRule),
        token(aws.iam.Role),
        token(aws.iam.RolePolicy),
        token(aws.s3.BucketOwnershipControls),
        token(aws.s3.BucketPublicAccessBlock),
        token(aws.s3.BucketServerSideEncryptionConfiguration),
        token(aws.s3.BucketPolicy),
        token(aws.s3.BucketVersioning),
        token(aws.s3.BucketLifecycleConfiguration),
        token(aws.s3.BucketLogging),
        token(aws.cloudwatch.QueryDefinition),
        token(aws.secretsmanager.SecretVersion),
        token(aws.ecs.Cluster),
        token(aws.ecs.ClusterCapacityProviders),
        token(aws.ecs.TaskDefinition),
        token(aws.lb.TargetGroup),
        token(aws.lb.Listener),
        token(aws.appautoscaling.Target),
        token(aws.appautoscaling.Policy),
        token(aws.appautoscaling.ScheduledAction),
        token(aws.elasticache.SubnetGroup),
        token(aws.kms.Alias),
        token(aws.sns.TopicSubscription),
        token(random.RandomPassword),
        token(atlas.Project),
        token(atlas.DatabaseUser),
        token(atlas.ProjectIpAccessList),
        token(atlas.PrivateLinkEndpointService),
    )
}
FREE[token(aws.acm.Certificate)] = "public ACM certificates have no charge"
FREE[token(aws.acm.CertificateValidation)] = "a waiter, nothing is created"
FREE[token(aws.route53.Record)] = (
    "records have no charge of their own; the hosted zone ($0.50/month) exists before the stack, "
    "and alias queries to a load balancer are free"
)
FREE[token(aws.sns.Topic)] = "alarm notifications stay within SNS's free million publishes"
FREE[token(aws.iam.Role)] = "IAM has no charge"
# API Gateway bills HTTP APIs per request (priced on the Api); the rest of an HTTP API is free.
for _t, _why in {
    token(aws.apigatewayv2.VpcLink): "VPC links of HTTP APIs have no charge (AWS API Gateway pricing)",
    token(aws.apigatewayv2.Integration): "billed in the API's requests",
    token(aws.apigatewayv2.Route): "billed in the API's requests",
    token(aws.apigatewayv2.Stage): "billed in the API's requests; access logs are billed in the log group",
    token(aws.apigatewayv2.DomainName): "custom domain names have no charge of their own",
    token(aws.apigatewayv2.ApiMapping): "no charge of its own",
}.items():
    FREE[_t] = _why

UNPRICED: dict[str, str] = {
    token(atlas.PrivateLinkEndpoint): ("Atlas bills its side of PrivateLink per hour and GB; not in the price table"),
    token(atlas.CloudBackupSchedule): ("Atlas bills backup storage by GB; depends on data size"),
}
# Cloud Map's DiscoverInstances calls ($1.00 per million) made by API Gateway for the VPC link are
# not priced: how often API Gateway looks the service up is not documented.


HTTP_API_FIRST_TIER_MILLIONS = 300  # HTTP API requests beyond this are cheaper ($0.90/M): not modelled


class CostError(ValueError):
    """A resource type or price the model does not know."""


@dataclass(frozen=True)
class LineItem:
    tier: str
    type: str
    name: str
    detail: str
    monthly: float


@dataclass(frozen=True)
class Prices:
    """One region's price table."""

    hours: float
    table: Mapping[str, Mapping[str, Any]]
    region: str = "us-east-1"
    used: set[str] = field(default_factory=set, compare=False)  # the keys an estimate read

    def __call__(self, key: str) -> float:
        if key not in self.table:
            raise CostError(f"price {key!r} is missing from pricing/prices.yaml ({self.region})")
        self.used.add(key)
        return float(self.table[key]["price"])

    def unconfirmed(self) -> list[str]:
        """The prices read so far that pricing/prices.yaml marks `confirmed: false`."""
        return sorted(k for k in self.used if self.table[k].get("confirmed") is False)


def load_prices(region: str = "us-east-1", path: Path | None = None) -> Prices:
    """`region`'s table; a region with none is refused, never priced at another region's rates."""
    data = load_yaml((path or PRICING_DIR / "prices.yaml").read_text(encoding="utf-8"))
    tables = data["regions"]
    if region not in tables:
        raise CostError(
            f"region {region!r} has no prices in pricing/prices.yaml (priced: {', '.join(tables)}); "
            f"add a `{region}:` table under regions:, each price with its source and date"
        )
    return Prices(hours=float(data["hours_per_month"]), table=tables[region], region=region)


def priced_regions(path: Path | None = None) -> tuple[str, ...]:
    data = load_yaml((path or PRICING_DIR / "prices.yaml").read_text(encoding="utf-8"))
    return tuple(data["regions"])


AWS_PROVIDER = "pulumi:providers:aws"


def region_of(records: Sequence[Record]) -> str:
    """The AWS region the stack's resources are created in (its one explicit aws provider)."""
    regions = {str(r["inputs"].get("region")) for r in records if r["type"] == AWS_PROVIDER}
    if len(regions) != 1:
        raise CostError(f"expected one AWS region among the stack's aws providers, found {sorted(regions)}")
    return regions.pop()


# What pricing/usage.yaml may say: the volumes the program cannot know. `defaults` gives each one,
# an `environments: <env>:` entry overrides some; every value is a number >= 0.
USAGE_KEYS: tuple[str, ...] = (
    "weekdays_per_month",
    "alb_lcu",
    "nat_gb",
    "service_log_gb",
    "flow_log_gb",
    "recordings_gb",
    "access_log_gb",
    "nat_instance_root_gb",
    "api_requests_millions",
)


MAX_WEEKDAYS = 23  # a 31-day month starting on a weekday has 23 weekdays


def _usage_error(where: str, message: str) -> CostError:
    return CostError(f"pricing/usage.yaml {where}: {message}")


def _check_usage_entry(where: str, entry: object, complete: bool) -> dict[str, float]:
    if not isinstance(entry, Mapping):
        raise _usage_error(where, f"{entry!r} is not a mapping of usage keys to numbers")
    for key, value in entry.items():
        if key not in USAGE_KEYS:
            close = difflib.get_close_matches(str(key), USAGE_KEYS, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise _usage_error(f"{where}.{key}", f"unknown key; {hint}allowed: {', '.join(USAGE_KEYS)}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _usage_error(f"{where}.{key}", f"{value!r} is not a number; allowed: a number >= 0")
        if not math.isfinite(value) or value < 0:
            raise _usage_error(f"{where}.{key}", f"{value!r} is not a finite number >= 0; allowed: a number >= 0")
        if key == "weekdays_per_month" and value > MAX_WEEKDAYS:
            raise _usage_error(f"{where}.{key}", f"{value!r}; allowed: 0 to {MAX_WEEKDAYS} (weekdays in a month)")
    missing = [k for k in USAGE_KEYS if k not in entry] if complete else []
    if missing:
        raise _usage_error(where, f"missing {', '.join(missing)} (defaults gives every usage key)")
    return dict(entry)


def _usage_file(path: Path | None) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """pricing/usage.yaml, validated: (defaults, per-environment overrides)."""
    data = load_yaml((path or PRICING_DIR / "usage.yaml").read_text(encoding="utf-8")) or {}
    unknown = set(data) - {"defaults", "environments"} if isinstance(data, Mapping) else {"(not a mapping)"}
    if unknown:
        raise _usage_error(str(sorted(unknown)[0]), "unknown top-level key; allowed: defaults, environments")
    defaults = _check_usage_entry("defaults", data.get("defaults"), complete=True)
    envs = data.get("environments") or {}
    if not isinstance(envs, Mapping):
        raise _usage_error("environments", f"{envs!r} is not a mapping of environment names to usage")
    return defaults, {str(e): _check_usage_entry(f"environments.{e}", u, complete=False) for e, u in envs.items()}


def load_usage(env: str, path: Path | None = None) -> dict[str, float]:
    defaults, envs = _usage_file(path)
    return {**defaults, **envs.get(env, {})}


def has_usage(env: str, path: Path | None = None) -> bool:
    """True when pricing/usage.yaml has an `environments:` entry for `env` (else: the defaults)."""
    return env in _usage_file(path)[1]


Record = Mapping[str, Any]
CRON_HOUR = re.compile(r"^cron\(0 (\d{1,2}) \? \* MON-FRI \*\)$")


class _Model:
    def __init__(self, records: Sequence[Record], prices: Prices, usage: Mapping[str, float]):
        self.records, self.p, self.u = records, prices, usage

    def of_type(self, suffix: str) -> list[Record]:
        return [r for r in self.records if r["type"].endswith(suffix)]

    def service_hours(self, service: Record) -> tuple[float, str]:
        """730, or business hours from the service's start/stop schedule (dev auto-stop)."""
        name = service["inputs"]["name"]
        hours = {}
        for action in self.of_type(":ScheduledAction"):
            i = action["inputs"]
            m = CRON_HOUR.match(i["schedule"])
            if i["resourceId"].endswith(f"/{name}") and m:
                hours["stop" if i["scalableTargetAction"]["maxCapacity"] == 0 else "start"] = int(m[1])
        if {"start", "stop"} <= hours.keys():
            daily = hours["stop"] - hours["start"]
            return daily * self.u["weekdays_per_month"], f"{daily} h x {self.u['weekdays_per_month']} weekdays"
        return self.p.hours, "24/7"

    # one method per priced type: (detail, monthly)
    def service(self, r: Record) -> tuple[str, float]:
        (task,) = [t for t in self.of_type(":TaskDefinition") if t["outputs"]["arn"] == r["inputs"]["taskDefinition"]]
        vcpu, gb = int(task["inputs"]["cpu"]) / 1024, int(task["inputs"]["memory"]) / 1024
        hours, when = self.service_hours(r)
        tasks = int(r["inputs"]["desiredCount"])
        spot = r["inputs"]["capacityProviderStrategies"][0]["capacityProvider"] == "FARGATE_SPOT"
        rate = vcpu * self.p("fargate_vcpu_hour") + gb * self.p("fargate_gb_hour")
        factor = self.p("fargate_spot_factor") if spot else 1.0
        kind = "Spot" if spot else "on-demand"
        return f"{tasks} x {vcpu:g} vCPU/{gb:g} GB {kind}, {when}", tasks * hours * rate * factor

    def load_balancer(self, r: Record) -> tuple[str, float]:
        azs = len(r["inputs"]["subnets"])
        lcu = self.u["alb_lcu"]
        cost = self.p.hours * (self.p("alb_hour") + lcu * self.p("alb_lcu_hour") + azs * self.p("public_ipv4_hour"))
        return f"ALB + {lcu:g} LCU + {azs} public IPv4", cost

    def http_api(self, r: Record) -> tuple[str, float]:
        millions = self.u["api_requests_millions"]
        if millions > HTTP_API_FIRST_TIER_MILLIONS:
            raise CostError(f"api_requests_millions={millions:g} is beyond the first price tier (300 million)")
        return f"HTTP API, {millions:g} M requests", millions * self.p("http_api_million_requests")

    def discovery_namespace(self, r: Record) -> tuple[str, float]:
        return "Route 53 private hosted zone", self.p("route53_hosted_zone_month")

    def discovery_service(self, r: Record) -> tuple[str, float]:
        services = [s for s in self.of_type(token(aws.ecs.Service)) if _registry_arn(s) == r["outputs"]["arn"]]
        instances = sum(int(s["inputs"]["desiredCount"]) for s in services)
        return f"{instances} registered instance(s)", instances * self.p("cloud_map_instance_month")

    def nat_gateway(self, r: Record) -> tuple[str, float]:
        gateways = len(self.of_type(":NatGateway"))
        gb = self.u["nat_gb"] / gateways
        return f"gateway + {gb:g} GB", self.p.hours * self.p("nat_gateway_hour") + gb * self.p("nat_gateway_gb")

    def eip(self, r: Record) -> tuple[str, float]:
        return "public IPv4", self.p.hours * self.p("public_ipv4_hour")

    def instance(self, r: Record) -> tuple[str, float]:
        kind, disk = r["inputs"]["instanceType"], self.u["nat_instance_root_gb"]
        return f"{kind} + {disk:g} GB gp3", self.p.hours * self.p(f"ec2_{kind}_hour") + disk * self.p(
            "ebs_gp3_gb_month"
        )

    def vpc_endpoint(self, r: Record) -> tuple[str, float]:
        if r["inputs"]["vpcEndpointType"] == "Gateway":
            return "gateway endpoint (free)", 0.0
        azs = len(r["inputs"]["subnetIds"])
        return f"interface endpoint x {azs} AZ", azs * self.p.hours * self.p("interface_endpoint_az_hour")

    def redis(self, r: Record) -> tuple[str, float]:
        node, count = r["inputs"]["nodeType"], int(r["inputs"]["numCacheClusters"])
        return f"{count} x {node}", count * self.p.hours * self.p(f"{node}_hour")

    def opensearch(self, r: Record) -> tuple[str, float]:
        c, ebs = r["inputs"]["clusterConfig"], r["inputs"]["ebsOptions"]
        n, kind, gb = int(c["instanceCount"]), c["instanceType"], int(ebs["volumeSize"])
        cost = n * (self.p.hours * self.p(f"{kind}_hour") + gb * self.p("opensearch_gp3_gb_month"))
        detail = f"{n} x {kind} + {n} x {gb} GB"
        if c.get("dedicatedMasterEnabled"):
            masters, master_kind = int(c["dedicatedMasterCount"]), c["dedicatedMasterType"]
            cost += masters * self.p.hours * self.p(f"{master_kind}_hour")
            detail += f" + {masters} x {master_kind} masters"
        return detail, cost

    def atlas(self, r: Record) -> tuple[str, float]:
        size = r["inputs"]["replicationSpecs"][0]["regionConfigs"][0]["electableSpecs"]["instanceSize"]
        return f"Atlas {size}", self.p.hours * self.p(f"atlas_{size}_hour")

    def secret(self, r: Record) -> tuple[str, float]:
        return "secret", self.p("secret_month")

    def log_group(self, r: Record) -> tuple[str, float]:
        name, days = r["inputs"]["name"], int(r["inputs"]["retentionInDays"])
        if name.startswith("/vpc/"):
            gb, ingest = self.u["flow_log_gb"], 0.0  # ingestion is billed on the flow log
        else:
            groups = [g for g in self.of_type(":LogGroup") if not g["inputs"]["name"].startswith("/vpc/")]
            gb = self.u["service_log_gb"] / len(groups)
            ingest = gb * self.p("logs_ingest_gb")
        stored = gb * min(days, 30) / 30
        return f"{gb:g} GB/month, {days} d kept", ingest + stored * self.p("logs_storage_gb_month")

    def flow_log(self, r: Record) -> tuple[str, float]:
        gb = self.u["flow_log_gb"]
        return f"{gb:g} GB ingested", gb * self.p("logs_ingest_gb")

    def bucket(self, r: Record) -> tuple[str, float]:
        if r["tier"] != "logging":
            gb = self.u["recordings_gb"]
            return f"{gb:g} GB Standard", gb * self.p("s3_standard_gb_month")
        # The access-log bucket: a month's logs are stored until they expire, and as noncurrent
        # versions for as long again where the bucket is versioned (its lifecycle rule).
        gb, days = self.u["access_log_gb"], self.kept_days(r)
        return f"{gb:g} GB/month, {days} d kept", gb * days / 30 * self.p("s3_standard_gb_month")

    def kept_days(self, bucket: Record) -> int:
        """Days an object of `bucket` is stored: its lifecycle's expiration, plus the noncurrent days
        when versioning is enabled."""

        def of_bucket(suffix: str) -> list[Record]:
            return [x for x in self.of_type(suffix) if x["inputs"].get("bucket") == bucket["outputs"].get("id")]

        (lifecycle,) = of_bucket(":BucketLifecycleConfiguration")
        (rule,) = lifecycle["inputs"]["rules"]
        days = int(rule["expiration"]["days"])
        if any(v["inputs"]["versioningConfiguration"]["status"] == "Enabled" for v in of_bucket(":BucketVersioning")):
            days += int(rule["noncurrentVersionExpiration"]["noncurrentDays"])
        return days

    def kms_key(self, r: Record) -> tuple[str, float]:
        return "customer managed key", self.p("kms_key_month")

    def alarm(self, r: Record) -> tuple[str, float]:
        return "alarm", self.p("cloudwatch_alarm_month")


def _registry_arn(service: Record) -> str | None:
    registry = service["inputs"].get("serviceRegistries")
    return registry.get("registryArn") if isinstance(registry, Mapping) else None


PRICED: dict[str, Callable[[_Model, Record], tuple[str, float]]] = {
    token(aws.apigatewayv2.Api): _Model.http_api,
    token(aws.servicediscovery.PrivateDnsNamespace): _Model.discovery_namespace,
    token(aws.servicediscovery.Service): _Model.discovery_service,
    token(aws.ecs.Service): _Model.service,
    token(aws.lb.LoadBalancer): _Model.load_balancer,
    token(aws.ec2.NatGateway): _Model.nat_gateway,
    token(aws.ec2.Eip): _Model.eip,
    token(aws.ec2.Instance): _Model.instance,
    token(aws.ec2.VpcEndpoint): _Model.vpc_endpoint,
    token(aws.elasticache.ReplicationGroup): _Model.redis,
    token(aws.opensearch.Domain): _Model.opensearch,
    token(atlas.AdvancedCluster): _Model.atlas,
    token(aws.secretsmanager.Secret): _Model.secret,
    token(aws.cloudwatch.LogGroup): _Model.log_group,
    token(aws.ec2.FlowLog): _Model.flow_log,
    token(aws.s3.Bucket): _Model.bucket,
    token(aws.kms.Key): _Model.kms_key,
    token(aws.cloudwatch.MetricAlarm): _Model.alarm,
}


def is_cloud_resource(type_: str) -> bool:
    return not type_.startswith(("marin:", "pulumi:"))


def unknown_types(types: Iterable[str]) -> set[str]:
    return {t for t in types if is_cloud_resource(t) and t not in PRICED and t not in FREE and t not in UNPRICED}


def estimate(records: Sequence[Record], prices: Prices, usage: Mapping[str, float]) -> list[LineItem]:
    """Priced line items of one environment (free and unpriced resources are not listed)."""
    unknown = unknown_types(r["type"] for r in records)
    if unknown:
        raise CostError(
            "no price, free or unpriced entry for: " + ", ".join(sorted(unknown)) + " (add it to marin/cost.py)"
        )
    if any(r["type"] == AWS_PROVIDER for r in records) and region_of(records) != prices.region:
        raise CostError(f"the stack is in {region_of(records)} but the prices given are {prices.region}'s")
    model = _Model(records, prices, usage)
    items = []
    for r in records:
        if r["type"] in PRICED:
            detail, monthly = PRICED[r["type"]](model, r)
            items.append(LineItem(r["tier"], r["type"], r["name"], detail, monthly))
    return items


def by_tier(items: Iterable[LineItem]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        out[item.tier] = out.get(item.tier, 0.0) + item.monthly
    return out
