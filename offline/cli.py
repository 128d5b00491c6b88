"""Offline tools for the marin environments: no Pulumi CLI, no cloud account.

  python -m offline plan [ENV...] [--json FILE]          what each environment would contain
  python -m offline diff ENV_A ENV_B [--check]           how two environments differ, by tier
  python -m offline diff --base REF [ENV...] [--json F]  what the working tree changes against REF
  python -m offline cost [ENV...] [--markdown]           monthly cost per environment and tier
  python -m offline cost --base REF [ENV...] [--json F]  monthly cost delta against REF
  python -m offline policy [ENV...] [--mode M]           the policy pack through pulumi_policy's analyzer

Each runs the real program (`__main__.py`) under the Pulumi SDK's mock engine with the
Pulumi.<env>.yaml files (default: every one in --stack-dir). ENV defaults to all of them.

exit codes: (`diff --base --detailed-exitcode` as `terraform plan -detailed-exitcode`)
  0  done; no change (for `diff --check`: the check passed)
  1  refused input: a stack file that cannot be read or fails validation, a missing price,
     a base revision whose program does not run; `diff --check` found an undeclared difference;
     `policy` found a mandatory violation
  2  `diff --base --detailed-exitcode`: changes, none of them failing or destroying data
  3  `diff --base`: a change `pulumi up` would stop on (a protected resource replaced or deleted,
     a delete-first of something still in use, a name still taken); with --detailed-exitcode also
     a stateful resource deleted or replaced
  64 usage: unknown environment or option, --stack-dir without stack files, a --json path
     that cannot be written, a --base that is not a commit
  130 interrupted (Ctrl-C)

Options go before or after the command (`--stack-dir DIR plan` = `plan --stack-dir DIR`).
--json - writes the document to stdout (the human report then goes to stderr).

Colour only on a terminal; NO_COLOR=1 (any value) turns it off. JSON documents carry
"schemaVersion" (docs/environments.md, "Offline JSON").
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import gc
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pulumi_aws as aws

from marin import cost, stackfiles
from marin.config import ConfigError
from offline import base, engine, keys, parity, report

TIER_ORDER = report.TIER_ORDER


USAGE = 64  # sysexits.h EX_USAGE: 2 means "changes" for `diff --base --detailed-exitcode`
CHANGES, FAILING = 2, 3
INTERRUPTED, BROKEN_PIPE = 130, 141  # 128 + SIGINT, 128 + SIGPIPE: what a shell reports for either
JSON_OUT = sys.stdout  # where `--json -` writes (the human report is sent to stderr meanwhile)


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit 64."""


class Refused(Exception):
    """Input refused (already reported line by line): exit 1."""


# ------------------------------------------------------------------------------ presentation


class Style:
    CODES: ClassVar[dict[str, str]] = {
        "+": "32",
        "-": "31",
        "~": "33",
        "+-": "35",
        "bold": "1",
        "warn": "1;31",
        "dim": "2",
    }

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, kind: str, text: str) -> str:
        return f"\033[{self.CODES[kind]}m{text}\033[0m" if self.enabled else text


