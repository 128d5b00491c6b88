"""The README's two fresh-machine commands stay the ones CI runs."""

from __future__ import annotations

import re

from marin.stackfiles import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
CI = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def readme_command(number: int) -> str:
    match = re.search(rf"# {number}\. .*\n(.+)\n```", README)
    assert match, f"README has no command {number}"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    command = readme_command(2)
    assert command.endswith("-m pytest")
    assert command in CI.splitlines()


def test_readme_main_job_runs_the_offline_plan_that_ci_runs() -> None:
    command = readme_command(1)
    assert command.endswith(".venv/bin/python -m offline plan")
    assert ".venv/bin/python -m offline plan" in CI
