"""The cost model: hand-computed cases, full coverage of declared types, the README's table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from marin import cost, stackfiles
from offline import cli, report
from offline.engine import Inventory

PRICES = cost.Prices(
    hours=730,
    table={
        "fargate_vcpu_hour": {"price": 0.04},
        "fargate_gb_hour": {"price": 0.004},
        "fargate_spot_factor": {"price": 0.3},
        "alb_hour": {"price": 0.02},
        "alb_lcu_hour": {"price": 0.01},
        "public_ipv4_hour": {"price": 0.005},
        "cache.t4g.micro_hour": {"price": 0.016},
        "secret_month": {"price": 0.4},
        "logs_ingest_gb": {"price": 0.5},
        "logs_storage_gb_month": {"price": 0.03},
    },
)
USAGE = {"weekdays_per_month": 20, "alb_lcu": 2, "service_log_gb": 4, "flow_log_gb": 0}


def task(arn: str, cpu: str, memory: str) -> dict:
    return {
        "type": "aws:ecs/taskDefinition:TaskDefinition",
        "name": "t",
        "tier": "compute",
        "inputs": {"cpu": cpu, "memory": memory},
        "outputs": {"arn": arn},
    }


def service(name: str, arn: str, count: int, provider: str = "FARGATE") -> dict:
    return {
        "type": "aws:ecs/service:Service",
        "name": name,
        "tier": "compute",
        "outputs": {},
        "inputs": {
            "name": name,
            "taskDefinition": arn,
            "desiredCount": count,
            "capacityProviderStrategies": [{"capacityProvider": provider}],
        },
    }


def schedule(service_name: str, hour: int, count: int) -> dict:
    return {
        "type": "aws:appautoscaling/scheduledAction:ScheduledAction",
        "name": f"s{hour}",
        "tier": "compute",
        "outputs": {},
        "inputs": {
            "resourceId": f"service/c/{service_name}",
            "schedule": f"cron(0 {hour} ? * MON-FRI *)",
            "scalableTargetAction": {"minCapacity": count, "maxCapacity": count},
        },
    }


def total(records: list[dict]) -> float:
    return round(sum(i.monthly for i in cost.estimate(records, PRICES, USAGE)), 6)


def test_fargate_on_demand_all_month() -> None:
    # 2 tasks x 730 h x (1 vCPU x 0.04 + 2 GB x 0.004) = 2 x 730 x 0.048 = 70.08
    assert total([task("a", "1024", "2048"), service("api", "a", 2)]) == pytest.approx(70.08)


def test_fargate_spot_within_business_hours() -> None:
    # 1 task x (18-8)=10 h x 20 weekdays x (0.25 x 0.04 + 0.5 x 0.004) x 0.3 = 200 x 0.012 x 0.3 = 0.72
    records = [
        task("a", "256", "512"),
        service("api", "a", 1, "FARGATE_SPOT"),
        schedule("api", 8, 1),
        schedule("api", 18, 0),
    ]
    assert total(records) == pytest.approx(0.72)


def test_load_balancer_hours_capacity_units_and_public_addresses() -> None:
    alb = {
        "type": "aws:lb/loadBalancer:LoadBalancer",
        "name": "alb",
        "tier": "compute",
        "outputs": {},
        "inputs": {"subnets": ["a", "b", "c"]},
    }
    # 730 x (0.02 + 2 x 0.01 + 3 x 0.005) = 730 x 0.055 = 40.15
    assert total([alb]) == pytest.approx(40.15)


def test_service_logs_split_ingest_and_retained_storage() -> None:
    groups = [
        {
            "type": "aws:cloudwatch/logGroup:LogGroup",
            "name": n,
            "tier": "logging",
            "outputs": {},
            "inputs": {"name": f"/ecs/dev/{n}", "retentionInDays": 7},
        }
        for n in ("api", "worker")
    ]
    # each: 2 GB x 0.5 + (2 GB x 7/30) x 0.03 = 1 + 0.014 = 1.014; two groups = 2.028
    assert total(groups) == pytest.approx(2.028)


def test_redis_nodes_and_secrets() -> None:
    redis = {
        "type": "aws:elasticache/replicationGroup:ReplicationGroup",
        "name": "r",
        "tier": "cache",
        "outputs": {},
        "inputs": {"nodeType": "cache.t4g.micro", "numCacheClusters": 2},
    }
    secret = {"type": "aws:secretsmanager/secret:Secret", "name": "s", "tier": "secrets", "inputs": {}, "outputs": {}}
    # 2 x 730 x 0.016 + 0.4 = 23.36 + 0.4
    assert total([redis, secret]) == pytest.approx(23.76)


def test_free_resources_cost_nothing_and_unknown_types_are_refused() -> None:
    assert total([{"type": "aws:ec2/vpc:Vpc", "name": "v", "tier": "network", "inputs": {}, "outputs": {}}]) == 0
    with pytest.raises(cost.CostError, match="no price, free or unpriced entry for: aws:rds/instance:Instance"):
        total([{"type": "aws:rds/instance:Instance", "name": "db", "tier": "database", "inputs": {}, "outputs": {}}])


def test_missing_price_is_named() -> None:
    redis = {
        "type": "aws:elasticache/replicationGroup:ReplicationGroup",
        "name": "r",
        "tier": "cache",
        "outputs": {},
        "inputs": {"nodeType": "cache.r7g.large", "numCacheClusters": 1},
    }
    with pytest.raises(cost.CostError, match=r"price 'cache\.r7g\.large_hour' is missing"):
        total([redis])


def test_every_declared_type_is_priced_free_or_unpriced(inv: Inventory) -> None:
    assert cost.unknown_types(r.type for r in inv.resources) == set()


def test_every_environment_has_usage_assumptions(env: str) -> None:
    assert {"alb_lcu", "nat_gb", "service_log_gb", "flow_log_gb", "recordings_gb"} <= set(cost.load_usage(env))


def test_story_relations_hold(all_inventories: dict[str, Inventory]) -> None:
    totals = {}
    for env, inv in all_inventories.items():
        records = report.records(inv)
        prices = cost.load_prices(cost.region_of(records))
        totals[env] = sum(i.monthly for i in cost.estimate(records, prices, cost.load_usage(env)))
    assert totals["dev"] < totals["staging"] < totals["prod"]


@pytest.mark.parametrize("doc", ["README.md", "docs/environments.md"])
def test_documented_cost_table_is_what_the_command_prints(doc: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = (Path(__file__).resolve().parent.parent / doc).read_text(encoding="utf-8")
    match = re.search(r"<!-- cost-table:begin -->\n(.*?)\n<!-- cost-table:end -->", text, re.S)
    assert match, f"{doc} has no cost table markers"
    assert cli.main(["cost", "--markdown"]) == 0
    printed = capsys.readouterr().out.strip()
    assert match.group(1).strip() == printed, f"{doc} cost table is stale: paste `python -m offline cost --markdown`"


def test_price_table_is_valid_yaml_with_hours() -> None:
    data = yaml.safe_load((cost.PRICING_DIR / "prices.yaml").read_text(encoding="utf-8"))
    assert data["hours_per_month"] == 730


def domain(count: int, kind: str, gb: int, masters: tuple[int, str] | None = None) -> dict:
    cluster: dict = {"instanceCount": count, "instanceType": kind}
    if masters:
        cluster |= {
            "dedicatedMasterEnabled": True,
            "dedicatedMasterCount": masters[0],
            "dedicatedMasterType": masters[1],
        }
    return {
        "type": "aws:opensearch/domain:Domain",
        "name": "d",
        "tier": "search",
        "outputs": {},
        "inputs": {"clusterConfig": cluster, "ebsOptions": {"volumeSize": gb}},
    }


def test_opensearch_nodes_storage_and_dedicated_masters() -> None:
    prices = cost.Prices(
        hours=730,
        table={
            "x.search_hour": {"price": 0.1},
            "m.search_hour": {"price": 0.2},
            "opensearch_gp3_gb_month": {"price": 0.1},
        },
    )
    items = cost.estimate([domain(3, "x.search", 20)], prices, USAGE)
    assert round(items[0].monthly, 6) == 3 * (730 * 0.1 + 20 * 0.1)  # 225.0
    with_masters = cost.estimate([domain(3, "x.search", 20, (3, "m.search"))], prices, USAGE)
    assert round(with_masters[0].monthly, 6) == 225.0 + 3 * 730 * 0.2
    assert with_masters[0].detail == "3 x x.search + 3 x 20 GB + 3 x m.search masters"


def test_search_costs_its_nodes_hours_and_their_storage_as_the_stack_file_sizes_them(
    all_inventories: dict[str, Inventory], env: str
) -> None:
    """OpenSearch bills each data node per instance-hour and its EBS gp3 storage per GB-month, and
    each dedicated master per instance-hour (aws.amazon.com/opensearch-service/pricing): worked out
    from what the stack file says and the region's price table, not from the program's records."""
    c = stackfiles.effective_config(env)
    prices = cost.load_prices(c.get("marin:awsRegion", "us-east-1"))
    n, kind, gb = (
        int(c["marin:opensearchInstanceCount"]),
        c["marin:opensearchInstanceType"],
        int(c["marin:opensearchVolumeGb"]),
    )
    expected = n * (730 * prices(f"{kind}_hour") + gb * prices("opensearch_gp3_gb_month"))
    if master := c.get("marin:opensearchDedicatedMasterType"):
        expected += 3 * 730 * prices(f"{master}_hour")
    records = report.records(all_inventories[env])
    search = cost.by_tier(cost.estimate(records, cost.load_prices(cost.region_of(records)), cost.load_usage(env)))
    assert round(search["search"], 2) == round(expected, 2)