def style_for(stream: Any) -> Style:
    tty = bool(getattr(stream, "isatty", lambda: False)())
    return Style(tty and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb")


def _table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    line = lambda row: "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(tuple("-" * w for w in widths)), *map(line, rows)])


def _short_type(t: str) -> str:
    return t.rsplit(":", maxsplit=1)[-1]


def _tier_key(tier: str) -> int:
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else 99


def _write_json(path: str | None, doc: Mapping[str, Any]) -> None:
    if not path:
        return
    if path == "-":
        JSON_OUT.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        JSON_OUT.flush()
        return
    Path(path).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
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


def _check_base_envs(ref: str, envs: list[str], known: list[str], stack_dir: Path) -> None:
    """With --base an environment may be new in the working tree or gone from it, not unknown to both."""
    if not envs or set(envs) <= set(known):
        return
    try:
        at_base = base.environments_at(ref, stack_dir)
    except base.BaseError as exc:
        raise UsageError(str(exc)) from None
    _check_envs(envs, [*known, *(e for e in at_base if e not in known)], f"configured here or at {ref}")


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


# ------------------------------------------------------------------------------------ running


def records(inv: engine.Inventory) -> list[dict[str, Any]]:
    return [
        {"type": r.type, "name": r.name, "tier": r.tier, "inputs": engine.unwrap(r.inputs), "outputs": r.outputs}
        for r in inv.resources
    ]


def _run(envs: list[str], stack_dir: Path) -> dict[str, engine.Inventory]:
    """Every environment's inventory; every bad stack reported (one line each), then `Refused`."""
    problems: list[str] = []
    for env in envs:  # read every stack file first: a broken one fails every run of the program
        try:
            stackfiles.stack_config(env, stack_dir)
        except stackfiles.StackFileError as exc:
            problems.append(str(exc))
    try:
        stackfiles.project_file(stack_dir)
    except stackfiles.StackFileError as exc:
        problems.append(str(exc))
    out: dict[str, engine.Inventory] = {}
    if not problems:
        for i, env in enumerate(envs, 1):
            print(f"[{i}/{len(envs)}] running the program for {env} under mocks", file=sys.stderr)
            try:
                # one id seed for every environment, so mocked ids differ only where the program differs
                out[env] = engine.run_cached(env, stack_dir=stack_dir, id_seed="offline")
            except (ConfigError, stackfiles.StackFileError) as exc:
                problems.append(str(exc))
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        bad = len(problems)
        print(f"error: {bad} problem(s) in {len(envs)} stack(s); nothing was planned", file=sys.stderr)
        raise Refused
    return out


def _settings(r: Mapping[str, Any]) -> str:
    """The few inputs a reviewer looks for, per resource type (from the document)."""
    i = r["inputs"]
    t = {engine.token(aws.servicediscovery.Service): "DiscoveryService"}.get(r["type"], _short_type(r["type"]))
    pick = {
        "TaskDefinition": lambda: f"cpu {i['cpu']}, memory {i['memory']}",
        "Service": lambda: f"{i['desiredCount']} task(s) on {i['capacityProviderStrategies'][0]['capacityProvider']}",
        "ReplicationGroup": lambda: (
            f"{i['numCacheClusters']} x {i['nodeType']}, multi-AZ {i['multiAzEnabled']}, "
            f"encrypted {i['atRestEncryptionEnabled'] and i['transitEncryptionEnabled']}"
        ),
        "Domain": lambda: (
            f"{i['clusterConfig']['instanceCount']} x {i['clusterConfig']['instanceType']}, "
            f"{i['ebsOptions']['volumeSize']} GB, encrypted {i['encryptAtRest']['enabled']}"
        ),
        "AdvancedCluster": lambda: (
            f"{i['replicationSpecs'][0]['regionConfigs'][0]['electableSpecs']['instanceSize']}"
            f", backup {i.get('backupEnabled', False)}, PITR {i.get('pitEnabled', False)}"
        ),
        "LogGroup": lambda: f"retention {i['retentionInDays']} d",
        "Secret": lambda: f"recovery window {i['recoveryWindowInDays']} d",
        "Bucket": lambda: f"force destroy {i['forceDestroy']}",
        "Vpc": lambda: i["cidrBlock"],
        "Subnet": lambda: f"{i['cidrBlock']} in {i['availabilityZoneId']}",
        "Instance": lambda: i["instanceType"],
        "LoadBalancer": lambda: f"{len(i['subnets'])} AZ, deletion protection {i['enableDeletionProtection']}",
        "Listener": lambda: f"{i['protocol']} {i['port']}",
        "Api": lambda: i["protocolType"],
        "Stage": lambda: (
            f"burst {i['defaultRouteSettings']['throttlingBurstLimit']}, "
            f"rate {i['defaultRouteSettings']['throttlingRateLimit']:g}/s"
        ),
        "DiscoveryService": lambda: "/".join(d["type"] for d in i["dnsConfig"]["dnsRecords"]),
        "ScheduledAction": lambda: f"{i['schedule']} {i['timezone']}",
    }.get(t)
    try:
        text = pick() if pick else ""
    except (KeyError, IndexError, TypeError):
        text = ""
    return f"{text}{', protected' if r['protect'] else ''}".lstrip(", ")


def _summary_line(label: str, s: Mapping[str, Any]) -> str:
    tiers = ", ".join(f"{t} {n}" for t, n in s["byTier"].items())
    types = ", ".join(f"{_short_type(t)} {n}" for t, n in s["byType"].items())
    return f"{label}: {s['resources']} resources, {s['protected']} protected\n  by tier: {tiers}\n  by type: {types}"


# -------------------------------------------------------------------------------------- plan


def plan(envs: list[str], stack_dir: Path, json_path: str | None) -> int:
    st = style_for(sys.stdout)
    docs = {env: report.to_doc(inv) for env, inv in _run(envs, stack_dir).items()}
    _write_json(json_path, {"schemaVersion": report.SCHEMA_VERSION, "kind": "plan", "environments": docs})
    for env, doc in docs.items():
        rows = [
            (r["tier"], _short_type(r["type"]), r["logicalName"], r["physicalName"] or "", _settings(r))
            for r in sorted(
                report.cloud(doc["resources"]), key=lambda r: (_tier_key(r["tier"]), r["type"], r["logicalName"])
            )
        ]
        print(st("bold", f"\n=== {env}"))
        print(_table(rows, ("tier", "type", "logical name", "physical name", "key settings")))
        print(_summary_line(f"{env} total", doc["summary"]))
    if len(docs) > 1:
        everything = [r for d in docs.values() for r in d["resources"]]
        print(
            st("bold", "\n" + _summary_line(f"all {len(docs)} stacks ({', '.join(docs)})", report.summary(everything)))
        )
    return 0


# -------------------------------------------------------------------------------------- diff


def _print_changes(cs: list[report.ResourceChange], st: Style, old_label: str, new_label: str) -> None:
    current = None
    for c in cs:
        if c.tier != current:
            current = c.tier
            print(f"\n[{c.tier or '(stack)'}]")
        names = c.physical_new if c.op == "create" else c.physical_old
        if c.op in ("update", "replace") and c.physical_old != c.physical_new:
            names = f"{c.physical_old} -> {c.physical_new}"
        flags = []
        if c.op == "replace":
            flags.append("REPLACE, DELETE FIRST" if c.delete_first else "REPLACE")
        if c.protected:
            flags.append("protected")
        if c.stateful and c.op in ("delete", "replace"):
            flags.append("stateful")
        where = {"create": f"only in {new_label}", "delete": f"only in {old_label}"}.get(c.op, "")
        head = f"{c.symbol} {_short_type(c.type)} {c.logical_name} ({names or 'no physical name'})"
        tail = "  " + " ".join(f"[{f}]" for f in flags) if flags else ""
        print(st(c.symbol, f"  {head}") + (f"  {where}" if where else "") + (st("warn", tail) if c.dangerous else tail))
        for reason in c.failing:
            print(st("warn", f"      FAILS: {reason}"))
        for p in c.properties:
            mark = "  (forces replacement)" if p.replaces else f"  (replaces if {p.condition})" if p.condition else ""
            if p.old is None:
                print(st("+", f"      + {p.path}: {report.show(p.new)}") + mark)
            elif p.new is None:
                print(st("-", f"      - {p.path}: {report.show(p.old)}") + mark)
            else:
                print(st("~", f"      ~ {p.path}: {report.show(p.old)} -> {report.show(p.new)}") + mark)


def _counts_line(label: str, counts: Mapping[str, int]) -> str:
    """`pulumi preview`'s summary: + to create, ~ to update, - to delete, +- to replace."""
    return (
        f"{label}: + {counts['create']} to create, ~ {counts['update']} to update, - {counts['delete']} to delete, "
        f"+- {counts['replace']} to replace; {counts['propertiesChanged']} properties changed"
        + (f"; {counts['failing']} would fail" if counts.get("failing") else "")
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
    st = style_for(sys.stdout)
    inventories = _run([a, b], stack_dir)
    doc_a, doc_b = parity.normalised_docs(inventories[a], inventories[b])
    cs = report.changes(doc_a["resources"], doc_b["resources"], replacements_apply=False)
    counts = report.change_counts(cs)
    print(st("bold", f"{a} vs {b}: {len(cs)} resource(s) differ"))
    print(
        f"  {counts['delete']} only in {a} (-), {counts['create']} only in {b} (+), "
        f"{counts['update'] + counts['replace']} in both with {counts['propertiesChanged']} differing properties (~)"
    )
    _print_changes(cs, st, a, b)
    doc: dict[str, Any] = {
        "schemaVersion": report.SCHEMA_VERSION,
        "kind": "diff",
        "mode": "environments",
        "old": a,
        "new": b,
        "counts": counts,
        "changes": [c.as_json() for c in cs],
    }
    problems: list[str] = []
    if check:
        config_a = stackfiles.effective_config(a, stack_dir)
        config_b = stackfiles.effective_config(b, stack_dir)
        problems = parity.undeclared_differences(config_a, config_b)
        print(f"\ncheck: {a} and {b} may differ only in keys declared sizing, retention or identity")
        for p in problems:
            print(f"  NOT ALLOWED: {p}")
        print("check passed" if not problems else f"check FAILED: {len(problems)} undeclared difference(s)")
        doc["check"] = {"passed": not problems, "problems": problems}
    _write_json(json_path, doc)
    return 1 if problems else 0


def _base_and_head(ref: str, envs: list[str], stack_dir: Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """REF's plan documents (its own program and tools, in a second process) and the working
    tree's (made here meanwhile), for the environments asked for (default: all, on either side)."""
    try:
        other = base.Plan(ref, envs, stack_dir)
    except base.BaseError as exc:
        if "not a commit" in str(exc) or "needs a git repository" in str(exc):
            raise UsageError(str(exc)) from None
        raise
    known = stackfiles.environments(stack_dir)
    here = [e for e in envs if e in known] if envs else known
    try:
        new = {env: report.to_doc(inv) for env, inv in _run(here, stack_dir).items()} if here else {}
    except BaseException:  # refused or interrupted: REF's run is not waited for
        other.cancel()
        raise
    old = other.result()
    wanted = envs or [*known, *(e for e in other.envs if e not in known)]
    return other.commit, {e: old.get(e) for e in wanted}, {e: new.get(e) for e in wanted}


def diff_base(ref: str, envs: list[str], stack_dir: Path, json_path: str | None, detailed: bool = False) -> int:
    st = style_for(sys.stdout)
    commit, old, new = _base_and_head(ref, envs, stack_dir)
    label = f"{ref} ({commit[:12]})"
    doc: dict[str, Any] = {
        "schemaVersion": report.SCHEMA_VERSION,
        "kind": "diff",
        "mode": "base",
        "base": {"ref": ref, "commit": commit},
        "environments": {},
    }
    warnings: list[str] = []
    totals = {k: 0 for k in ("create", "delete", "update", "replace", "propertiesChanged", "dangerous", "failing")}
    for env in old:
        a, b = old[env], new[env]
        cs = report.changes(a["resources"] if a else [], b["resources"] if b else [])
        counts = report.change_counts(cs)
        for k in totals:
            totals[k] += counts[k]
        note = (
            " (new environment)"
            if a is None
            else " (stack file removed: the stack itself is not destroyed)"
            if b is None
            else ""
        )
        print(st("bold", f"\n=== {env}: {label} -> working tree{note}"))
        print(_counts_line(env, counts))
        _print_changes(cs, st, "base", "working tree")
        w = _warnings(env, cs)
        warnings += w
        doc["environments"][env] = {"counts": counts, "changes": [c.as_json() for c in cs], "warnings": w}
    print(st("bold", "\n" + _counts_line(f"all {len(old)} environment(s)", totals)))
    for w in warnings:
        print(st("warn", w))
    doc["counts"] = totals
    doc["warnings"] = warnings
    _write_json(json_path, doc)
    if totals["failing"]:
        return FAILING
    if not detailed:
        return 0
    if totals["dangerous"]:
        return FAILING
    return CHANGES if any(totals[k] for k in ("create", "delete", "update", "replace")) else 0


# -------------------------------------------------------------------------------------- cost


def _line_items(doc: Mapping[str, Any], env: str) -> list[cost.LineItem]:
    recs = report.records(doc)
    return cost.estimate(recs, cost.load_prices(cost.region_of(recs)), cost.load_usage(env))


def _default_usage_note(envs: list[str]) -> list[str]:
    return [
        f"note: {env} is priced on the default usage assumptions: add `environments: {env}:` to "
        "pricing/usage.yaml (traffic, log and storage volumes)"
        for env in envs
        if not cost.has_usage(env)
    ]


def cost_report(envs: list[str], stack_dir: Path, markdown: bool, json_path: str | None) -> int:
    usage = {env: cost.load_usage(env) for env in envs}  # a bad usage file is refused before any run
    inventories = _run(envs, stack_dir)
    regions = {env: cost.region_of(records(inv)) for env, inv in inventories.items()}
    prices = {env: cost.load_prices(regions[env]) for env in inventories}
    items = {env: cost.estimate(records(inv), prices[env], usage[env]) for env, inv in inventories.items()}
    tiers = {env: cost.by_tier(i) for env, i in items.items()}
    print(render_cost(tiers, regions, markdown))
    unconfirmed = [
        f"note: {env} ({regions[env]}) uses {len(keys)} price(s) marked `confirmed: false` in "
        f"pricing/prices.yaml: {', '.join(keys)}"
        for env in envs
        if (keys := prices[env].unconfirmed())
    ]
    for note in _default_usage_note(envs) + unconfirmed:
        print(note, file=sys.stderr if markdown else sys.stdout)
    _write_json(
        json_path,
        {
            "schemaVersion": report.SCHEMA_VERSION,
            "kind": "cost",
            "currency": "USD",
            "period": "month",
            "environments": {
                env: {
                    "region": regions[env],
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
                        for i in items[env]
                    ],
                }
                for env in envs
            },
        },
    )
    return 0


def render_cost(tiers: dict[str, dict[str, float]], regions: dict[str, str], markdown: bool) -> str:
    envs = list(tiers)
    names = [t for t in TIER_ORDER if any(t in tiers[e] for e in envs)]
    rows = [("region", *(regions[e] for e in envs))]
    rows += [(t, *(f"${tiers[e].get(t, 0.0):,.2f}" for e in envs)) for t in names]
    rows.append(("total", *(f"${sum(tiers[e].values()):,.2f}" for e in envs)))
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


def cost_delta(ref: str, envs: list[str], stack_dir: Path, json_path: str | None) -> int:
    """Infracost-style: per environment, tier and resource, old -> new and the difference."""
    st = style_for(sys.stdout)
    commit, old, new = _base_and_head(ref, envs, stack_dir)
    out: dict[str, Any] = {}
    grand_old = grand_new = 0.0
    for env in old:
        a = {(i.type, i.name): i for i in (_line_items(old[env], env) if old[env] else [])}
        b = {(i.type, i.name): i for i in (_line_items(new[env], env) if new[env] else [])}
        rows = []
        for key in sorted(a.keys() | b.keys(), key=lambda k: (_tier_key((b.get(k) or a[k]).tier), k)):
            x, y = a.get(key), b.get(key)
            ref_item = y or x
            assert ref_item is not None
            rows.append(
                {
                    "tier": ref_item.tier,
                    "type": key[0],
                    "logicalName": key[1],
                    "old": round(x.monthly, 2) if x else 0.0,
                    "new": round(y.monthly, 2) if y else 0.0,
                    "delta": round((y.monthly if y else 0.0) - (x.monthly if x else 0.0), 2),
                    "detail": {"old": x.detail if x else None, "new": y.detail if y else None},
                }
            )
        tiers: dict[str, dict[str, float]] = {}
        for r in rows:
            t = tiers.setdefault(r["tier"], {"old": 0.0, "new": 0.0, "delta": 0.0})
            for k in ("old", "new", "delta"):
                t[k] = round(t[k] + r[k], 2)
        total_old, total_new = sum(i.monthly for i in a.values()), sum(i.monthly for i in b.values())
        grand_old, grand_new = grand_old + total_old, grand_new + total_new
        out[env] = {
            "old": round(total_old, 2),
            "new": round(total_new, 2),
            "delta": round(total_new - total_old, 2),
            "defaultUsage": not cost.has_usage(env),
            "tiers": dict(sorted(tiers.items(), key=lambda kv: _tier_key(kv[0]))),
            "resources": [r for r in rows if abs(r["delta"]) >= 0.005],
        }
        e = out[env]
        print(st("bold", f"\n=== {env}: {_money(e['old'])} -> {_money(e['new'])} per month ({_delta(e['delta'])})"))
        print(
            _table(
                [(t, _money(v["old"]), _money(v["new"]), _delta(v["delta"])) for t, v in e["tiers"].items()],
                ("tier", f"{ref}", "working tree", "delta"),
            )
        )
        for r in e["resources"]:
            symbol = "+" if r["old"] == 0 else "-" if r["new"] == 0 else "~"
            detail = " -> ".join(d for d in (r["detail"]["old"], r["detail"]["new"]) if d)
            print(
                st(symbol, f"  {symbol} {r['tier']} {_short_type(r['type'])} {r['logicalName']}: ")
                + f"{_money(r['old'])} -> {_money(r['new'])} ({_delta(r['delta'])}; {detail})"
            )
    print(
        st("bold", f"\ntotal: {_money(grand_old)} -> {_money(grand_new)} per month ({_delta(grand_new - grand_old)})")
    )
    for note in _default_usage_note(list(old)):
        print(note)
    _write_json(
        json_path,
        {
            "schemaVersion": report.SCHEMA_VERSION,
            "kind": "cost",
            "mode": "base",
            "currency": "USD",
            "period": "month",
            "base": {"ref": ref, "commit": commit},
            "environments": out,
            "total": {"old": round(grand_old, 2), "new": round(grand_new, 2), "delta": round(grand_new - grand_old, 2)},
        },
    )
    return 0


def policy_report(envs: list[str], stack_dir: Path, mode: str) -> int:
    """The policy pack over each environment, as `pulumi up` (update) and a first `pulumi preview`
    of a new stack (preview) would run it; exit 1 on any mandatory violation."""
    from offline import policy  # noqa: PLC0415 - loads pulumi_policy only for this command

    previews = {"update": [False], "preview": [True], "both": [False, True]}[mode]
    mandatory = 0
    for env in envs:
        for preview in previews:
            report = policy.run(env, preview=preview, stack_dir=stack_dir)
            print(report.text() + "\n")
            mandatory += len(report.mandatory)
    print(f"policy: {mandatory} mandatory violation(s) in {', '.join(envs)} ({mode})")
    return 1 if mandatory else 0


# -------------------------------------------------------------------------------------- main


EPILOG_ENVS = "ENV: a stack name, one per Pulumi.<ENV>.yaml in --stack-dir (default: all of them)"
STACK_DIR_HELP = "directory holding Pulumi.yaml and Pulumi.<env>.yaml (default: the project directory)"


def build_parser() -> argparse.ArgumentParser:
    # --stack-dir before or after the command: each subcommand takes it too, with no default of its
    # own (SUPPRESS), so one given before the command is not reset by the subcommand's parse
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--stack-dir", type=Path, default=argparse.SUPPRESS, metavar="DIR", help=STACK_DIR_HELP)
    parser = argparse.ArgumentParser(
        prog="python -m offline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # its own action: a default set on an action shared through `parents` would reach the subcommands
    parser.add_argument("--stack-dir", type=Path, default=stackfiles.PROJECT_ROOT, metavar="DIR", help=STACK_DIR_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    fmt = argparse.RawDescriptionHelpFormatter
    p_plan = sub.add_parser(
        "plan",
        parents=[common],
        help="what each environment would contain",
        epilog=EPILOG_ENVS,
        formatter_class=fmt,
        description="Every resource of each environment: tier, type, logical and physical name, key\n"
        "settings; a summary per stack (by tier, by type, protected) and across stacks. Exit 1 when\n"
        "any stack is refused (all of them are reported).",
    )
    p_plan.add_argument("envs", nargs="*", metavar="ENV", help="environments to plan (default: all)")
    p_plan.add_argument(
        "--json", metavar="FILE", help="also write the inventory as JSON (kind plan, schemaVersion 2); - for stdout"
    )
    p_diff = sub.add_parser(
        "diff",
        parents=[common],
        help="two environments, or the working tree against a git revision",
        epilog=EPILOG_ENVS,
        formatter_class=fmt,
        description="diff ENV_A ENV_B [--check]: how two environments differ (environment names normalised).\n"
        "diff --base REF [ENV...]: what the working tree would create (+), delete (-), update (~) or\n"
        "replace (+-) in each environment compared with the program and stack files at REF, property by\n"
        "property; warns on a deletion or replacement of a protected or stateful resource.",
    )
    p_diff.add_argument(
        "envs", nargs="*", metavar="ENV", help="ENV_A ENV_B, or with --base: environments (default: all)"
    )
    p_diff.add_argument(
        "--base", metavar="REF", help="git revision to compare the working tree with (e.g. origin/main, HEAD~1)"
    )
    p_diff.add_argument(
        "--check",
        action="store_true",
        help="ENV_A ENV_B only: exit 1 when they differ in anything but sizing, retention or identity keys",
    )
    p_diff.add_argument("--json", metavar="FILE", help="also write the changes as JSON (kind diff); - for stdout")
    p_diff.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="with --base: exit 0 no change, 2 changes, 3 a failing or data-destroying change",
    )
    p_cost = sub.add_parser(
        "cost",
        parents=[common],
        help="monthly cost per environment and tier, or its delta against a git revision",
        epilog=EPILOG_ENVS,
        formatter_class=fmt,
        description="Monthly USD from pricing/prices.yaml and pricing/usage.yaml. With --base REF: old -> new\n"
        "per environment, tier and resource, and the total (the working tree's prices and usage on both sides).",
    )
    p_cost.add_argument("envs", nargs="*", metavar="ENV", help="environments to price (default: all)")
    p_cost.add_argument("--markdown", action="store_true", help="print a Markdown table (the README's)")
    p_cost.add_argument(
        "--base", metavar="REF", help="git revision to compare the working tree with (e.g. origin/main, HEAD~1)"
    )
    p_cost.add_argument(
        "--json", metavar="FILE", help="also write the costs as JSON (kind cost, schemaVersion 2); - for stdout"
    )
    p_keys = sub.add_parser(
        "keys",
        parents=[common],
        epilog=EPILOG_ENVS,
        help="every config key changed on every stack, read through the diff model (issue 22)",
        description="Each declared key changed from each stack's value to another valid one; exit 1 when a "
        "change fails or replaces what its declaration (`changing`, marin/config.py) does not say.",
    )
    p_keys.add_argument("envs", nargs="*", metavar="ENV", help="environments (default: all)")
    p_policy = sub.add_parser(
        "policy",
        parents=[common],
        help="the policy pack through pulumi_policy's analyzer servicer",
        epilog=EPILOG_ENVS,
        formatter_class=fmt,
        description="The policy pack (policy/, what `pulumi up --policy-pack policy` enforces) on each\n"
        "environment's resources, through pulumi_policy's own analyzer servicer as the engine calls it;\n"
        "every violation with its enforcement level. Exit 1 on any mandatory violation.",
    )
    p_policy.add_argument("envs", nargs="*", metavar="ENV", help="environments to check (default: all)")
    p_policy.add_argument(
        "--mode",
        choices=("update", "preview", "both"),
        default="both",
        help="update: as `pulumi up` on an existing stack (outputs known); preview: as the first "
        "`pulumi preview` of a new stack (outputs unknown); both (default)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's own usage errors exit 2, which `diff` uses for "changes"
        if exc.code == 2:
            return USAGE
        raise
    global JSON_OUT  # noqa: PLW0603 (the stdout of this call, before the report is sent to stderr)
    JSON_OUT = sys.stdout
    try:
        if getattr(args, "json", None) == "-":
            with contextlib.redirect_stdout(sys.stderr):
                return _main(args)
        return _main(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # the reader went away (`| head`): as a shell tool does, stop quietly
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return BROKEN_PIPE


def _main(args: argparse.Namespace) -> int:  # noqa: PLR0911 (one return per command and error class)
    # A short-lived process that builds a few thousand objects per environment: the cyclic GC
    # only costs time here (about a quarter of each run, measured with scripts/benchmark.py).
    gc.disable()
    try:
        try:
            stackfiles.check_project_dir(args.stack_dir)
        except stackfiles.StackFileError as exc:
            raise UsageError(f"--stack-dir {exc}") from None
        known = stackfiles.environments(args.stack_dir)
        _check_json_path(getattr(args, "json", None))
        envs: list[str] = args.envs
        if args.command == "diff" and not args.base:
            if len(envs) != 2:
                raise UsageError("diff needs two environments (ENV_A ENV_B) or --base REF")
            if args.detailed_exitcode:
                raise UsageError("--detailed-exitcode goes with --base REF (`diff ENV_A ENV_B` exits 1 with --check)")
        elif args.command == "diff" and args.check:
            raise UsageError("--check compares two environments; it does not combine with --base")
        if getattr(args, "base", None):
            _check_base_envs(args.base, envs, known, args.stack_dir)
        else:
            _check_envs(envs, known)
        if args.command == "plan":
            return plan(envs or known, args.stack_dir, args.json)
        if args.command == "keys":
            return keys.main(envs or known, args.stack_dir)
        if args.command == "policy":
            return policy_report(envs or known, args.stack_dir, args.mode)
        if args.command == "diff":
            if args.base:
                return diff_base(args.base, envs, args.stack_dir, args.json, args.detailed_exitcode)
            return diff_envs(envs[0], envs[1], args.stack_dir, args.check, args.json)
        if args.base:
            if args.markdown:
                raise UsageError("--markdown prints the cost table; it does not combine with --base")
            return cost_delta(args.base, envs, args.stack_dir, args.json)
        return cost_report(envs or known, args.stack_dir, args.markdown, args.json)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE
    except Refused:
        return 1
    except (ConfigError, cost.CostError, stackfiles.StackFileError, base.BaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        raise
    except OSError as exc:  # e.g. the --json file vanished between the check and the write
        print(f"error: {exc.filename}: {exc.strerror}" if exc.filename else f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        gc.enable()
