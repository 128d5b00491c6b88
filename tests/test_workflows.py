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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from marin import stackfiles
from marin.stackfiles import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bootstrap"))
from marin_bootstrap import config as bootstrap_config
from marin_bootstrap import policies

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
(DEPLOY_STACK,) = load("deploy-stack.yml")["jobs"].values()
ORDER = promotion.order()
SHA_A, SHA_B = "a" * 40, "b" * 40
RESULTS = ("success", "failure", "cancelled")


def run_matrix(stacks: list[str], outcomes: Mapping[str, str]) -> dict[str, str]:
    """GitHub's matrix with `max-parallel: 1` and `fail-fast: true`: one entry at a time, in order;
    the first that does not succeed cancels those still queued (GitHub docs, "Using a matrix for
    your jobs": fail-fast cancels all in-progress and queued jobs in the matrix)."""
    results: dict[str, str] = {}
    for stack in stacks:
        if any(r != "success" for r in results.values()):
            results[stack] = "cancelled"
        else:
            results[stack] = outcomes.get(stack, "success")
    return results


def gate_allows(stack: str, sha: str, record: list[dict[str, Any]], on_main: bool = True) -> bool:
    """deploy-stack.yml's gate: the environment before `stack` (from the bootstrap stack files,
    not from the caller) must hold a successful deployment of `sha` in GitHub's record."""
    previous = stackfiles.effective_config(stack, promotion.BOOTSTRAP).get(promotion.KEY, "")
    return promotion.problems(record, sha, previous, on_main) == []


def push_run(
    sha: str, jobs: dict[str, str], event: str = "push", path: str = promotion.DEPLOY_WORKFLOW
) -> dict[str, Any]:
    """A run of deploy.yml as GitHub's API returns it, with its jobs (`deploy <env> / up (<env>)`)."""
    return {
        "id": 1,
        "event": event,
        "head_branch": "main",
        "head_sha": sha,
        "path": path,
        "jobs": [{"name": f"deploy {e} / up ({e})", "conclusion": c} for e, c in jobs.items()],
    }


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


def test_the_environments_are_the_bootstrap_stacks_in_promotion_order() -> None:
    """Issue 23, point 2: no workflow lists environments by hand; each reads promotion.py's order."""
    assert sorted(ORDER) == sorted(stackfiles.environments(promotion.BOOTSTRAP))
    assert sorted(ORDER) == sorted(stackfiles.environments())
    for name in ("deploy.yml", "preview.yml", "drift.yml"):
        text = TEXTS[name]
        assert "scripts/promotion.py order" in text, name
        for env in ORDER:
            assert not re.search(rf"\[[^\]\n]*\b{env}\b[^\]\n]*\]", text), f"{name} lists {env} by hand"
        matrices = [j["strategy"]["matrix"] for j in load(name)["jobs"].values() if "strategy" in j]
        assert matrices
        assert all(re.fullmatch(r"\$\{\{ fromJSON\(needs\.\w+\.outputs\.stacks\) \}\}", m["stack"]) for m in matrices)


def test_a_new_environment_joins_the_chain_through_its_bootstrap_stack_file(tmp_path: Path) -> None:
    files = {
        "dev": "",
        "qa": "  marin-bootstrap:promotedFrom: dev\n",
        "staging": "  marin-bootstrap:promotedFrom: qa\n",
        "prod": "  marin-bootstrap:promotedFrom: staging\n",
    }
    (tmp_path / "Pulumi.yaml").write_text("name: marin-bootstrap\n")
    for env, body in files.items():
        (tmp_path / f"Pulumi.{env}.yaml").write_text("config:\n" + body + "  marin-bootstrap:region: us-east-1\n")
    assert promotion.order(tmp_path) == ["dev", "qa", "staging", "prod"]
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  marin-bootstrap:promotedFrom: qa\n")
    with pytest.raises(promotion.PromotionError, match="all follow 'qa'; allowed: one chain"):
        promotion.order(tmp_path)


def test_an_environment_whose_name_cannot_name_a_github_variable_is_refused(tmp_path: Path) -> None:
    """Review of issue 24, point 10: the bootstrap names repository variables after the environment
    (AWS_PREVIEW_ROLE_ARN_<ENV>), and GitHub allows only letters, digits and `_` in a variable's
    name (docs, "Store information in variables": naming conventions): `qa-eu` is refused up front."""
    (tmp_path / "Pulumi.yaml").write_text("name: marin-bootstrap\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  marin-bootstrap:region: us-east-1\n")
    (tmp_path / "Pulumi.qa-eu.yaml").write_text("config:\n  marin-bootstrap:promotedFrom: dev\n")
    with pytest.raises(promotion.PromotionError, match=r"Pulumi\.qa-eu\.yaml: environment name 'qa-eu': allowed"):
        promotion.order(tmp_path)


