"""Benchmark the offline tools against their speed targets; report the modelled costs.

    .venv/bin/python scripts/benchmark.py [--runs 5] [--tests]

Medians of wall time, each a fresh process as a user runs it:
- `python -m offline plan` (every environment);
- `python -m offline diff --base HEAD~1` (every environment, both sides): when HEAD~1 has this
  checkout's program, its stack files run in the same process;
- `python -m offline diff --base REF` where REF is the newest commit whose program differs: the
  first run builds REF's inventory in a second process (reported on its own, uncached), the
  rest reuse the cache in .cache/offline/;
- with --tests, the test suite (`python -m pytest`, the README's command), target 60 s.
Exit 0 when every speed target is met. The monthly cost of each environment is printed against
the cost targets (issues 4 and 14) for information; it does not decide the exit code.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marin import cost, stackfiles  # noqa: E402
from offline import base, cli, engine  # noqa: E402

SPEED_TARGETS = {
    "plan": 3.0,
    "diff --base HEAD~1": 5.0,
    "diff --base REF (uncached)": 12.0,
    "diff --base REF": 5.0,
}
SUITE_TARGET = 60.0
COST_TARGETS = {"dev": 60.0, "staging": 450.0, "prod": 850.0}  # dev: issue 14


CPU: dict[str, list[float]] = {}


def wall(cmd: list[str], runs: int, label: str = "") -> list[float]:
    """Wall seconds per run; CPU seconds (user + sys of the process tree) go to CPU[label]."""
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        CPU.setdefault(label, []).append(cpu)
    return times


def changed_program_ref() -> str:
    """The newest ancestor of HEAD whose program (`base.PROGRAM`) is not this checkout's."""
    commits = subprocess.run(
        ["git", "-C", str(ROOT), "rev-list", "--max-count=200", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.split()
    for commit in commits:
        if not base.same_program(commit, ROOT):
            return commit
    raise SystemExit("no commit among the last 200 has another program: nothing to time for REF")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tests", action="store_true", help="also time the test suite")
    args = parser.parse_args()
    python = sys.executable
    medians: dict[str, float] = {}
    plan = wall([python, "-m", "offline", "plan"], args.runs, "plan")
    medians["plan"] = statistics.median(plan)
    shutil.rmtree(base.CACHE_DIR, ignore_errors=True)
    diff = wall([python, "-m", "offline", "diff", "--base", "HEAD~1"], args.runs, "diff --base HEAD~1")
    medians["diff --base HEAD~1"] = statistics.median(diff)
    ref = changed_program_ref()
    print(f"REF = {ref[:12]}, the newest commit whose program differs from this checkout's")
    shutil.rmtree(base.CACHE_DIR, ignore_errors=True)
    ref_cmd = [python, "-m", "offline", "diff", "--base", ref]
    medians["diff --base REF (uncached)"] = wall(ref_cmd, 1, "diff --base REF (uncached)")[0]
    medians["diff --base REF"] = statistics.median(wall(ref_cmd, args.runs, "diff --base REF"))
    ok = True
    for name, target in SPEED_TARGETS.items():
        met = medians[name] <= target
        ok &= met
        cpu = statistics.median(CPU[name])
        print(
            f"{name:32} median {medians[name]:6.2f} s wall, {cpu:5.2f} s CPU  "
            f"(target <= {target:.1f} s wall: {'met' if met else 'MISSED'})"
        )
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"  load average {load:.1f} on {os.cpu_count()} CPUs: wall times inflated; CPU time is comparable")
    print(f"  plan runs: {', '.join(f'{t:.2f}' for t in plan)}; diff runs: {', '.join(f'{t:.2f}' for t in diff)}")
    if args.tests:
        (suite,) = wall([python, "-m", "pytest", "-p", "no:cacheprovider"], 1, "suite")
        met = suite <= SUITE_TARGET
        ok &= met
        print(
            f"{'test suite':32} {suite:6.2f} s wall, {CPU['suite'][0]:5.2f} s CPU  "
            f"(target <= {SUITE_TARGET:.0f} s wall: {'met' if met else 'MISSED'})"
        )
    prices = cost.load_prices()
    for env in stackfiles.environments():
        monthly = sum(i.monthly for i in cost.estimate(cli.records(engine.run(env)), prices, cost.load_usage(env)))
        target = COST_TARGETS.get(env)
        verdict = (
            "" if target is None else f"  (cost target ${target:.0f}: {'within' if monthly <= target else 'over'})"
        )
        print(f"{env:8} ${monthly:8.2f} / month{verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
