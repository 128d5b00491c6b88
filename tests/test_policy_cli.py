"""`python -m offline policy`: per stack the rules that ran, violations, preview notes; exit 1 on mandatory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from marin.stackfiles import PROJECT_ROOT
from offline import cli


def test_policy_prints_every_rule_and_the_preview_notes_and_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["policy", "staging"]) == 0
    out = capsys.readouterr().out
    assert "=== staging, update: 43 rules" in out
    assert "=== staging, first preview (ids and computed outputs unknown): 43 rules" in out
    assert "  no-open-ingress-ports              resource mandatory ok" in out
    assert "preview note: storage-tls-only: can't run policy 's3-tls-only'" in out
    assert out.rstrip().endswith("policy: 0 mandatory violation(s) in staging (both)")


def test_policy_exits_1_on_a_mandatory_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for f in PROJECT_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    prod = tmp_path / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("marin:logRetentionDays: 30", "marin:logRetentionDays: 7"))
    assert cli.main(["--stack-dir", str(tmp_path), "policy", "prod", "--mode", "update"]) == 1
    out = capsys.readouterr().out
    assert "MANDATORY: [log-retention] logging-api: log group '/ecs/prod/api' keeps 7 days" in out
    assert out.rstrip().endswith("policy: 3 mandatory violation(s) in prod (update)")


def test_policy_refuses_an_unknown_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["policy", "nosuchenv"]) == cli.USAGE
    assert capsys.readouterr().err.startswith("error: unknown environment nosuchenv")
