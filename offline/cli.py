"""Offline tools for the marin environments: no Pulumi CLI, no cloud account.

  python -m offline plan [ENV...] [--json FILE]   what each environment would contain
  python -m offline diff ENV_A ENV_B [--check]    how two environments differ, by tier
  python -m offline cost [ENV...] [--markdown]    monthly cost per environment and tier
  python -m offline policy [ENV...] [--mode M]    the policy pack through pulumi_policy's analyzer

Each runs the real program (`__main__.py`) under the Pulumi SDK's mock engine with the
committed Pulumi.<env>.yaml files.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path
from typing import Any

from marin import cost, stackfiles
from marin.config import ConfigError
from offline import engine, parity

TIER_ORDER = ("network", "storage", "logging", "secrets", "iam", "database", "cache", "search", "compute", "monitoring")


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit 2."""


def _run(envs: list[str], stack_dir: Path) -> dict[str, engine.Inventory]:
    out = {}
    for i, env in enumerate(envs, 1):
        print(f"[{i}/{len(envs)}] running the program for {env} under mocks", file=sys.stderr)
        # one id seed for every environment, so mocked ids differ only where the program differs
        out[env] = engine.run(env, stack_dir=stack_dir, id_seed="offline")
    return out


def records(inv: engine.Inventory) -> list[dict[str, Any]]:
    return [
        {"type": r.type, "name": r.name, "tier": r.tier, "inputs": engine.unwrap(r.inputs), "outputs": r.outputs}
        for r in inv.resources
    ]


def _settings(r: engine.Resource) -> str:
    """The few inputs a reviewer looks for, per resource type."""
    i = engine.unwrap(r.inputs)
    t = {"aws:servicediscovery/service:Service": "DiscoveryService"}.get(r.type, r.type.split(":")[-1])
    pick = {
        "TaskDefinition": lambda: f"cpu {i['cpu']}, memory {i['memory']}",
        "Service": lambda: (
            f"{int(i['desiredCount'])} task(s) on {i['capacityProviderStrategies'][0]['capacityProvider']}"
        ),
        "ReplicationGroup": lambda: (
            f"{int(i['numCacheClusters'])} x {i['nodeType']}, multi-AZ {i['multiAzEnabled']}, "
            f"encrypted {i['atRestEncryptionEnabled'] and i['transitEncryptionEnabled']}"
        ),
        "Domain": lambda: (
            f"{int(i['clusterConfig']['instanceCount'])} x {i['clusterConfig']['instanceType']}, "
            f"{int(i['ebsOptions']['volumeSize'])} GB, encrypted {i['encryptAtRest']['enabled']}"
        ),
        "AdvancedCluster": lambda: (
            f"{i['replicationSpecs'][0]['regionConfigs'][0]['electableSpecs']['instanceSize']}"
            f", backup {i.get('backupEnabled', False)}, PITR {i.get('pitEnabled', False)}"
        ),
        "LogGroup": lambda: f"retention {int(i['retentionInDays'])} d",
        "Secret": lambda: f"recovery window {int(i['recoveryWindowInDays'])} d",
        "Bucket": lambda: f"force destroy {i['forceDestroy']}",
        "Vpc": lambda: i["cidrBlock"],
        "Subnet": lambda: f"{i['cidrBlock']} in {i['availabilityZone']}",
        "Instance": lambda: i["instanceType"],
        "LoadBalancer": lambda: f"{len(i['subnets'])} AZ, deletion protection {i['enableDeletionProtection']}",
        "Listener": lambda: f"{i['protocol']} {int(i['port'])}",
        "Api": lambda: i["protocolType"],
        "Stage": lambda: (
            f"burst {int(i['defaultRouteSettings']['throttlingBurstLimit'])}, "
            f"rate {i['defaultRouteSettings']['throttlingRateLimit']:g}/s"
        ),
        "DiscoveryService": lambda: "/".join(d["type"] for d in i["dnsConfig"]["dnsRecords"]),
        "ScheduledAction": lambda: f"{i['schedule']} {i['timezone']}",
    }.get(t)
    text = pick() if pick else ""
    return f"{text}{', protected' if r.protect else ''}".lstrip(", ")


def _table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    line = lambda row: "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(tuple("-" * w for w in widths)), *map(line, rows)])


def plan(envs: list[str], stack_dir: Path, json_path: str | None) -> int:
    inventories = _run(envs, stack_dir)
    if json_path:
        doc = {
            env: [
                {
                    "type": r.type,
                    "logicalName": r.name,
                    "physicalName": r.physical_name,
                    "tier": r.tier,
                    "protect": r.protect,
                    "inputs": engine.unwrap(r.inputs),
                }
                for r in inv.custom
            ]
            for env, inv in inventories.items()
        }
        Path(json_path).write_text(json.dumps(doc, indent=2, sort_keys=True, default=str), encoding="utf-8")
        print(f"wrote the inventory of {', '.join(envs)} to {json_path}", file=sys.stderr)
    for env, inv in inventories.items():
        cloud = [r for r in inv.custom if cost.is_cloud_resource(r.type)]
        rows = [
            (r.tier, r.type.split(":")[-1], r.physical_name or "", _settings(r))
            for r in sorted(
                cloud, key=lambda r: (TIER_ORDER.index(r.tier) if r.tier in TIER_ORDER else 99, r.type, r.name)
            )
        ]
        print(
            f"\n=== {env}: {len(cloud)} resources in {len({r.tier for r in cloud})} tiers, "
            f"{sum(r.protect for r in cloud)} protected"
        )
        print(_table(rows, ("tier", "type", "physical name", "key settings")))
        counts: dict[str, int] = {}
        for r in cloud:
            counts[r.tier] = counts.get(r.tier, 0) + 1
        print("totals: " + ", ".join(f"{t} {counts[t]}" for t in TIER_ORDER if t in counts) + f"; all {len(cloud)}")
    return 0


