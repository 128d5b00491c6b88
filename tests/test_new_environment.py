"""Adding an environment keeps CI green: follow docs/environments.md "Adding an environment" in a
copy of the repository (a `qa` stack from the template), then run the suite's invariant modules
there and show they hold for every stack, the new one included."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from marin.stackfiles import PROJECT_ROOT
from offline import cli
from tests.conftest import run_process, start_early

# Invariant modules: every test in them is parametrised over the copy's stacks or reads them.
INVARIANT_MODULES = (
    "tests/test_foundation.py",
    "tests/test_tiers.py",
    "tests/test_isolation.py",
    "tests/test_cost.py",
    "tests/test_docs.py",
    "tests/test_stack_files.py",
    "tests/test_config_validation.py",
    "tests/test_naming.py",
)
# Example identities, as every committed stack carries (a real deploy refuses them until replaced).
FILLED = {
    "REPLACE_WITH_12_DIGIT_ACCOUNT_ID": "123456789012",
    "REPLACE_WITH_COST_CENTER": "marin-qa",
    "REPLACE_WITH_FREE_PRIVATE_CIDR": "10.40.0.0/16",
    "REPLACE_WITH_ATLAS_ORG_ID": "64c0ffee00000000000000aa",
    "REPLACE_WITH_PINNED_API_IMAGE": "123456789012.dkr.ecr.us-east-1.amazonaws.com/marin/api:1.0.0",
    "REPLACE_WITH_PINNED_WORKER_IMAGE": "123456789012.dkr.ecr.us-east-1.amazonaws.com/marin/worker:1.0.0",
}


def qa_stack_file() -> str:
    text = (PROJECT_ROOT / "templates" / "Pulumi.ENV.yaml").read_text(encoding="utf-8")
    for placeholder, value in FILLED.items():
        text = text.replace(placeholder, value)
    assert not re.search(r"REPLACE_WITH_\w+", text)
    return text


def copy_repo(target: Path) -> Path:
    files = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "ls-files", "-co", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in files:
        src = PROJECT_ROOT / name
        if src.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / name)
    return target


def python(repo: Path, *args: str, **extra_env: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_CONFIG", "PYTEST_", "MARIN_TEST"))}
    env |= extra_env
    done = run_process([sys.executable, *args], cwd=repo, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def follow_the_guide(tmp: Path) -> dict[str, str]:
    """The guide's steps in a fresh copy of the repository, then the invariant modules there.
    Two processes, most of this module's time: started as the session starts (`start_early`),
    they run beside the rest of the suite."""
    try:
        repo = copy_repo(tmp / "repo")
        # 1. the stack file, from the template, placeholders filled
        (repo / "Pulumi.qa.yaml").write_text(qa_stack_file(), encoding="utf-8")
        # 2. its usage assumptions (here: dev's, the template is dev-like)
        usage_path = repo / "pricing" / "usage.yaml"
        usage = yaml.safe_load(usage_path.read_text(encoding="utf-8"))
        usage_path.write_text(
            usage_path.read_text(encoding="utf-8")
            + "  qa:\n"
            + "".join(f"    {k}: {v}\n" for k, v in usage["environments"]["dev"].items()),
            encoding="utf-8",
        )
        # 3. the generated tables (config and cost), as the guide says
        regen = python(repo, "scripts/regen_docs.py")
        readme = (repo / "README.md").read_text(encoding="utf-8")
        # 4. the invariants, for qa (dev, staging and prod are this suite's own, on the same
        # files); tests across stacks still read all four. The docs' commands: the suite's own.
        tests = python(
            repo,
            "-m",
            "pytest",
            "-o",
            "addopts=--strict-markers",
            "-v",
            "-p",
            "no:cacheprovider",
            "-x",
            "-k",
            "not offline_command_in_the_docs",
            *INVARIANT_MODULES,
            MARIN_TEST_STACKS="qa",
        )
        stacks = python(
            repo, "-c", "from tests.conftest import ALL_ENVS, ENVS; print(ALL_ENVS, ENVS)", MARIN_TEST_STACKS="qa"
        )
        return {"regen": regen, "readme": readme, "tests": tests, "stacks": stacks}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@start_early(follow_the_guide)
def test_a_new_environment_from_the_template_keeps_every_invariant(early: dict[str, str]) -> None:
    assert "updated docs/environments.md" in early["regen"]
    assert "| prod | qa |" in early["readme"]
    out = early["tests"]
    summary = out.splitlines()[-1]
    assert re.search(r"=+ \d+ passed\b", summary), out[-2000:]
    assert not re.search(r"\b(failed|errors?)\b", summary), out[-2000:]
    assert " FAILED" not in out, out[-2000:]
    assert " ERROR" not in out, out[-2000:]
    by_stack = re.findall(r"^tests/\S+\[(dev|staging|prod|qa)\] PASSED", out, re.M)
    assert by_stack.count("qa") >= 40, "the per-stack invariants ran for qa"
    assert set(by_stack) == {"qa"}, "and only for qa"
    # ...and the suite's stacks are the copy's
    assert early["stacks"].strip() == "['dev', 'staging', 'prod', 'qa'] ['qa']"


def test_cost_flags_an_environment_priced_on_default_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.qa.yaml").write_text(qa_stack_file(), encoding="utf-8")
    assert cli.main(["--stack-dir", str(tmp_path), "cost", "qa"]) == 0
    out = capsys.readouterr().out
    assert "note: qa is priced on the default usage assumptions" in out
    assert cli.main(["cost", "dev"]) == 0
    assert "default usage" not in capsys.readouterr().out
