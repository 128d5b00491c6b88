"""The versioned JSON shape of `plan`, `diff` and `cost`, and the change between two inventories.

An inventory document (`to_doc`) is what both sides of `diff --base` are compared on: every
resource with its URN, logical and physical name, tier, parent, provider, dependencies and
options, and its inputs as the program declared them, with

- numbers as numbers (the engine hands integers over as floats: 30.0 becomes 30);
- a provider's inputs decoded (the SDK registers non-string provider inputs as JSON strings);
- secret values replaced by "[secret]";
- every value the engine would only know after creating another resource (an id, an ARN, an
  address: a computed output the mocks invented) replaced by "<logical-name.output>", so no
  mocked id leaks into a diff and a reference reads as what it is.

Shape (schemaVersion 1), documented in docs/environments.md ("Offline JSON"):
  {"schemaVersion": 1, "kind": "plan" | "diff" | "cost", ...}
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from offline import engine, replacements

SCHEMA_VERSION = 1
SECRET = "[secret]"
TIER_ORDER = ("network", "storage", "logging", "secrets", "iam", "database", "cache", "search", "compute", "monitoring")


def number(value: Any) -> Any:
    """Integral floats as ints, recursively (the engine passes every number as a float)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [number(v) for v in value]
    return value


def _mask_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(engine.SECRET_SIG) == engine.SECRET_MARK:
            return SECRET
        return {k: _mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_secrets(v) for v in value]
    return value


def _computed(inv: engine.Inventory) -> dict[str, str]:
    """Every computed output value the mocks invented -> "<logical-name.output>"."""
    out: dict[str, str] = {}
    for r in inv.resources:
        if not r.custom:
            continue
        declared = {v for v in r.inputs.values() if isinstance(v, str)}
        for key, value in r.outputs.items():
            if isinstance(value, str) and len(value) >= 6 and value not in declared:
                out.setdefault(value, f"<{r.name}.{key}>")
    return out


def _substitute(value: Any, exact: Mapping[str, str], pattern: re.Pattern[str] | None) -> Any:
    if isinstance(value, str):
        if value in exact:
            return exact[value]
        if pattern is not None and pattern.search(value):
            return pattern.sub(lambda m: exact[m.group(0)], value)
        return value
    if isinstance(value, dict):
        return {k: _substitute(v, exact, pattern) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, exact, pattern) for v in value]
    return value


