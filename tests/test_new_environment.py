"""Adding an environment keeps CI green: a `qa` stack rendered from templates/Pulumi.ENV.yaml, as
docs/environments.md "Adding an environment" says, beside the committed stacks, passes the suite's
per-stack invariants (every test of the invariant modules that reads only a stack's inventory and
config), and clashes with none of them."""

from __future__ import annotations

import inspect
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from marin import stackfiles
from marin.config import environment_problems, parse
from marin.stackfiles import PROJECT_ROOT
from offline import cli, engine
from tests import test_foundation, test_isolation, test_tiers
from tests.conftest import ENVS, inventory_of

# Example identities, as every committed stack carries (a real deploy refuses them until replaced).
FILLED = {
    "REPLACE_WITH_12_DIGIT_ACCOUNT_ID": "123456789012",
    "REPLACE_WITH_COST_CENTER": "marin-qa",
    "REPLACE_WITH_FREE_PRIVATE_CIDR": "10.40.0.0/16",
    "REPLACE_WITH_ATLAS_ORG_ID": "64c0ffee00000000000000aa",
    "REPLACE_WITH_PINNED_API_IMAGE": "123456789012.dkr.ecr.us-east-1.amazonaws.com/marin/api:1.0.0",
    "REPLACE_WITH_PINNED_WORKER_IMAGE": "123456789012.dkr.ecr.us-east-1.amazonaws.com/marin/worker:1.0.0",
}
PER_STACK = {"env", "inv", "config", "committed", "all_inventories"}


def qa_stack_file() -> str:
    text = (PROJECT_ROOT / "templates" / "Pulumi.ENV.yaml").read_text(encoding="utf-8")
    for placeholder, value in FILLED.items():
        text = text.replace(placeholder, value)
    assert not re.search(r"REPLACE_WITH_\w+", text)
    return text


def invariants() -> Iterator[Callable[..., None]]:
    """The per-stack tests of the invariant modules: fixtures only from PER_STACK, no other parameter."""
    for module in (test_foundation, test_tiers, test_isolation):
        for name, test in vars(module).items():
            if not (name.startswith("test_") and inspect.isfunction(test)) or hasattr(test, "pytestmark"):
                continue
            wanted = set(inspect.signature(test).parameters)
            if wanted & {"env", "inv"} and wanted <= PER_STACK:
                yield test


@pytest.fixture(scope="module")
def qa_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's files with a `qa` stack file from the template."""
    root = tmp_path_factory.mktemp("qa")
    for path in PROJECT_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, root / path.name)
    (root / "Pulumi.qa.yaml").write_text(qa_stack_file(), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def qa(qa_project: Path) -> dict[str, Any]:
    committed = stackfiles.all_environments(qa_project)
    inv = engine.run("qa", stack_dir=qa_project)
    return {
        "env": "qa",
        "inv": inv,
        "config": parse("qa", committed["qa"]),
        "committed": committed,
        "all_inventories": {**{e: inventory_of(e) for e in ENVS}, "qa": inv},
    }


def test_there_are_per_stack_invariants_to_keep() -> None:
    assert len(list(invariants())) >= 40


@pytest.mark.parametrize("invariant", list(invariants()), ids=lambda t: f"{t.__module__.split('.')[-1]}.{t.__name__}")
def test_a_new_environment_from_the_template_keeps_every_invariant(
    invariant: Callable[..., None], qa: dict[str, Any]
) -> None:
    invariant(**{name: qa[name] for name in inspect.signature(invariant).parameters})


def test_a_new_environment_from_the_template_clashes_with_no_committed_one(qa_project: Path) -> None:
    assert stackfiles.environments(qa_project) == [*ENVS, "qa"]
    assert environment_problems(stackfiles.all_environments(qa_project)) == []


def test_cost_flags_an_environment_priced_on_default_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.qa.yaml").write_text(qa_stack_file(), encoding="utf-8")
    assert cli.main(["--stack-dir", str(tmp_path), "cost", "qa"]) == 0
    out = capsys.readouterr().out
    assert "note: qa is priced on the default usage assumptions" in out
    assert cli.main(["cost", "dev"]) == 0
    assert "default usage" not in capsys.readouterr().out
