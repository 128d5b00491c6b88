"""Offline tools for the marin environments: no Pulumi CLI, no cloud account. Each command runs
the real program (`__main__.py`) under the Pulumi SDK's mock engine with the Pulumi.<env>.yaml
files in --stack-dir; ENV defaults to all of them.

exit codes: (`diff --base --detailed-exitcode` as `terraform plan -detailed-exitcode`)
  0  done; no change (for `diff --check`: the check passed)
  1  refused input: a stack file that cannot be read or fails validation, a missing price,
     a base revision whose program does not run; `diff --check` found an undeclared difference;
     `policy` found a mandatory violation; `keys` found a failing or undeclared change
  2  `diff --base --detailed-exitcode`: changes, none of them failing or destroying data
  3  `diff --base`: a change `pulumi up` would stop on (a protected resource replaced or deleted,
     a delete-first of something still in use, a name still taken); with --detailed-exitcode also
     a stateful resource deleted or replaced
  64 usage: unknown environment or option, --stack-dir without stack files, a --json path
     that cannot be written, a --base that is not a commit
  130 interrupted (Ctrl-C)

Options go before or after the command (`--stack-dir DIR plan` = `plan --stack-dir DIR`).
--json - writes the document to stdout (the human report then goes to stderr).
JSON documents carry "schemaVersion" (docs/environments.md, "Offline JSON").
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import gc
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from marin import cost, stackfiles
from marin.config import ConfigError
from offline import engine, keys, parity, report

USAGE = 64  # sysexits.h EX_USAGE: 2 means "changes" for `diff --base --detailed-exitcode`
CHANGES, FAILING, BROKEN_PIPE = 2, 3, 141  # 141 = 128 + SIGPIPE, as a shell reports it
JSON_OUT = sys.stdout  # where `--json -` writes (the human report is sent to stderr meanwhile)
DID_NOT_PLAN = "the program at that commit did not plan"
STACK = re.compile(r"(.*/)?Pulumi\.[^/]+\.yaml").fullmatch  # a stack file, not Pulumi.yaml
STOPPING: list[Callable[[], None]] = []  # what Ctrl-C stops first (offline/__main__.py): REF's run


class UsageError(Exception):
    """Bad command-line input: one line, exit 64."""


class Refused(Exception):
    """Input refused (its message, if any, one line): exit 1."""


def _table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    line = lambda row: "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(tuple("-" * w for w in widths)), *map(line, rows)])


def _short_type(t: str) -> str:
    return t.rsplit(":", maxsplit=1)[-1]


def _write_json(path: str | None, doc: Mapping[str, Any]) -> None:
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n" if path else ""
    if path == "-":
        JSON_OUT.write(text)
        JSON_OUT.flush()
    elif path:
        Path(path).write_text(text, encoding="utf-8")
        print(f"wrote {doc['kind']} JSON (schemaVersion {doc['schemaVersion']}) to {path}", file=sys.stderr)


def _check_envs(envs: list[str], known: list[str], where: str = "configured") -> None:
    """`UsageError` naming each environment not in `known`, with the closest name when there is one."""
    unknown = [
        f"{e} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(e, known, n=1)) else e
        for e in envs
        if e not in known
    ]
    if unknown:
        raise UsageError(f"unknown environment {', '.join(unknown)}; {where}: {', '.join(known) or 'none'}")


def _check_json_path(path: str | None) -> None:
    """Refuse a --json target that cannot be written before any work is done."""
    if not path or path == "-":
        return
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"--json {path}: is a directory; give a file name, e.g. {p / 'plan.json'}")
    if not p.parent.is_dir():
        raise UsageError(f"--json {path}: directory {p.parent} does not exist")
    if not os.access(p.parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise UsageError(f"--json {path}: not writable")


def _docs(envs: list[str], stack_dir: Path, base: str = "") -> dict[str, dict[str, Any]]:
    """Every environment's plan document; every bad stack reported (one line each), then `Refused`
    (for `base`, the label of REF's stack files: one line, what REF's own run says)."""
    problems: list[str] = []
    for env in [*envs, None]:  # every stack file first (a broken one fails every run), and Pulumi.yaml
        try:
            stackfiles.stack_config(env, stack_dir) if env else stackfiles.project_file(stack_dir)
        except stackfiles.StackFileError as exc:
            problems.append(str(exc))
    docs: dict[str, dict[str, Any]] = {}
    for i, env in enumerate([] if problems else envs, 1):
        at = f" at {base}" if base else ""
        print(f"[{i}/{len(envs)}] running the program for {env}{at} under mocks", file=sys.stderr)
        try:  # one id seed for every environment: mocked ids differ only where the program differs
            docs[env] = report.to_doc(engine.run_cached(env, stack_dir=stack_dir, id_seed="offline", shared=True))
        except (ConfigError, stackfiles.StackFileError) as exc:
            problems.append(str(exc))
    summary = f"{len(problems)} problem(s) in {len(envs)} stack(s); nothing was planned"
    if problems and base:  # as REF's own process says it (base_and_head)
        said = [ln.strip().replace(f"{stack_dir}{os.sep}", "") for p in problems for ln in p.splitlines()]
        raise Refused(f"{base}: {DID_NOT_PLAN}: {' '.join([*said, summary])}")
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if problems:
        raise Refused(summary)
    return docs


def _summary_line(label: str, s: Mapping[str, Any]) -> str:
    tiers = ", ".join(f"{t} {n}" for t, n in s["byTier"].items())
    types = ", ".join(f"{_short_type(t)} {n}" for t, n in s["byType"].items())
    return f"{label}: {s['resources']} resources, {s['protected']} protected\n  by tier: {tiers}\n  by type: {types}"


def plan(envs: list[str], stack_dir: Path, json_path: str | None) -> int:
    docs = _docs(envs, stack_dir)
    _write_json(json_path, {"schemaVersion": report.SCHEMA_VERSION, "kind": "plan", "environments": docs})
    for env, doc in docs.items():
        rows = []
        for r in sorted(
            report.cloud(doc["resources"]), key=lambda r: (report.tier_key(r["tier"]), r["type"], r["logicalName"])
        ):
            protect = "yes" if r["protect"] else ""
            rows.append((r["tier"], _short_type(r["type"]), r["logicalName"], r["physicalName"] or "", protect))
        print(f"\n=== {env}")
        print(_table(rows, ("tier", "type", "logical name", "physical name", "protected")))
        print(_summary_line(f"{env} total", doc["summary"]))
    if len(docs) > 1:
        everything = report.summary(r for d in docs.values() for r in d["resources"])
        print("\n" + _summary_line(f"all {len(docs)} stacks ({', '.join(docs)})", everything))
    return 0


def _print_changes(cs: list[report.ResourceChange], old_label: str, new_label: str) -> None:
    tier = None
    for c in cs:
        if c.tier != tier:
            tier = c.tier
            print(f"\n[{c.tier or '(stack)'}]")
        names = c.physical_new if c.op == "create" else c.physical_old
        if c.op in ("update", "replace") and c.physical_old != c.physical_new:
            names = f"{c.physical_old} -> {c.physical_new}"
        flags = ["REPLACE, DELETE FIRST" if c.delete_first else "REPLACE"] if c.op == "replace" else []
        flags += ["protected"] if c.protected else []
        flags += ["stateful"] if c.stateful and c.op in ("delete", "replace") else []
        where = {"create": f"  only in {new_label}", "delete": f"  only in {old_label}"}.get(c.op, "")
        tail = "  " + " ".join(f"[{f}]" for f in flags) if flags else ""
        head = f"  {c.symbol} {_short_type(c.type)} {c.logical_name} ({names or 'no physical name'})"
        print(head + where + tail)
        for reason in c.failing:
            print(f"      FAILS: {reason}")
        for p in c.properties:
            mark = "  (forces replacement)" if p.replaces else f"  (replaces if {p.condition})" if p.condition else ""
            if p.old is None:
                kind, text = "+", report.show(p.new)
            elif p.new is None:
                kind, text = "-", report.show(p.old)
            else:
                kind, text = "~", f"{report.show(p.old)} -> {report.show(p.new)}"
            print(f"      {kind} {p.path}: {text}{mark}")


def _counts_line(label: str, counts: Mapping[str, int]) -> str:
    """`pulumi preview`'s summary: + to create, ~ to update, - to delete, +- to replace."""
    return (
        f"{label}: + {counts['create']} to create, ~ {counts['update']} to update, - {counts['delete']} to delete, "
        f"+- {counts['replace']} to replace; {counts['propertiesChanged']} properties changed"
        + (f"; {counts['failing']} would fail" if counts["failing"] else "")
    )


