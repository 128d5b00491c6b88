"""The inventories of a git revision: `diff --base REF` and `cost --base REF`.

When the program at REF (`__main__.py`, `components/`, `marin/`) is byte for byte the one this
checkout runs, as for a change to stack files only, REF's stack files are run in this process by
this program (`same_program`). Otherwise the program and the stack files at REF are exported
with `git archive` into a temporary directory (no worktree, no change to the repository) and run
there in a separate process (two versions of `components/` cannot share one interpreter) by
`offline/base_worker.py`, which loads *this* checkout's engine and document shape so both sides
are serialised the same way.

Results are cached under `.cache/offline/` of the repository (gitignored), keyed by the commit,
the hash of the stack files at that commit, the hash of this checkout's offline tooling and the
environments asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from marin import stackfiles
from offline import report

OFFLINE_DIR = Path(__file__).resolve().parent
CACHE = Path(".cache") / "offline"
CACHE_DIR = stackfiles.PROJECT_ROOT / CACHE
# What a commit's program is: when these are this checkout's, the commit is run in this process.
PROGRAM = ("__main__.py", "components", "marin")
STACK_FILE = re.compile(r"Pulumi(\.[^/]+)?\.yaml")


class BaseError(Exception):
    """REF cannot be resolved or run: one line."""


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BaseError("git is not installed") from None
    if done.returncode != 0:
        raise BaseError(
            f"git {' '.join(args)}: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'failed'}"
        )
    return done.stdout


def toplevel(path: Path) -> Path:
    """The root of the git repository holding `path` (where REF is looked up)."""
    try:
        return Path(_git(path, "rev-parse", "--show-toplevel").strip())
    except BaseError:
        raise BaseError(f"--base needs a git repository; {path} is not in one") from None


def resolve(ref: str, root: Path = stackfiles.PROJECT_ROOT) -> str:
    """The full commit hash of `ref`, or `BaseError` naming it."""
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except BaseError:
        raise BaseError(f"--base {ref}: not a commit in {root}") from None


def _tooling_hash() -> str:
    h = hashlib.sha256()
    for p in [*sorted(OFFLINE_DIR.glob("*.py")), stackfiles.PROJECT_ROOT / "marin" / "stackfiles.py"]:
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _tree(root: Path, commit: str, *paths: str) -> dict[str, str]:
    """{path: blob hash} of the files under `paths` at `commit` (all of them without `paths`)."""
    listing = _git(root, "ls-tree", "-r", "-z", commit, "--", *paths)
    out = {}
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        out[path] = meta.split()[2]
    return out


def _stack_files(root: Path, commit: str, subdir: str = "") -> dict[str, str]:
    """{path: blob hash} of the project and stack files in `subdir` (of the repository) at `commit`."""
    prefix = f"{subdir}/" if subdir else ""
    return {
        p: h
        for p, h in _tree(root, commit).items()
        if p.startswith(prefix) and "/" not in p[len(prefix) :] and STACK_FILE.fullmatch(p[len(prefix) :])
    }


def _stack_hash(root: Path, commit: str, subdir: str = "") -> str:
    listing = json.dumps(_stack_files(root, commit, subdir), sort_keys=True)
    return hashlib.sha256(listing.encode()).hexdigest()[:16]


def _blob(data: bytes) -> str:
    """git's hash of a file's bytes (`git hash-object`)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def same_program(commit: str, root: Path, code_dir: Path = stackfiles.PROJECT_ROOT) -> bool:
    """Whether the program at `commit` is, file for file, the one in `code_dir` (this checkout)."""
    ours: dict[str, str] = {}
    for top in PROGRAM:
        path = code_dir / top
        files = [path] if path.is_file() else sorted(f for f in path.rglob("*") if f.is_file())
        for f in files:
            if "__pycache__" not in f.parts:
                ours[f.relative_to(code_dir).as_posix()] = _blob(f.read_bytes())
    return ours == _tree(root, commit, *PROGRAM)


def _in_process(commit: str, root: Path, subdir: str, wanted: list[str]) -> dict[str, Any]:
    """REF's stack files, run by this checkout's (identical) program in this process. The tree is
    exported as for a second process, so both paths read the same files (symlinks included)."""
    from offline import base_worker  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="marin-base-") as tmp:
        tree = Path(tmp)
        export(commit, tree, root)
        return base_worker.documents(tree / subdir, stackfiles.PROJECT_ROOT, wanted)


def _subdir(root: Path, stack_dir: Path | None) -> str:
    """Where the stack files are, relative to the repository's root ("" for the root)."""
    if stack_dir is None:
        return ""
    try:
        rel = stack_dir.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise BaseError(f"--stack-dir {stack_dir} is not inside the repository {root}") from None
    return "" if rel == "." else rel


def export(commit: str, target: Path, root: Path = stackfiles.PROJECT_ROOT) -> None:
    """The tree of `commit` into `target` (`git archive`, no worktree)."""
    archive = target / ".base.tar"
    _git(root, "archive", "--format=tar", f"--output={archive}", commit)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()


def inventories(
    ref: str,
    envs: list[str] | None = None,
    root: Path = stackfiles.PROJECT_ROOT,
    use_cache: bool = True,
    stack_dir: Path | None = None,
) -> tuple[str, dict[str, Any]]:
    """(commit, {env: doc or {"error": message}}) for every environment configured at `ref`, in
    `stack_dir` (default: the repository's root) as it was at `ref`."""
    commit = resolve(ref, root)
    wanted = sorted(envs) if envs else []
    subdir = _subdir(root, stack_dir)
    where = hashlib.sha256(subdir.encode()).hexdigest()[:8] if subdir else "root"
    key = f"{commit}-{where}-{_stack_hash(root, commit, subdir)}-{_tooling_hash()}-{'-'.join(wanted) or 'all'}"
    cache_dir = root / CACHE
    cached = cache_dir / f"{key}.json"
    if use_cache and cached.is_file():
        docs = json.loads(cached.read_text(encoding="utf-8"))
    elif same_program(commit, root):
        docs = _in_process(commit, root, subdir, wanted)
    else:
        with tempfile.TemporaryDirectory(prefix="marin-base-") as tmp:
            tree = Path(tmp) / "tree"
            tree.mkdir()
            export(commit, tree, root)
            out = Path(tmp) / "docs.json"
            env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG")}
            done = subprocess.run(
                [sys.executable, str(OFFLINE_DIR / "base_worker.py"), str(tree), str(tree / subdir), str(out), *wanted],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if done.returncode != 0 or not out.is_file():
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise BaseError(f"--base {ref} ({commit[:12]}): the program at that commit did not run: {last}")
            docs = json.loads(out.read_text(encoding="utf-8"))
        if use_cache:
            try:
                cache_dir.mkdir(parents=True, exist_ok=True)
                cached.write_text(json.dumps(docs), encoding="utf-8")
            except OSError:
                pass  # a read-only checkout still works, just uncached
    if docs.get("schemaVersion") != report.SCHEMA_VERSION:
        raise BaseError(f"--base {ref}: cached inventory has schema {docs.get('schemaVersion')}")
    environments = docs["environments"]
    if envs:
        environments = {e: environments[e] for e in envs if e in environments}
    return commit, environments
