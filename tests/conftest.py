"""Shared fixtures: each committed stack is run once per session under the mock engine."""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

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


def pytest_report_header(config: pytest.Config) -> str:
    if _ONLY:
        only = ", ".join(ENVS)
        return f"MARIN_TEST_STACKS={','.join(_ONLY)}: per-stack tests for {only} only, not {', '.join(ALL_ENVS)}"
    return f"stacks: {', '.join(ALL_ENVS)}"


# --- what a session remembers, and mutation testing --------------------------------------------
# Under mutmut, which tests run for a mutant is decided by which tests called its function when
# every test ran once ("stats"); then each mutant's tests run in a process forked from one that had
# already run them. So: during stats, each test recomputes what it needs (else only the first test
# to compute a value is seen calling the code behind it); for a mutant, nothing computed before the
# fork is reused. Program-derived values are kept for a mutant outside the program (the policy
# pack), whose tests may share the inventories the unmutated program produced.
PROGRAM_CACHES: list[dict[Any, Any]] = [engine._memo]
OTHER_CACHES: list[dict[Any, Any]] = []
PROGRAM_CODE = ("marin.", "components.", "offline.")  # offline/: the engine shapes the inventories


def remembered(cache: dict[Any, Any], *, program: bool = True) -> dict[Any, Any]:
    """Register a module-level cache of a test module (`program`: derived from running the program
    only), so that mutation testing does not reuse it where it must not."""
    (PROGRAM_CACHES if program else OTHER_CACHES).append(cache)
    return cache


def _mutant() -> str:
    return os.environ.get("MUTANT_UNDER_TEST", "")


def _forget(*, program: bool) -> None:
    stackfiles._parse.cache_clear()
    for cache in OTHER_CACHES + (PROGRAM_CACHES if program else []):
        cache.clear()


def _shared_scope(fixture_name: str, config: pytest.Config) -> Literal["session", "function"]:
    """Session-wide sharing, except while mutmut records which test calls what."""
    return "function" if _mutant() == "stats" else "session"


@pytest.fixture(scope="session", autouse=True)
def _nothing_computed_before_the_mutant() -> None:
    mutant = _mutant()
    if mutant not in ("", "fail", "stats"):
        _forget(program=mutant.startswith(PROGRAM_CODE))


@pytest.fixture(autouse=True)
def _nothing_computed_by_another_test() -> None:
    if _mutant() == "stats":
        _forget(program=True)


_cache: dict[str, engine.Inventory] = remembered({})


def inventory_of(env: str) -> engine.Inventory:
    if env not in _cache:
        _cache[env] = engine.run_cached(env)
    return _cache[env]


@pytest.fixture(params=ENVS)
def env(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def inv(env: str) -> engine.Inventory:
    return inventory_of(env)


@pytest.fixture(scope=_shared_scope)
def all_inventories() -> dict[str, engine.Inventory]:
    return {e: inventory_of(e) for e in ALL_ENVS}


@pytest.fixture(scope=_shared_scope)
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
_running: set[subprocess.Popen[str]] = set()
_lock = threading.Lock()


def start_early(work: Callable[[Path], Any]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Mark a test whose `work` (other processes, through `run_process`: the thread only waits)
    starts when collection ends, in a temporary directory of the session, and runs beside the
    in-process tests on the second core. The test reads the result from the `early` fixture and
    fails with whatever `work` raised. Nothing starts for a collect-only run; whatever still runs
    when the session ends (-x, Ctrl-C, SIGTERM) is killed."""

    def mark(test: Callable[..., None]) -> Callable[..., None]:
        test.start_early = work  # type: ignore[attr-defined]
        return test

    return mark


def run_process(args: list[str] | str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(..., capture_output=True, text=True)` in a new process group, killed with
    its children if the session ends first."""
    with _lock:
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kwargs
        )
        _running.add(process)
    try:
        out, err = process.communicate()
    finally:
        with _lock:
            _running.discard(process)
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def _stop_everything() -> None:
    for future in _started.values():
        future.cancel()
    with _lock:
        for process in _running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def pytest_sessionstart(session: pytest.Session) -> None:
    _started.clear()  # a second session in this process (mutmut's children) starts its own
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (CI cancelling a job) ends the session as Ctrl-C does, so its processes die too."""
    raise KeyboardInterrupt


def pytest_collection_finish(session: pytest.Session) -> None:
    option = session.config.option
    if option.collectonly or getattr(option, "setuponly", False) or getattr(option, "setupplan", False):
        return
    factory = session.config._tmp_path_factory  # type: ignore[attr-defined]  # pytest's own tmp_path_factory
    for item in session.items:
        test = getattr(item, "function", None)
        work = getattr(test, "start_early", None)
        if test is not None and work is not None and test not in _started:
            _started[test] = _EARLY.submit(work, factory.mktemp(test.__name__[:30], numbered=True))


def pytest_sessionfinish(session: pytest.Session) -> None:
    _stop_everything()


@pytest.fixture
def early(request: pytest.FixtureRequest) -> Any:
    return _started[request.function].result(timeout=900)
