"""Command line of the offline tools: run the real program under mocks and report on it."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from marin import stackfiles
from marin.config import ConfigError
from offline import engine


def _plan(envs: list[str]) -> int:
    for env in envs:
        print(f"running the program for stack {env!r} under mocks...", file=sys.stderr)
        inv = engine.run(env)
        print(f"\n== {env}: {len(inv.custom)} resources")
        by_tier: dict[str, Counter[str]] = {}
        for r in inv.custom:
            if r.type.startswith("pulumi:providers:"):
                continue
            by_tier.setdefault(r.tier, Counter())[r.type.split(":")[-1]] += 1
        for tier, counts in sorted(by_tier.items()):
            print(f"  {tier:<10} " + ", ".join(f"{n} {t}" for t, n in sorted(counts.items())))
    return 0


def main(argv: list[str] | None = None) -> int:
    known = stackfiles.environments()
    parser = argparse.ArgumentParser(prog="python -m offline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="what each environment would contain")
    plan.add_argument("envs", nargs="*", metavar="ENV", help=f"default: all ({', '.join(known)})")
    args = parser.parse_args(argv)
    envs = args.envs or known
    unknown = [e for e in envs if e not in known]
    if unknown:
        print(f"error: unknown environment {', '.join(unknown)}; configured: {', '.join(known)}", file=sys.stderr)
        return 2
    try:
        return _plan(envs)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
