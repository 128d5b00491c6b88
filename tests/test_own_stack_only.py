"""The program reads only its own stack's config; what spans environments is checked offline/CI.

A broken `Pulumi.dev.yaml` (here `aws:region`, which this program refuses) must not stop prod's
`up`: the program run for prod never opens another stack's file. The checks across environments
(`marin.config.environment_problems`) run over every stack file in the tests and the offline plan.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from marin import stackfiles
from marin.config import ConfigError
from offline import engine
from tests.test_new_environment import LONG_LIVED


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's files a run reads: Pulumi.yaml and every stack file."""
    for path in stackfiles.PROJECT_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_a_broken_stack_file_of_another_environment_does_not_stop_this_one(project: Path) -> None:
    prod = stackfiles.effective_config("prod", project)
    dev_file = project / "Pulumi.dev.yaml"
    dev_file.write_text(dev_file.read_text(encoding="utf-8") + "  aws:region: eu-west-1\n", encoding="utf-8")
    with pytest.raises(stackfiles.StackFileError, match="aws:region"):
        stackfiles.stack_config("dev", project)  # it is broken, and the offline tools say so
    inv = engine.run("prod", config=prod, stack_dir=project)
    assert inv.outputs["environment"] == "prod"


def test_a_stack_without_its_own_stack_file_is_refused_in_one_line(project: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        engine.run(LONG_LIVED, config=stackfiles.effective_config("dev", project), stack_dir=project)
    assert refused.value.problems == [
        f"stack '{LONG_LIVED}' has no Pulumi.{LONG_LIVED}.yaml: add it from templates/Pulumi.ENV.yaml "
        "(docs/environments.md: Adding an environment)"
    ]


def set_key(path: Path, key: str, value: object) -> None:
    """`key` set in the stack file, whether or not it is there already (a team may have set it)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["config"][key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_a_plaintext_value_of_a_secret_key_in_a_stack_file_is_refused(project: Path) -> None:
    dev_file = project / "Pulumi.dev.yaml"
    set_key(dev_file, "marin:transcriptionApiKey", "sk-live-X")
    with pytest.raises(stackfiles.StackFileError) as refused:
        stackfiles.stack_config("dev", project)
    assert str(refused.value) == (
        f"{dev_file}: marin:transcriptionApiKey is a secret but the stack holds it in plaintext: "
        "`pulumi config set --secret marin:transcriptionApiKey <value>`"
    )
    assert "sk-live-X" not in str(refused.value)


def test_an_encrypted_value_of_a_secret_key_is_read_as_the_cli_reads_it(project: Path) -> None:
    dev_file = project / "Pulumi.dev.yaml"
    set_key(dev_file, "marin:transcriptionApiKey", {"secure": "v1:abc"})
    assert "marin:transcriptionApiKey" not in stackfiles.stack_config("dev", project)