def test_a_push_deploys_every_environment_in_order_after_ci() -> None:
    results = simulate(DEPLOY, "push", {}, {})
    assert results == {"ci": "success", "plan": "success", "deploy": "success"}
    assert needs_of(DEPLOY["jobs"]["plan"]) == ["ci"]
    deploy = DEPLOY["jobs"]["deploy"]
    assert deploy["strategy"]["max-parallel"] == 1
    assert deploy["strategy"]["fail-fast"] is True
    assert deploy["uses"] == "./.github/workflows/deploy-stack.yml"
    assert deploy["with"] == {"stack": "${{ matrix.stack }}", "sha": "${{ inputs.sha || github.sha }}"}
    assert run_matrix(ORDER, {}) == dict.fromkeys(ORDER, "success")
    for stopped in ORDER[:-1]:
        for result in ("failure", "cancelled"):
            after = ORDER[ORDER.index(stopped) + 1 :]
            assert all(run_matrix(ORDER, {stopped: result})[e] == "cancelled" for e in after)


@pytest.mark.parametrize("result", ["failure", "cancelled"])
def test_a_failed_or_cancelled_ci_deploys_nothing(result: str) -> None:
    assert simulate(DEPLOY, "push", {}, {"ci": result})["deploy"] == "skipped"


def test_each_environment_deploys_only_after_the_one_before_it_succeeded() -> None:
    """Over every combination of the matrix entries' results, and through the gate: an entry that
    runs needs its predecessor's success in GitHub's record of this commit."""
    for combo in itertools.product(RESULTS, repeat=len(ORDER)):
        outcomes = dict(zip(ORDER, combo, strict=True))
        results = run_matrix(ORDER, outcomes)
        record = [push_run(SHA_A, {e: r for e, r in results.items() if r != "cancelled"})]
        for env in ORDER:
            if results[env] != "cancelled":
                assert gate_allows(env, SHA_A, record), (env, results)


def test_an_edited_deploy_yml_still_cannot_deploy_prod_before_staging() -> None:
    """Issue 24, point 3: a deploy.yml edited to `prod: needs: [ci]` runs prod's job, but the gate
    is in deploy-stack.yml (the workflow the deploy role trusts) and reads the predecessor from the
    bootstrap stack files, not from its caller: with staging never having seen the commit, it refuses."""
    edited = parse(
        """
on: {push: {branches: [main]}}
jobs:
  ci: {uses: ./.github/workflows/ci.yml}
  prod: {needs: [ci], uses: ./.github/workflows/deploy-stack.yml, with: {stack: prod, sha: "${{ github.sha }}"}}
"""
    )
    assert simulate(edited, "push", {}, {})["prod"] == "success"  # the graph alone lets it run
    assert set(load("deploy-stack.yml")["on"]["workflow_call"]["inputs"]) == {"stack", "sha"}
    last = ORDER[-1]
    assert not gate_allows(last, SHA_A, [push_run(SHA_A, {ORDER[0]: "success"})])
    scripts = [s.get("run", "") for s in steps(DEPLOY_STACK)]
    gate = next(i for i, s in enumerate(scripts) if "scripts/promotion.py gate" in s)
    credentials = next(i for i, s in enumerate(steps(DEPLOY_STACK)) if "configure-aws-credentials" in s.get("uses", ""))
    assert gate < credentials
    assert '--stack "$TARGET" --sha "$SHA"' in scripts[gate]


@pytest.mark.parametrize(
    ("scenario", "record", "on_main"),
    [
        # issue 24, point 4: each record the old check accepted
        ("staging's up succeeded, then ECS rolled the services back", {"staging": "failure"}, True),
        ("a local up of an unmerged commit (Pulumi history only)", None, True),
        ("PULUMI_GIT_HEAD=<sha> outside a git repository (Pulumi history only)", None, True),
        ("a commit later removed from main", {"staging": "success"}, False),
        ("a forged deployment status (no run of deploy.yml)", None, True),
        ("staging's job still waiting for its reviewers", {"staging": "waiting"}, True),
    ],
)
def test_a_manual_promotion_needs_github_s_record_of_a_successful_deploy(
    scenario: str, record: dict[str, str] | None, on_main: bool
) -> None:
    runs = [] if record is None else [push_run(SHA_A, record)]
    assert promotion.problems(runs, SHA_A, "staging", on_main), scenario
    assert promotion.problems([push_run(SHA_A, {"staging": "success"})], SHA_A, "staging", True) == []


@pytest.mark.parametrize(
    "run",
    [
        push_run(SHA_A, {"staging": "success"}, event="workflow_dispatch"),  # deployed some other inputs.sha
        push_run(SHA_A, {"staging": "success"}, path=".github/workflows/evil.yml"),
        push_run(SHA_B, {"staging": "success"}),
        {**push_run(SHA_A, {"staging": "success"}), "head_branch": "feature"},
    ],
)
def test_only_a_push_run_of_deploy_yml_on_main_at_that_commit_counts(run: dict[str, Any]) -> None:
    assert promotion.problems([run], SHA_A, "staging", True)


