"""Refuse a deploy whose stack, GitHub environment and AWS account disagree (story risk 1).

    python scripts/verify_target.py --stack dev --github-environment dev --account 111111111111

Exits 1 with the reason when the stack is not a configured environment, when it is not the
GitHub environment the job is bound to, or when the credentials' account is not one the stack
allows (`marin:allowedAccountIds` in Pulumi.<stack>.yaml).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marin import stackfiles


def problems(stack: str, github_environment: str, account: str, root: Path = stackfiles.PROJECT_ROOT) -> list[str]:
    known = stackfiles.environments(root)
    if stack not in known:
        return [f"stack {stack!r} is not a configured environment ({', '.join(known)})"]
    out = []
    if stack != github_environment:
        out.append(f"stack {stack!r} is deployed from GitHub environment {github_environment!r}; they must match")
    allowed = json.loads(stackfiles.effective_config(stack, root).get("marin:allowedAccountIds", "[]"))
    if account not in allowed:
        out.append(f"credentials are for account {account}; stack {stack!r} allows {', '.join(allowed)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--github-environment", required=True)
    parser.add_argument("--account", required=True)
    parser.add_argument("--root", type=Path, default=stackfiles.PROJECT_ROOT, help="the program's checkout")
    args = parser.parse_args(argv)
    found = problems(args.stack, args.github_environment, args.account, args.root.resolve())
    for p in found:
        print(f"::error::{p}")
    if not found:
        print(f"target verified: stack {args.stack}, environment {args.github_environment}, account {args.account}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
