"""Benchmark the main job and report the modelled costs against the targets (issue 4).

    .venv/bin/python scripts/benchmark.py [--runs 7]

Wall time of `python -m offline plan` (all environments, a fresh process each time, as a user
runs it) and of the test suite, as medians; then the monthly cost of each environment.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marin import cost  # noqa: E402
from offline import cli, engine  # noqa: E402

TARGETS = {
    "plan_seconds": 3.0,
    "dev": 60.0,  # dev: issue 14
    "staging": 450.0,
    "prod": 850.0,
}


def wall(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    python = sys.executable
    plan = wall([python, "-m", "offline", "plan"], runs)
    tests = wall([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], max(1, runs // 3))
    print(
        f"plan, all environments: median {statistics.median(plan):.2f} s over {runs} runs "
        f"(min {min(plan):.2f}, max {max(plan):.2f}; target <= {TARGETS['plan_seconds']} s)"
    )
    print(f"test suite: median {statistics.median(tests):.2f} s over {len(tests)} runs")
    prices = cost.load_prices()
    ok = statistics.median(plan) <= TARGETS["plan_seconds"]
    for env in ("dev", "staging", "prod"):
        inv = engine.run(env)
        monthly = sum(i.monthly for i in cost.estimate(cli.records(inv), prices, cost.load_usage(env)))
        verdict = "within" if monthly <= TARGETS[env] else "OVER"
        ok &= monthly <= TARGETS[env]
        print(f"{env:8} ${monthly:8.2f} / month  ({verdict} target ${TARGETS[env]:.0f})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
