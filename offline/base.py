"""The plan documents of a git revision, for `diff --base REF` and `cost --base REF` (docs/offline.md):
REF's tree is exported with `git archive` (no worktree) and its own `python -m offline plan --json -`
runs there, in its own process, while this process makes the working tree's side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from marin import stackfiles
from offline import report


class BaseError(Exception):
    """REF cannot be resolved or run: one line."""


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BaseError("git is not installed") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise BaseError(f"git {' '.join(args)}: {lines[-1] if lines else 'failed'}")
    return done.stdout


def environments_at(ref: str, stack_dir: Path) -> list[str]:
    """The environments REF configures in `stack_dir` (its Pulumi.<env>.yaml files), from git's tree."""
    try:
        root = Path(_git(stack_dir, "rev-parse", "--show-toplevel").strip())
    except BaseError:
        raise BaseError(f"--base needs a git repository; {stack_dir} is not in one") from None
    try:
        commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except BaseError:
        raise BaseError(f"--base {ref}: not a commit in {root}") from None
    where = stack_dir.resolve().relative_to(root.resolve()).as_posix()
    names = _git(root, "ls-tree", "--name-only", commit, *([] if where == "." else ["--", f"{where}/"])).splitlines()
    files = [Path(n).name.split(".") for n in names]
    return [
        parts[1]
        for parts in files
        if len(parts) == 3 and parts[0] + "." == stackfiles.STACK_FILE_PREFIX and parts[2] == "yaml"
    ]


class Plan:
    """REF's `plan --json -`, started in its own process; `.result()` waits for it."""

    started: ClassVar[set[Plan]] = set()  # not yet waited for or cancelled (see `cancel_all`)

    def __init__(self, ref: str, envs: list[str], stack_dir: Path):
        try:
            root = Path(_git(stack_dir, "rev-parse", "--show-toplevel").strip())
        except BaseError:
            raise BaseError(f"--base needs a git repository; {stack_dir} is not in one") from None
        try:
            self.commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
        except BaseError:
            raise BaseError(f"--base {ref}: not a commit in {root}") from None
        self.ref, self._tmp = ref, tempfile.TemporaryDirectory(prefix="marin-base-")
        tree = Path(self._tmp.name)
        archive = tree / ".base.tar"
        _git(root, "archive", "--format=tar", f"--output={archive}", self.commit)
        with tarfile.open(archive) as tar:
            tar.extractall(tree, filter="data")
        archive.unlink()
        where = tree / stack_dir.resolve().relative_to(root.resolve())
        known = stackfiles.environments(where) if where.is_dir() else []
        self.envs = [e for e in envs if e in known] if envs else known
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG")}
        env["PYTHONPATH"] = str(tree)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "offline", "--stack-dir", str(where), "plan", "--json", "-", *self.envs],
            cwd=tree,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        Plan.started.add(self)

    def cancel(self) -> None:
        """Stop REF's run (the working tree's side failed or was interrupted) and remove its tree."""
        Plan.started.discard(self)
        self._proc.kill()
        self._proc.wait()
        self._tmp.cleanup()

    def result(self) -> dict[str, Any]:
        """{env: document} of every environment REF configures (among those asked for)."""
        Plan.started.discard(self)
        try:
            if not self.envs:
                self._proc.kill()
                self._proc.wait()
                return {}
            out, err = self._proc.communicate()
        finally:
            self._tmp.cleanup()
        label = f"--base {self.ref} ({self.commit[:12]})"
        if self._proc.returncode != 0:
            lines = [line for line in err.strip().splitlines() if line.startswith("error:")] or err.strip().splitlines()
            raise BaseError(f"{label}: the program at that commit did not plan: {lines[-1] if lines else 'no output'}")
        try:
            doc = json.loads(out)
        except ValueError:
            raise BaseError(f"{label}: its `plan --json -` wrote no JSON document (an older offline tool)") from None
        if doc.get("schemaVersion") != report.SCHEMA_VERSION:
            raise BaseError(
                f"{label}: its plan document has schemaVersion {doc.get('schemaVersion')}; this checkout compares "
                f"schemaVersion {report.SCHEMA_VERSION}: pick a base made with it"
            )
        return dict(doc["environments"])


def cancel_all() -> None:
    """Every REF run still going stopped and its tree removed (Ctrl-C, `offline/__main__.py`)."""
    for plan in list(Plan.started):
        plan.cancel()