@pytest.mark.parametrize("path", [".github/workflows/deploy.yml", ".github/workflows/deploy.yml@main"])
def test_a_run_s_path_counts_with_or_without_its_ref(path: str) -> None:
    """Review of issue 24, point 4: GitHub's REST example of a workflow run reads
    `"path": ".github/workflows/build.yml@main"` (docs, "REST API endpoints for workflow runs")."""
    assert promotion.problems([push_run(SHA_A, {"staging": "success"}, path=path)], SHA_A, "staging", True) == []
    evil = push_run(SHA_A, {"staging": "success"}, path=".github/workflows/evil.yml@main")
    assert promotion.problems([evil], SHA_A, "staging", True)


def test_promotion_refusals_say_why() -> None:
    assert promotion.problems([], SHA_A[:12], "staging", True) == [
        "sha='aaaaaaaaaaaa': allowed: a full 40-character lowercase commit SHA"
    ]
    assert promotion.problems([], SHA_A, "staging", True) == [
        "staging has no successful deployment of aaaaaaaaaaaa (a push run of deploy.yml on main): deploy it there first"
    ]
    assert promotion.problems([], SHA_A, "", False) == [
        "aaaaaaaaaaaa is not an ancestor of origin/main: only commits on main are deployed"
    ]


def test_the_record_is_read_from_github_s_runs_and_jobs() -> None:
    asked: list[str] = []

    def fetch(path: str) -> Any:
        asked.append(path)
        return {"workflow_runs": [{"id": 7}]} if "/workflows/" in path else {"jobs": [{"name": "x"}]}

    assert promotion.runs_of("acme/marin", SHA_A, fetch) == [{"id": 7, "jobs": [{"name": "x"}]}]
    assert asked == [
        f"repos/acme/marin/actions/workflows/deploy.yml/runs?head_sha={SHA_A}&event=push&per_page=100",
        "repos/acme/marin/actions/runs/7/jobs?filter=all&per_page=100",
    ]


def test_a_manual_run_deploys_only_the_chosen_environment() -> None:
    for env in ORDER:
        results = simulate(DEPLOY, "workflow_dispatch", {"environment": env, "sha": SHA_A}, {})
        assert results == {"ci": "skipped", "plan": "success", "deploy": "success"}
    plan = "\n".join(s.get("run", "") for s in steps(DEPLOY["jobs"]["plan"]))
    assert 'order="$(jq -cn --arg e "$CHOSEN" \'[$e]\')"' in plan
    sha = DEPLOY["on"]["workflow_dispatch"]["inputs"]["sha"]
    assert (sha["required"], sha["type"]) == (True, "string")


def test_ci_gates_the_deploy_in_the_same_run() -> None:
    assert DEPLOY["jobs"]["ci"] == {"if": "github.event_name == 'push'", "uses": "./.github/workflows/ci.yml"}
    assert "workflow_call" in triggers(load("ci.yml"))
    assert "push" not in triggers(load("ci.yml"))  # no second, unconnected CI run of the same commit
    assert DEPLOY["on"]["push"]["branches"] == ["main"]


