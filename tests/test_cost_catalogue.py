"""Every size the config validation accepts is priced, in every region that is priced; a region
with no prices is refused in one line; pricing/usage.yaml is validated.

The candidate sizes below are what AWS and MongoDB document, not the program's own lists, so a size
the validator starts accepting without a price fails here:
- Atlas cluster tiers on AWS: https://www.mongodb.com/docs/atlas/manage-clusters/ (M0 free; M10-M700)
- ElastiCache node types: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html
- OpenSearch instance types:
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/supported-instance-types.html
- EC2 T4g (the NAT instance): https://aws.amazon.com/ec2/instance-types/t4/
"""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from marin import catalogue, cost, stackfiles
from marin.config import ConfigError, parse
from offline import cli, report
from offline.engine import Inventory
from tests.conftest import ENVS
from tests.test_cost_model import COMPLETE, usage_file

_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
DOCUMENTED: dict[str, tuple[str, ...]] = {
    "atlasInstanceSize": ("M0", "M10", "M20", "M30", "M40", "M50", "M60", "M80", "M140", "M200", "M300", "M400"),
    "redisNodeType": (
        *(f"cache.{f}.{s}" for f in ("t4g", "t3") for s in ("micro", "small", "medium")),
        *(f"cache.{f}.{s}" for f in ("m6g", "m7g", "r6g", "r7g") for s in _SIZES),
    ),
    "opensearchInstanceType": (
        "t3.small.search",
        "t3.medium.search",
        *(f"{f}.{s}.search" for f in ("m6g", "m7g", "r6g", "r7g", "c6g", "c7g", "or1") for s in ("medium", *_SIZES)),
    ),
    "natInstanceType": tuple(f"t4g.{s}" for s in ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge")),
}
DOCUMENTED["opensearchDedicatedMasterType"] = DOCUMENTED["opensearchInstanceType"]


def accepted(env: str, key: str, size: str) -> bool:
    raw = {**stackfiles.effective_config(env), f"marin:{key}": size}
    try:
        parse(env, raw)
    except ConfigError:
        return False
    return True


def sized_resource(key: str, size: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The one resource `key` sizes, with the inputs the cost model reads."""
    if key == "atlasInstanceSize":
        t, inputs = (
            "mongodbatlas:index/advancedCluster:AdvancedCluster",
            {"replicationSpecs": [{"regionConfigs": [{"electableSpecs": {"instanceSize": size}}]}]},
        )
    elif key == "redisNodeType":
        t, inputs = "aws:elasticache/replicationGroup:ReplicationGroup", {"nodeType": size, "numCacheClusters": 1}
    elif key == "natInstanceType":
        t, inputs = "aws:ec2/instance:Instance", {"instanceType": size}
    else:
        data = size if key == "opensearchInstanceType" else raw["marin:opensearchInstanceType"]
        cluster: dict[str, Any] = {"instanceCount": 1, "instanceType": data}
        if key == "opensearchDedicatedMasterType":
            cluster |= {"dedicatedMasterEnabled": True, "dedicatedMasterCount": 3, "dedicatedMasterType": size}
        t, inputs = "aws:opensearch/domain:Domain", {"clusterConfig": cluster, "ebsOptions": {"volumeSize": 10}}
    return {"type": t, "name": key, "tier": "t", "inputs": inputs, "outputs": {}}


def monthly(env: str, key: str, size: str, prices: cost.Prices) -> float:
    raw = stackfiles.effective_config(env)
    provider = {"type": "pulumi:providers:aws", "name": "aws", "tier": "", "inputs": {"region": prices.region}}
    records = [provider, sized_resource(key, size, raw)]
    return sum(i.monthly for i in cost.estimate(records, prices, cost.load_usage(env)))


@pytest.mark.parametrize("env", ENVS)
def test_every_size_the_validation_accepts_is_priced(env: str) -> None:
    prices = cost.load_prices()
    unpriced = []
    for key, sizes in DOCUMENTED.items():
        for size in sizes:
            if not accepted(env, key, size):
                continue
            try:
                monthly(env, key, size, prices)
            except cost.CostError as exc:
                unpriced.append(f"{key}={size}: {exc}")
    assert unpriced == []


@pytest.mark.parametrize("env", ENVS)
def test_real_production_sizes_are_accepted(env: str) -> None:
    """The issue's examples: an M30 cluster and an r7g.xlarge.search domain are real, common sizes."""
    assert accepted(env, "atlasInstanceSize", "M30")
    assert accepted(env, "opensearchInstanceType", "r7g.xlarge.search")


@pytest.mark.parametrize("region", cost.priced_regions())
def test_every_catalogue_size_has_a_price_in_every_priced_region(region: str) -> None:
    prices = cost.load_prices(region)
    for key, sizes in catalogue.SIZES.items():
        for size in sizes:
            assert monthly("prod", key, size, prices) >= 0, (region, key, size)
            if size not in catalogue.ATLAS_SHARED_TIERS:
                assert monthly("prod", key, size, prices) > 0, (region, key, size)


@pytest.mark.parametrize("region", cost.priced_regions())
def test_every_price_names_its_source_and_date(region: str) -> None:
    for key, entry in cost.load_prices(region).table.items():
        assert entry.get("source"), (region, key)
        assert entry.get("date"), (region, key)
        assert "price" in entry, (region, key)


def test_staging_moved_to_another_region_is_priced_there_or_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for f in stackfiles.PROJECT_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    staging = tmp_path / "Pulumi.staging.yaml"
    doc = yaml.safe_load(staging.read_text())
    doc["config"]["marin:awsRegion"] = "eu-west-1"
    staging.write_text(yaml.safe_dump(doc))
    code = cli.main(["--stack-dir", str(tmp_path), "cost", "staging"])
    out, err = capsys.readouterr()
    if "eu-west-1" in cost.priced_regions():
        assert code == 0
        assert out.splitlines()[2].split() == ["region", "eu-west-1"]
    else:
        refusal = [line for line in err.splitlines() if not line.startswith("[")]
        assert code == 1
        assert len(refusal) == 1
        assert "'eu-west-1'" in refusal[0]
        assert out == ""


def test_the_cost_table_names_each_environment_s_region_as_its_config_says(
    all_inventories: dict[str, Inventory],
) -> None:
    regions = {env: cost.region_of(report.records(inv)) for env, inv in all_inventories.items()}
    assert regions == {env: parse(env, stackfiles.effective_config(env)).stack.aws_region for env in all_inventories}
    table = cli.render_cost({env: {} for env in regions}, regions, markdown=False)
    assert table.splitlines()[2].split() == ["region", *regions.values()]


# ------------------------------------------------------------------------------- usage file
# (the file's refusals, one by one: test_cost_model.py)

REFUSAL = "error: pricing/usage.yaml environments.dev.nat_gb: 'none' is not a number; allowed: a number >= 0"


@pytest.fixture
def bad_usage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(cost.PRICING_DIR / "prices.yaml", tmp_path / "prices.yaml")
    usage_file(tmp_path, COMPLETE, dev={"nat_gb": "none"})
    monkeypatch.setattr(cost, "PRICING_DIR", tmp_path)


@pytest.mark.usefixtures("bad_usage")
def test_a_bad_usage_file_makes_the_cost_command_refuse_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["cost", "dev"]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[")]
    assert err == [REFUSAL]


@pytest.mark.usefixtures("bad_usage")
def test_regen_docs_prints_the_refusal_and_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    root = stackfiles.PROJECT_ROOT
    regen = runpy.run_path(str(root / "scripts" / "regen_docs.py"))
    docs = {p: p.read_text() for p in (root / "README.md", root / "docs" / "environments.md")}
    assert regen["main"]() == 1
    out, err = capsys.readouterr()
    assert (out, err.splitlines()) == ("", [REFUSAL, "regen_docs: nothing written"])
    assert {p: p.read_text() for p in docs} == docs


def test_the_cost_guide_lists_every_priced_region() -> None:
    guide = (stackfiles.PROJECT_ROOT / "docs" / "cost.md").read_text(encoding="utf-8")
    listed = [line.split("`")[1] for line in guide.splitlines() if line.startswith("- `")]
    assert [r for r in listed if r in cost.priced_regions()] == list(cost.priced_regions())
