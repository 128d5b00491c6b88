"""Run the program of another checkout (argv[1]) under this checkout's offline engine.

    python offline/base_worker.py TREE STACK_DIR OUT.json [ENV...]

Started by `offline/base.py` in a fresh process. `marin`, `components` and `__main__.py` come
from TREE; the engine, the document shape and the stack-file reader come from this checkout, so
both sides of a diff are read and serialised the same way. Writes
{"schemaVersion", "environments": {env: doc | {"error": message}}}.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent  # this checkout's offline/


def _load(name: str, path: Path, package: list[str] | None = None) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=package)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def documents(stack_dir: Path, code_dir: Path, wanted: list[str]) -> dict[str, object]:
    """{"schemaVersion", "environments": {env: doc | {"error": message}}} of the stacks in
    `stack_dir` (those `wanted`, or all), the program in `code_dir` run under this engine."""
    # imported only now: in the worker, from the tree (marin) and from this checkout (offline)
    from marin.config import ConfigError  # noqa: PLC0415
    from marin.stackfiles import StackFileError, environments  # noqa: PLC0415
    from offline import engine, report  # noqa: PLC0415

    docs: dict[str, object] = {}
    for env in [e for e in environments(stack_dir) if not wanted or e in wanted]:
        try:
            inv = engine.run_cached(env, stack_dir=stack_dir, code_dir=code_dir, id_seed="offline")
            docs[env] = report.to_doc(inv)
        except (ConfigError, StackFileError, ValueError, TypeError, KeyError) as exc:
            docs[env] = {"error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
    return {"schemaVersion": report.SCHEMA_VERSION, "environments": docs}


def main() -> int:
    tree, stack_dir, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve(), Path(sys.argv[3])
    sys.path[:] = [str(tree), *[p for p in sys.path if Path(p).resolve() != HERE]]
    import marin  # the tree's package  # noqa: F401, PLC0415

    # this checkout's stack-file reader (pure) stands in for the tree's: same reading both sides
    _load("marin.stackfiles", HERE.parent / "marin" / "stackfiles.py")
    _load("offline", HERE / "__init__.py", [str(HERE)])
    docs = documents(stack_dir, tree, sys.argv[4:])
    out.write_text(json.dumps(docs), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
