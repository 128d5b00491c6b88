"""The CI/CD workflows, parsed: promotion by commit, credentials by environment, drift, pinning.

The `if:` conditions of deploy.yml are evaluated (a small evaluator of the GitHub expression
subset they use) over every combination of job results, so the promotion rules are proved on the
graph itself rather than on the text. Every rule about pull requests covers every workflow file,
whatever its name.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from marin import stackfiles
from marin.stackfiles import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
import drift_status
import preview_stack_file
import promotion
import verify_target

GITHUB = PROJECT_ROOT / ".github"
WORKFLOWS = GITHUB / "workflows"
ACTION_FILES = sorted((GITHUB / "actions").glob("*/action.yml"))
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in sorted(WORKFLOWS.glob("*.y*ml"))}
# Every third-party pin, cross-checked in at least two independent public repositories (README:
# *Pinned actions*). A SHA that differs from this table is a typo or an unreviewed upgrade.
PINS = {
    "actions/checkout": ("08c6903cd8c0fde910a37f88322edcfb5dd907a8", "v5.0.0"),
    "actions/setup-python": ("e797f83bcb11b83ae66e0230d6156d7c80228e7c", "v6.0.0"),
    "aws-actions/configure-aws-credentials": ("a03048d87541d1d9fcf2ecf528a4a65ba9bd7838", "v5.0.0"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),  # pr-offline.yml
}
DEPLOY_VARS = ("AWS_DEPLOY_ROLE_ARN", "AWS_READONLY_ROLE_ARN", "PULUMI_BACKEND_URL", "PULUMI_SECRETS_PROVIDER")
PR_EVENTS = {"pull_request", "pull_request_target", "workflow_run"}


def parse(text: str) -> dict[str, Any]:
    doc = yaml.safe_load(text)
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


@functools.cache
def load(name: str) -> dict[str, Any]:
    """Parsed once per file (callers only read it)."""
    return parse(TEXTS[name])


def triggers(doc: dict[str, Any]) -> set[str]:
    on = doc["on"]
    return {on} if isinstance(on, str) else set(on)


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def run_scripts(name: str) -> list[str]:
    return [step.get("run", "") for job in load(name)["jobs"].values() for step in steps(job)]


def step_named(job: dict[str, Any], prefix: str) -> dict[str, Any]:
    (step,) = [s for s in steps(job) if s.get("name", "").startswith(prefix)]
    return step


# --- a small evaluator of the GitHub expressions deploy.yml uses ---------------------------------

TOKEN = re.compile(r"\s*(\(|\)|!=|==|!|&&|\|\||'[^']*'|[A-Za-z_][\w.-]*(?:\(\))?)")
STATUS_FUNCTIONS = ("success()", "failure()", "cancelled()", "always()")


def tokens(expression: str) -> list[str]:
    text = expression.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    out, pos = [], 0
    while pos < len(text.rstrip()):
        match = TOKEN.match(text, pos)
        assert match, f"unsupported expression at {text[pos:]!r}"
        out.append(match.group(1))
        pos = match.end()
    return out


def evaluate(expression: str, context: dict[str, Any]) -> bool:
    """GitHub's `if:` semantics: without a status function the condition is `success() && (...)`."""
    if not any(f in expression for f in STATUS_FUNCTIONS):
        expression = f"success() && ({expression})"
    toks = tokens(expression)
    pos = 0

    def peek() -> str | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def primary() -> Any:
        tok = take()
        if tok == "(":
            value = disjunction()
            assert take() == ")"
            return value
        if tok.startswith("'"):
            return tok[1:-1]
        if tok.endswith("()"):
            return context[tok]
        return context.get(tok, "")

    def comparison() -> Any:
        left = primary()
        if peek() in ("==", "!="):
            op, right = take(), primary()
            equal = str(left).lower() == str(right).lower()
            return equal if op == "==" else not equal
        return left

    def negation() -> Any:
        if peek() == "!":
            take()
            return not negation()
        return comparison()

    def conjunction() -> Any:
        value = negation()
        while peek() == "&&":
            take()
            right = negation()
            value = value and right
        return value

    def disjunction() -> Any:
        value = conjunction()
        while peek() == "||":
            take()
            right = conjunction()
            value = value or right
        return value

    result = disjunction()
    assert pos == len(toks), f"trailing tokens in {expression!r}"
    return bool(result)


