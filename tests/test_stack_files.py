"""The committed project files: declarations match the schema, the template cannot rot."""

from __future__ import annotations

import pytest
import yaml

from marin import declarations, stackfiles
from marin.config import SCHEMA, ConfigError, environment_problems, parse
from tests.conftest import ENVS
from tests.test_new_environment import LONG_LIVED, filled

TEMPLATE = stackfiles.PROJECT_ROOT / "templates" / "Pulumi.ENV.yaml"


def test_pulumi_yaml_declares_exactly_the_schema() -> None:
    project = stackfiles.project_file()
    declared = {k: v for k, v in project["config"].items() if ":" not in k}
    assert declared == declarations.declarations(), "run `python -m marin.declarations --write`"


def test_default_providers_are_disabled_for_aws_and_atlas() -> None:
    value = stackfiles.project_file()["config"]["pulumi:disable-default-providers"]["value"]
    assert {"aws", "mongodbatlas"} <= set(value)


@pytest.mark.parametrize("env", ENVS)
def test_stack_file_sets_every_required_key_itself(env: str) -> None:
    own = stackfiles.stack_config(env)
    assert {k.full_name for k in SCHEMA if k.required} <= set(own)


def test_template_sets_every_key_that_varies_between_environments() -> None:
    template = stackfiles.config_of(stackfiles.read_yaml(TEMPLATE))
    committed = [stackfiles.stack_config(e) for e in stackfiles.environments()]
    varying = {k for c in committed for k in c} - {"pulumi:disable-default-providers"}
    assert varying <= set(template)


def _filled_template() -> dict[str, str]:
    text = TEMPLATE.read_text(encoding="utf-8")
    for placeholder, answer in filled(LONG_LIVED).items():  # what an operator fills in for a new `qa`
        text = text.replace(placeholder, answer)
    assert "REPLACE_WITH" not in text, "the template has a placeholder this test does not fill"
    return {**stackfiles.project_defaults(), **stackfiles.config_of(yaml.safe_load(text))}


def test_filled_in_template_validates_as_a_new_environment() -> None:
    raw = _filled_template()
    config = parse(LONG_LIVED, raw)
    assert environment_problems(stackfiles.all_environments() | {LONG_LIVED: raw}) == []
    assert config.names.recordings_bucket == f"marin-{LONG_LIVED}-call-recordings"


def test_unfilled_template_is_refused_naming_each_placeholder() -> None:
    raw = {**stackfiles.project_defaults(), **stackfiles.config_of(stackfiles.read_yaml(TEMPLATE))}
    with pytest.raises(ConfigError) as caught:
        parse(LONG_LIVED, raw)
    for key in ("allowedAccountIds", "costCenter", "vpcCidr"):
        assert f"marin:{key}=" in str(caught.value)
        assert "still the template's placeholder" in str(caught.value)
