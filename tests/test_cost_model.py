"""The cost model of `marin/cost.py`, line item by line item, on hand-made records.

Pure (no program run; `test_cost.py` holds the figures of the committed stacks). The price table
below is made up, with a different value per key so that a price read in the wrong place shows;
every expected figure is worked out by hand in its comment. The pricing rules they follow are
AWS's and MongoDB's pricing pages, as cited per price in `pricing/prices.yaml`:
- Fargate per vCPU-hour and GB-hour, Spot at a discount: https://aws.amazon.com/fargate/pricing/
- ALB per hour and LCU-hour; public IPv4 per address-hour: https://aws.amazon.com/elasticloadbalancing/pricing/,
  https://aws.amazon.com/vpc/pricing/
- NAT gateway per hour and GB processed; interface endpoints per AZ-hour: https://aws.amazon.com/vpc/pricing/
- CloudWatch Logs per GB ingested and GB-month stored: https://aws.amazon.com/cloudwatch/pricing/
- HTTP APIs per million requests, first 300 million: https://aws.amazon.com/api-gateway/pricing/
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from marin import cost, stackfiles

HOURS = 730
PRICES = cost.Prices(
    hours=HOURS,
    table={
        "fargate_vcpu_hour": {"price": 0.04},
        "fargate_gb_hour": {"price": 0.004},
        "fargate_spot_factor": {"price": 0.3},
        "alb_hour": {"price": 0.02},
        "alb_lcu_hour": {"price": 0.01},
        "public_ipv4_hour": {"price": 0.005},
        "http_api_million_requests": {"price": 1.5},
        "route53_hosted_zone_month": {"price": 0.5},
        "cloud_map_instance_month": {"price": 0.1},
        "nat_gateway_hour": {"price": 0.045},
        "nat_gateway_gb": {"price": 0.05},
        "ec2_t4g.nano_hour": {"price": 0.0042},
        "ebs_gp3_gb_month": {"price": 0.08},
        "interface_endpoint_az_hour": {"price": 0.011},
        "cache.t4g.micro_hour": {"price": 0.016},
        "x.search_hour": {"price": 0.1},
        "m.search_hour": {"price": 0.2},
        "opensearch_gp3_gb_month": {"price": 0.12},
        "atlas_M10_hour": {"price": 0.08},
        "secret_month": {"price": 0.4},
        "logs_ingest_gb": {"price": 0.5},
        "logs_storage_gb_month": {"price": 0.03},
        "s3_standard_gb_month": {"price": 0.023},
        "kms_key_month": {"price": 1.0},
        "cloudwatch_alarm_month": {"price": 0.1},
    },
)
USAGE: dict[str, float] = {
    "weekdays_per_month": 20,
    "alb_lcu": 2,
    "api_requests_millions": 4,
    "nat_gb": 20,
    "nat_instance_root_gb": 8,
    "service_log_gb": 4,
    "flow_log_gb": 3,
    "recordings_gb": 50,
    "access_log_gb": 3,
}


def rec(type_: str, inputs: dict[str, Any] | None = None, outputs: dict[str, Any] | None = None, **kw: Any) -> dict:
    return {
        "type": type_,
        "name": kw.get("name", type_.rsplit(":", 1)[-1].lower()),
        "tier": kw.get("tier", "t"),
        "inputs": inputs or {},
        "outputs": outputs or {},
    }


def task(arn: str, cpu: str, memory: str) -> dict:
    return rec("aws:ecs/taskDefinition:TaskDefinition", {"cpu": cpu, "memory": memory}, {"arn": arn})


def service(name: str, arn: str, count: int, provider: str = "FARGATE", registry: Any = None) -> dict:
    inputs: dict[str, Any] = {
        "name": name,
        "taskDefinition": arn,
        "desiredCount": count,
        "capacityProviderStrategies": [{"capacityProvider": provider}],
    }
    if registry is not None:
        inputs["serviceRegistries"] = registry
    return rec("aws:ecs/service:Service", inputs, name=name)


def schedule(resource_id: str, hour: int, count: int, minute: int = 0) -> dict:
    return rec(
        "aws:appautoscaling/scheduledAction:ScheduledAction",
        {
            "resourceId": resource_id,
            "schedule": f"cron({minute} {hour} ? * MON-FRI *)",
            "scalableTargetAction": {"minCapacity": count, "maxCapacity": count},
        },
    )


def items(records: list[dict], usage: Mapping[str, float] = USAGE) -> list[tuple[str, str, str, str, float]]:
    return [(i.tier, i.type, i.name, i.detail, round(i.monthly, 6)) for i in cost.estimate(records, PRICES, usage)]


def only(records: list[dict], type_: str, usage: Mapping[str, float] = USAGE) -> list[tuple[str, float]]:
    return [(detail, monthly) for _, t, _, detail, monthly in items(records, usage) if t == type_]


SERVICE = "aws:ecs/service:Service"


def test_fargate_on_demand_around_the_clock_picks_its_own_task_definition() -> None:
    records = [task("other", "4096", "8192"), task("a", "1024", "2048"), service("api", "a", 2)]
    # 2 tasks x 730 h x (1 vCPU x 0.04 + 2 GB x 0.004) = 2 x 730 x 0.048 = 70.08
    assert only(records, SERVICE) == [("2 x 1 vCPU/2 GB on-demand, 24/7", 70.08)]


def test_fargate_spot_in_business_hours_from_the_service_s_own_schedule() -> None:
    records = [
        task("a", "256", "512"),
        service("api", "a", 1, "FARGATE_SPOT"),
        schedule("service/marin-dev/api", 8, 3),
        schedule("service/marin-dev/api", 18, 0),
        # another service's schedule, one whose name merely ends the same, one not on the hour: ignored
        schedule("service/marin-dev/worker", 6, 1),
        schedule("service/marin-dev/xapi", 12, 0),
        schedule("service/marin-dev/api", 9, 0, minute=30),
    ]
    # 1 task x (18 - 8) h x 20 weekdays x (0.25 x 0.04 + 0.5 x 0.004) x 0.3 = 200 x 0.012 x 0.3 = 0.72
    assert only(records, SERVICE) == [("1 x 0.25 vCPU/0.5 GB Spot, 10 h x 20 weekdays", 0.72)]


def test_a_start_without_a_stop_runs_around_the_clock() -> None:
    records = [task("a", "512", "1024"), service("api", "a", 1), schedule("service/c/api", 8, 1)]
    # 730 x (0.5 x 0.04 + 1 x 0.004) = 730 x 0.024 = 17.52
    assert only(records, SERVICE) == [("1 x 0.5 vCPU/1 GB on-demand, 24/7", 17.52)]
    records = [task("a", "512", "1024"), service("api", "a", 1), schedule("service/c/api", 20, 0)]
    assert only(records, SERVICE) == [("1 x 0.5 vCPU/1 GB on-demand, 24/7", 17.52)]


def test_load_balancer_hours_capacity_units_and_one_public_address_per_subnet() -> None:
    alb = rec("aws:lb/loadBalancer:LoadBalancer", {"subnets": ["a", "b", "c"]})
    # 730 x (0.02 + 2 LCU x 0.01 + 3 x 0.005) = 730 x 0.055 = 40.15
    assert only([alb], "aws:lb/loadBalancer:LoadBalancer") == [("ALB + 2 LCU + 3 public IPv4", 40.15)]


def test_http_api_requests_up_to_the_first_price_tier() -> None:
    api = rec("aws:apigatewayv2/api:Api")
    assert only([api], "aws:apigatewayv2/api:Api") == [("HTTP API, 4 M requests", 6.0)]  # 4 x 1.5
    assert only([api], "aws:apigatewayv2/api:Api", USAGE | {"api_requests_millions": 300}) == [
        ("HTTP API, 300 M requests", 450.0)
    ]
    with pytest.raises(cost.CostError) as caught:
        items([api], USAGE | {"api_requests_millions": 300.5})
    assert str(caught.value) == "api_requests_millions=300.5 is beyond the first price tier (300 million)"


def test_service_discovery_zone_and_the_instances_registered_with_each_service() -> None:
    arn, other = "arn:aws:servicediscovery:::service/srv-1", "arn:aws:servicediscovery:::service/srv-2"
    records = [
        task("a", "256", "512"),
        rec("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace"),
        rec("aws:servicediscovery/service:Service", outputs={"arn": arn}, name="sd"),
        service("api", "a", 2, registry={"registryArn": arn}),
        service("worker", "a", 3, registry={"registryArn": arn}),
        service("batch", "a", 7, registry={"registryArn": other}),
        service("cron", "a", 11, registry=[{"registryArn": arn}]),
        service("solo", "a", 13),
    ]
    assert only(records, "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace") == [
        ("Route 53 private hosted zone", 0.5)
    ]
    # (2 + 3) registered instances x 0.1
    assert only(records, "aws:servicediscovery/service:Service") == [("5 registered instance(s)", 0.5)]


def test_nat_gateways_share_the_traffic() -> None:
    nats = [rec("aws:ec2/natGateway:NatGateway", name=n) for n in ("a", "b")]
    # each: 730 x 0.045 + (20 GB / 2) x 0.05 = 32.85 + 0.5 = 33.35
    assert only(nats, "aws:ec2/natGateway:NatGateway") == [("gateway + 10 GB", 33.35)] * 2


def test_an_elastic_ip_and_a_nat_instance() -> None:
    assert only([rec("aws:ec2/eip:Eip")], "aws:ec2/eip:Eip") == [("public IPv4", 3.65)]  # 730 x 0.005
    instance = rec("aws:ec2/instance:Instance", {"instanceType": "t4g.nano"})
    # 730 x 0.0042 + 8 GB x 0.08 = 3.066 + 0.64
    assert only([instance], "aws:ec2/instance:Instance") == [("t4g.nano + 8 GB gp3", 3.706)]


def test_gateway_endpoints_are_free_and_interface_endpoints_bill_per_az() -> None:
    endpoints = [
        rec("aws:ec2/vpcEndpoint:VpcEndpoint", {"vpcEndpointType": "Gateway", "subnetIds": ["a"]}, name="s3"),
        rec("aws:ec2/vpcEndpoint:VpcEndpoint", {"vpcEndpointType": "Interface", "subnetIds": ["a", "b"]}, name="ecr"),
    ]
    # interface: 2 AZ x 730 x 0.011 = 16.06
    assert only(endpoints, "aws:ec2/vpcEndpoint:VpcEndpoint") == [
        ("gateway endpoint (free)", 0.0),
        ("interface endpoint x 2 AZ", 16.06),
    ]


def test_redis_search_and_atlas_by_size() -> None:
    redis = rec(
        "aws:elasticache/replicationGroup:ReplicationGroup", {"nodeType": "cache.t4g.micro", "numCacheClusters": 3}
    )
    search = rec(
        "aws:opensearch/domain:Domain",
        {"clusterConfig": {"instanceCount": 2, "instanceType": "x.search"}, "ebsOptions": {"volumeSize": 10}},
    )
    masters = rec(
        "aws:opensearch/domain:Domain",
        {
            "clusterConfig": {
                "instanceCount": 2,
                "instanceType": "x.search",
                "dedicatedMasterEnabled": True,
                "dedicatedMasterCount": 3,
                "dedicatedMasterType": "m.search",
            },
            "ebsOptions": {"volumeSize": 10},
        },
    )
    disabled = rec(
        "aws:opensearch/domain:Domain",
        {
            "clusterConfig": {"instanceCount": 1, "instanceType": "x.search", "dedicatedMasterEnabled": False},
            "ebsOptions": {"volumeSize": 10},
        },
    )
    atlas = rec(
        "mongodbatlas:index/advancedCluster:AdvancedCluster",
        {"replicationSpecs": [{"regionConfigs": [{"electableSpecs": {"instanceSize": "M10"}}]}]},
    )
    # 3 x 730 x 0.016 = 35.04
    assert only([redis], "aws:elasticache/replicationGroup:ReplicationGroup") == [("3 x cache.t4g.micro", 35.04)]
    # 2 x (730 x 0.1 + 10 GB x 0.12) = 2 x 74.2 = 148.4; masters: + 3 x 730 x 0.2 = 438; one node: 74.2
    assert only([search, masters, disabled], "aws:opensearch/domain:Domain") == [
        ("2 x x.search + 2 x 10 GB", 148.4),
        ("2 x x.search + 2 x 10 GB + 3 x m.search masters", 586.4),
        ("1 x x.search + 1 x 10 GB", 74.2),
    ]
    assert only([atlas], "mongodbatlas:index/advancedCluster:AdvancedCluster") == [("Atlas M10", 58.4)]  # 730 x 0.08


def test_logs_split_ingest_among_service_groups_and_bill_what_is_kept() -> None:
    groups = [
        rec("aws:cloudwatch/logGroup:LogGroup", {"name": "/ecs/dev/api", "retentionInDays": 7}, name="api"),
        rec("aws:cloudwatch/logGroup:LogGroup", {"name": "/ecs/dev/worker", "retentionInDays": 60}, name="worker"),
        rec("aws:cloudwatch/logGroup:LogGroup", {"name": "/vpc/dev/flow", "retentionInDays": 30}, name="flow"),
        rec("aws:ec2/flowLog:FlowLog", name="fl"),
    ]
    assert [(n, d, m) for _, _, n, d, m in items(groups)] == [
        # 4 GB over the 2 service groups: 2 GB x 0.5 + 2 GB x 7/30 x 0.03 = 1 + 0.014
        ("api", "2 GB/month, 7 d kept", 1.014),
        # a month is the most a month's logs are billed as stored: 1 + 2 x 30/30 x 0.03
        ("worker", "2 GB/month, 60 d kept", 1.06),
        # flow logs: ingestion billed on the flow log; 3 GB stored 30 d: 3 x 0.03
        ("flow", "3 GB/month, 30 d kept", 0.09),
        ("fl", "3 GB ingested", 1.5),  # 3 x 0.5
    ]


def test_storage_keys_secrets_and_alarms() -> None:
    records = [
        rec("aws:s3/bucket:Bucket", tier="storage", name="b"),
        rec("aws:kms/key:Key", tier="alerts", name="k"),
        rec("aws:secretsmanager/secret:Secret", tier="secrets", name="s"),
        rec("aws:cloudwatch/metricAlarm:MetricAlarm", tier="alerts", name="a"),
    ]
    assert items(records) == [
        ("storage", "aws:s3/bucket:Bucket", "b", "50 GB Standard", 1.15),  # 50 x 0.023
        ("alerts", "aws:kms/key:Key", "k", "customer managed key", 1.0),
        ("secrets", "aws:secretsmanager/secret:Secret", "s", "secret", 0.4),
        ("alerts", "aws:cloudwatch/metricAlarm:MetricAlarm", "a", "alarm", 0.1),
    ]
    assert cost.by_tier(cost.estimate(records, PRICES, USAGE)) == {"storage": 1.15, "alerts": 1.1, "secrets": 0.4}
    assert cost.by_tier([]) == {}


def test_access_logs_are_stored_as_long_as_their_bucket_s_lifecycle_keeps_them() -> None:
    """S3 Standard for a month's access logs (usage) times the days they are kept over 30: the
    lifecycle's expiration, and its noncurrent days again where the bucket is versioned (an expired
    log stays a noncurrent version that long). ELB and S3 charge no delivery (ELB User Guide,
    "Access logs": storage costs only; S3 User Guide, server access logging: no extra charge)."""

    def logs(name: str, days: int, versioned: bool) -> list[dict]:
        rule = {"expiration": {"days": days}, "noncurrentVersionExpiration": {"noncurrentDays": days}}
        records = [
            rec("aws:s3/bucket:Bucket", {"bucket": name}, {"id": name}, tier="logging", name=name),
            rec("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", {"bucket": name, "rules": [rule]}),
            rec("aws:s3/bucketLogging:BucketLogging", {"bucket": "r", "targetBucket": name}),
        ]
        if versioned:
            status = {"versioningConfiguration": {"status": "Enabled"}}
            records.append(rec("aws:s3/bucketVersioning:BucketVersioning", {"bucket": name} | status))
        return records

    assert items(logs("dev-logs", 7, versioned=False) + logs("prod-logs", 30, versioned=True)) == [
        ("logging", "aws:s3/bucket:Bucket", "dev-logs", "3 GB/month, 7 d kept", 0.0161),  # 3 x 7/30 x 0.023
        ("logging", "aws:s3/bucket:Bucket", "prod-logs", "3 GB/month, 60 d kept", 0.138),  # 3 x 60/30 x 0.023
    ]


def test_free_unpriced_and_engine_types_are_not_line_items_and_unknown_types_are_refused() -> None:
    records = [
        rec("aws:ec2/vpc:Vpc"),
        rec("mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule"),
        rec("marin:network:Network"),
        rec("pulumi:providers:aws", {"region": "us-east-1"}),
    ]
    assert items(records) == []
    assert cost.unknown_types(["aws:ec2/vpc:Vpc", "marin:x:Y", "pulumi:pulumi:Stack", "aws:rds/instance:Instance"]) == {
        "aws:rds/instance:Instance"
    }
    assert cost.is_cloud_resource("random:index/randomPassword:RandomPassword")
    assert not cost.is_cloud_resource("marin:network:Network")
    assert not cost.is_cloud_resource("pulumi:providers:aws")
    with pytest.raises(cost.CostError) as caught:
        items([rec("aws:rds/instance:Instance"), rec("aws:ec2/vpc:Vpc"), rec("aws:backup/plan:Plan")])
    assert str(caught.value) == (
        "no price, free or unpriced entry for: aws:backup/plan:Plan, aws:rds/instance:Instance "
        "(add it to marin/cost.py)"
    )


def test_a_missing_price_is_named() -> None:
    with pytest.raises(cost.CostError) as caught:
        PRICES("cache.r7g.large_hour")
    assert str(caught.value) == "price 'cache.r7g.large_hour' is missing from pricing/prices.yaml (us-east-1)"
    assert PRICES("alb_hour") == 0.02
    assert cost.Prices(hours=1, table={"k": {"price": "0.5"}})("k") == 0.5


def test_prices_and_usage_files(tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "hours_per_month: 720\nregions:\n  eu-north-1:\n    alb_hour: {price: 0.03, source: x, date: 2026-01}\n"
    )
    loaded = cost.load_prices("eu-north-1", prices)
    assert (loaded.hours, loaded("alb_hour"), loaded.region) == (720.0, 0.03, "eu-north-1")
    assert cost.priced_regions(prices) == ("eu-north-1",)
    defaults = {k: 1 for k in cost.USAGE_KEYS}
    usage = tmp_path / "usage.yaml"
    usage.write_text(yaml.safe_dump({"defaults": defaults, "environments": {"dev": {"nat_gb": 0}}}))
    assert cost.load_usage("dev", usage) == {**defaults, "nat_gb": 0}
    assert cost.load_usage("qa", usage) == defaults
    assert cost.has_usage("dev", usage)
    assert not cost.has_usage("qa", usage)
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump({"defaults": defaults}))
    assert cost.load_usage("dev", bare) == defaults
    assert not cost.has_usage("dev", bare)
    twice = tmp_path / "twice.yaml"
    twice.write_text(prices.read_text() + "    alb_hour: {price: 0.01, source: x, date: 2026-02}\n")
    with pytest.raises(yaml.YAMLError, match="duplicate key 'alb_hour'"):
        cost.load_prices("eu-north-1", twice)  # was the last one, silently


def test_the_committed_price_and_usage_files_by_hand() -> None:
    """Figures from pricing/prices.yaml and usage.yaml (their sources are cited there)."""
    prices = cost.load_prices()
    assert prices.hours == 730
    # prod ALB: 730 x (0.0225 + 2.0 LCU x 0.008 + 2 x 0.005) = 730 x 0.0485 = 35.405
    alb = rec("aws:lb/loadBalancer:LoadBalancer", {"subnets": ["a", "b"]})
    (item,) = cost.estimate([alb], prices, cost.load_usage("prod"))
    assert round(item.monthly, 4) == 35.405
    # dev: 1 GB of service logs ingested into one group at 0.50, kept 7 days at 0.03/GB-month
    group = rec("aws:cloudwatch/logGroup:LogGroup", {"name": "/ecs/dev/api", "retentionInDays": 7})
    (item,) = cost.estimate([group], prices, cost.load_usage("dev"))
    assert round(item.monthly, 4) == round(0.5 + 7 / 30 * 0.03, 4)
    assert cost.has_usage("prod")
    assert cost.load_usage("qa")["weekdays_per_month"] == 21.7


def test_an_estimate_names_the_unconfirmed_prices_it_used_and_only_those() -> None:
    prices = cost.Prices(
        hours=730,
        table={
            "a": {"price": 1.0, "confirmed": False},
            "b": {"price": 2.0},
            "c": {"price": 3.0, "confirmed": False},
        },
    )
    assert prices("a") + prices("b") == 3.0
    assert prices.unconfirmed() == ["a"]  # c is unconfirmed too, but no line item read it


# ------------------------------------------------------------- price regions and the usage file
# What pricing/usage.yaml may hold is the contract written above USAGE_KEYS in marin/cost.py: a
# `defaults` entry giving every usage key, `environments: <env>:` entries overriding some, each
# value a number >= 0 (weekdays_per_month at most the 23 weekdays a 31-day month can have).


def region(name: str) -> dict[str, Any]:
    return rec("pulumi:providers:aws", {"region": name}, name="aws")


def test_prices_of_one_region_never_price_a_stack_in_another() -> None:
    with pytest.raises(cost.CostError) as caught:
        cost.estimate([region("eu-west-1")], cost.Prices(hours=730, table={}, region="us-east-1"), {})
    assert str(caught.value) == "the stack is in eu-west-1 but the prices given are us-east-1's"


def test_a_stack_has_one_aws_region() -> None:
    assert cost.region_of([region("eu-west-1"), rec("aws:ec2/vpc:Vpc")]) == "eu-west-1"
    for records, found in (([region("us-east-1"), region("eu-west-1")], "['eu-west-1', 'us-east-1']"), ([], "[]")):
        with pytest.raises(cost.CostError) as caught:
            cost.region_of(records)
        assert str(caught.value) == f"expected one AWS region among the stack's aws providers, found {found}"


def test_a_region_with_no_prices_is_refused_naming_it(tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("hours_per_month: 730\nregions:\n  us-east-1: {}\n  eu-north-1: {}\n")
    with pytest.raises(cost.CostError) as caught:
        cost.load_prices("eu-west-1", prices)
    assert str(caught.value) == (
        "region 'eu-west-1' has no prices in pricing/prices.yaml (priced: us-east-1, eu-north-1); "
        "add a `eu-west-1:` table under regions:, each price with its source and date"
    )


def test_the_committed_price_file_prices_the_default_region() -> None:
    assert cost.load_prices().region in cost.priced_regions()


def usage_file(tmp_path: Path, defaults: dict[str, Any], **envs: Any) -> Path:
    path = tmp_path / "usage.yaml"
    path.write_text(yaml.safe_dump({"defaults": defaults, "environments": envs}))
    return path


COMPLETE = dict.fromkeys(cost.USAGE_KEYS, 1)


def usage_refusal(path: Path) -> str:
    with pytest.raises(cost.CostError) as caught:
        cost.load_usage("dev", path)
    return str(caught.value)


def test_the_committed_usage_file_is_valid() -> None:
    for env in stackfiles.environments():
        assert set(cost.load_usage(env)) == set(cost.USAGE_KEYS)


def test_a_negative_volume_is_refused(tmp_path: Path) -> None:
    path = usage_file(tmp_path, COMPLETE, prod={"recordings_gb": -500})
    assert usage_refusal(path) == (
        "pricing/usage.yaml environments.prod.recordings_gb: -500 is not a finite number >= 0; allowed: a number >= 0"
    )


def test_an_unknown_key_is_refused_with_a_suggestion_when_one_is_close(tmp_path: Path) -> None:
    allowed = ", ".join(cost.USAGE_KEYS)
    path = usage_file(tmp_path, COMPLETE, staging={"nat_gbs": 20})
    assert usage_refusal(path) == (
        f"pricing/usage.yaml environments.staging.nat_gbs: unknown key; did you mean nat_gb? allowed: {allowed}"
    )
    path = usage_file(tmp_path, {**COMPLETE, "colour": 1})
    assert usage_refusal(path) == f"pricing/usage.yaml defaults.colour: unknown key; allowed: {allowed}"


def test_what_is_not_a_number_is_refused(tmp_path: Path) -> None:
    path = usage_file(tmp_path, {**COMPLETE, "alb_lcu": "lots"})
    assert usage_refusal(path) == "pricing/usage.yaml defaults.alb_lcu: 'lots' is not a number; allowed: a number >= 0"
    path = usage_file(tmp_path, COMPLETE, dev={"nat_gb": True})  # YAML's `true`: a bool, though Python's int
    assert (
        usage_refusal(path)
        == "pricing/usage.yaml environments.dev.nat_gb: True is not a number; allowed: a number >= 0"
    )


def test_defaults_must_give_every_usage_key(tmp_path: Path) -> None:
    path = usage_file(tmp_path, {k: v for k, v in COMPLETE.items() if k not in ("nat_gb", "alb_lcu")})
    assert (
        usage_refusal(path) == "pricing/usage.yaml defaults: missing alb_lcu, nat_gb (defaults gives every usage key)"
    )


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_volume_that_is_not_a_finite_number_is_refused(tmp_path: Path, value: float) -> None:
    path = usage_file(tmp_path, COMPLETE, dev={"nat_gb": value})
    assert usage_refusal(path) == (
        f"pricing/usage.yaml environments.dev.nat_gb: {value!r} is not a finite number >= 0; allowed: a number >= 0"
    )


def test_more_weekdays_than_a_month_has_are_refused(tmp_path: Path) -> None:
    # A 31-day month that starts on a Monday has 23 weekdays, no month has more.
    path = usage_file(tmp_path, {**COMPLETE, "weekdays_per_month": 24})
    assert usage_refusal(path) == (
        "pricing/usage.yaml defaults.weekdays_per_month: 24; allowed: 0 to 23 (weekdays in a month)"
    )
    path = usage_file(tmp_path, {**COMPLETE, "weekdays_per_month": 23})
    assert cost.load_usage("dev", path)["weekdays_per_month"] == 23


def test_a_usage_file_of_another_shape_is_refused_naming_where(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    for text, where, problem in (
        ("- 1\n", "(not a mapping)", "unknown top-level key; allowed: defaults, environments"),
        ("defaults: {}\nzones: 1\nmonths: 1\n", "months", "unknown top-level key; allowed: defaults, environments"),
        ("defaults: 3\n", "defaults", "3 is not a mapping of usage keys to numbers"),
    ):
        path.write_text(text)
        assert usage_refusal(path) == f"pricing/usage.yaml {where}: {problem}"
    path = usage_file(tmp_path, COMPLETE, dev=5)
    assert usage_refusal(path) == "pricing/usage.yaml environments.dev: 5 is not a mapping of usage keys to numbers"
    path.write_text(yaml.safe_dump({"defaults": COMPLETE, "environments": ["dev"]}))
    assert usage_refusal(path) == (
        "pricing/usage.yaml environments: ['dev'] is not a mapping of environment names to usage"
    )