def needs_of(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def simulate(
    doc: dict[str, Any], event: str, inputs: dict[str, str], outcomes: dict[str, str], run_cancelled: bool = False
) -> dict[str, str]:
    """The result of every job: 'skipped' when its `if` is false, else its outcome (default success)."""
    results: dict[str, str] = {}
    pending = dict(doc["jobs"])
    while pending:
        name, job = next((n, j) for n, j in pending.items() if all(d in results for d in needs_of(j)))
        del pending[name]
        needed = [results[d] for d in needs_of(job)]
        context: dict[str, Any] = {
            "github.event_name": event,
            **{f"inputs.{k}": v for k, v in inputs.items()},
            **{f"needs.{d}.result": results[d] for d in needs_of(job)},
            "success()": all(r == "success" for r in needed) and not run_cancelled,
            "failure()": any(r == "failure" for r in needed),
            "cancelled()": run_cancelled,
            "always()": True,
        }
        runs = evaluate(str(job.get("if", "success()")), context)
        results[name] = outcomes.get(name, "success") if runs else "skipped"
    return results


DEPLOY = load("deploy.yml")
EVENTS = [("push", {})] + [
    ("workflow_dispatch", {"environment": e, "sha": "a" * 40}) for e in ("dev", "staging", "prod")
]
RESULTS = ("success", "failure", "cancelled")


def scenarios(doc: dict[str, Any]) -> list[tuple[str, dict[str, str], dict[str, str], bool]]:
    jobs = list(doc["jobs"])
    return [
        (event, inputs, dict(zip(jobs, combo, strict=True)), cancelled)
        for event, inputs in EVENTS
        for combo in itertools.product(RESULTS, repeat=len(jobs))
        for cancelled in (False, True)
    ]


def test_the_expected_workflows_exist() -> None:
    assert {"ci.yml", "preview.yml", "deploy.yml", "deploy-stack.yml", "drift.yml"} <= set(TEXTS)


def test_the_expression_evaluator_reads_the_old_rule_as_github_does() -> None:
    """`!failure()` lets a job run when its ancestor was skipped: the bug the issue reported."""
    old = "${{ !cancelled() && !failure() && (github.event_name == 'push' || inputs.environment == 'prod') }}"
    context = {
        "github.event_name": "workflow_dispatch",
        "inputs.environment": "prod",
        "failure()": False,
        "cancelled()": False,
        "success()": False,
        "always()": True,
    }
    assert evaluate(old, context)
    assert not evaluate("github.event_name == 'push'", {**context, "success()": True})
    assert not evaluate("github.event_name == 'workflow_dispatch'", context)  # implicit success()


def test_a_push_deploys_dev_staging_prod_in_order_after_ci() -> None:
    results = simulate(DEPLOY, "push", {}, {})
    assert results == {
        "ci": "success",
        "staging-record": "skipped",
        "dev": "success",
        "staging": "success",
        "prod": "success",
    }
    assert needs_of(DEPLOY["jobs"]["dev"])[0] == "ci"
    assert "staging" in needs_of(DEPLOY["jobs"]["prod"])
    assert "dev" in needs_of(DEPLOY["jobs"]["staging"])


@pytest.mark.parametrize(
    ("stopped", "after"), [("ci", ["dev", "staging", "prod"]), ("dev", ["staging", "prod"]), ("staging", ["prod"])]
)
@pytest.mark.parametrize("result", ["failure", "cancelled", "skipped"])
def test_a_failed_cancelled_or_skipped_environment_stops_the_ones_after_it(
    stopped: str, after: list[str], result: str
) -> None:
    results = simulate(DEPLOY, "push", {}, {stopped: result})
    assert all(results[job] == "skipped" for job in after), results


def test_prod_runs_only_after_staging_succeeded_for_this_commit_or_on_staging_s_record() -> None:
    """Over every combination of job results, events and run cancellation."""
    checked = 0
    for event, inputs, outcomes, cancelled in scenarios(DEPLOY):
        results = simulate(DEPLOY, event, inputs, outcomes, cancelled)
        checked += 1
        if results["prod"] != "skipped":
            assert (event == "push" and results["staging"] == "success") or (
                event == "workflow_dispatch" and results["staging-record"] == "success"
            ), (event, inputs, results)
        if event == "push" and results["dev"] != "skipped":
            assert results["ci"] == "success", results
        if event == "workflow_dispatch":
            assert results["ci"] == "skipped"
            ran = {j for j in ("dev", "staging", "prod") if results[j] != "skipped"}
            assert ran <= {inputs["environment"]}, (inputs, results)
    assert checked == 2 * len(EVENTS) * 3 ** len(DEPLOY["jobs"])


def test_the_old_deploy_graph_fails_the_promotion_property() -> None:
    """The same property over the workflow the issue reported (prod deployable by hand alone)."""
    old = parse(
        """
on: {push: {branches: [main]}, workflow_dispatch: {}}
jobs:
  dev: {if: "github.event_name == 'push' || inputs.environment == 'dev'"}
  staging:
    needs: dev
    if: "${{ !cancelled() && !failure() && (github.event_name == 'push' || inputs.environment == 'staging') }}"
  prod:
    needs: staging
    if: "${{ !cancelled() && !failure() && (github.event_name == 'push' || inputs.environment == 'prod') }}"
"""
    )
    results = simulate(old, "workflow_dispatch", {"environment": "prod"}, {})
    assert results == {"dev": "skipped", "staging": "skipped", "prod": "success"}


def test_a_manual_run_deploys_only_the_commit_staging_s_record_holds() -> None:
    results = simulate(DEPLOY, "workflow_dispatch", {"environment": "prod", "sha": "a" * 40}, {})
    assert results["prod"] == "success"
    assert results["staging-record"] == "success"
    for failed in ("failure", "cancelled"):
        blocked = simulate(
            DEPLOY, "workflow_dispatch", {"environment": "prod", "sha": "a" * 40}, {"staging-record": failed}
        )
        assert blocked["prod"] == "skipped"
    sha = DEPLOY["on"]["workflow_dispatch"]["inputs"]["sha"]
    assert sha["required"] is True
    assert sha["type"] == "string"
    record = DEPLOY["jobs"]["staging-record"]
    assert record["environment"] == "staging-readonly"
    assert record["if"] == "github.event_name == 'workflow_dispatch'"
    script = "\n".join(s.get("run", "") for s in steps(record))
    assert "pulumi stack history --stack organization/marin/staging --json" in script
    assert "--page-size 100000" in script  # the default page is the last 10 updates
    assert 'scripts/promotion.py --history history.json --sha "$SHA" --stack staging' in script
    assert "^[0-9a-f]{40}$" in script
    for env in ("dev", "staging", "prod"):
        job = DEPLOY["jobs"][env]
        assert job["uses"] == "./.github/workflows/deploy-stack.yml"
        assert job["with"] == {"stack": env, "sha": "${{ inputs.sha || github.sha }}"}
        assert "staging-record" in needs_of(job)
        # environment secrets reach a called job only through `secrets: inherit` (actions/runner#1490);
        # the repository holds none, so only the environment's own secrets arrive
        assert job["secrets"] == "inherit"


def test_ci_gates_the_deploy_in_the_same_run() -> None:
    assert DEPLOY["jobs"]["ci"] == {"if": "github.event_name == 'push'", "uses": "./.github/workflows/ci.yml"}
    assert "workflow_call" in triggers(load("ci.yml"))
    assert "push" not in triggers(load("ci.yml"))  # no second, unconnected CI run of the same commit
    assert DEPLOY["on"]["push"]["branches"] == ["main"]


def test_a_deploy_job_binds_its_environment_runs_alone_and_deploys_the_promoted_commit() -> None:
    (job,) = load("deploy-stack.yml")["jobs"].values()
    assert job["environment"] == "${{ inputs.stack }}"
    assert job["concurrency"] == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}
    checkout = steps(job)[0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"] == {"ref": "${{ inputs.sha }}", "persist-credentials": False}
    assert job["env"]["SHA"] == "${{ inputs.sha }}"
    assert 'test "$(git rev-parse HEAD)" = "$SHA"' in step_named(job, "The checkout is the commit")["run"]
    scripts = [s.get("run", "") for s in steps(job)]
    select = next(i for i, s in enumerate(scripts) if "pulumi stack select --create" in s)
    up = next(i for i, s in enumerate(scripts) if "pulumi up " in s)
    verify = next(i for i, s in enumerate(scripts) if "scripts/verify_target.py" in s)
    assert verify < select < up
    assert '--secrets-provider "$SECRETS_PROVIDER"' in scripts[select]
    assert "--policy-pack policy" in scripts[up]
    assert '--message "deploy $SHA"' in scripts[up]


def test_a_deploy_fails_when_ecs_rolled_the_services_back() -> None:
    (job,) = load("deploy-stack.yml")["jobs"].values()
    scripts = [s.get("run", "") for s in steps(job)]
    up = next(i for i, s in enumerate(scripts) if "pulumi up " in s)
    check = step_named(job, "The services run the task definitions")
    assert scripts.index(check["run"]) > up
    for needle in (
        'pulumi stack output --stack "$STACK" --json',
        ".taskDefinitionArns[$s]",
        "aws ecs describe-services",
    ):
        assert needle in check["run"]
    assert 'exit "$failed"' in check["run"]


def test_no_workflow_cancels_a_running_deploy_or_drift() -> None:
    for name in ("deploy.yml", "deploy-stack.yml", "drift.yml"):
        doc = load(name)
        for scope in [doc, *doc["jobs"].values()]:
            concurrency = scope.get("concurrency")
            if isinstance(concurrency, dict):
                assert concurrency.get("cancel-in-progress") is False, name


# --- credentials: what pull requests can reach ----------------------------------------------------


def called_workflows(job: dict[str, Any]) -> list[str]:
    uses = job.get("uses", "")
    return [Path(uses).name] if uses.startswith("./.github/workflows/") else []


def pull_request_reachable_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    """(file, job name, job) of every job a pull_request event can run, through workflow_call too."""
    out, queue, seen = [], [n for n, t in TEXTS.items() if triggers(parse(t)) & PR_EVENTS], set()
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        for job_name, job in load(name)["jobs"].items():
            out.append((name, job_name, job))
            queue.extend(called_workflows(job))
    return out


def composite_text(job: dict[str, Any]) -> str:
    return "".join(
        (PROJECT_ROOT / s["uses"] / "action.yml").read_text(encoding="utf-8")
        for s in steps(job)
        if s.get("uses", "").startswith("./.github/actions/")
    )


def test_pull_requests_reach_no_deploy_secret_role_environment_or_state() -> None:
    reachable = pull_request_reachable_jobs()
    assert {f for f, _, _ in reachable} >= {"ci.yml", "preview.yml"}
    for file, name, job in reachable:
        text = yaml.safe_dump(job) + composite_text(job)
        where = f"{file}:{name}"
        assert not re.search(r"secrets\.(?!GITHUB_TOKEN\b)", text), where
        assert "secrets: inherit" not in text, where
        assert "environment" not in job, where
        for var in DEPLOY_VARS:
            assert f"vars.{var}" not in text, where
        for role in re.findall(r"role-to-assume: (.+)", text):
            assert "AWS_PREVIEW_ROLE_ARN_" in role, where
        assert not re.search(r"pulumi (up|refresh|destroy|import|cancel|state|stack (export|import|rm))\b", text), where
        permissions = job.get("permissions", load(file).get("permissions"))
        assert isinstance(permissions, dict), f"{where}: permissions must be explicit"
        assert {k for k, v in permissions.items() if v == "write"} <= {"id-token", "pull-requests", "issues"}, where
        if "pulumi preview" in text:
            assert "PULUMI_BACKEND_URL=file://$RUNNER_TEMP/" in text, f"{where}: previews only a throwaway stack"


def test_no_privileged_trigger_checks_out_pull_request_code() -> None:
    """`pull_request_target` and `workflow_run` run with the base repository's token: such a
    workflow (e.g. one that comments on fork pull requests) may exist, but never checks out or
    runs the pull request's code, and holds no secret (the reachability test above covers them)."""
    head = re.compile(r"github\.event\.(pull_request\.head|workflow_run\.head)|github\.head_ref")
    for name, text in TEXTS.items():
        if triggers(parse(text)) & {"pull_request_target", "workflow_run"}:
            for job in load(name)["jobs"].values():
                for step in steps(job):
                    if step.get("uses", "").startswith("actions/checkout@"):
                        assert not head.search(json.dumps(step.get("with") or {})), name
                    assert not head.search(step.get("run", "")), name


def test_fork_pull_requests_get_no_preview() -> None:
    (job,) = load("preview.yml")["jobs"].values()
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"


def test_deploy_credentials_appear_only_in_jobs_bound_to_an_environment() -> None:
    for name in TEXTS:
        for job_name, job in load(name)["jobs"].items():
            text = yaml.safe_dump(job)
            uses_creds = re.search(r"secrets\.(?!GITHUB_TOKEN\b)", text) or any(
                f"vars.{v}" in text for v in DEPLOY_VARS
            )
            if uses_creds:
                assert "environment" in job, f"{name}:{job_name}"
    (up,) = load("deploy-stack.yml")["jobs"].values()
    assert "vars.AWS_DEPLOY_ROLE_ARN" in yaml.safe_dump(up)
    for name, job_name in (("drift.yml", "drift"), ("deploy.yml", "staging-record")):
        text = yaml.safe_dump(load(name)["jobs"][job_name])
        assert "vars.AWS_READONLY_ROLE_ARN" in text
        assert "AWS_DEPLOY_ROLE_ARN" not in text


def env_blocks(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = [("workflow", doc.get("env") or {})]
    for job_name, job in doc["jobs"].items():
        out.append((job_name, job.get("env") or {}))
        out.extend((f"{job_name}/{s.get('name', s.get('uses'))}", s.get("env") or {}) for s in steps(job))
    return out


def test_secrets_are_scoped_to_the_steps_that_need_them() -> None:
    for name in TEXTS:
        doc = load(name)
        assert "secrets." not in json.dumps(doc.get("env") or {}), name
        for job_name, job in doc["jobs"].items():
            assert "secrets." not in json.dumps(job.get("env") or {}), f"{name}:{job_name}"
    (up,) = load("deploy-stack.yml")["jobs"].values()
    holders = [s["name"] for s in steps(up) if "secrets." in json.dumps(s.get("env") or {})]
    assert holders == ["pulumi up ${{ inputs.stack }} with the policy pack"]


def test_we_set_no_reserved_github_variable() -> None:
    for name in TEXTS:
        for where, env in env_blocks(load(name)):
            assert not [k for k in env if k.upper().startswith("GITHUB_")], f"{name}:{where}"


def test_no_long_lived_aws_keys_anywhere() -> None:
    for name, text in TEXTS.items():
        assert not re.search(r"aws[-_]access[-_]key|aws[-_]secret[-_]access[-_]key", text, re.I), name


def test_roles_are_assumed_through_oidc_with_a_session_name_per_use() -> None:
    for name in ("preview.yml", "deploy-stack.yml", "drift.yml", "deploy.yml"):
        for job in load(name)["jobs"].values():
            for step in steps(job):
                if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
                    assert job.get("permissions", load(name).get("permissions", {})).get("id-token") == "write"
                    assert set(step["with"]) == {"role-to-assume", "aws-region", "role-session-name"}


def test_ci_has_no_credentials() -> None:
    doc = load("ci.yml")
    assert doc["permissions"] == {"contents": "read"}
    assert "secrets." not in TEXTS["ci.yml"]
    assert "role-to-assume" not in TEXTS["ci.yml"]


# --- pinning ----------------------------------------------------------------------------------------

USES = re.compile(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", re.M)


def all_uses() -> list[tuple[str, str, str]]:
    files = {**{f"workflows/{n}": t for n, t in TEXTS.items()}, **{str(p): p.read_text() for p in ACTION_FILES}}
    return [(f, ref, rest.strip()) for f, text in files.items() for ref, rest in USES.findall(text)]


def test_every_action_is_pinned_by_a_full_commit_sha_with_its_version_in_a_comment() -> None:
    pinned = 0
    for file, ref, comment in all_uses():
        if ref.startswith("./"):
            assert (PROJECT_ROOT / ref).exists(), f"{file}: {ref}"
            continue
        match = re.fullmatch(r"([\w.-]+/[\w.-]+)(/[\w./-]+)?@([0-9a-f]{40})", ref)
        assert match, f"{file}: {ref} is not pinned to a 40-hex commit SHA"
        assert re.fullmatch(r"# v\d+\.\d+\.\d+", comment), f"{file}: {ref} needs '# vX.Y.Z'"
        repo, sha = match.group(1), match.group(3)
        assert repo in PINS, f"{file}: {repo} has no cross-checked pin in PINS"
        assert (sha, comment[2:]) == PINS[repo], f"{file}: {repo}@{sha} {comment} differs from the checked pin"
        pinned += 1
    assert pinned >= 8


def test_no_third_party_action_runs_beside_deploy_credentials() -> None:
    """Jobs bound to an environment run only first-party, SHA-pinned actions and local ones."""
    allowed = {"actions/checkout", "actions/setup-python", "aws-actions/configure-aws-credentials"}
    allowed.add("actions/upload-artifact")  # first-party; pr-offline.yml's report, no credentials
    for name in TEXTS:
        for job in load(name)["jobs"].values():
            for step in steps(job):
                ref = step.get("uses", "./")
                assert ref.startswith("./") or ref.split("@")[0] in allowed, f"{name}: {ref}"


def test_one_file_pins_the_pulumi_cli_and_pip_is_cached() -> None:
    version = (GITHUB / "pulumi-version").read_text().strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    setup = (GITHUB / "actions" / "setup" / "action.yml").read_text()
    assert "cat .github/pulumi-version" in setup
    assert "cache: pip" in setup
    for name in ("preview.yml", "deploy-stack.yml", "drift.yml"):
        assert "uses: ./.github/actions/setup" in TEXTS[name]
        assert "get.pulumi.com" not in TEXTS[name]
    assert "cache: pip" in TEXTS["ci.yml"]


# --- stacks and commands ------------------------------------------------------------------------------


def test_every_pulumi_command_names_its_stack_fully_qualified() -> None:
    commands = 0
    for name, text in TEXTS.items():
        for script in run_scripts(name):
            for command in re.findall(r"pulumi (?:up|preview|destroy|refresh|stack export) --[^\n]*", script):
                commands += 1
                assert '--stack "$STACK"' in command, f"{name}: {command}"
        if "pulumi " in text and name != "deploy.yml":
            assert "STACK: organization/marin/" in text, name
    assert commands >= 5


def test_a_stack_is_selected_or_created_before_it_is_used() -> None:
    for name in ("preview.yml", "deploy-stack.yml"):
        (job,) = load(name)["jobs"].values()
        scripts = [s.get("run", "") for s in steps(job)]
        select = next(i for i, s in enumerate(scripts) if "pulumi stack select --create" in s)
        first = next(i for i, s in enumerate(scripts) if re.search(r"pulumi (up|preview) ", s))
        assert select < first, name
    drift = "\n".join(run_scripts("drift.yml"))
    assert 'pulumi stack select --non-interactive "$STACK"' in drift  # drift never creates a stack


def test_the_pull_request_preview_holds_no_secrets_provider_and_no_secret_value(tmp_path: Path) -> None:
    (job,) = load("preview.yml")["jobs"].values()
    throwaway = step_named(job, "A throwaway stack")["run"]
    assert throwaway.index('scripts/preview_stack_file.py "$ENV_NAME"') < throwaway.index(
        "pulumi stack select --create"
    )
    assert "--secrets-provider passphrase" in throwaway
    stack = {
        "secretsprovider": "awskms://alias/marin-prod-pulumi-state?region=us-east-1",
        "encryptedkey": "AQICAHh...",
        "config": {"marin:transcriptionApiKey": {"secure": "v1:abc"}, "marin:azCount": 3},
    }
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack))
    (tmp_path / "Pulumi.yaml").write_text("name: marin\n")
    assert preview_stack_file.main(["prod", "--root", str(tmp_path)]) == 0
    assert yaml.safe_load((tmp_path / "Pulumi.prod.yaml").read_text()) == {
        "config": {"marin:transcriptionApiKey": preview_stack_file.PLACEHOLDER, "marin:azCount": 3}
    }
    assert preview_stack_file.main(["qa", "--root", str(tmp_path)]) == 1


# --- preview comment ----------------------------------------------------------------------------------


def compose_comment(tmp_path: Path, outcome: str, preview: str | None) -> str:
    (job,) = load("preview.yml")["jobs"].values()
    step = step_named(job, "Write the comment")
    assert step["if"] == "${{ !cancelled() }}"
    if preview is not None:
        (tmp_path / "preview.txt").write_text(preview)
    env = {"OUTCOME": outcome, "ENV_NAME": "prod", "RUN_URL": "https://example/run/1", "PATH": "/usr/bin:/bin"}
    subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, check=True)
    return (tmp_path / "comment.md").read_text()


