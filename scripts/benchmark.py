"""Benchmark the offline tools against their speed targets; report the modelled costs.

    .venv/bin/python scripts/benchmark.py [--runs 5] [--tests]

Medians of wall and CPU time, each a fresh process as a user runs it, side by side in one run:
- a bare `import pulumi, pulumi_aws, pulumi_mongodbatlas, pulumi_random` (the floor);
- `python -m offline plan` (every environment): at most 4x the bare import's CPU;
- `python -m offline diff --base HEAD` (every environment, each stack file changed in a clone: a
  change of stack files only, so REF's plan runs in this process; in a second one when this tree
  has uncommitted changes, and the script says so): at most 2x the plan's wall time;
- with --tests, the test suite (`python -m pytest`, the README's command, a worker per core),
  target 60 s, beside the same suite in one process (`-n0`).
Exit 0 when every target is met. The monthly cost of each environment is printed against
the cost targets (issues 4 and 14) for information; it does not decide the exit code.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marin import cost, stackfiles  # noqa: E402
from offline import engine, report  # noqa: E402

PLAN_OVER_IMPORT_CPU = 4.0
DIFF_OVER_PLAN_WALL = 2.0
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tests", action="store_true", help="also time the test suite")
    args = parser.parse_args()
    python = sys.executable
    bare = "import pulumi, pulumi_aws, pulumi_mongodbatlas, pulumi_random"
    with tempfile.TemporaryDirectory(prefix="marin-bench-") as clone:
        # diff --base: every stack file changed since HEAD (a comment added, in a clone), so both sides run
        subprocess.run(["git", "clone", "-q", "--shared", str(ROOT), clone], check=True)
        for stack in Path(clone).glob("Pulumi.*.yaml"):
            stack.write_text(stack.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
        diff = [python, "-m", "offline", "--stack-dir", clone, "diff", "--base", "HEAD"]
        runs = {
            "bare SDK import": wall([python, "-c", bare], args.runs, "bare SDK import"),
            "plan": wall([python, "-m", "offline", "plan"], args.runs, "plan"),
            "diff --base HEAD": wall(diff, args.runs, "diff --base HEAD"),
        }
        said = subprocess.run(diff, cwd=ROOT, capture_output=True, text=True, check=True).stderr
    where = "this process" if " at --base " in said else "a second process (uncommitted program changes here?)"
    print(f"diff --base HEAD: REF's plan ran in {where}")
    wall_median = {k: statistics.median(v) for k, v in runs.items()}
    cpu_median = {k: statistics.median(CPU[k]) for k in runs}
    for name in runs:
        print(f"{name:20} median {wall_median[name]:6.2f} s wall, {cpu_median[name]:5.2f} s CPU")
    plan_ratio = cpu_median["plan"] / cpu_median["bare SDK import"]
    diff_ratio = wall_median["diff --base HEAD"] / wall_median["plan"]
    ok = plan_ratio <= PLAN_OVER_IMPORT_CPU and diff_ratio <= DIFF_OVER_PLAN_WALL
    print(
        f"plan / bare import CPU: {plan_ratio:.2f}x (target <= {PLAN_OVER_IMPORT_CPU:.0f}x: "
        f"{'met' if plan_ratio <= PLAN_OVER_IMPORT_CPU else 'MISSED'})"
    )
    print(
        f"diff --base / plan wall: {diff_ratio:.2f}x (target <= {DIFF_OVER_PLAN_WALL:.0f}x: "
        f"{'met' if diff_ratio <= DIFF_OVER_PLAN_WALL else 'MISSED'})"
    )
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"  load average {load:.1f} on {os.cpu_count()} CPUs: wall times inflated; CPU time is comparable")
    if args.tests:
        # The README's command (one worker per core, pyproject's `-n auto`), beside one process (`-n0`).
        for label, extra in (("test suite, one process", ["-n0"]), ("test suite", [])):
            (suite,) = wall([python, "-m", "pytest", "-p", "no:cacheprovider", *extra], 1, label)
            print(f"{label:32} {suite:6.2f} s wall, {CPU[label][0]:5.2f} s CPU")
        met = suite <= SUITE_TARGET
        ok &= met
        print(f"{'':32} target <= {SUITE_TARGET:.0f} s wall: {'met' if met else 'MISSED'}")
    prices = cost.load_prices()
    for env in stackfiles.environments():
        monthly = sum(i.monthly for i in cost.estimate(report.records(engine.run(env)), prices, cost.load_usage(env)))
        target = COST_TARGETS.get(env)
        verdict = (
            "" if target is None else f"  (cost target ${target:.0f}: {'within' if monthly <= target else 'over'})"
        )
        print(f"{env:8} ${monthly:8.2f} / month{verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