def test_a_deploy_job_binds_its_environment_and_deploys_the_promoted_commit_with_main_s_tooling() -> None:
    """Issue 24, point 16: the tooling (setup action, CLI version, scripts, lock) is this run's
    commit (main's head for a dispatch); only the program is the promoted commit, in program/: a
    dispatched rollback to a commit older than the pipeline deploys with today's pipeline."""
    job = DEPLOY_STACK
    assert job["environment"] == "${{ inputs.stack }}"
    checkouts = [s for s in steps(job) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts[0]["with"] == {"fetch-depth": 0, "persist-credentials": False}  # this run's commit
    assert checkouts[1]["with"] == {"ref": "${{ inputs.sha }}", "path": "program", "persist-credentials": False}
    assert job["env"]["SHA"] == "${{ inputs.sha }}"
    assert 'test "$(git -C program rev-parse HEAD)" = "$SHA"' in step_named(job, "The program is the commit")["run"]
    setup = [s for s in steps(job) if s.get("uses") == "./.github/actions/setup"]
    assert setup == [{"uses": "./.github/actions/setup", "with": {"program": "program"}}]
    scripts = [s.get("run", "") for s in steps(job)]
    for script in scripts:
        for command in re.findall(r"pulumi (?:up|stack select|stack output|preview|refresh)\b[^\n]*", script):
            assert "--cwd program" in command, command
        for call in re.findall(r"\S*python\S* scripts/\S+", script):
            assert call.startswith(".venv/bin/python scripts/"), call  # main's scripts, main's venv
    select = next(i for i, s in enumerate(scripts) if "pulumi stack select --cwd program --create" in s)
    up = next(i for i, s in enumerate(scripts) if "pulumi up " in s)
    verify = next(i for i, s in enumerate(scripts) if "scripts/verify_target.py --root program" in s)
    assert verify < select < up
    assert '--secrets-provider "$SECRETS_PROVIDER"' in scripts[select]
    assert "--policy-pack policy" in scripts[up]
    assert '--message "deploy $SHA"' in scripts[up]


def test_the_guide_says_a_re_run_keeps_its_own_commit_s_tooling() -> None:
    """Review of issue 24, point 11: the tooling checkout names no ref, so it is the run's
    GITHUB_SHA, which a re-run keeps (GitHub docs, "Re-running workflows and jobs": a re-run uses
    the GITHUB_SHA and GITHUB_REF of the original event); only a dispatch on main gets main's
    tooling. The guide must not promise today's pipeline to a re-run."""
    tooling = next(s for s in steps(DEPLOY_STACK) if s.get("uses", "").startswith("actions/checkout@"))
    assert "ref" not in tooling["with"]
    guide = CI_CD.read_text()
    assert "re-runs use this run's tooling" not in guide.lower()
    assert "**Re-running an older push run does not.**" in guide
    assert "original `GITHUB_SHA`" in guide


def test_a_deploy_fails_when_ecs_rolled_the_services_back() -> None:
    scripts = [s.get("run", "") for s in steps(DEPLOY_STACK)]
    up = next(i for i, s in enumerate(scripts) if "pulumi up " in s)
    check = step_named(DEPLOY_STACK, "The services run the task definitions")
    assert scripts.index(check["run"]) > up
    for needle in (
        'pulumi stack output --cwd program --stack "$STACK" --json',
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


def concurrency_group(event: str, stack: str) -> str:
    group = DEPLOY_STACK["concurrency"]["group"]
    return group.replace("${{ inputs.stack }}", stack).replace("${{ github.event_name }}", event)


def queue(arrivals: list[tuple[str, str, str]]) -> dict[str, str]:
    """GitHub's concurrency (docs, "Control the concurrency of workflows and jobs"): per group at
    most one running and one pending job; a newly queued job cancels the group's pending one."""
    running: dict[str, str] = {}
    pending: dict[str, str] = {}
    status: dict[str, str] = {}
    for name, event, stack in arrivals:
        group = concurrency_group(event, stack)
        if group not in running:
            running[group], status[name] = name, "running"
            continue
        if group in pending:
            status[pending[group]] = "cancelled"
        pending[group], status[name] = name, "pending"
    return status


def test_a_pending_rollback_is_never_cancelled_by_a_newer_push() -> None:
    """Issue 24, point 15: prod is deploying push A; a rollback is dispatched (pending); push B's
    prod job queues next. The rollback must still run."""
    status = queue([("push A", "push", "prod"), ("rollback", "workflow_dispatch", "prod"), ("push B", "push", "prod")])
    assert status["rollback"] != "cancelled", status
    assert concurrency_group("push", "prod") != concurrency_group("push", "staging")


def sigints_pulumi_receives(command: str) -> int:
    """coreutils timeout.c, `cleanup`: at the deadline it signals the command, and, unless
    --foreground, its own process group too, where the command still is: pulumi gets it twice."""
    return 1 if "--foreground" in command.split("pulumi up", maxsplit=1)[0] else 2


def test_cancellation_and_the_timeout_never_cut_an_apply_short_silently() -> None:
    """Issue 24, points 8 and 11, and its review, points 8 and 9. The job's timeout cancels like a
    click on Cancel: the runner signals the step's shell alone (actions/runner ProcessInvoker.cs),
    never `pulumi up`, which is then killed when the job ends. So the `up` gets exactly one SIGINT
    from `timeout` well before the job's timeout (pulumi takes a second one as "terminate
    immediately": pkg/backend/display, cancellation scope), the credentials outlast the job
    (configure-aws-credentials requests 1 h unless told), the deploy role allows that long, and a
    cancelled run says what it left behind."""
    up = step_named(DEPLOY_STACK, "pulumi up")["run"]
    match = re.search(r"(timeout (?:--\S+ )*--kill-after=(\d+)m (\d+)m)\s+\\?\s*pulumi up ", up)
    assert match, up
    assert "--signal=INT" in match.group(1)
    assert sigints_pulumi_receives(up) == 1, match.group(1)
    kill_after, interrupt_at = int(match.group(2)), int(match.group(3))
    job_minutes = DEPLOY_STACK["timeout-minutes"]
    assert interrupt_at + kill_after < job_minutes
    (credentials,) = [s for s in steps(DEPLOY_STACK) if "configure-aws-credentials" in s.get("uses", "")]
    duration = credentials["with"]["role-duration-seconds"]
    assert duration >= job_minutes * 60
    assert duration <= policies.SESSION_SECONDS["deploy"]
    cancelled = [s for s in steps(DEPLOY_STACK) if s.get("if") == "cancelled()"]
    assert cancelled
    assert "docs/ci-cd.md" in cancelled[0]["run"]


def test_the_guide_describes_cancellation_as_the_runner_does_it() -> None:
    """Review of issue 24, point 9: the runner signals the step's shell only (`kill(_proc.Id, ...)`,
    then Process.Kill of that process: actions/runner src/Runner.Sdk/ProcessInvoker.cs); the `up`
    is killed later, at the job's orphan process cleanup."""
    guide = CI_CD.read_text()
    section = guide[guide.index("**Cancelling a running deploy is not safe.**") :]
    section = section[: section.index("### ")]
    assert "the step's shell" in section
    assert "orphan processes" in section
    assert "`pulumi up` gets no signal" in section


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
    for job in load("preview.yml")["jobs"].values():
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
    for name, job_name in (("drift.yml", "drift"),):
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
                    assert {"role-to-assume", "aws-region", "role-session-name"} <= set(step["with"])
                    assert set(step["with"]) <= {
                        "role-to-assume",
                        "aws-region",
                        "role-session-name",
                        "role-duration-seconds",
                    }


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
    for name, job in (("preview.yml", load("preview.yml")["jobs"]["preview"]), ("deploy-stack.yml", DEPLOY_STACK)):
        scripts = [s.get("run", "") for s in steps(job)]
        select = next(
            i for i, s in enumerate(scripts) if re.search(r"pulumi stack select (--cwd program )?--create", s)
        )
        first = next(i for i, s in enumerate(scripts) if re.search(r"pulumi (up|preview) ", s))
        assert select < first, name
    # drift never creates a stack: it reads the history and exports the state (both fail when it is missing)
    drift = load("drift.yml")["jobs"]["drift"]
    assert 'pulumi stack history --stack "$STACK"' in step_named(drift, "The commit the stack last deployed")["run"]


def declared_secret_keys() -> set[str]:
    """Keys Pulumi.yaml declares `secret: true`: the CLI refuses a plaintext value for each ("must be
    encrypted as it's secret", pulumi/pulumi pkg/workspace/config.go, validateStackConfigValue)."""
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    name = project["name"]
    return {
        key if ":" in key else f"{name}:{key}"
        for key, spec in (project.get("config") or {}).items()
        if isinstance(spec, dict) and spec.get("secret")
    }


def test_the_pull_request_preview_holds_no_secrets_provider_and_no_secret_value(tmp_path: Path) -> None:
    """Issue 24, point 1: no key declared secret reaches the throwaway stack in plain text; each
    secure key is set again with `pulumi config set --secret` after the stack exists."""
    secret_keys = declared_secret_keys()
    assert secret_keys
    (job,) = [j for j in load("preview.yml")["jobs"].values() if "steps" in j and "matrix" in j.get("strategy", {})]
    throwaway = step_named(job, "A throwaway stack")["run"]
    create = throwaway.index("pulumi stack select --create --secrets-provider passphrase")
    assert throwaway.index('scripts/preview_stack_file.py "$ENV_NAME" > secure-keys.txt') < create
    assert (
        create
        < throwaway.index('pulumi config set --secret --stack "$STACK" "$key"')
        < throwaway.index("done < secure-keys.txt")
    )
    stack = {
        "secretsprovider": "awskms://alias/marin-prod-pulumi-state?region=us-east-1",
        "encryptedkey": "AQICAHh...",
        "config": {**{k: {"secure": "v1:abc"} for k in secret_keys}, "marin:azCount": 3},
    }
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack))
    (tmp_path / "Pulumi.yaml").write_text("name: marin\n")
    result = subprocess.run(
        [sys.executable, "scripts/preview_stack_file.py", "prod", "--root", str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    written = yaml.safe_load((tmp_path / "Pulumi.prod.yaml").read_text())
    assert written == {"config": {"marin:azCount": 3}}
    assert not secret_keys & set(written["config"])  # nothing the CLI would refuse
    assert set(result.stdout.split()) == secret_keys
    assert preview_stack_file.main(["qa", "--root", str(tmp_path)]) == 1


# --- preview comment ----------------------------------------------------------------------------------


def compose_comment(tmp_path: Path, outcome: str, preview: str | None) -> str:
    job = load("preview.yml")["jobs"]["preview"]
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
    job = load("preview.yml")["jobs"]["preview"]
    post = step_named(job, "Post or update")
    assert post["if"] == "${{ !cancelled() }}"
    assert 'marker="<!-- pulumi-preview-$ENV_NAME -->"' in post["run"]
    assert "--method PATCH" in post["run"]
    assert post["env"]["GH_TOKEN"] == "${{ github.token }}"


# --- drift ---------------------------------------------------------------------------------------------


def test_drift_runs_nightly_from_main_with_the_readonly_role_of_each_environment() -> None:
    doc = load("drift.yml")
    assert doc["on"]["schedule"]
    job = doc["jobs"]["drift"]
    assert job["environment"] == "${{ matrix.stack }}-readonly"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    check = step_named(job, "Refresh")
    assert "pulumi refresh --cwd program --preview-only --json" in check["run"]
    assert '"${excludes[@]}"' in check["run"]
    assert "pulumi preview --cwd program --json" in check["run"]
    assert "scripts/drift_status.py classify" in check["run"]


def test_drift_previews_the_commit_each_stack_last_deployed() -> None:
    """Issue 24, point 6: a commit merged to main and waiting for its reviewers is not drift."""
    job = load("drift.yml")["jobs"]["drift"]
    deployed = step_named(job, "The commit the stack last deployed")
    assert deployed["id"] == "deployed"
    assert "scripts/drift_status.py deployed-commit history.json" in deployed["run"]
    (program,) = [s for s in steps(job) if (s.get("with") or {}).get("path") == "program"]
    assert program["with"]["ref"] == "${{ steps.deployed.outputs.sha }}"
    history = [
        {"kind": "update", "result": "failed", "environment": {"git.head": SHA_B}},
        {"kind": "refresh", "result": "succeeded", "environment": {"git.head": SHA_B}},
        {"kind": "update", "result": "succeeded", "environment": {"git.head": SHA_A}},
    ]
    assert drift_status.deployed_commit(history) == SHA_A  # newest first: the last successful update
    assert drift_status.deployed_commit([]) is None


def secrets_manager(stack_file: Mapping[str, Any], env: Mapping[str, str]) -> str:
    """The secrets manager the CLI opens an existing stack with (pulumi/pulumi
    pkg/cmd/pulumi/stack/secrets.go, SecretsManagerLoader.GetSecretsManager): the stack file's
    cloud provider (a new data key, kms:Encrypt, when it names no `encryptedkey`: pkg/secrets/cloud,
    `if info.EncryptedKey == "" ... generateNewDataKey`), else its passphrase salt, else the state's
    own manager when PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER is set, else the DIY backend's default:
    a new passphrase manager (pkg/backend/diy/backend.go, DefaultSecretManager)."""
    provider = stack_file.get("secretsprovider") or ""
    if provider not in ("", "default", "passphrase"):
        return "the stack file's data key" if stack_file.get("encryptedkey") else "a new data key (kms:Encrypt)"
    if stack_file.get("encryptionsalt"):
        return "a passphrase (PULUMI_CONFIG_PASSPHRASE)"
    if env.get("PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER") == "true":
        return "the state's data key"
    return "a new passphrase (PULUMI_CONFIG_PASSPHRASE)"


def test_every_job_on_a_real_stack_opens_its_secrets_with_the_state_s_own_key() -> None:
    """Review of issue 24, points 1 and 2: a committed stack file without `encryptedkey` (these
    ship without one; a stack the deploy job created keeps it only in that runner) must neither
    make a new data key (the readonly role may only decrypt) nor fall to a passphrase (none in CI)."""
    jobs = {"deploy-stack.yml": DEPLOY_STACK, "drift.yml": load("drift.yml")["jobs"]["drift"]}
    files = [yaml.safe_load((PROJECT_ROOT / f"Pulumi.{e}.yaml").read_text()) or {} for e in stackfiles.environments()]
    files.append({"secretsprovider": "awskms://alias/marin-qa-pulumi-state?region=us-east-1", "encryptedkey": "AQ=="})
    for name, job in jobs.items():
        assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}", name
        for stack_file in files:
            assert secrets_manager(stack_file, job["env"]) in ("the state's data key", "the stack file's data key"), (
                name,
                stack_file.get("secretsprovider"),
            )


def test_drift_reads_the_state_in_place_and_creates_nothing() -> None:
    """Review of issue 24, point 1: no copy of the state (importing it into a new stack made a new
    data key: AccessDenied for a role that may only decrypt), no `--create`, no file:// backend;
    the refresh and preview take no lock on the self-managed backend (pulumi/pulumi
    pkg/backend/diy/backend.go: Refresh returns in its PreviewOnly branch before b.Lock, 3.229.0,
    #22385; Preview never locks), so they run against the state bucket the role only reads."""
    text = TEXTS["drift.yml"]
    for forbidden in ("stack import", "--create", "file://", "--secrets-provider", "stack select"):
        assert forbidden not in text, forbidden
    check = step_named(load("drift.yml")["jobs"]["drift"], "Refresh")["run"]
    assert 'pulumi refresh --cwd program --preview-only --json --stack "$STACK"' in check
    assert 'pulumi preview --cwd program --json --stack "$STACK"' in check
    export = step_named(load("drift.yml")["jobs"]["drift"], "The commit the stack last deployed")["run"]
    assert 'pulumi stack export --stack "$STACK" --file state.json' in export


def test_a_rotated_operator_secret_is_not_drift(all_inventories: dict[str, Any]) -> None:
    """Issue 24, point 7: the seeded version keeps its own label (components/secrets.py), and the
    documented rotation moves AWSCURRENT to the new value: the check expects the label it carries."""
    for env, inv in all_inventories.items():
        versions = {version: stage for _, version, stage in drift_status.secret_versions(export_of(inv))}
        for r in inv.of_type("aws:secretsmanager/secretVersion:SecretVersion"):
            own = set(r.inputs.get("versionStages") or []) - drift_status.AWS_STAGES
            expected = sorted(own)[0] if own else "AWSCURRENT"
            assert versions[str(r.outputs.get("versionId"))] == expected, (env, r.name)
        assert any(s != "AWSCURRENT" for s in versions.values()), env
    check = step_named(load("drift.yml")["jobs"]["drift"], "Refresh")["run"]
    assert "while read -r secret version stage; do" in check
    assert '*" $stage "*' in check


def test_a_drift_issue_is_assigned_to_the_environment_s_on_call() -> None:
    """Issue 24, point 18: MARIN_DRIFT_ASSIGNEES, set on `<env>-readonly` by the bootstrap."""
    report = step_named(load("drift.yml")["jobs"]["drift"], "Drift opens")
    assert report["env"]["ASSIGNEES"] == "${{ vars.MARIN_DRIFT_ASSIGNEES }}"
    assert '"${assign[@]}"' in report["run"]
    assert '--add-assignee "$ASSIGNEES"' in report["run"]


def test_drift_opens_one_issue_per_environment_and_an_error_fails_as_an_error() -> None:
    job = load("drift.yml")["jobs"]["drift"]
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


def test_deploy_refuses_a_mismatched_target() -> None:
    assert any("scripts/verify_target.py" in s for s in run_scripts("deploy-stack.yml"))


def test_verify_target() -> None:
    """Keyed on what the stack files allow, so it holds with any team's accounts."""
    envs = stackfiles.environments()
    prod_account = json.loads(stackfiles.effective_config("prod")["marin:allowedAccountIds"])[0]
    other = next(a for a in ("111122220000", "999988887777") if a != prod_account)
    assert verify_target.problems("prod", "prod", prod_account) == []
    assert verify_target.problems("prod", "staging", prod_account) == [
        "stack 'prod' is deployed from GitHub environment 'staging'; they must match"
    ]
    assert verify_target.problems("prod", "prod", other) == [
        f"credentials are for account {other}; stack 'prod' allows {prod_account}"
    ]
    assert verify_target.problems("nosuchenv", "nosuchenv", other) == [
        f"stack 'nosuchenv' is not a configured environment ({', '.join(envs)})"
    ]


def guides() -> dict[str, str]:
    return {p.name: p.read_text() for p in [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]}


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```(?:bash|sh)\n(.*?)```", text, re.S)


# --- supply chain (issue 24, point 17) -------------------------------------------------------------------

LOCKS = {
    "requirements.lock": ("requirements.txt", "policy/requirements.txt"),
    "requirements-dev.lock": ("requirements-dev.txt",),
    "bootstrap/requirements.lock": ("bootstrap/requirements.txt",),
}
CI_CD = PROJECT_ROOT / "docs" / "ci-cd.md"
PIN = re.compile(r"^([A-Za-z0-9_.\[\]-]+)==([^\s;\\]+)", re.M)


def install_commands() -> dict[str, list[str]]:
    """Every `pip install` a workflow, the setup action, .ci/run or the README runs."""
    texts = {
        **{f"workflows/{n}": t for n, t in TEXTS.items()},
        **{str(p.relative_to(PROJECT_ROOT)): p.read_text() for p in ACTION_FILES},
        ".ci/run": (PROJECT_ROOT / ".ci" / "run").read_text(),
        **{name: "\n".join(code_blocks(text)) for name, text in guides().items()},
    }
    return {f: re.findall(r"pip install[^\n&;]*", t) for f, t in texts.items()}


def test_every_install_is_pinned_by_hash() -> None:
    """`--require-hashes` makes pip refuse any distribution whose hash the lock does not list,
    dependencies included (pip docs, "Secure installs: hash-checking mode")."""
    commands = install_commands()
    for must in (
        "workflows/pr-offline.yml",
        ".github/actions/setup/action.yml",
        ".ci/run",
        "README.md",
        "ci-cd.md",
    ):
        assert commands[must], must
    for file, found in commands.items():
        for command in found:
            if '"$PROGRAM/requirements.txt"' in command:
                continue  # a program commit older than its lock: warned about, in the setup action
            assert "--require-hashes" in command, f"{file}: {command}"
            assert re.search(r"-r \S*requirements(-dev)?\.lock\b", command), f"{file}: {command}"


def unpinned(requirements: str) -> list[str]:
    """Requirement lines that are not an exact `name==version` pin (`-r` includes and comments aside):
    the lock check below sees `==` pins only, so `pydantic>=2` would pass it while missing from the lock."""
    lines = (line.split("#")[0].strip() for line in requirements.splitlines())
    exact = re.compile(PIN.pattern + r"\s*(;.*)?")  # an environment marker may follow
    return [line for line in lines if line and not line.startswith("-r ") and not exact.fullmatch(line)]


def test_a_requirement_that_is_not_an_exact_pin_is_refused() -> None:
    """Review of issue 24, point 12: every line of every requirements file the locks come from."""
    pinned = "-r a.txt\npulumi==3.272.0  # the SDK\npyright[nodejs]==1.1.414\nx==1; python_version<'3.12'\n"
    assert unpinned(pinned) == []
    assert unpinned("pydantic>=2\nmoto\nboto3~=1.44\n-e .\n") == ["pydantic>=2", "moto", "boto3~=1.44", "-e ."]
    for sources in LOCKS.values():
        for source in sources:
            assert unpinned((PROJECT_ROOT / source).read_text()) == [], source


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_each_lock_holds_every_top_level_pin_with_its_hashes(lock: str) -> None:
    text = (PROJECT_ROOT / lock).read_text()
    locked = {name.lower().split("[")[0]: version for name, version in PIN.findall(text)}
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[-1])
    for entry in entries:
        if PIN.match(entry):
            assert "--hash=sha256:" in entry, entry.splitlines()[0]
    pins: dict[str, str] = {}
    queue = list(LOCKS[lock])
    while queue:
        source = (PROJECT_ROOT / queue.pop()).read_text()
        queue += re.findall(r"^-r (\S+)", source, re.M)
        pins.update({n.lower().split("[")[0]: v for n, v in PIN.findall(source)})
    assert pins
    for name, version in pins.items():
        assert locked.get(name) == version, f"{lock}: {name}=={version} (regenerate: see its header)"