def test_the_preview_comment_is_complete_when_setup_failed(tmp_path: Path) -> None:
    comment = compose_comment(tmp_path, "skipped", None)
    assert comment.startswith("<!-- pulumi-preview-prod -->\n")
    assert "did not run" in comment
    assert "Setup failed before the preview could run" in comment
    assert "```" not in comment


@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_the_preview_comment_carries_the_whole_plan(tmp_path: Path, outcome: str) -> None:
    comment = compose_comment(tmp_path, outcome, "Resources:\n    + 120 to create\n")
    assert f"`prod` ({outcome})" in comment
    assert "+ 120 to create" in comment
    assert comment.count("```") == 2
    assert "<details>" in comment
    assert "</details>" in comment


def test_each_stack_updates_its_own_comment() -> None:
    (job,) = load("preview.yml")["jobs"].values()
    post = step_named(job, "Post or update")
    assert post["if"] == "${{ !cancelled() }}"
    assert 'marker="<!-- pulumi-preview-$ENV_NAME -->"' in post["run"]
    assert "--method PATCH" in post["run"]
    assert post["env"]["GH_TOKEN"] == "${{ github.token }}"


# --- drift ---------------------------------------------------------------------------------------------


def test_drift_runs_nightly_from_main_with_the_readonly_role_of_each_environment() -> None:
    doc = load("drift.yml")
    assert doc["on"]["schedule"]
    (job,) = doc["jobs"].values()
    assert job["environment"] == "${{ matrix.stack }}-readonly"
    assert job["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    check = step_named(job, "Refresh")
    assert "pulumi refresh --preview-only --json" in check["run"]
    assert '"${excludes[@]}"' in check["run"]
    assert "pulumi preview --json" in check["run"]
    assert "scripts/drift_status.py classify" in check["run"]


def test_drift_opens_one_issue_per_environment_and_an_error_fails_as_an_error() -> None:
    (job,) = load("drift.yml")["jobs"].values()
    report = step_named(job, "Drift opens")
    assert report["if"] == "steps.check.outputs.status == 'drift'"
    assert 'title="Drift in $ENV_NAME"' in report["run"]
    assert "gh issue comment" in report["run"]
    assert "gh issue create" in report["run"]
    error = step_named(job, "An error is reported")
    assert "steps.check.outputs.status != 'clean'" in error["if"]
    assert "steps.check.outputs.status != 'drift'" in error["if"]
    assert "exit 1" in error["run"]
    assert "Drift in" not in error["run"]


def preview_json(
    steps_: list[dict[str, str]], summary: dict[str, int], diagnostics: tuple[dict[str, str], ...] = ()
) -> str:
    return json.dumps({"steps": steps_, "changeSummary": summary, "diagnostics": list(diagnostics)})


CLEAN = preview_json([{"op": "same", "urn": "urn:a"}], {"same": 120})
DRIFTED = preview_json(
    [{"op": "update", "urn": "urn:pulumi:prod::marin::aws:s3/bucket:Bucket::b"}], {"same": 119, "update": 1}
)


@pytest.mark.parametrize(
    ("rc", "outputs", "expected"),
    [
        (0, [CLEAN, CLEAN], "clean"),
        # a refresh's digest lists unchanged resources with op `refresh` (rewritten only on change)
        (0, [preview_json([{"op": "refresh", "urn": "urn:a"}], {"same": 120}), CLEAN], "clean"),
        (0, [DRIFTED, CLEAN], "drift"),
        (0, [CLEAN, preview_json([], {"same": 100, "delete": 1})], "drift"),
        (1, [CLEAN, CLEAN], "error"),  # a failed command is never drift
        (255, ["", ""], "error"),  # no credentials: nothing readable
        (0, [CLEAN, "error: no stack named 'organization/marin/prod' found"], "error"),
        (0, [CLEAN, preview_json([], {}, ({"severity": "error", "message": "AccessDenied"},))], "error"),
        (1, [DRIFTED, CLEAN], "error"),  # drift seen, but the check did not finish: report the error
    ],
)
def test_drift_status_tells_drift_from_failure(rc: int, outputs: list[str], expected: str) -> None:
    assert drift_status.classify(rc, outputs)[0] == expected


def test_drift_details_name_the_drifted_resource() -> None:
    status, details = drift_status.classify(0, [DRIFTED, CLEAN])
    assert status == "drift"
    assert details == ["update urn:pulumi:prod::marin::aws:s3/bucket:Bucket::b"]


def export_of(inv: Any) -> dict[str, Any]:
    return {"deployment": {"resources": [{"urn": r.urn, "type": r.type, "outputs": r.outputs} for r in inv.resources]}}


def test_the_refresh_leaves_out_exactly_the_resources_whose_read_returns_secret_values(
    all_inventories: dict[str, Any],
) -> None:
    for env, inv in all_inventories.items():
        export = export_of(inv)
        excluded = set(drift_status.excludes(export))
        reading = {r.urn for r in inv.resources if r.type in drift_status.REFRESH_READS_DATA}
        assert excluded == reading, env
        assert {r.type for r in inv.resources if r.urn in excluded} == {
            "aws:secretsmanager/secretVersion:SecretVersion"
        }
        versions = drift_status.secret_versions(export)
        assert len(versions) == len(excluded), env


# --- the record behind manual runs ----------------------------------------------------------------------

SHA_A, SHA_B = "a" * 40, "b" * 40


def update(sha: str, result: str = "succeeded", dirty: str = "false", kind: str = "update") -> dict[str, Any]:
    return {"kind": kind, "result": result, "environment": {"git.head": sha, "git.dirty": dirty}}


@pytest.mark.parametrize(
    ("history", "sha", "allowed"),
    [
        ([update(SHA_A)], SHA_A, True),
        ([update(SHA_B), update(SHA_A, "failed"), update(SHA_A)], SHA_A, True),
        ([update(SHA_A, "failed")], SHA_A, False),
        ([update(SHA_A, "in-progress")], SHA_A, False),
        ([update(SHA_A, dirty="true")], SHA_A, False),
        ([update(SHA_A, kind="preview"), update(SHA_A, kind="refresh")], SHA_A, False),
        ([update(SHA_B)], SHA_A, False),
        ([], SHA_A, False),
        ([update(SHA_A[:12])], SHA_A[:12], False),  # abbreviated SHAs are refused
    ],
)
def test_a_manual_run_needs_staging_s_successful_update_of_that_commit(
    history: list[dict[str, Any]], sha: str, allowed: bool
) -> None:
    assert (promotion.problems(history, sha, "staging") == []) is allowed


def test_promotion_refusals_say_why(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text(json.dumps([update(SHA_B)]))
    assert promotion.main(["--history", str(path), "--sha", SHA_A, "--stack", "staging"]) == 1
    assert promotion.problems([update(SHA_A, "failed")], SHA_A, "staging") == [
        "stack 'staging' ran aaaaaaaaaaaa but never succeeded from a clean checkout (results: failed)"
    ]


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
        (
            "nosuchenv",
            "nosuchenv",
            "111111111111",
            [f"stack 'nosuchenv' is not a configured environment ({', '.join(stackfiles.environments())})"],
        ),
    ],
)
def test_verify_target(stack: str, github_env: str, account: str, expected: list[str]) -> None:
    assert verify_target.problems(stack, github_env, account) == expected
