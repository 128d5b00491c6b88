"""Turn `offline diff --base` and `offline cost --base` JSON into the pull request comment.

Reads REPORT_DIR/diff.json and cost.json (schemaVersion 2), writes REPORT_DIR/comment.md and
REPORT_DIR/pr-number. The same change model and symbols as `python -m offline diff --base`
(`+ - ~ +-`, counts as `pulumi preview` prints them). Alarms on a change `pulumi up` would stop
on, a deletion or replacement of a protected or stateful resource, and a monthly cost increase
above THRESHOLD_USD in any environment.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2
SYMBOL = {"create": "+", "delete": "-", "update": "~", "replace": "+-"}  # offline.report.ResourceChange.symbol


def money(x: float) -> str:
    return f"${x:,.2f}"


def delta(x: float) -> str:
    return f"{'+' if x > 0.005 else '-' if x < -0.005 else ''}${abs(x):,.2f}"


def comment(diff: dict[str, Any], cost: dict[str, Any], head: str, threshold: float) -> str:
    for doc in (diff, cost):
        if doc.get("schemaVersion") != SCHEMA_VERSION:
            raise SystemExit(f"unsupported schemaVersion {doc.get('schemaVersion')!r}")
    lines = [f"## Offline preview and cost of this pull request ({head[:12]} vs {diff['base']['commit'][:12]})", ""]
    alarms = list(diff["warnings"])
    over = [(env, c["delta"]) for env, c in cost["environments"].items() if c["delta"] > threshold]
    alarms += [f"monthly cost of {env} rises by {money(d)} (threshold {money(threshold)})" for env, d in over]
    if alarms:
        lines += ["> [!CAUTION]", "> **Review before merging:**"]
        lines += [f"> - :rotating_light: {a}" for a in alarms]
        lines.append("")
    lines += [
        "| environment | + create | ~ update | - delete | +- replace | properties | monthly cost | delta |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for env, d in diff["environments"].items():
        n = d["counts"]
        c = cost["environments"].get(env, {"old": 0.0, "new": 0.0, "delta": 0.0})
        lines.append(
            f"| {env} | {n['create']} | {n['update']} | {n['delete']} | {n['replace']} | {n['propertiesChanged']} "
            f"| {money(c['old'])} -> {money(c['new'])} | {delta(c['delta'])} |"
        )
    t = cost["total"]
    lines += ["", f"**Total:** {money(t['old'])} -> {money(t['new'])} per month ({delta(t['delta'])}).", ""]
    for env, d in diff["environments"].items():
        if not d["changes"]:
            continue
        lines += [f"<details><summary>{env}: {len(d['changes'])} resource(s) change</summary>", "", "```diff"]
        for ch in d["changes"]:
            name = ch["physicalName"]["new"] or ch["physicalName"]["old"] or ""
            first = " (delete first)" if ch.get("deleteFirst") else ""
            lines.append(f"{SYMBOL[ch['op']]} {ch['type']} {ch['logicalName']} {name}{first}".rstrip())
            lines += [f"!   fails: {reason}" for reason in ch.get("failing", [])]
            for p in ch["properties"]:
                forced = "  (forces replacement)" if p["forcesReplacement"] else ""
                forced = forced or (f"  (replaces if {p['replacesIf']})" if p.get("replacesIf") else "")
                lines.append(f"    {p['path']}: {json.dumps(p['old'])} -> {json.dumps(p['new'])}{forced}")
        lines += ["```", "</details>", ""]
    lines.append("Computed offline under the Pulumi mock engine (`python -m offline diff --base`, `cost --base`).")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python scripts/pr_report.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("report_dir", type=Path, metavar="REPORT_DIR", help="holds diff.json and cost.json")
    parser.add_argument("pr", type=int, metavar="PR_NUMBER", help="the pull request's number")
    parser.add_argument("head", metavar="HEAD_SHA", help="the commit the comment describes")
    parser.add_argument("threshold", type=float, metavar="THRESHOLD_USD", help="alarm above this monthly increase")
    args = parser.parse_args(argv)
    docs = []
    for path in (args.report_dir / "diff.json", args.report_dir / "cost.json"):
        try:
            docs.append(json.loads(path.read_text(encoding="utf-8")))
        except OSError as exc:
            parser.exit(1, f"error: {path}: {exc.strerror}\n")
        except ValueError as exc:
            parser.exit(1, f"error: {path}: not a JSON document ({exc})\n")
    diff, cost = docs
    (args.report_dir / "comment.md").write_text(comment(diff, cost, args.head, args.threshold), encoding="utf-8")
    (args.report_dir / "pr-number").write_text(str(args.pr), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