def _warnings(env: str, cs: list[report.ResourceChange]) -> list[str]:
    return [
        f"{'ERROR' if c.failing else 'WARNING'} {env}: {c.op.upper()}{' DELETE-FIRST' if c.delete_first else ''} "
        f"{'protected ' if c.protected else ''}{'stateful ' if c.stateful else ''}"
        f"{c.type} {c.logical_name} ({c.physical_old or c.physical_new})"
        + (f" because of {', '.join(p.path for p in c.properties if p.replaces)}" if c.op == "replace" else "")
        + "".join(f"; {f}" for f in c.failing)
        for c in cs
        if c.dangerous
    ]


def diff_envs(a: str, b: str, stack_dir: Path, check: bool, json_path: str | None) -> int:
    docs = _docs([a, b], stack_dir)
    old, new = parity.normalised_docs(docs[a], docs[b])
    cs = report.changes(old["resources"], new["resources"], replacements_apply=False)
    counts = report.change_counts(cs)
    print(f"{a} vs {b}: {len(cs)} resource(s) differ")
    print(
        f"  {counts['delete']} only in {a} (-), {counts['create']} only in {b} (+), "
        f"{counts['update'] + counts['replace']} in both with {counts['propertiesChanged']} differing properties (~)"
    )
    _print_changes(cs, a, b)
    doc: dict[str, Any] = {"schemaVersion": report.SCHEMA_VERSION, "kind": "diff", "mode": "environments"}
    doc |= {"old": a, "new": b, "counts": counts, "changes": [c.as_json() for c in cs]}
    problems: list[str] = []
    if check:
        problems = parity.undeclared_differences(
            stackfiles.effective_config(a, stack_dir), stackfiles.effective_config(b, stack_dir)
        )
        print(f"\ncheck: {a} and {b} may differ only in keys declared sizing, retention or identity")
        for p in problems:
            print(f"  NOT ALLOWED: {p}")
        print("check passed" if not problems else f"check FAILED: {len(problems)} undeclared difference(s)")
        doc["check"] = {"passed": not problems, "problems": problems}
    _write_json(json_path, doc)
    return 1 if problems else 0


