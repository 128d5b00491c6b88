"""Structure of the CI/CD workflows (story task 9, risk 1): what must hold whoever edits them."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
import yaml

from marin.stackfiles import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
import verify_target

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in sorted(WORKFLOWS.glob("*.yml"))}


def load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load(TEXTS[name])
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def run_scripts(name: str) -> list[str]:
    return [step.get("run", "") for job in load(name)["jobs"].values() for step in job.get("steps", [])]


def test_the_expected_workflows_exist() -> None:
    assert {"ci.yml", "preview.yml", "deploy.yml", "deploy-stack.yml", "drift.yml"} <= set(TEXTS)


def test_every_deploy_job_binds_its_environment_and_runs_alone() -> None:
    (job,) = load("deploy-stack.yml")["jobs"].values()
    assert job["environment"] == "${{ inputs.stack }}"
    assert job["concurrency"] == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}


def test_deploys_go_dev_then_staging_then_prod_on_the_same_commit() -> None:
    jobs = load("deploy.yml")["jobs"]
    assert {name: job["with"]["stack"] for name, job in jobs.items()} == {
        "dev": "dev",
        "staging": "staging",
        "prod": "prod",
    }
    assert all(job["uses"] == "./.github/workflows/deploy-stack.yml" for job in jobs.values())
    assert jobs["staging"]["needs"] == "dev"
    assert jobs["prod"]["needs"] == "staging"
    assert "!failure()" in jobs["prod"]["if"]
    assert "!failure()" in jobs["staging"]["if"]
    assert load("deploy.yml")["on"]["push"]["branches"] == ["main"]
    assert load("deploy.yml")["on"]["workflow_dispatch"]["inputs"]["environment"]["options"] == [
        "dev",
        "staging",
        "prod",
    ]


def test_no_long_lived_aws_keys_anywhere() -> None:
    for name, text in TEXTS.items():
        assert not re.search(r"aws[-_]access[-_]key|aws[-_]secret[-_]access[-_]key", text, re.I), name


def test_roles_are_assumed_through_oidc() -> None:
    for name in ("preview.yml", "deploy-stack.yml", "drift.yml"):
        assert load(name)["permissions"]["id-token"] == "write"
        assert "aws-actions/configure-aws-credentials@" in TEXTS[name]
        assert "role-to-assume:" in TEXTS[name]


def test_ci_has_no_credentials() -> None:
    assert load("ci.yml")["permissions"] == {"contents": "read"}
    assert "secrets." not in TEXTS["ci.yml"]


def test_fork_pull_requests_get_no_credentials() -> None:
    (job,) = load("preview.yml")["jobs"].values()
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    for name, text in TEXTS.items():
        assert "pull_request_target" not in text, name


def test_preview_runs_every_stack_with_the_policy_pack_and_one_comment_each() -> None:
    (job,) = load("preview.yml")["jobs"].values()
    assert job["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    (preview,) = [s for s in run_scripts("preview.yml") if "pulumi preview --" in s]
    assert "--policy-pack policy" in preview
    assert "--diff" in preview
    comment = next(s for s in job["steps"] if s.get("uses", "").startswith("marocchino/sticky-pull-request-comment"))
    assert comment["with"]["header"] == "pulumi-preview-${{ matrix.stack }}"


def test_every_pulumi_command_names_its_stack_fully_qualified() -> None:
    commands = 0
    for name, text in TEXTS.items():
        for script in run_scripts(name):
            for command in re.findall(r"pulumi (?:up|preview|destroy|refresh) --[^\n]*", script):
                commands += 1
                assert '--stack "$STACK"' in command, f"{name}: {command}"
        if "pulumi " in text:
            assert "STACK: ${{ vars.PULUMI_ORG }}/marin/" in text, name
    assert commands >= 3


def test_drift_refreshes_and_expects_no_changes_nightly() -> None:
    doc = load("drift.yml")
    assert doc["on"]["schedule"]
    assert any("--refresh --expect-no-changes" in s for s in run_scripts("drift.yml"))


def test_one_file_pins_the_pulumi_cli_and_pip_is_cached() -> None:
    version = (PROJECT_ROOT / ".github" / "pulumi-version").read_text().strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    setup = (PROJECT_ROOT / ".github" / "actions" / "setup" / "action.yml").read_text()
    assert "cat .github/pulumi-version" in setup
    assert "cache: pip" in setup
    for name in ("preview.yml", "deploy-stack.yml", "drift.yml"):
        assert "uses: ./.github/actions/setup" in TEXTS[name]
        assert "get.pulumi.com" not in TEXTS[name]
    assert "cache: pip" in TEXTS["ci.yml"]


def test_deploy_refuses_a_mismatched_target() -> None:
    assert any("scripts/verify_target.py" in s for s in run_scripts("deploy-stack.yml"))


@pytest.mark.parametrize(
    ("stack", "github_env", "account", "expected"),
    [
        ("prod", "prod", "333333333333", []),
        (
            "prod",
            "staging",
            "333333333333",
            ["stack 'prod' is deployed from GitHub environment 'staging'; they must match"],
        ),
        (
            "prod",
            "prod",
            "111111111111",
            ["credentials are for account 111111111111; stack 'prod' allows 333333333333"],
        ),
        ("qa", "qa", "111111111111", ["stack 'qa' is not a configured environment (dev, staging, prod)"]),
    ],
)
def test_verify_target(stack: str, github_env: str, account: str, expected: list[str]) -> None:
    assert verify_target.problems(stack, github_env, account) == expected
