"""Promotion by commit, proven from GitHub's own record.

    python scripts/promotion.py order                          # JSON: the environments, in promotion order
    python scripts/promotion.py gate --stack prod --sha <40-hex commit> --repo owner/name

`order` chains the bootstrap stacks (`bootstrap/Pulumi.<env>.yaml`) by `marin-bootstrap:promotedFrom`:
the deploy, preview and drift workflows read their environments from it, so a new environment is a
new bootstrap stack file. `gate` refuses to deploy `--sha` to `--stack` unless the commit is an
ancestor of origin/main and, when the stack is promoted from another environment, that environment
deployed the commit successfully: a `push` run of `.github/workflows/deploy.yml` on main at that
commit whose job `up (<environment>)` concluded `success` (the job bound to the GitHub Environment;
it fails when ECS rolled the services back). Runs and job conclusions are written by GitHub alone;
deployment statuses are not (any token with `deployments: write` creates them) and Pulumi's update
history is written by the deploy role, so neither counts.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marin import stackfiles
from marin.config import ENV_NAME

SHA = re.compile(r"^[0-9a-f]{40}$")
BOOTSTRAP = stackfiles.PROJECT_ROOT / "bootstrap"
DEPLOY_WORKFLOW = ".github/workflows/deploy.yml"
KEY = "marin-bootstrap:promotedFrom"
# The application's rule (marin.config.ENV_NAME); it also keeps the repository variables the
# bootstrap names after the environment (AWS_PREVIEW_ROLE_ARN_<ENV>) valid: GitHub allows letters,
# digits and `_` in a variable's name, so `qa-eu` would fail there.
ALLOWED_NAME = "2-10 lowercase letters and digits, starting with a letter (as the application requires)"


class PromotionError(ValueError):
    pass


def order(root: Path = BOOTSTRAP) -> list[str]:
    """The bootstrap stacks as one chain: the first promoted from nothing, each next from the one before."""
    after = {env: stackfiles.effective_config(env, root).get(KEY, "") for env in stackfiles.environments(root)}
    for env in after:
        if not ENV_NAME.fullmatch(env):
            raise PromotionError(f"bootstrap/Pulumi.{env}.yaml: environment name {env!r}: allowed: {ALLOWED_NAME}")
    chain = [env for env, previous in after.items() if not previous]
    if len(chain) != 1:
        raise PromotionError(f"{KEY}: exactly one environment may have none; these have none: {chain}")
    while True:
        following = [env for env, previous in after.items() if previous == chain[-1]]
        if len(following) > 1:
            raise PromotionError(f"{KEY}: {following} all follow {chain[-1]!r}; allowed: one chain")
        if not following:
            break
        chain.append(following[0])
    if len(chain) != len(after):
        left = sorted(set(after) - set(chain))
        raise PromotionError(f"{KEY}: {left} are not reached from {chain[0]!r}; allowed: one chain")
    return chain


def problems(runs: list[dict[str, Any]], sha: str, environment: str, on_main: bool) -> list[str]:
    """`runs`: GitHub's runs of the deploy workflow at `sha`, each with its `jobs` (name, conclusion)."""
    if not SHA.fullmatch(sha):
        return [f"sha={sha!r}: allowed: a full 40-character lowercase commit SHA"]
    if not on_main:
        return [f"{sha[:12]} is not an ancestor of origin/main: only commits on main are deployed"]
    if not environment:
        return []
    deployed = [
        run
        for run in runs
        if run.get("event") == "push"
        and run.get("head_branch") == "main"
        and run.get("head_sha") == sha
        # GitHub's run `path` may carry the ref: ".github/workflows/build.yml@main" (REST docs' example)
        and str(run.get("path", "")).split("@")[0] == DEPLOY_WORKFLOW
        and any(
            job.get("name", "").endswith(f"up ({environment})") and job.get("conclusion") == "success"
            for job in run.get("jobs") or []
        )
    ]
    if deployed:
        return []
    return [
        f"{environment} has no successful deployment of {sha[:12]} (a push run of deploy.yml on main): "
        "deploy it there first"
    ]


def gh(path: str) -> Any:
    out = subprocess.run(["gh", "api", path], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def runs_of(repo: str, sha: str, fetch: Callable[[str], Any] = gh) -> list[dict[str, Any]]:
    found = fetch(f"repos/{repo}/actions/workflows/deploy.yml/runs?head_sha={sha}&event=push&per_page=100")
    runs = found.get("workflow_runs") or []
    for run in runs:
        run["jobs"] = fetch(f"repos/{repo}/actions/runs/{run['id']}/jobs?filter=all&per_page=100").get("jobs") or []
    return runs


def on_main(sha: str) -> bool:
    return subprocess.run(["git", "merge-base", "--is-ancestor", sha, "origin/main"], check=False).returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("order")
    gate = sub.add_parser("gate")
    gate.add_argument("--stack", required=True)
    gate.add_argument("--sha", required=True)
    gate.add_argument("--repo", required=True, help="owner/name")
    args = parser.parse_args(argv)
    try:
        chain = order()
    except PromotionError as error:
        print(f"::error::{error}")
        return 1
    if args.command == "order":
        print(json.dumps(chain))
        return 0
    if args.stack not in chain:
        print(f"::error::stack {args.stack!r}: allowed: {', '.join(chain)}")
        return 1
    previous = stackfiles.effective_config(args.stack, BOOTSTRAP).get(KEY, "")
    runs = runs_of(args.repo, args.sha) if previous and SHA.fullmatch(args.sha) else []
    found = problems(runs, args.sha, previous, SHA.fullmatch(args.sha) is not None and on_main(args.sha))
    for p in found:
        print(f"::error::{p}")
    if not found:
        print(f"promotion allowed: {args.sha} to {args.stack}" + (f" ({previous} deployed it)" if previous else ""))
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
