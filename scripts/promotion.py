"""Refuse a manual deploy of a commit that staging has not deployed successfully (promotion by commit).

    pulumi stack history --stack organization/marin/staging --json > history.json
    python scripts/promotion.py --history history.json --sha <40-hex commit> --stack staging

The record is staging's own Pulumi update history, in staging's state bucket: only staging's
deploy role (trusted only by jobs bound to the `staging` GitHub Environment) can write it, and the
engine stamps every update with the commit it ran from (`environment["git.head"]`). Exits 0 when
an update of that commit succeeded from a clean checkout, 1 otherwise, with the reason.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

SHA = re.compile(r"^[0-9a-f]{40}$")


def problems(history: list[dict[str, Any]], sha: str, stack: str) -> list[str]:
    if not SHA.fullmatch(sha):
        return [f"sha={sha!r}: allowed: a full 40-character lowercase commit SHA"]
    updates = [h for h in history if h.get("kind") == "update" and (h.get("environment") or {}).get("git.head") == sha]
    if any(u.get("result") == "succeeded" and (u.get("environment") or {}).get("git.dirty") != "true" for u in updates):
        return []
    if updates:
        results = ", ".join(sorted({str(u.get("result")) for u in updates}))
        return [f"stack {stack!r} ran {sha[:12]} but never succeeded from a clean checkout (results: {results})"]
    return [f"stack {stack!r} has never deployed {sha[:12]}: deploy it to {stack} first (push to main)"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", required=True, type=Path, help="output of `pulumi stack history --json`")
    parser.add_argument("--sha", required=True)
    parser.add_argument("--stack", required=True)
    args = parser.parse_args(argv)
    try:
        history = json.loads(args.history.read_text(encoding="utf-8") or "[]")
    except (OSError, ValueError) as error:
        print(f"::error::cannot read the deployment record {args.history}: {error}")
        return 1
    found = problems(history if isinstance(history, list) else [], args.sha, args.stack)
    for p in found:
        print(f"::error::{p}")
    if not found:
        print(f"promotion allowed: {args.stack} deployed {args.sha} successfully")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
