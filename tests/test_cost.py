"""The cost of the committed stacks: every declared type priced, the story's ordering, the README's
table. The model itself, on hand-made records with figures worked out by hand: test_cost_model.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marin import cost, stackfiles
from offline import cli, report
from offline.engine import Inventory


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
