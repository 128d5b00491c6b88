"""The pull-request offline report: runs for forks with no secrets, posts one comment from a job
that never runs the pull request's code, warns on dangerous changes and on a cost threshold."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import yaml

from marin.stackfiles import PROJECT_ROOT
from offline import report
from offline.engine import token

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
import pr_report

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"


def load(name: str) -> dict[str, Any]:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


def test_the_report_runs_on_every_pull_request_with_a_read_only_token_and_no_secrets() -> None:
    doc = load("pr-offline.yml")
    text = (WORKFLOWS / "pr-offline.yml").read_text(encoding="utf-8")
    assert "pull_request" in doc["on"]
    assert "pull_request_target" not in text
    assert doc["permissions"] == {"contents": "read"}
    (job,) = doc["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    assert "if" not in job  # forks included
    assert "secrets." not in text
    checkout = next(s for s in steps(doc) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    assert checkout["with"]["fetch-depth"] == 0  # the base commit must be there
    script = "\n".join(s.get("run", "") for s in steps(doc))
    assert 'offline diff --base "$BASE_SHA" --json report/diff.json' in script
    assert 'offline cost --base "$BASE_SHA" --json report/cost.json' in script
    upload = next(s for s in steps(doc) if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == "offline-report"


def test_the_threshold_is_set_in_one_place() -> None:
    texts = [p.read_text(encoding="utf-8") for p in WORKFLOWS.glob("*.yml")]
    assert sum(t.count("COST_INCREASE_THRESHOLD_USD:") for t in texts) == 1
    assert float(load("pr-offline.yml")["env"]["COST_INCREASE_THRESHOLD_USD"]) > 0


def test_the_comment_is_posted_by_a_privileged_job_that_never_runs_pr_code() -> None:
    doc = load("pr-offline-comment.yml")
    assert doc["on"] == {"workflow_run": {"workflows": ["pr-offline"], "types": ["completed"]}}
    assert doc["permissions"] == {}
    (job,) = doc["jobs"].values()
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert "conclusion == 'success'" in job["if"]
    assert not [s for s in job["steps"] if "uses" in s]  # no checkout, no action: gh and the artifact only
    script = "\n".join(s["run"] for s in job["steps"])
    assert "python" not in script
    assert ".venv" not in script
    assert "*[!0-9]*" in script  # the PR number from the artifact is checked to be a number
    assert '"$actual" != "$HEAD_SHA"' in script  # ...and to be the PR the run was for
    assert "PATCH" in script
    assert "POST" in script


def test_actions_are_pinned_by_full_commit_sha() -> None:
    for name in ("pr-offline.yml", "pr-offline-comment.yml"):
        for s in steps(load(name)):
            if "uses" in s and not s["uses"].startswith("./"):
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", s["uses"]), s["uses"]


def change(op: str, type_: str, protected: bool, path: str, old: Any, new: Any, forced: bool) -> dict[str, Any]:
    return report.ResourceChange(
        op,
        type_,
        "storage-recordings",
        "storage",
        "urn:x",
        "marin-prod-call-recordings",
        "marin-prod-call-recordings-a1b2",
        protected,
        [report.PropertyChange(path, old, new, forced)],
    ).as_json()


def docs(cost_delta: float, warnings: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    diff = {
        "schemaVersion": 2,
        "kind": "diff",
        "base": {"ref": "main", "commit": "a" * 40},
        "warnings": warnings,
        "environments": {
            "prod": {
                "counts": {"create": 0, "delete": 0, "update": 0, "replace": 1, "propertiesChanged": 1},
                "changes": [change("replace", token(aws.s3.Bucket), True, "bucket", "a", "b", True)],
            }
        },
    }
    cost = {
        "schemaVersion": 2,
        "kind": "cost",
        "environments": {"prod": {"old": 100.0, "new": 100.0 + cost_delta, "delta": cost_delta}},
        "total": {"old": 100.0, "new": 100.0 + cost_delta, "delta": cost_delta},
    }
    return diff, cost


def test_the_comment_warns_loudly_on_a_protected_replacement_and_a_cost_rise_over_the_threshold() -> None:
    diff, cost = docs(60.0, ["WARNING prod: REPLACES protected stateful aws:s3/bucket:Bucket storage-recordings"])
    text = pr_report.comment(diff, cost, "b" * 40, threshold=50.0)
    assert "> [!CAUTION]" in text
    assert ":rotating_light: WARNING prod: REPLACES protected stateful aws:s3/bucket:Bucket" in text
    assert ":rotating_light: monthly cost of prod rises by $60.00 (threshold $50.00)" in text
    assert "| prod | 0 | 0 | 0 | 1 | 1 | $100.00 -> $160.00 | +$60.00 |" in text
    assert 'bucket: "a" -> "b"  (forces replacement)' in text
    assert "+- aws:s3/bucket:Bucket storage-recordings" in text  # the CLI's symbol for a replacement


def test_the_comment_is_quiet_below_the_threshold_without_dangerous_changes() -> None:
    diff, cost = docs(10.0, [])
    text = pr_report.comment(diff, cost, "b" * 40, threshold=50.0)
    assert "CAUTION" not in text
    assert "rotating_light" not in text
    assert "+$10.00" in text


def _run_report_step(tmp_path: Path, diff_exit: int) -> tuple[int, str]:
    """The report step's own script, with `.venv/bin/python -m offline` standing in: `diff` writes a
    plan comparison with a failing change and exits `diff_exit`; everything else is the real Python."""
    doc = load("pr-offline.yml")
    step = next(s for s in steps(doc) if s.get("id") == "offline")
    diff, cost = docs(0.0, ["WARNING prod: REPLACES protected stateful aws:s3/bucket:Bucket storage-recordings"])
    diff["environments"]["prod"]["changes"][0]["failing"] = ["replace of a protected resource"]
    (tmp_path / "diff.json").write_text(json.dumps(diff), encoding="utf-8")
    (tmp_path / "cost.json").write_text(json.dumps(cost), encoding="utf-8")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / "scripts").symlink_to(PROJECT_ROOT / "scripts")
    stub = tmp_path / ".venv" / "bin" / "python"
    stub.write_text(
        "#!/bin/sh\n"
        f'case "$2 $3" in\n'
        f'  "offline diff") cp {tmp_path}/diff.json report/diff.json; exit {diff_exit} ;;\n'
        f'  "offline cost") cp {tmp_path}/cost.json report/cost.json; exit 0 ;;\n'
        "esac\n"
        f'exec {sys.executable} "$@"\n',
        encoding="utf-8",
    )
    stub.chmod(0o755)
    env = {
        **doc["env"],
        **step["env"],
        "BASE_SHA": "a" * 40,
        "HEAD_SHA": "b" * 40,
        "PR_NUMBER": "7",
        "PATH": "/usr/bin:/bin",
    }
    env |= {"GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, check=False)
    out = (tmp_path / "out").read_text(encoding="utf-8") if (tmp_path / "out").exists() else ""
    return done.returncode, out


def test_a_failing_change_is_still_reported_in_the_comment_and_then_fails_the_run(tmp_path: Path) -> None:
    """`diff --base` exits 3 for a change `pulumi up` would stop on (offline/cli.py): the report is
    still written and uploaded, the run then fails, and the comment workflow posts on a failed run."""
    code, out = _run_report_step(tmp_path, diff_exit=3)
    assert code == 0
    assert "diff-exit=3" in out
    assert "!   fails: replace of a protected resource" in (tmp_path / "report" / "comment.md").read_text()
    doc = load("pr-offline.yml")
    names = [s.get("id") or s.get("uses", "").split("@")[0] for s in steps(doc)]
    last = steps(doc)[-1]
    assert names.index("offline") < names.index("actions/upload-artifact") < len(names) - 1
    assert last["if"] == "steps.offline.outputs.diff-exit == '3'"
    assert "exit 3" in last["run"]
    (job,) = load("pr-offline-comment.yml")["jobs"].values()
    assert "conclusion == 'failure'" in job["if"]


def test_any_other_diff_error_stops_the_report_before_a_comment_is_written(tmp_path: Path) -> None:
    code, out = _run_report_step(tmp_path, diff_exit=1)
    assert code == 1
    assert not (tmp_path / "report" / "comment.md").exists()
    assert "diff-exit" not in out
