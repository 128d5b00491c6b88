"""Every key, every change (issue 22), on a sample: the full matrix is `python -m offline keys`, a CI
step over every committed stack. Here one key of each kind, on each committed stack, through the
same code: no change fails, and what it replaces is in the key's declared `changing` text, the
configuration table's "changing it" column."""

from __future__ import annotations

import re

import pytest

from marin.config import SCHEMA_BY_NAME
from offline import keys, report
from offline.engine import run_cached

SAMPLE = ("flowLogs", "natMode", "redisNodeType", "apiImage", "logRetentionDays", "availabilityZoneIds")


@pytest.mark.parametrize("name", SAMPLE)
def test_changing_a_key_does_what_its_declaration_says(
    env: str, committed: dict[str, dict[str, str]], name: str
) -> None:
    raw = committed[env]
    base = report.to_doc(run_cached(env, config=raw, id_seed=keys.SEED))["resources"]
    key = SCHEMA_BY_NAME[name]
    outcome = keys.run_key(env, raw, base, key, keys.stackfiles.PROJECT_ROOT)
    if outcome.skipped:
        pytest.skip(f"{key.full_name} has no other value valid on its own in {env}: {outcome.skipped}")
    assert outcome.failing == []
    found = keys.changing([outcome])
    for type_ in re.findall(r"\b[a-z0-9]+\.[A-Z]\w+", found):
        assert type_ in key.changing, (found, key.changing)
    if found == "in place":
        assert "with downtime or data loss" not in found


def test_pinning_the_zones_a_stack_is_in_changes_nothing(env: str, committed: dict[str, dict[str, str]]) -> None:
    raw = committed[env]
    base = report.to_doc(run_cached(env, config=raw, id_seed=keys.SEED))["resources"]
    outcome = keys.run_key(env, raw, base, SCHEMA_BY_NAME["availabilityZoneIds"], keys.stackfiles.PROJECT_ROOT)
    assert outcome.changes == []


def test_the_declared_texts_read_as_the_column_promises() -> None:
    shape = re.compile(r"in place|((replaces|deletes) .+|refused where protected)(; .+)*")
    for key in SCHEMA_BY_NAME.values():
        assert shape.fullmatch(key.changing), (key.name, key.changing)


@pytest.mark.parametrize(
    "image",
    [
        "111122223333.dkr.ecr.us-east-1.amazonaws.com/marin/api@sha256:" + "3f9a" * 16,  # by digest
        "ghcr.io/acme/api:1.0.1",
        "registry.internal:5000/acme/api:2.3.4",  # a registry with a port
    ],
)
def test_an_image_key_changes_to_another_pinned_image_of_its_repository(image: str) -> None:
    """A team pins images by digest or by tag; the matrix must still try a real change of each."""
    other = keys._other_image(image)
    assert other != image
    assert other.split("@", 1)[0].rsplit(":", 1)[0] == image.split("@", 1)[0].rsplit(":", 1)[0]
    assert "latest" not in other
