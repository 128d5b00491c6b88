"""pytest plugin that scripts/mutation.sh loads (`-p scripts.mutation_plugin`, [tool.mutmut]).

mutmut decides which tests run for a mutant by which tests called its function while every test
ran once ("stats", `MUTANT_UNDER_TEST=stats`). A suite that computes a stack's inventory once and
shares it would show only the first test calling the program's code, and later tests would never
run against its mutants. So, during stats only, every cache of the suite (each `functools.cache`
of the test modules, the engine's and the stack files' memos) is emptied before each test. Each
mutant then runs in a process forked from one that only collected the tests (`forkserver`): it
computes everything afresh. Not loaded by CI or a plain `pytest`.
"""

from __future__ import annotations

import os
import sys

import pytest


def _clear_caches() -> None:
    for name, module in list(sys.modules.items()):
        if name.startswith("tests.") or name in ("offline.engine", "marin.stackfiles"):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
    engine = sys.modules.get("offline.engine")
    if engine is not None:
        engine._memo.clear()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        _clear_caches()
