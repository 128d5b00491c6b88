"""Shared fixtures: each committed stack is run once per session under the mock engine."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from marin import stackfiles
from marin.config import EnvConfig, parse
from offline import engine

# A test session builds tens of thousands of short-lived objects per program run and keeps the
# inventories: the cyclic GC's young-generation passes were about a quarter of each run.
gc.freeze()
gc.set_threshold(50_000, 20, 100)

ALL_ENVS = stackfiles.environments()
assert set(ALL_ENVS) >= {"dev", "staging", "prod"}, f"committed stacks missing: {ALL_ENVS}"
# `MARIN_TEST_STACKS=qa` runs the per-stack tests for those stacks only (tests across stacks still
# read every stack): how tests/test_new_environment.py checks a new stack without repeating the rest.
_ONLY = [e for e in os.environ.get("MARIN_TEST_STACKS", "").split(",") if e]
if set(_ONLY) - set(ALL_ENVS):
    raise RuntimeError(f"MARIN_TEST_STACKS={','.join(_ONLY)}: no such stack here; configured: {', '.join(ALL_ENVS)}")
ENVS = [e for e in ALL_ENVS if e in _ONLY] if _ONLY else ALL_ENVS

_cache: dict[str, engine.Inventory] = {}


def inventory_of(env: str) -> engine.Inventory:
    if env not in _cache:
        _cache[env] = engine.run_cached(env)
    return _cache[env]


@pytest.fixture(scope="session", autouse=True)
def _nothing_computed_by_unmutated_code() -> None:
    """Under mutmut, each mutant's tests run in a process forked from one that already ran them:
    what the in-process caches hold was computed without the mutant. Inventories are kept only
    when the mutant is outside the program (the policy pack)."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if mutant in ("", "stats", "fail"):
        return
    stackfiles._parse.cache_clear()
    if mutant.startswith(("marin.", "components.")):
        engine._memo.clear()
        _cache.clear()


@pytest.fixture(params=ENVS)
def env(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def inv(env: str) -> engine.Inventory:
    return inventory_of(env)


@pytest.fixture(scope="session")
def all_inventories() -> dict[str, engine.Inventory]:
    return {e: inventory_of(e) for e in ALL_ENVS}


@pytest.fixture(scope="session")
def committed() -> dict[str, dict[str, str]]:
    """What the CLI would pass each committed stack (project defaults + stack file)."""
    return stackfiles.all_environments()


@pytest.fixture
def config(env: str, committed: dict[str, dict[str, str]]) -> EnvConfig:
    """The validated config of the stack under test: tests key on what it says, never on its name."""
    return parse(env, committed[env])


# --- slow work in other processes, started as the session starts ----------------------------------

_EARLY = ThreadPoolExecutor(max_workers=2, thread_name_prefix="start-early")
_started: dict[Callable[..., None], Future[Any]] = {}


def start_early(work: Callable[[], Any]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Mark a test whose `work` (subprocesses: the thread only waits) starts when collection ends
    and runs beside the in-process tests on the second core; the test reads its result from the
    `early` fixture, and fails with whatever `work` raised."""

    def mark(test: Callable[..., None]) -> Callable[..., None]:
        test.start_early = work  # type: ignore[attr-defined]
        return test

    return mark


def pytest_collection_finish(session: pytest.Session) -> None:
    for item in session.items:
        test = getattr(item, "function", None)
        work = getattr(test, "start_early", None)
        if test is not None and work is not None and test not in _started:
            _started[test] = _EARLY.submit(work)


@pytest.fixture
def early(request: pytest.FixtureRequest) -> Any:
    return _started[request.function].result(timeout=900)
