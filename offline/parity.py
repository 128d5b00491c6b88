"""Does staging mirror prod? (A) `undeclared_differences`: two stack configs differ only in keys
`marin.config` classes as identity, sizing or retention. (B) `name_only_differences`: the program
derives nothing from the stack name but names (one environment's config run as the other agrees
once names are normalised). With (A), every staging/prod difference comes from a declared key."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from marin import stackfiles
from marin.config import SCHEMA_BY_NAME
from offline import engine, report

ALLOWED_TO_DIFFER = ("identity", "sizing", "retention")


def undeclared_differences(a: dict[str, str], b: dict[str, str]) -> list[str]:
    """Keys whose values differ between two effective configs but may not (with both values)."""
    out = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) == b.get(key):
            continue
        spec = SCHEMA_BY_NAME.get(key.partition(":")[2]) if key.startswith("marin:") else None
        if spec is None or spec.category not in ALLOWED_TO_DIFFER:
            category = spec.category if spec else "undeclared"
            out.append(f"{key} ({category}): {a.get(key)!r} vs {b.get(key)!r}")
    return out


def _identities(inv: engine.Inventory, other: engine.Inventory) -> re.Pattern[str]:
    words = [inv.env, other.env]
    for p in [*inv.of_type("pulumi:providers:aws")[:1], *other.of_type("pulumi:providers:aws")[:1]]:
        words += json.loads(p.inputs.get("allowedAccountIds", "[]"))
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b")


def _normalise(value: Any, words: re.Pattern[str]) -> Any:
    return engine.walk(value, lambda v: words.sub("<id>", v) if isinstance(v, str) else v)


def signature(inv: engine.Inventory, other: engine.Inventory) -> dict[str, Any]:
    """Every resource by (type, logical name): inputs and options, both identities normalised."""
    words = _identities(inv, other)
    return {
        f"{r.type} {r.name}": _normalise(
            {
                # an auto-name is the provider's random suffix (offline: a hash of the URN)
                "inputs": {k: "<auto-name>" if k in r.auto_named else v for k, v in engine.unwrap(r.inputs).items()},
                "protect": r.protect,
                "ignore_changes": r.ignore_changes,
            },
            words,
        )
        for r in inv.resources
    }


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def compare(a: engine.Inventory, b: engine.Inventory) -> list[str]:
    sa, sb = signature(a, b), signature(b, a)
    out = [f"only in {a.env}: {k}" for k in sorted(sa.keys() - sb.keys())]
    out += [f"only in {b.env}: {k}" for k in sorted(sb.keys() - sa.keys())]
    out += [
        f"differs: {k}: {d}"
        for k in sorted(sa.keys() & sb.keys())
        if sa[k] != sb[k]
        for d in (f"{p.path}: {_short(p.old)} -> {_short(p.new)}" for p in report.property_changes(sa[k], sb[k]))
    ]
    return out


def name_only_differences(source_env: str, as_env: str, root: Path = stackfiles.PROJECT_ROOT) -> list[str]:
    """Run `source_env`'s config as stack `as_env` (alone in a scratch project) and compare."""
    config = stackfiles.effective_config(source_env, root)
    original = engine.run(source_env, config=config, id_seed="parity")
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(root / "Pulumi.yaml", Path(scratch) / "Pulumi.yaml")
        shutil.copy(root / f"Pulumi.{source_env}.yaml", Path(scratch) / f"Pulumi.{as_env}.yaml")
        renamed = engine.run(as_env, config=config, stack_dir=Path(scratch), code_dir=root, id_seed="parity")
    return compare(original, renamed)


def normalised_docs(a: engine.Inventory, b: engine.Inventory) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both environments' documents with each one's name and account ids replaced by `<id>`, so
    what remains different comes from the configuration."""
    docs = []
    for inv, other in ((a, b), (b, a)):
        words = _identities(inv, other)
        doc = report.to_doc(inv)
        doc["resources"] = [
            {
                **r,
                "inputs": _normalise(r["inputs"], words),
                "physicalName": _normalise(r["physicalName"], words),
                "urn": _normalise(r["urn"], words),
            }
            for r in doc["resources"]
        ]
        docs.append(doc)
    return docs[0], docs[1]