def _decode_json_strings(inputs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, raw in inputs.items():
        value = raw
        if isinstance(raw, str) and raw[:1] in "[{":
            with contextlib.suppress(ValueError):
                value = json.loads(raw)
        out[k] = value
    return out


def resource_doc(r: engine.Resource, exact: Mapping[str, str], pattern: re.Pattern[str] | None) -> dict[str, Any]:
    inputs = number(_mask_secrets(r.inputs))
    if r.type.startswith("pulumi:providers:"):
        inputs = _decode_json_strings(inputs)
    return {
        "urn": r.urn,
        "type": r.type,
        "logicalName": r.name,
        "physicalName": r.physical_name,
        "tier": r.tier,
        "custom": r.custom,
        "parent": r.parent or None,
        "provider": r.provider.rsplit("::", 1)[0] if r.provider else None,
        "protect": r.protect,
        "retainOnDelete": r.retain_on_delete,
        "deleteBeforeReplace": r.delete_before_replace,
        "ignoreChanges": list(r.ignore_changes),
        "replaceOnChanges": list(r.replace_on_changes),
        "dependencies": list(r.dependencies),
        "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
        "inputs": _substitute(inputs, exact, pattern),
        "outputs": _substitute(number(_mask_secrets(r.outputs)), exact, pattern),
    }


def to_doc(inv: engine.Inventory) -> dict[str, Any]:
    """One environment: resources (components included, stack excluded) and stack outputs."""
    exact = _computed(inv)
    pattern = re.compile("|".join(re.escape(v) for v in sorted(exact, key=len, reverse=True))) if exact else None
    resources = [resource_doc(r, exact, pattern) for r in inv.resources]
    outputs = {k: SECRET if k in inv.secret_outputs else v for k, v in inv.outputs.items()}
    return {
        "environment": inv.env,
        "resources": resources,
        "outputs": _substitute(number(outputs), exact, pattern),
        "summary": summary(resources),
    }


def cloud(resources: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in resources if r["custom"] and not r["type"].startswith(("pulumi:", "marin:"))]


def summary(resources: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    rs = cloud(resources)
    by_tier: dict[str, int] = {}
    by_type: dict[str, int] = {}
    for r in rs:
        by_tier[r["tier"] or "(stack)"] = by_tier.get(r["tier"] or "(stack)", 0) + 1
        by_type[r["type"]] = by_type.get(r["type"], 0) + 1
    order = {t: i for i, t in enumerate(TIER_ORDER)}
    return {
        "resources": len(rs),
        "protected": sum(1 for r in rs if r["protect"]),
        "byTier": dict(sorted(by_tier.items(), key=lambda kv: order.get(kv[0], 99))),
        "byType": dict(sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def records(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Resource records in the shape `marin.cost.estimate` takes."""
    return [
        {"type": r["type"], "name": r["logicalName"], "tier": r["tier"], "inputs": r["inputs"], "outputs": r["outputs"]}
        for r in doc["resources"]
    ]


# ----------------------------------------------------------------------------------- changes


@dataclass
class PropertyChange:
    path: str
    old: Any
    new: Any
    replaces: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new, "forcesReplacement": self.replaces}


@dataclass
class ResourceChange:
    op: str  # "create" | "delete" | "update" | "replace"
    type: str
    logical_name: str
    tier: str
    urn: str
    physical_old: str | None
    physical_new: str | None
    protected: bool
    properties: list[PropertyChange] = field(default_factory=list)

    @property
    def stateful(self) -> bool:
        return self.type in replacements.STATEFUL

    @property
    def dangerous(self) -> bool:
        """Deletes or replaces something protected or stateful."""
        return self.op in ("delete", "replace") and (self.protected or self.stateful)

    @property
    def symbol(self) -> str:
        return {"create": "+", "delete": "-", "update": "~", "replace": "+-"}[self.op]

    def as_json(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "urn": self.urn,
            "type": self.type,
            "logicalName": self.logical_name,
            "tier": self.tier,
            "physicalName": {"old": self.physical_old, "new": self.physical_new},
            "protected": self.protected,
            "stateful": self.stateful,
            "dangerous": self.dangerous,
            "properties": [p.as_json() for p in self.properties],
        }


def _parsed(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def property_changes(a: Any, b: Any, path: str = "") -> list[PropertyChange]:
    """One entry per leaf that differs; JSON inside strings (policies) is compared parsed."""
    a, b = _parsed(a), _parsed(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            c
            for k in sorted(a.keys() | b.keys())
            for c in property_changes(a.get(k), b.get(k), f"{path}.{k}" if path else k)
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [c for i, (x, y) in enumerate(zip(a, b, strict=True)) for c in property_changes(x, y, f"{path}[{i}]")]
    return [] if a == b else [PropertyChange(path, a, b)]


def _key(r: Mapping[str, Any]) -> tuple[str, str]:
    return (r["type"], r["logicalName"])


def changes(
    old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]], replacements_apply: bool = True
) -> list[ResourceChange]:
    """What turning `old` into `new` does, resource by resource (matched by type and logical
    name, as the engine matches by URN). Components and the stack are not listed.
    `replacements_apply=False` (two environments, not two versions of one): updates only."""
    before = {_key(r): r for r in old if r["custom"]}
    after = {_key(r): r for r in new if r["custom"]}
    out: list[ResourceChange] = []
    for key in sorted(before.keys() | after.keys(), key=lambda k: (k[0], k[1])):
        a, b = before.get(key), after.get(key)
        ref = b or a
        assert ref is not None
        common = dict(
            type=ref["type"],
            logical_name=ref["logicalName"],
            tier=ref["tier"],
            urn=ref["urn"],
            physical_old=a["physicalName"] if a else None,
            physical_new=b["physicalName"] if b else None,
        )
        if a is None:
            out.append(ResourceChange("create", protected=bool(b and b["protect"]), **common))  # type: ignore[arg-type]
            continue
        if b is None:
            out.append(ResourceChange("delete", protected=bool(a["protect"]), **common))  # type: ignore[arg-type]
            continue
        props = property_changes(a["inputs"], b["inputs"])
        props = [p for p in props if not any(_under(p.path, ig) for ig in b["ignoreChanges"])]
        for name in ("protect", "retainOnDelete", "deleteBeforeReplace"):
            if a[name] != b[name]:
                props.append(PropertyChange(f"(option) {name}", a[name], b[name]))
        if not props:
            continue
        forcing = (
            set(replacements.replacing_paths(ref["type"], [p.path for p in props], b["replaceOnChanges"]))
            if replacements_apply
            else set()
        )
        for p in props:
            p.replaces = p.path in forcing
        op = "replace" if forcing else "update"
        out.append(ResourceChange(op, protected=bool(a["protect"]), properties=props, **common))  # type: ignore[arg-type]
    order = {t: i for i, t in enumerate(TIER_ORDER)}
    out.sort(key=lambda c: (order.get(c.tier, 99), c.type, c.logical_name))
    return out


def _under(path: str, ignored: str) -> bool:
    return path == ignored or path.startswith(ignored + ".") or path.startswith(ignored + "[")


def change_counts(cs: Iterable[ResourceChange]) -> dict[str, int]:
    cs = list(cs)
    return {
        "create": sum(c.op == "create" for c in cs),
        "delete": sum(c.op == "delete" for c in cs),
        "update": sum(c.op == "update" for c in cs),
        "replace": sum(c.op == "replace" for c in cs),
        "propertiesChanged": sum(len(c.properties) for c in cs if c.op in ("update", "replace")),
        "dangerous": sum(c.dangerous for c in cs),
    }


def show(value: Any) -> str:
    """A value in full (never truncated), JSON for structures, ints as ints."""
    value = number(value)
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value, sort_keys=True)
