"""The versioned JSON shape of `plan`, `diff` and `cost` (docs/environments.md, "Offline JSON"), and
the change between two inventories as `pulumi preview` would show it (docs/offline.md, "Diff")."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from offline import engine, replacements

SCHEMA_VERSION = 2
SECRET = "[secret]"
UNKNOWN = "(known after apply)"
TIER_ORDER = (
    "network",
    "storage",
    "logging",
    "secrets",
    "iam",
    "database",
    "cache",
    "search",
    "ingress",
    "compute",
    "monitoring",
)


def tier_key(tier: str) -> int:
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER)


def _integral(value: Any) -> Any:
    """An integral float as an int (the engine passes every number as a float)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _digest(plain: Any) -> str:
    text = json.dumps(plain, sort_keys=True)
    return f"[secret sha256:{hashlib.sha256(text.encode()).hexdigest()[:16]}]"


def masked(value: Any) -> Any:
    """`value` as a plan document holds it: integral numbers as ints, each secret as its digest
    (a changed secret is seen, never printed)."""
    return engine.walk(value, _integral, _digest)


def _parsed(value: Any) -> Any:
    """JSON inside a string (a policy document, a provider's non-string input) as JSON."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def resource_doc(r: engine.Resource) -> dict[str, Any]:
    inputs = masked(r.inputs)
    if r.type.startswith("pulumi:providers:"):  # the SDK registers their non-string inputs as JSON
        inputs = {k: _parsed(v) for k, v in inputs.items()}
    return {
        "urn": r.urn,
        "aliases": list(r.aliases),
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
        "deleteBeforeReplaceDefined": r.delete_before_replace_defined,
        "ignoreChanges": list(r.ignore_changes),
        "replaceOnChanges": list(r.replace_on_changes),
        "dependencies": list(r.dependencies),
        "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
        "autoNamed": list(r.auto_named),
        "inputs": inputs,
        "outputs": masked(r.outputs),
    }


def to_doc(inv: engine.Inventory) -> dict[str, Any]:
    """One environment: resources (components included, stack excluded) and stack outputs."""
    resources = [resource_doc(r) for r in inv.resources]
    outputs = {k: SECRET if k in inv.secret_outputs else v for k, v in inv.outputs.items()}
    return {
        "environment": inv.env,
        "resources": resources,
        "outputs": engine.walk(outputs, _integral),
        "summary": summary(resources),
    }


def cloud(resources: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in resources if r["custom"] and not r["type"].startswith(("pulumi:", "marin:"))]


def summary(resources: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    rs = cloud(resources)
    by_tier = Counter(r["tier"] or "(stack)" for r in rs)
    by_type = Counter(r["type"] for r in rs)
    return {
        "resources": len(rs),
        "protected": sum(1 for r in rs if r["protect"]),
        "byTier": dict(sorted(by_tier.items(), key=lambda kv: tier_key(kv[0]))),
        "byType": dict(sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def records(doc: Mapping[str, Any] | engine.Inventory) -> list[dict[str, Any]]:
    """Resource records in the shape `marin.cost.estimate` takes, from a plan document or an inventory."""
    return [
        {"type": r["type"], "name": r["logicalName"], "tier": r["tier"], "inputs": r["inputs"], "outputs": r["outputs"]}
        for r in (to_doc(doc) if isinstance(doc, engine.Inventory) else doc)["resources"]
    ]


@dataclass
class PropertyChange:
    path: str
    old: Any
    new: Any
    replaces: bool = False
    condition: str | None = None  # a CustomizeDiff that may replace on this change (not decided offline)

    def as_json(self) -> dict[str, Any]:
        p = {"path": self.path, "old": self.old, "new": self.new}
        return {**p, "forcesReplacement": self.replaces, "replacesIf": self.condition}


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
    custom: bool = True
    delete_first: bool = False  # replaced by deleting the old resource before creating the new one
    failing: list[str] = field(default_factory=list)  # why `pulumi up` would stop on this step

    @property
    def stateful(self) -> bool:
        return self.type in replacements.STATEFUL

    @property
    def dangerous(self) -> bool:
        """Deletes or replaces something protected or stateful, or would fail."""
        return bool(self.failing) or (self.op in ("delete", "replace") and (self.protected or self.stateful))

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
            "custom": self.custom,
            "physicalName": {"old": self.physical_old, "new": self.physical_new},
            "protected": self.protected,
            "stateful": self.stateful,
            "deleteFirst": self.delete_first,
            "failing": self.failing,
            "dangerous": self.dangerous,
            "properties": [p.as_json() for p in self.properties],
        }


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


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) for every leaf of a tree of dicts and lists, paths as `a.b[0].c`."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, value


def _computed(r: Mapping[str, Any]) -> set[str]:
    """The output values of `r` a preview does not know while `r` is created or replaced: those the
    provider computes (ids, ARNs, endpoints, validation records), not the inputs it echoes back."""
    echoed = {v for _, v in _leaves(r["inputs"])}
    return {v for _, v in _leaves(r["outputs"]) if isinstance(v, str) and len(v) >= 6 and v not in echoed}


def _kept(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, str]:
    """A resource the engine matches keeps its state: each value its provider computed in the new
    run (the mocks' ids, ARNs and what derives from them) -> the one already in the old."""
    before, computed = dict(_leaves(old["outputs"])), _computed(new)
    return {
        v: o for p, v in _leaves(new["outputs"]) if v in computed and isinstance(o := before.get(p), str) and o != v
    }


def _at(value: Any, path: str) -> Any:
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            i = int(part[1:-1])
            value = value[i] if isinstance(value, list) and i < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def _explicit_name_deletes_first(r: Mapping[str, Any]) -> bool:
    """pulumi-terraform-bridge pkg/tfbridge/schema.go nameRequiresDeleteBeforeReplace: an SDKv2
    resource whose auto-named field the program set itself is replaced delete-first (the name
    cannot be held twice); Plugin Framework resources do not get this (pkg/pf/tfbridge/provider_diff.go)."""
    e = replacements.entry(r["type"])
    if not e or e["framework"] or not e["autoName"]:
        return False
    return e["autoName"] in r["inputs"] and e["autoName"] not in r["autoNamed"]


def changes(
    old: Iterable[Mapping[str, Any]],
    new: Iterable[Mapping[str, Any]],
    replacements_apply: bool = True,
    fresh: frozenset[str] = frozenset(),
) -> list[ResourceChange]:
    """The steps `pulumi preview` would show turning `old` into `new` (docs/offline.md, "Diff").
    `replacements_apply=False` (two environments, not two versions of one): updates only. `fresh`:
    resources found replaced on an earlier pass, which do not keep their old computed values."""
    old, new = list(old), list(new)
    old_by_urn, new_by_urn = {r["urn"]: r for r in old}, {r["urn"]: r for r in new}
    pairs: dict[str, Mapping[str, Any]] = {}  # new URN -> the old resource it is (same URN, or an alias)
    matched: set[str] = set()
    for r in new:
        match = next((u for u in (r["urn"], *r.get("aliases", ())) if u in old_by_urn), None)
        if match and match not in matched:
            pairs[r["urn"]] = old_by_urn[match]
            matched.add(match)
    kept = {urn: _kept(a, new_by_urn[urn]) for urn, a in pairs.items() if urn not in fresh}
    found = {v: o for values in kept.values() for v, o in values.items()}
    new_list: list[Mapping[str, Any]] = new
    if found:  # e.g. a resource moved under an alias: its mocked id derives from its new logical name
        pattern = re.compile("|".join(map(re.escape, sorted(found, key=len, reverse=True))))

        def keep(value: Any) -> Any:  # also inside larger strings: `integrations/<id>`, policy documents
            return engine.walk(value, lambda v: pattern.sub(lambda m: found[m.group()], v) if isinstance(v, str) else v)

        new_list = [{**r, "inputs": keep(r["inputs"]), "outputs": keep(r["outputs"])} for r in new]
        new_by_urn = {r["urn"]: r for r in new_list}
    props: dict[str, list[PropertyChange]] = {}
    for r in new_list:
        a = pairs.get(r["urn"])
        if a is None or not r["custom"]:
            continue
        stored = replacements.OPTIONAL_COMPUTED.get(r["type"], frozenset())  # unset: the state's value stays
        props[r["urn"]] = [
            p
            for p in property_changes(a["inputs"], r["inputs"])
            if re.split(r"[.\[]", p.path)[0] not in r.get("autoNamed", ())  # Check keeps the prior auto-name
            and not any(replacements.under(p.path, ignored) for ignored in r["ignoreChanges"])
            and (p.path not in stored or (p.new is not None and p.new != a["outputs"].get(p.path)))
        ]
        for name in ("protect", "retainOnDelete", "deleteBeforeReplace"):
            if a.get(name) != r.get(name):
                props[r["urn"]].append(PropertyChange(f"(option) {name}", a.get(name), r.get(name)))
    created, replaced, grew = {r["urn"] for r in new_list if r["urn"] not in pairs}, set(), True
    while grew:
        grew, pending = False, created | replaced
        for r in (r for r in new_list if r["urn"] in props):
            ps = props[r["urn"]]
            for key, urns in r["propertyDependencies"].items():
                computed = {v for u in set(urns) & pending for v in _computed(new_by_urn[u])}
                value = r["inputs"].get(key)
                paths = [path for path, v in _leaves(value, key) if v in computed]
                if computed and not paths and any(c in json.dumps(value) for c in computed):
                    paths = [key]  # an id or ARN inside a larger value (a policy document)
                for path in paths:
                    if not any(p.path == path and p.new == UNKNOWN for p in ps):
                        ps[:] = [p for p in ps if not replacements.under(p.path, path)]
                        ps.append(PropertyChange(path, _at(pairs[r["urn"]]["inputs"], path), UNKNOWN))
            if replacements_apply and r["urn"] not in replaced:
                for p in ps:
                    p.replaces = not p.path.startswith("(") and replacements.forcing(
                        r["type"], p.path, r["replaceOnChanges"]
                    )
                    p.condition = None if p.replaces else replacements.conditional(r["type"], p.path)
                if any(p.replaces for p in ps):
                    replaced.add(r["urn"])
                    grew = True
    keeping = {urn for urn, values in kept.items() if values}
    if replaced & keeping:  # a replaced resource gets new ids and ARNs: compare again, not keeping them
        return changes(old, new, replacements_apply, fresh | (replaced & keeping))
    out: list[ResourceChange] = []
    # for display only: another resource's computed id or ARN reads as <logical-name.output>
    refs = {
        v: f"<{r['logicalName']}.{k}>"
        for r in [*old_by_urn.values(), *new_list]
        for k, v in r["outputs"].items()
        if r["custom"] and isinstance(v, str) and v in _computed(r)
    }

    def refer(value: Any) -> Any:
        return engine.walk(value, lambda v: refs.get(v, v) if isinstance(v, str) else v)

    for ps in props.values():
        for p in ps:
            p.old, p.new = refer(p.old), refer(p.new)

    def change(op: str, a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> ResourceChange:
        ref = b or a
        assert ref is not None
        return ResourceChange(
            op,
            type=ref["type"],
            logical_name=ref["logicalName"],
            tier=ref["tier"],
            urn=ref["urn"],
            physical_old=a["physicalName"] if a else None,
            physical_new=b["physicalName"] if b else None,
            protected=bool(a["protect"]) if a else bool(b and b["protect"]),
            custom=bool(ref["custom"]),
            properties=sorted(props.get(b["urn"], []) if b else [], key=lambda p: p.path),
        )

    for r in new_list:
        a = pairs.get(r["urn"])
        if a is None:
            out.append(change("create", None, r))
        elif r["urn"] in replaced:
            c = change("replace", a, r)
            defined = r.get("deleteBeforeReplaceDefined", False)
            c.delete_first = bool(r["deleteBeforeReplace"]) if defined else _explicit_name_deletes_first(r)
            out.append(c)
        elif props.get(r["urn"]):
            out.append(change("update", a, r))
    out += [change("delete", a, None) for a in old_by_urn.values() if a["urn"] not in matched]
    _failures(out, pairs, new_list)
    out.sort(key=lambda c: (tier_key(c.tier), c.type, c.logical_name))
    return out


def _failures(
    cs: list[ResourceChange], pairs: Mapping[str, Mapping[str, Any]], new_list: list[Mapping[str, Any]]
) -> None:
    """What stops `pulumi up` (docs/offline.md, "Failing changes"; pulumi/pulumi step_generator:
    "resource ... is protected and cannot be ...")."""
    going = {c.urn for c in cs if c.op in ("replace", "delete")}
    for c in cs:
        if c.protected and c.op in ("delete", "replace"):
            c.failing.append(f"{c.op} of a protected resource")
        if c.op == "replace" and c.delete_first:
            old = pairs[c.urn]
            ids = {v for k, v in old["outputs"].items() if k in ("id", "arn") and isinstance(v, str) and v}
            for r in new_list:
                if r["urn"] in going or r["urn"] not in pairs or not r["custom"]:
                    continue
                used: set[Any] = set()
                engine.walk(pairs[r["urn"]]["inputs"], used.add)
                if ids & used:
                    c.failing.append(f"deleted first while {r['type']} {r['logicalName']} still uses it")
    deleted_names = {(c.type, c.physical_old) for c in cs if c.op == "delete" and c.physical_old and c.custom}
    for c in cs:
        if c.op == "create" and (c.type, c.physical_new) in deleted_names:
            c.failing.append(f"name {c.physical_new} is still held by the resource to be deleted")


def change_counts(cs: Iterable[ResourceChange]) -> dict[str, int]:
    """As `pulumi preview` prints them (components and providers included)."""
    cs = list(cs)
    return {
        **{op: sum(c.op == op for c in cs) for op in ("create", "delete", "update", "replace")},
        "propertiesChanged": sum(len(c.properties) for c in cs if c.op in ("update", "replace")),
        "dangerous": sum(c.dangerous for c in cs),
        "failing": sum(bool(c.failing) for c in cs),
    }


def show(value: Any) -> str:
    """A value in full (never truncated), JSON for structures, ints as ints."""
    value = engine.walk(value, _integral)
    if value is None:
        return "(none)"
    if value == UNKNOWN:
        return UNKNOWN
    if isinstance(value, str):
        return json.dumps(SECRET if value.startswith("[secret sha256:") else value)
    return json.dumps(value, sort_keys=True)
