"""Adding an environment keeps CI green: docs/environments.md "Adding an environment" followed
step by step in a copy of the project, for a long-lived `qa` and a short-lived `pr123`: the stack
file from templates/Pulumi.ENV.yaml, the bootstrap stack file, the usage entry; the result passes
the suite's per-stack invariants (every test of the invariant modules that reads only a stack's
inventory and config), clashes with no committed stack and joins the promotion chain the workflows
read."""

from __future__ import annotations

import inspect
import ipaddress
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from marin import stackfiles
from marin.config import environment_problems, parse
from marin.stackfiles import PROJECT_ROOT
from offline import cli, engine
from tests import test_foundation, test_isolation, test_tiers
from tests.conftest import ENVS, inventory_of

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
sys.path.insert(0, str(PROJECT_ROOT / "bootstrap"))
import promotion
from marin_bootstrap import config as bootstrap_config


def unused(name: str) -> str:
    """`name`, or a variant of it when a team has committed a stack of that name already."""
    return next(n for n in (name, *(f"{name}{i}" for i in range(2, 10))) if n not in ENVS)


LONG_LIVED, SHORT_LIVED = unused("qa"), unused("pr123")
NEW = (LONG_LIVED, SHORT_LIVED)


def free_cidr(taken: list[str]) -> str:
    """A 10.x.0.0/16 that no committed stack and not the guide's suggestion (10.40) uses: what a team
    picks, so the test keeps working whatever CIDRs the committed stacks hold."""
    used = {ipaddress.ip_network(c) for c in [*taken, "10.40.0.0/16"]}
    return next(
        str(n)
        for x in range(41, 255)
        if not any((n := ipaddress.ip_network(f"10.{x}.0.0/16")).overlaps(u) for u in used)
    )


