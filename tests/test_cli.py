"""The offline commands on the real stacks, and their errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pulumi_aws as aws
import pytest

from marin import stackfiles
from marin.stackfiles import PROJECT_ROOT
from offline import cli
from offline.engine import token


@pytest.fixture
def stack_copy(tmp_path: Path) -> Path:
    for f in PROJECT_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_plan_lists_every_environment_with_tiers_and_totals(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan"]) == 0
    out = capsys.readouterr().out
    for env in stackfiles.environments():
        assert f"=== {env}\n" in out
        assert f"marin-{env}-call-recordings" in out
    assert "logical name" in out
    for env in stackfiles.environments():  # the protected column agrees with the stack's summary
        table, total = out.split(f"=== {env}\n", 1)[1].split(f"{env} total: ", 1)
        protected = re.match(r"\d+ resources, (\d+) protected", total)
        assert protected, total
        assert sum(line.endswith("  yes") for line in table.splitlines()) == int(protected.group(1))
    assert "network-private-default-1" in out
    assert "network-private-default-2" in out
    assert "dev total: " in out
    assert "by tier: network" in out
    assert "by type: " in out
    envs = stackfiles.environments()
    assert f"all {len(envs)} stacks ({', '.join(envs)}): " in out
    assert "\033[" not in out  # not a terminal: no colour


def test_plan_json_is_the_full_inventory(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    assert cli.main(["plan", "dev", "--json", str(target)]) == 0
    doc = json.loads(target.read_text())
    assert doc["schemaVersion"] == 2
    assert doc["kind"] == "plan"
    resources = doc["environments"]["dev"]["resources"]
    (bucket,) = [r for r in resources if r["type"] == token(aws.s3.Bucket) and r["tier"] == "storage"]
    assert bucket["physicalName"] == "marin-dev-call-recordings"
    assert bucket["tier"] == "storage"
    assert bucket["urn"].endswith("::storage-recordings")
    assert bucket["parent"].endswith("marin:storage:Storage::storage")
    assert {"type", "logicalName", "physicalName", "tier", "protect", "inputs", "dependencies"} <= set(bucket)
    (policy,) = [r for r in resources if r["type"] == token(aws.s3.BucketPolicy) and r["tier"] == "storage"]
    assert bucket["urn"] in policy["dependencies"]
    (group,) = [r for r in resources if r["logicalName"] == "logging-api"]
    config = stackfiles.effective_config("dev")
    assert group["inputs"]["retentionInDays"] == int(config["marin:logRetentionDays"])
    assert isinstance(group["inputs"]["retentionInDays"], int)
    (provider,) = [r for r in resources if r["type"] == "pulumi:providers:aws"]
    # decoded, not a JSON string
    assert provider["inputs"]["allowedAccountIds"] == json.loads(config["marin:allowedAccountIds"])
    # an input taken from another resource's output names it, for the diff to know what is unknown
    (rule,) = [r for r in resources if r["logicalName"] == "network-services-https-out"]
    (group,) = [r for r in resources if r["logicalName"] == "network-services-sg"]
    assert rule["propertyDependencies"]["securityGroupId"] == [group["urn"]]


def test_diff_groups_differences_by_tier(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["diff", "dev", "prod"]) == 0
    out = capsys.readouterr().out
    assert "[network]" in out
    assert "[compute]" in out
    assert "+ FlowLog network-flow-log" in out
    assert "only in prod" in out
    assert "~ LogGroup logging-api (/ecs/<id>/api)" in out
    assert "retentionInDays: 7 -> 30" in out  # ints, not 7.0 -> 30.0
    assert "eni-" not in out
    # resources only on one side are counted apart from the properties that differ
    counts = r"\n  \d+ only in dev \(-\), \d+ only in prod \(\+\), \d+ in both with \d+ differing properties"
    assert re.search(counts, out)


def test_diff_check_passes_for_the_committed_staging_and_prod(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["diff", "staging", "prod", "--check"]) == 0
    assert "check passed" in capsys.readouterr().out


def test_diff_check_catches_a_topology_change_to_staging_in_a_copy(
    stack_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    staging = stack_copy / "Pulumi.staging.yaml"
    staging.write_text(staging.read_text().replace("marin:flowLogs: true", "marin:flowLogs: false"))
    assert cli.main(["--stack-dir", str(stack_copy), "diff", "staging", "prod", "--check"]) == 1
    out = capsys.readouterr().out
    assert "NOT ALLOWED: marin:flowLogs (topology): 'false' vs 'true'" in out
    assert "+ FlowLog network-flow-log" in out


def test_cost_prints_every_tier_and_totals(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["cost"]) == 0
    out = capsys.readouterr().out
    assert "total" in out
    assert "search" in out
    assert "$" in out


def test_unknown_environment_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "nosuchenv"]) == cli.USAGE
    configured = ", ".join(stackfiles.environments())
    assert capsys.readouterr().err.strip() == f"error: unknown environment nosuchenv; configured: {configured}"


def test_a_stack_file_that_fails_validation_is_a_clear_error(
    stack_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = stack_copy / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text().replace("marin:logRetentionDays: 7", "marin:logRetentionDays: 8"))
    assert cli.main(["--stack-dir", str(stack_copy), "plan", "dev"]) == 1
    err = capsys.readouterr().err
    assert "marin:logRetentionDays=8: allowed: 1, 3, 5, 7" in err
    assert "Traceback" not in err


def test_a_missing_price_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prices = (PROJECT_ROOT / "pricing" / "prices.yaml").read_text()
    (tmp_path / "prices.yaml").write_text(
        "\n".join(line for line in prices.splitlines() if not line.lstrip().startswith("cache.t4g.micro_hour"))
    )
    (tmp_path / "usage.yaml").write_text((PROJECT_ROOT / "pricing" / "usage.yaml").read_text())
    monkeypatch.setattr("marin.cost.PRICING_DIR", tmp_path)
    assert cli.main(["cost", "dev"]) == 1
    assert "price 'cache.t4g.micro_hour' is missing from pricing/prices.yaml" in capsys.readouterr().err