def test_the_pulumi_cli_is_checked_by_sha256_before_it_is_unpacked() -> None:
    setup = (GITHUB / "actions" / "setup" / "action.yml").read_text()
    assert not re.search(r"curl[^\n]*\|\s*(sh|bash)", setup + "".join(TEXTS.values()))
    assert setup.index("sha256sum --check --strict") < setup.index("tar -xzf")
    assert "pulumi-${version}-checksums.txt" in setup


# --- the guide (docs/ci-cd.md) says what the workflows do ------------------------------------------------


def test_a_file_backend_login_creates_its_folder_first() -> None:
    """Issue 24, point 2: `pulumi login file://<dir>` fails when <dir> does not exist (pulumi/pulumi#15841)."""
    logins = 0
    for name, text in guides().items():
        for block in code_blocks(text):
            for match in re.finditer(r"pulumi login file://([^\s`]+)", block):
                logins += 1
                folder = match.group(1)
                assert f"mkdir -p {folder}" in block[: match.start()], f"{name}: {match.group(0)}"
    assert logins


def test_the_guide_never_calls_cancelling_a_deploy_safe() -> None:
    """Issue 24, point 8: a cancelled `up` is killed mid-operation (test above)."""
    for name, text in guides().items():
        for sentence in re.split(r"(?<=[.!?])\s", text):
            if re.search(r"cancel", sentence, re.I) and re.search(r"\bsafe\b", sentence, re.I):
                assert re.search(r"\bnot safe\b", sentence, re.I), f"{name}: {sentence}"
    guide = CI_CD.read_text()
    assert "**Cancelling a running deploy is not safe.**" in guide
    heading = re.search(r"'([^']+)'", step_named(DEPLOY_STACK, "A cancelled deploy")["run"])
    assert heading
    assert f"### {heading.group(1)}" in guide


def test_the_guide_documents_what_protects_prod_without_required_reviewers() -> None:
    """Issue 24, point 13: required reviewers on a private repository need GitHub Enterprise."""
    guide = CI_CD.read_text()
    assert "**Fallback on a private repository without GitHub Enterprise.**" in guide
    assert "requiredReviewersAvailable: false" in guide
    assert "requiredReviewersAvailable" in bootstrap_config.KEYS


def test_the_guide_warns_that_schedules_stop_after_60_quiet_days() -> None:
    """Issue 24, point 18 (GitHub docs, "Disabling and enabling a workflow": public repositories)."""
    assert "disables scheduled workflows after 60 days" in CI_CD.read_text()


def test_the_guide_names_no_token_export_and_no_hand_set_secret() -> None:
    """Issue 24, points 5 and 10: the bootstrap runbook exports no GITHUB_TOKEN and sets every
    environment secret through the bootstrap (sealed), never `gh secret set` without --no-store."""
    for name, text in guides().items():
        assert not re.search(r"export [^\n]*GITHUB_TOKEN=", text), name
        for command in re.findall(r"gh secret set [^\n]*", text):
            assert "--no-store" in command, f"{name}: {command}"
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "(docs/ci-cd.md)" in readme