def filled(env: str, root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Step 1's values: example identities (a real deploy refuses them until replaced), a free CIDR."""
    taken = [c["marin:vpcCidr"] for c in stackfiles.all_environments(root).values()]
    return {
        "REPLACE_WITH_12_DIGIT_ACCOUNT_ID": "123456789012",
        "REPLACE_WITH_COST_CENTER": f"marin-{env}",
        "REPLACE_WITH_FREE_PRIVATE_CIDR": free_cidr(taken),
        "REPLACE_WITH_ATLAS_ORG_ID": "64c0ffee00000000000000aa",
        "REPLACE_WITH_PINNED_API_IMAGE": "123456789012.dkr.ecr.us-east-1.amazonaws.com/marin/api:1.0.0",
        "REPLACE_WITH_PINNED_WORKER_IMAGE": "123456789012.dkr.ecr.us-east-1.amazonaws.com/marin/worker:1.0.0",
    }


def qa_stack_file(env: str = "qa", root: Path = PROJECT_ROOT) -> str:
    text = (PROJECT_ROOT / "templates" / "Pulumi.ENV.yaml").read_text(encoding="utf-8")
    for placeholder, value in filled(env, root).items():
        text = text.replace(placeholder, value)
    assert not re.search(r"REPLACE_WITH_\w+", text)
    return text


def add_environment(root: Path, env: str) -> None:
    """docs/environments.md, "Adding an environment", steps 1-3, in the project copy `root`."""
    # 1. the stack file
    (root / f"Pulumi.{env}.yaml").write_text(qa_stack_file(env, root), encoding="utf-8")
    # 2. the bootstrap stack file: a copy of the first environment's with this account and region;
    # a long-lived environment follows the first one (which the next one then follows), a
    # short-lived one goes last
    chain = promotion.order(root / "bootstrap")
    after = chain[0] if env == LONG_LIVED else chain[-1]
    app = stackfiles.effective_config(env, root)
    boot = yaml.safe_load((root / "bootstrap" / f"Pulumi.{chain[0]}.yaml").read_text(encoding="utf-8"))
    boot["config"] |= {
        "marin-bootstrap:accountId": json.loads(app["marin:allowedAccountIds"])[0],
        "marin-bootstrap:region": app["marin:awsRegion"],
        "marin-bootstrap:promotedFrom": after,
    }
    (root / "bootstrap" / f"Pulumi.{env}.yaml").write_text(yaml.safe_dump(boot, sort_keys=False), encoding="utf-8")
    for following in chain[chain.index(after) + 1 : chain.index(after) + 2]:
        path = root / "bootstrap" / f"Pulumi.{following}.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(f"promotedFrom: {after}", f"promotedFrom: {env}"), encoding="utf-8")
    # 3. the usage entry
    usage_file = root / "pricing" / "usage.yaml"
    usage = yaml.safe_load(usage_file.read_text(encoding="utf-8"))
    usage["environments"][env] = dict(usage["environments"][chain[0]])
    usage_file.write_text(yaml.safe_dump(usage, sort_keys=False), encoding="utf-8")


PER_STACK = {"env", "inv", "config", "committed", "all_inventories"}


def invariants() -> Iterator[Callable[..., None]]:
    """The per-stack tests of the invariant modules: fixtures only from PER_STACK, no other parameter."""
    for module in (test_foundation, test_tiers, test_isolation):
        for name, test in vars(module).items():
            if not (name.startswith("test_") and inspect.isfunction(test)) or hasattr(test, "pytestmark"):
                continue
            wanted = set(inspect.signature(test).parameters)
            if wanted & {"env", "inv"} and wanted <= PER_STACK:
                yield test


@pytest.fixture(scope="module", params=NEW)
def qa_project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A copy of the project's stack files, bootstrap stack files and usage file, with the
    environment added as the guide says."""
    env = request.param
    root = tmp_path_factory.mktemp(env)
    for path in [*PROJECT_ROOT.glob("Pulumi*.yaml"), *PROJECT_ROOT.glob("bootstrap/Pulumi*.yaml")]:
        (root / path.parent.relative_to(PROJECT_ROOT)).mkdir(exist_ok=True)
        shutil.copy(path, root / path.relative_to(PROJECT_ROOT))
    (root / "pricing").mkdir()
    shutil.copy(PROJECT_ROOT / "pricing" / "usage.yaml", root / "pricing" / "usage.yaml")
    add_environment(root, env)
    return env, root


@pytest.fixture(scope="module")
def qa(qa_project: tuple[str, Path]) -> dict[str, Any]:
    env, root = qa_project
    committed = stackfiles.all_environments(root)
    inv = engine.run(env, stack_dir=root)
    return {
        "env": env,
        "inv": inv,
        "config": parse(env, committed[env]),
        "committed": committed,
        "all_inventories": {**{e: inventory_of(e) for e in ENVS}, env: inv},
    }


def test_there_are_per_stack_invariants_to_keep() -> None:
    assert len(list(invariants())) >= 40


@pytest.mark.parametrize("invariant", list(invariants()), ids=lambda t: f"{t.__module__.split('.')[-1]}.{t.__name__}")
def test_a_new_environment_from_the_template_keeps_every_invariant(
    invariant: Callable[..., None], qa: dict[str, Any]
) -> None:
    invariant(**{name: qa[name] for name in inspect.signature(invariant).parameters})


def test_a_new_environment_from_the_template_clashes_with_no_committed_one(qa_project: tuple[str, Path]) -> None:
    env, root = qa_project
    assert sorted(stackfiles.environments(root)) == sorted([*ENVS, env])
    assert environment_problems(stackfiles.all_environments(root)) == []


def test_a_new_environment_joins_the_chain_the_workflows_deploy(qa_project: tuple[str, Path]) -> None:
    env, root = qa_project
    chain = promotion.order()
    assert promotion.order(root / "bootstrap") == ([chain[0], env, *chain[1:]] if env == LONG_LIVED else [*chain, env])
    raw = stackfiles.effective_config(env, root / "bootstrap")
    assert bootstrap_config.load(env, raw, stackfiles.all_environments(root)).env == env


def test_a_new_environment_is_priced_on_its_own_usage(
    qa_project: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env, root = qa_project
    monkeypatch.setattr("marin.cost.PRICING_DIR", root / "pricing")
    shutil.copy(PROJECT_ROOT / "pricing" / "prices.yaml", root / "pricing" / "prices.yaml")
    assert cli.main(["--stack-dir", str(root), "cost", env]) == 0
    assert "default usage" not in capsys.readouterr().out


def test_cost_flags_an_environment_priced_on_default_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / f"Pulumi.{LONG_LIVED}.yaml").write_text(qa_stack_file(LONG_LIVED), encoding="utf-8")
    assert cli.main(["--stack-dir", str(tmp_path), "cost", LONG_LIVED]) == 0
    out = capsys.readouterr().out
    assert f"note: {LONG_LIVED} is priced on the default usage assumptions" in out
    assert cli.main(["cost", "dev"]) == 0
    assert "default usage" not in capsys.readouterr().out