def _git(cwd: Path | str, *args: str, error: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:  # no git on PATH
        raise UsageError(f"{error} (git is not installed)") from None
    if done.returncode:
        raise UsageError(error)
    return done.stdout.strip()


def base_and_head(ref: str, envs: list[str], stack_dir: Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """REF's commit, REF's plan documents and the working tree's, for the environments asked for
    (default: every one, on either side). REF's are made by REF's own `plan --json -` in its tree
    (exported with `git archive`, no worktree), in a second process while this one makes the working
    tree's, as Infracost compares two breakdowns; in this process when REF's program is this one
    (`_program_at`: a change of stack files only, the common pull request)."""
    error = f"--base needs a git repository; {stack_dir} is not in one"
    root = _git(stack_dir, "rev-parse", "--show-toplevel", error=error)
    commit = _git(
        root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", error=f"--base {ref}: not a commit in {root}"
    )
    label = f"--base {ref} ({commit[:12]})"
    tmp, proc = tempfile.TemporaryDirectory(prefix="marin-base-"), None

    def stop() -> None:
        if proc:
            proc.kill()
            proc.wait()
        tmp.cleanup()

    STOPPING.append(stop)
    try:
        tar = subprocess.run(["git", "-C", root, "archive", commit], capture_output=True, check=False)
        if tar.returncode:  # e.g. a blob missing from a partial clone: git's own last line
            said = tar.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise Refused(f"--base {ref}: git archive {commit[:12]} failed: {said[0]}")
        try:
            with tarfile.open(fileobj=io.BytesIO(tar.stdout)) as archive:
                archive.extractall(tmp.name, filter="data")
        except tarfile.TarError as exc:  # e.g. a symlink out of the repository
            raise Refused(f"--base {ref}: its files cannot be exported safely: {exc}") from None
        tree = Path(tmp.name, stack_dir.resolve().relative_to(Path(root).resolve()))
        known, at_ref = stackfiles.environments(stack_dir), stackfiles.environments(tree)
        either = [*known, *(e for e in at_ref if e not in known)]
        _check_envs(envs, either, f"configured here or at {ref}")
        old_envs = [e for e in envs or at_ref if e in at_ref]
        program = _program_at(root, Path(tmp.name)) if old_envs else None
        if program:
            command = [sys.executable, "-m", "offline", "--stack-dir", str(tree), "plan", "--json", "-", *old_envs]
            env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG")}  # not the caller's
            pipe = subprocess.PIPE
            proc = subprocess.Popen(
                command, cwd=program, env=env | {"PYTHONPATH": str(program)}, stdout=pipe, stderr=pipe, text=True
            )
        new = _docs([e for e in envs or known if e in known], stack_dir)
        here = old_envs and not program  # REF's stack files with this program, its document as JSON reads
        old = json.loads(json.dumps(_docs(old_envs, tree, label))) if here else {}
        out, err = proc.communicate() if proc else ("", "")
    finally:  # also when refused or interrupted: REF's run is not waited for
        STOPPING.remove(stop)
        stop()
    if proc and proc.returncode:
        said = [
            line.removeprefix("error: ").strip().replace(f"{tree}{os.sep}", "")  # a file named as in REF's tree
            for line in err.splitlines()
            if line.startswith(("error: ", "  - "))
        ]
        said = said or err.strip().splitlines()[-1:] or ["no output"]  # else its last line (a traceback's error)
        raise Refused(f"{label}: {DID_NOT_PLAN}: {' '.join(said)}")
    if proc:
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {}
        if doc.get("schemaVersion") != report.SCHEMA_VERSION:
            raise Refused(f"{label}: it wrote no plan document of schemaVersion {report.SCHEMA_VERSION}: pick another")
        old = doc["environments"]
    return commit, {e: old.get(e) for e in envs or either}, {e: new.get(e) for e in envs or either}


def _program_at(root: str, tree: Path, here: Path = stackfiles.PROJECT_ROOT) -> Path | None:
    """Where REF's program is in its export `tree`, to run in its own process; None to run REF's stack
    files with this process's program (in `here`): REF holds none (stack files kept apart from the
    program), or this one: git's tracked files here and untracked Python files (one can shadow a
    module), but Markdown, stack files and tests/, are REF's files, the same bytes."""
    within = Path(root).resolve() in (here, *here.parents)
    program = tree / here.relative_to(Path(root).resolve()) if within else tree  # else a copy of this repo
    if not (program / "__main__.py").is_file():
        return None
    git = ["git", "-C", here, "ls-files", "-z", "--exclude-standard"]
    listed = [subprocess.run([*git, o], capture_output=True, check=False) for o in ("-c", "-o")]
    tracked, untracked = (done.stdout.decode(errors="replace").split("\0") for done in listed)

    def read(base: Path, name: str) -> str | bytes:
        return os.readlink(base / name) if (base / name).is_symlink() else (base / name).read_bytes()

    def counted(names: Iterable[str]) -> set[str]:
        return {n for n in names if n and not n.endswith(".md") and not n.startswith("tests/") and not STACK(n)}

    mine = counted([*tracked, *(n for n in untracked if n.endswith(".py"))])
    try:
        at_ref = counted(
            p.relative_to(program).as_posix() for p in program.rglob("*") if not p.is_dir() or p.is_symlink()
        )
        same = not listed[0].returncode and mine == at_ref and all(read(here, n) == read(program, n) for n in mine)
    except OSError:  # a file git lists here deleted, or unreadable
        same = False
    return None if same else program


def diff_base(ref: str, envs: list[str], stack_dir: Path, json_path: str | None, detailed: bool = False) -> int:
    commit, old, new = base_and_head(ref, envs, stack_dir)
    doc: dict[str, Any] = {"schemaVersion": report.SCHEMA_VERSION, "kind": "diff", "mode": "base"}
    doc |= {"base": {"ref": ref, "commit": commit}, "environments": {}}
    all_changes: list[report.ResourceChange] = []
    warnings: list[str] = []
    for env, a in old.items():
        b = new[env]
        cs = report.changes(a["resources"] if a else [], b["resources"] if b else [])
        note = " (new environment)" if a is None else ""
        note = " (stack file removed: the stack itself is not destroyed)" if b is None else note
        print(f"\n=== {env}: {ref} ({commit[:12]}) -> working tree{note}")
        print(_counts_line(env, report.change_counts(cs)))
        _print_changes(cs, "base", "working tree")
        w = _warnings(env, cs)
        warnings += w
        doc["environments"][env] = {
            "counts": report.change_counts(cs),
            "changes": [c.as_json() for c in cs],
            "warnings": w,
        }
        all_changes += cs
    totals = report.change_counts(all_changes)
    print("\n" + _counts_line(f"all {len(old)} environment(s)", totals))
    for w in warnings:
        print(w)
    _write_json(json_path, doc | {"counts": totals, "warnings": warnings})
    if totals["failing"] or (detailed and totals["dangerous"]):
        return FAILING
    return CHANGES if detailed and any(totals[k] for k in ("create", "delete", "update", "replace")) else 0


def _priced(doc: Mapping[str, Any], env: str) -> tuple[cost.Prices, list[cost.LineItem]]:
    """The prices of the environment's region and its priced line items."""
    records = report.records(doc)
    prices = cost.load_prices(cost.region_of(records))
    return prices, cost.estimate(records, prices, cost.load_usage(env))


def _default_usage_notes(envs: list[str]) -> list[str]:
    return [
        f"note: {env} is priced on the default usage assumptions: add `environments: {env}:` to "
        "pricing/usage.yaml (traffic, log and storage volumes)"
        for env in envs
        if not cost.has_usage(env)
    ]


def cost_report(envs: list[str], stack_dir: Path, markdown: bool, json_path: str | None) -> int:
    for env in envs:
        cost.load_usage(env)  # a bad usage file is refused before any run
    priced = {env: _priced(doc, env) for env, doc in _docs(envs, stack_dir).items()}
    tiers = {env: cost.by_tier(items) for env, (_, items) in priced.items()}
    print(render_cost(tiers, {env: prices.region for env, (prices, _) in priced.items()}, markdown))
    for note in _default_usage_notes(envs) + [
        f"note: {env} ({prices.region}) uses {len(keys)} price(s) marked `confirmed: false` in "
        f"pricing/prices.yaml: {', '.join(keys)}"
        for env, (prices, _) in priced.items()
        if (keys := prices.unconfirmed())
    ]:
        print(note, file=sys.stderr if markdown else sys.stdout)
    environments = {
        env: {
            "region": prices.region,
            "total": round(sum(tiers[env].values()), 2),
            "tiers": {t: round(v, 2) for t, v in tiers[env].items()},
            "defaultUsage": not cost.has_usage(env),
            "resources": [
                {
                    "tier": i.tier,
                    "type": i.type,
                    "logicalName": i.name,
                    "detail": i.detail,
                    "monthly": round(i.monthly, 2),
                }
                for i in items
            ],
        }
        for env, (prices, items) in priced.items()
    }
    doc = {"schemaVersion": report.SCHEMA_VERSION, "kind": "cost", "currency": "USD", "period": "month"}
    _write_json(json_path, doc | {"environments": environments})
    return 0


def render_cost(tiers: dict[str, dict[str, float]], regions: dict[str, str], markdown: bool) -> str:
    envs = list(tiers)
    rows = [("region", *(regions[e] for e in envs))]
    rows += [
        (t, *(_money(tiers[e].get(t, 0.0)) for e in envs))
        for t in report.TIER_ORDER
        if any(t in tiers[e] for e in envs)
    ]
    rows.append(("total", *(_money(sum(tiers[e].values())) for e in envs)))
    headers = ("tier (monthly, USD)", *envs)
    if not markdown:
        return _table(rows, headers)
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join(["---"] + ["---:"] * len(envs)) + "|"]
    out += ["| " + " | ".join(f"**{c}**" if row[0] == "total" else c for c in row) + " |" for row in rows]
    return "\n".join(out)


def _money(x: float) -> str:
    return f"${x:,.2f}"


def _delta(x: float) -> str:
    return f"{'+' if x > 0.005 else '-' if x < -0.005 else ''}${abs(x):,.2f}"


def _old_new(old: float, new: float) -> dict[str, float]:
    return {"old": round(old, 2), "new": round(new, 2), "delta": round(new - old, 2)}


def cost_delta(ref: str, envs: list[str], stack_dir: Path, json_path: str | None) -> int:
    """Infracost-style: per environment, tier and resource, old -> new and the difference."""
    commit, old, new = base_and_head(ref, envs, stack_dir)
    out: dict[str, Any] = {}
    for env in old:
        a, b = ({(i.type, i.name): i for i in (_priced(d, env)[1] if d else [])} for d in (old[env], new[env]))
        ta, tb = cost.by_tier(a.values()), cost.by_tier(b.values())
        rows = []
        for key in sorted(a.keys() | b.keys(), key=lambda k: (report.tier_key((b.get(k) or a[k]).tier), k)):
            x, y = a.get(key), b.get(key)
            row = _old_new(x.monthly if x else 0.0, y.monthly if y else 0.0)
            detail = {"old": x.detail if x else None, "new": y.detail if y else None}
            if row["delta"]:
                rows.append(
                    {"tier": (y or a[key]).tier, "type": key[0], "logicalName": key[1], **row, "detail": detail}
                )
        e = out[env] = {
            **_old_new(sum(ta.values()), sum(tb.values())),
            "defaultUsage": not cost.has_usage(env),
            "tiers": {
                t: _old_new(ta.get(t, 0.0), tb.get(t, 0.0)) for t in sorted(ta.keys() | tb.keys(), key=report.tier_key)
            },
            "resources": rows,
        }
        print(f"\n=== {env}: {_money(e['old'])} -> {_money(e['new'])} per month ({_delta(e['delta'])})")
        tier_rows = [(t, _money(v["old"]), _money(v["new"]), _delta(v["delta"])) for t, v in e["tiers"].items()]
        print(_table(tier_rows, ("tier", ref, "working tree", "delta")))
        for r in rows:
            symbol = "+" if r["old"] == 0 else "-" if r["new"] == 0 else "~"
            detail = " -> ".join(d for d in r["detail"].values() if d)
            print(f"  {symbol} {r['tier']} {_short_type(r['type'])} {r['logicalName']}: ", end="")
            print(f"{_money(r['old'])} -> {_money(r['new'])} ({_delta(r['delta'])}; {detail})")
    total = _old_new(sum(e["old"] for e in out.values()), sum(e["new"] for e in out.values()))
    print(f"\ntotal: {_money(total['old'])} -> {_money(total['new'])} per month ({_delta(total['delta'])})")
    for note in _default_usage_notes(list(old)):
        print(note)
    doc = {"schemaVersion": report.SCHEMA_VERSION, "kind": "cost", "mode": "base", "currency": "USD"}
    _write_json(
        json_path,
        doc | {"period": "month", "base": {"ref": ref, "commit": commit}, "environments": out, "total": total},
    )
    return 0


def policy_report(envs: list[str], stack_dir: Path, mode: str) -> int:
    """The policy pack over each environment, as `pulumi up` (update) and a first `pulumi preview`
    of a new stack (preview) would run it; exit 1 on any mandatory violation."""
    from offline import policy  # noqa: PLC0415 - loads pulumi_policy only for this command

    mandatory = 0
    for env in envs:
        for preview in {"update": [False], "preview": [True], "both": [False, True]}[mode]:
            result = policy.run(env, preview=preview, stack_dir=stack_dir)
            print(result.text() + "\n")
            mandatory += len(result.mandatory)
    print(f"policy: {mandatory} mandatory violation(s) in {', '.join(envs)} ({mode})")
    return 1 if mandatory else 0


COMMANDS = {
    "plan": "what each environment would contain: every resource by tier, with a summary per stack",
    "diff": "two environments (ENV_A ENV_B), or the working tree against REF as `pulumi preview` would show it",
    "cost": "monthly cost per environment and tier (prices and usage in pricing/), or its delta against REF",
    "policy": "the policy pack (policy/) through pulumi_policy's analyzer servicer, as the engine calls it",
    "keys": "every config key changed on every stack, read through the diff model against its `changing`",
}
STACK_DIR_HELP = "directory holding Pulumi.yaml and Pulumi.<env>.yaml (default: the project directory)"
BASE_HELP = "git revision to compare the working tree with (e.g. origin/main, HEAD~1)"


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="python -m offline", description=__doc__, formatter_class=raw)
    parser.add_argument("--stack-dir", type=Path, default=stackfiles.PROJECT_ROOT, metavar="DIR", help=STACK_DIR_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    epilog = "ENV: a stack name, one per Pulumi.<ENV>.yaml in --stack-dir (default: all of them)"
    for name, text in COMMANDS.items():
        p = sub.add_parser(name, help=text, description=text, epilog=epilog)
        # also after the command; no default of its own, so one given before the command stays
        p.add_argument("--stack-dir", type=Path, default=argparse.SUPPRESS, metavar="DIR", help=STACK_DIR_HELP)
        p.add_argument("envs", nargs="*", metavar="ENV", help="environments (default: all); diff: ENV_A ENV_B")
        if name in ("plan", "diff", "cost"):
            p.add_argument(
                "--json", metavar="FILE", help=f"also write the {name} as JSON (schemaVersion 2); - for stdout"
            )
        if name in ("diff", "cost"):
            p.add_argument("--base", metavar="REF", help=BASE_HELP)
    diff, cost_parser = sub.choices["diff"], sub.choices["cost"]
    diff.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when the two differ in more than sizing, retention or identity keys",
    )
    diff.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="with --base: exit 0 no change, 2 changes, 3 a failing or data-destroying change",
    )
    cost_parser.add_argument("--markdown", action="store_true", help="print a Markdown table (the README's)")
    sub.choices["policy"].add_argument(
        "--mode",
        choices=("update", "preview", "both"),
        default="both",
        help="update: as `pulumi up` on an existing stack (outputs known); preview: as the first "
        "`pulumi preview` of a new stack (outputs unknown); both (default)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse's own usage errors exit 2, which `diff` uses for "changes"
        if exc.code == 2:
            return USAGE
        raise
    global JSON_OUT  # noqa: PLW0603 (this call's stdout, before the report may go to stderr)
    JSON_OUT = sys.stdout
    gc.disable()  # a short run building a few thousand objects per environment: the cyclic GC only costs time
    try:
        with contextlib.redirect_stdout(sys.stderr) if getattr(args, "json", None) == "-" else contextlib.nullcontext():
            return _main(args)
    except (UsageError, Refused, ConfigError, cost.CostError, stackfiles.StackFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE if isinstance(exc, UsageError) else 1
    except BrokenPipeError:  # the reader went away (`| head`): as a shell tool does, stop quietly
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return BROKEN_PIPE
    except OSError as exc:  # e.g. the --json file vanished between the check and the write
        print(f"error: {exc.filename}: {exc.strerror}" if exc.filename else f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        gc.enable()


def _main(args: argparse.Namespace) -> int:  # noqa: PLR0911 (one return per command)
    try:
        stackfiles.check_project_dir(args.stack_dir)
    except stackfiles.StackFileError as exc:
        raise UsageError(f"--stack-dir {exc}") from None
    known, envs, base = stackfiles.environments(args.stack_dir), args.envs, getattr(args, "base", None)
    _check_json_path(getattr(args, "json", None))
    if args.command == "diff" and not base and len(envs) != 2:
        raise UsageError("diff needs two environments (ENV_A ENV_B) or --base REF")
    if args.command == "diff" and not base and args.detailed_exitcode:
        raise UsageError("--detailed-exitcode goes with --base REF (`diff ENV_A ENV_B` exits 1 with --check)")
    if base and getattr(args, "check", False):
        raise UsageError("--check compares two environments; it does not combine with --base")
    if base and getattr(args, "markdown", False):
        raise UsageError("--markdown prints the cost table; it does not combine with --base")
    if not base:
        _check_envs(envs, known)
    if args.command == "plan":
        return plan(envs or known, args.stack_dir, args.json)
    if args.command == "keys":
        return keys.main(envs or known, args.stack_dir)
    if args.command == "policy":
        return policy_report(envs or known, args.stack_dir, args.mode)
    if args.command == "diff":
        if base:
            return diff_base(base, envs, args.stack_dir, args.json, args.detailed_exitcode)
        return diff_envs(envs[0], envs[1], args.stack_dir, args.check, args.json)
    if base:
        return cost_delta(base, envs, args.stack_dir, args.json)
    return cost_report(envs or known, args.stack_dir, args.markdown, args.json)
