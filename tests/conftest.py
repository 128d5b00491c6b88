"""Shared fixtures: each committed stack's config, and its program run under the mock engine once
per session (`inventory_of`; tests read these, never change them)."""

from __future__ import annotations

import functools

import pytest

from marin import stackfiles
from marin.config import EnvConfig, parse
from offline import engine

ENVS = stackfiles.environments()
assert set(ENVS) >= {"dev", "staging", "prod"}, f"committed stacks missing: {ENVS}"


@functools.cache
def inventory_of(env: str) -> engine.Inventory:
    return engine.run(env)


@pytest.fixture(params=ENVS)
def env(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def inv(env: str) -> engine.Inventory:
    return inventory_of(env)


@pytest.fixture
def all_inventories() -> dict[str, engine.Inventory]:
    return {e: inventory_of(e) for e in ENVS}


@functools.cache
def committed_configs() -> dict[str, dict[str, str]]:
    return stackfiles.all_environments()


@functools.cache
def config_of(env: str) -> EnvConfig:
    return parse(env, committed_configs()[env])


@pytest.fixture
def committed() -> dict[str, dict[str, str]]:
    """What the CLI would pass each committed stack (project defaults + stack file)."""
    return committed_configs()


@pytest.fixture
def config(env: str) -> EnvConfig:
    """The validated config of the stack under test: tests key on what it says, never on its name."""
    return config_of(env)
