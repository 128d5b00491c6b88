"""`python -m offline keys` (issue 22, docs/offline.md "Every key, every change"): each declared key
changed on each stack to another valid value, run under mocks and read through `report.changes`;
a key passes when no change fails and what it replaces is its declared `changing` text. A value
the config refuses with the rest of that stack is skipped for the next candidate."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi_aws as aws

from marin import catalogue, limits, stackfiles
from marin.config import SCHEMA, ConfigError, Key, parse
from offline import engine, replacements, report

EXAMPLE_UUID = "00000000-0000-0000-0000-000000000000"
SEED = "offline"  # the id seed of the offline commands: mocked ids differ only where the program does
SUBNET = engine.token(aws.ec2.Subnet)
PROTECTED_REFUSAL = "replace of a protected resource"  # offline/report.py _failures: `protect` at work


def _other_image(ref: str) -> str:
    """Another pinned reference to the same repository: another digest, or another version tag."""
    if "@sha256:" in ref:
        repo, digest = ref.split("@sha256:", 1)
        return f"{repo}@sha256:{'0' * 64 if digest != '0' * 64 else '1' * 64}"
    repo = ref.rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref
    return f"{repo}:{'1.0.2' if ref.endswith(':1.0.1') else '1.0.1'}"


# Free-form keys: a sibling value of the same form, for the key's own value (or its default).
SIBLINGS: dict[str, Any] = {
    "awsRegion": lambda v: "us-west-2" if v != "us-west-2" else "us-east-2",
    "allowedAccountIds": lambda v: json.dumps([*v, "444444444444"]),  # one more account allowed
    "costCenter": lambda v: f"{v}-2",
    "vpcCidr": lambda v: "10.99.0.0/16",
    "availabilityZoneIds": None,  # from the stack's own plan: the ids it uses, pinned (see _candidates)
    "recordingsBucketSuffix": lambda v: "" if v else "x1",
    "atlasOrgId": lambda v: "64c0ffee00000000000000bb",
    "apiImage": _other_image,
    "workerImage": _other_image,
    "businessTimezone": lambda v: "UTC" if v != "UTC" else "Europe/Paris",
    "certificateArn": lambda v: "" if v else f"arn:aws:acm:us-east-1:111111111111:certificate/{EXAMPLE_UUID}",
    "domainName": lambda v: f"other.{v}" if v else "marin.example.net",
    "hostedZoneId": lambda v: "Z09OTHEREXAMPLEZONE",
    "alertEmail": lambda v: "other@example.com",
    "alertHttpsEndpoint": lambda v: "" if v else "https://hooks.example.com/alerts",
}
ALLOWED_INTS: dict[str, tuple[int, ...]] = {
    "logRetentionDays": limits.LOG_RETENTION_DAYS,
    "secretRecoveryWindowDays": limits.SECRET_RECOVERY_WINDOW_DAYS,
    "apiCpu": tuple(limits.FARGATE_MEMORY_BY_CPU),
    "workerCpu": tuple(limits.FARGATE_MEMORY_BY_CPU),
    "apiMemory": tuple(sorted({m for ms in limits.FARGATE_MEMORY_BY_CPU.values() for m in ms})),
    "workerMemory": tuple(sorted({m for ms in limits.FARGATE_MEMORY_BY_CPU.values() for m in ms})),
    "recordingsTransitionDays": (0, 30, 60, 90),
}


def _neighbours(value: Any, allowed: tuple[Any, ...]) -> list[Any]:
    """The other members of `allowed`, nearest to `value` first."""
    i = allowed.index(value) if value in allowed else 0
    return sorted((a for a in allowed if a != value), key=lambda a: abs(allowed.index(a) - i))


def candidates(key: Key, value: Any) -> list[Any]:
    """Other values of `key` worth trying, most ordinary first (as the stack file would spell them)."""
    if key.kind == "boolean":
        return [not value]
    if key.choices:
        return _neighbours(value, key.choices)
    if key.name in catalogue.SIZES:
        return _neighbours(value, ("", *catalogue.SIZES[key.name]) if key.default == "" else catalogue.SIZES[key.name])
    if key.name in ALLOWED_INTS:
        return _neighbours(value, ALLOWED_INTS[key.name])
    if key.kind == "integer":
        lo, hi = key.bounds
        return [v for v in (value + 1, value - 1, value * 2) if (lo is None or v >= lo) and (hi is None or v <= hi)]
    make = SIBLINGS.get(key.name)
    return [make(value)] if make else []


def _spelled(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value))
    return str(value)


@dataclass
class Outcome:
    env: str
    key: str
    old: Any
    new: Any = None
    changes: list[report.ResourceChange] = field(default_factory=list)
    skipped: str = ""

    @property
    def failing(self) -> list[str]:
        """What stops the up, but `protect` refusing a replacement (the protection working)."""
        return [
            f"{c.type} {c.logical_name}: {'; '.join(f for f in c.failing if f != PROTECTED_REFUSAL)}"
            for c in self.changes
            if set(c.failing) - {PROTECTED_REFUSAL}
        ]


def _short(type_: str) -> str:
    """aws:ec2/subnet:Subnet -> ec2.Subnet; mongodbatlas:index/project:Project -> mongodbatlas.Project."""
    package, rest, _ = type_.split(":", 2)
    module = rest.split("/", 1)[0]
    return f"{package if module == 'index' else module}.{type_.rsplit(':', 1)[1]}"


def changing(outcomes: Iterable[Outcome]) -> str:
    """What the results say changing the key does, as the configuration table shows it: `in place`,
    `replaces X`, or `replaces X ... with downtime or data loss` (X: the stateful or protected types
    replaced, and those replaced delete-first), `deletes X` for a stateful resource that goes, and
    `refused where protected` when `protect` stops the up in a protected environment."""
    notable: set[str] = set()
    others: set[str] = set()
    deleted: set[str] = set()
    refused = False
    for c in (c for o in outcomes for c in o.changes if c.custom):
        lossy = c.protected or c.type in replacements.STATEFUL
        if c.op == "replace":
            (notable if lossy or c.delete_first else others).add(_short(c.type))
        elif c.op == "delete" and lossy:
            deleted.add(_short(c.type))
        refused |= PROTECTED_REFUSAL in c.failing
    others -= notable
    parts = []
    if notable:
        more = f" and {len(others)} other type{'s' if len(others) > 1 else ''}" if others else ""
        parts.append(f"replaces {', '.join(sorted(notable))}{more} with downtime or data loss")
    elif others:
        listed = sorted(others)
        parts.append("replaces " + ", ".join(listed[:4]) + (f" and {len(listed) - 4} more" if len(listed) > 4 else ""))
    if deleted:
        parts.append(f"deletes {', '.join(sorted(deleted))}")
    if refused:
        parts.append("refused where protected")
    return "; ".join(parts) or "in place"


def run_key(env: str, raw: Mapping[str, str], base: list[dict[str, Any]], key: Key, stack_dir: Path) -> Outcome:
    value = getattr(getattr(parse(env, raw), key.section), key.field)
    tries = candidates(key, value)
    if key.name == "availabilityZoneIds":  # pinning the zones the stack is in must change nothing
        inv = engine.run_cached(env, config=raw, stack_dir=stack_dir, id_seed=SEED, shared=True)
        private = [r for r in inv.of_type(SUBNET) if r.inputs["tags"]["Tier"] == "private"]
        private.sort(key=lambda r: r.name)
        tries = [[s.inputs["availabilityZoneId"] for s in private]]
    refused = []
    for new in tries:
        changed = dict(raw) | {key.full_name: _spelled(new)}
        try:
            parse(env, changed)
            inv = engine.run_cached(env, config=changed, stack_dir=stack_dir, id_seed=SEED, shared=True)
        except (ConfigError, ValueError) as exc:
            refused.append(str(exc).splitlines()[-1].strip(" -"))
            continue
        return Outcome(env, key.name, value, new, report.changes(base, report.to_doc(inv)["resources"]))
    return Outcome(env, key.name, value, skipped="; ".join(refused) or "no other value to try")


def main(envs: list[str], stack_dir: Path = stackfiles.PROJECT_ROOT) -> int:
    started = time.monotonic()
    by_key: dict[str, list[Outcome]] = {k.name: [] for k in SCHEMA}
    for env in envs:
        raw = stackfiles.effective_config(env, stack_dir)
        base = report.to_doc(engine.run_cached(env, config=raw, stack_dir=stack_dir, id_seed=SEED, shared=True))[
            "resources"
        ]
        for key in SCHEMA:
            by_key[key.name].append(run_key(env, raw, base, key, stack_dir))
    bad = 0
    for key in SCHEMA:
        outcomes = by_key[key.name]
        seen = changing(o for o in outcomes if not o.skipped)
        failing = [f"{o.env}: {f}" for o in outcomes for f in o.failing]
        mismatch = seen != key.changing
        bad += bool(failing or mismatch)
        print(f"{'FAIL' if failing or mismatch else 'ok  '} {key.full_name:36} {seen}")
        for o in outcomes:
            if o.skipped:
                print(f"       {o.env}: no other value valid on its own ({o.skipped})")
        for f in failing:
            print(f"       failing: {f}")
        if mismatch:
            print(f'       declared {key.changing!r}: set changing="{seen}" in its key(...) (marin/config.py)')
    runs = sum(not o.skipped for os in by_key.values() for o in os)
    print(
        f"{len(SCHEMA)} keys x {len(envs)} stacks: {runs} changes run and diffed in "
        f"{time.monotonic() - started:.0f}s; {bad} key(s) failing",
        file=sys.stderr,
    )
    return 1 if bad else 0