def diff(a: str, b: str, stack_dir: Path, check: bool) -> int:
    inventories = _run([a, b], stack_dir)
    differences = parity.compare(inventories[a], inventories[b])
    tiers: dict[str, list[str]] = {}
    by_key = {f"{r.type} {r.name}": r.tier for inv in inventories.values() for r in inv.resources}
    for d in differences:
        key = d.split(": ", 2)[1]
        tiers.setdefault(by_key.get(key, "") or "(stack)", []).append(d)
    print(f"{a} vs {b}: {len(differences)} difference(s)")
    for tier in sorted(tiers, key=lambda t: TIER_ORDER.index(t) if t in TIER_ORDER else 99):
        print(f"\n[{tier}]")
        for d in tiers[tier]:
            print(f"  {d}")
    if not check:
        return 0
    config_a = stackfiles.effective_config(a, stack_dir)
    config_b = stackfiles.effective_config(b, stack_dir)
    problems = parity.undeclared_differences(config_a, config_b)
    print(f"\ncheck: {a} and {b} may differ only in keys declared sizing, retention or identity")
    for p in problems:
        print(f"  NOT ALLOWED: {p}")
    print("check passed" if not problems else f"check FAILED: {len(problems)} undeclared difference(s)")
    return 1 if problems else 0


def cost_report(envs: list[str], stack_dir: Path, markdown: bool) -> int:
    prices = cost.load_prices()
    inventories = _run(envs, stack_dir)
    tiers: dict[str, dict[str, float]] = {}
    for env, inv in inventories.items():
        tiers[env] = cost.by_tier(cost.estimate(records(inv), prices, cost.load_usage(env)))
    print(render_cost(tiers, markdown))
    return 0


def render_cost(tiers: dict[str, dict[str, float]], markdown: bool) -> str:
    envs = list(tiers)
    names = [t for t in TIER_ORDER if any(t in tiers[e] for e in envs)]
    rows = [(t, *(f"${tiers[e].get(t, 0.0):,.2f}" for e in envs)) for t in names]
    rows.append(("total", *(f"${sum(tiers[e].values()):,.2f}" for e in envs)))
    headers = ("tier (monthly, USD)", *envs)
    if not markdown:
        return _table(rows, headers)
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join(["---"] + ["---:"] * len(envs)) + "|"]
    out += ["| " + " | ".join(f"**{c}**" if row[0] == "total" else c for c in row) + " |" for row in rows]
    return "\n".join(out)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m offline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--stack-dir",
        type=Path,
        default=stackfiles.PROJECT_ROOT,
        help="directory holding Pulumi.yaml and Pulumi.<env>.yaml (default: the project)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_plan = sub.add_parser("plan", help="what each environment would contain")
    p_plan.add_argument("envs", nargs="*", metavar="ENV")
    p_plan.add_argument("--json", metavar="FILE", help="also write the full inventory as JSON")
    p_diff = sub.add_parser("diff", help="how two environments differ, by tier")
    p_diff.add_argument("env_a", metavar="ENV_A")
    p_diff.add_argument("env_b", metavar="ENV_B")
    p_diff.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when they differ in anything but sizing, retention or identity keys",
    )
    p_cost = sub.add_parser("cost", help="monthly cost per environment and tier")
    p_cost.add_argument("envs", nargs="*", metavar="ENV")
    p_cost.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p_policy = sub.add_parser("policy", help="the policy pack through pulumi_policy's analyzer servicer")
    p_policy.add_argument("envs", nargs="*", metavar="ENV")
    p_policy.add_argument("--mode", choices=("update", "preview", "both"), default="both")
    args = parser.parse_args(argv)
    # A short-lived process that builds a few thousand objects per environment: the cyclic GC
    # only costs time here (about a quarter of each run, measured with scripts/benchmark.py).
    gc.disable()
    try:
        known = stackfiles.environments(args.stack_dir)
        wanted = [args.env_a, args.env_b] if args.command == "diff" else (args.envs or known)
        unknown = [e for e in wanted if e not in known]
        if unknown:
            raise UsageError(f"unknown environment {', '.join(unknown)}; configured: {', '.join(known) or 'none'}")
        if args.command == "plan":
            return plan(wanted, args.stack_dir, args.json)
        if args.command == "diff":
            return diff(args.env_a, args.env_b, args.stack_dir, args.check)
        if args.command == "policy":
            return policy_report(wanted, args.stack_dir, args.mode)
        return cost_report(wanted, args.stack_dir, args.markdown)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ConfigError, cost.CostError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        gc.enable()
