"""Does staging mirror prod? (A) `undeclared_differences`: two stack configs differ only in keys
`marin.config` classes as identity, sizing or retention. (B) `name_only_differences`: the program
derives nothing from the stack name but names (one environment's config run as the other agrees
once names are normalised). With (A), every staging/prod difference comes from a declared key."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
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


def normalised_docs(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two plan documents with both environments' names and account ids replaced by `<id>`, so what
    remains different comes from the configuration."""
    words = [a["environment"], b["environment"]]
    for doc in (a, b):
        providers = [r for r in doc["resources"] if r["type"] == "pulumi:providers:aws"]
        words += providers[0]["inputs"].get("allowedAccountIds", []) if providers else []
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b")
    normalise = lambda v: engine.walk(v, lambda s: pattern.sub("<id>", s) if isinstance(s, str) else s)  # noqa: E731
    out = [
        {
            **doc,
            "resources": [
                {**r, **{k: normalise(r[k]) for k in ("inputs", "physicalName", "urn", "aliases")}}
                for r in doc["resources"]
            ],
        }
        for doc in (a, b)
    ]
    return out[0], out[1]


OPTIONS = ("ignoreChanges", "protect", "retainOnDelete", "deleteBeforeReplace", "replaceOnChanges", "aliases")


def differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """What differs between two plan documents once names are normalised: one line per resource,
    every input but Check's auto-names (ignored or optional ones too: not a preview, a comparison)
    and every option."""
    old, new = ({r["urn"]: r for r in doc["resources"]} for doc in normalised_docs(a, b))
    out = [f"- {urn}" for urn in old.keys() - new.keys()] + [f"+ {urn}" for urn in new.keys() - old.keys()]
    for urn in old.keys() & new.keys():
        x, y = old[urn], new[urn]
        changed = report.property_changes(x["inputs"], y["inputs"])
        paths = [p.path for p in changed if p.path.split(".")[0] not in y["autoNamed"]]  # Check's random suffix
        paths += [option for option in OPTIONS if x.get(option) != y.get(option)]
        if paths:
            out.append(f"~ {y['type']} {y['logicalName']} {', '.join(paths)}")
    return sorted(out)


def name_only_differences(source_env: str, as_env: str, root: Path = stackfiles.PROJECT_ROOT) -> list[str]:
    """Run `source_env`'s config as stack `as_env` (alone in a scratch project) and compare."""
    config = stackfiles.effective_config(source_env, root)
    original = engine.run(source_env, config=config, id_seed="parity")
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(root / "Pulumi.yaml", Path(scratch) / "Pulumi.yaml")
        shutil.copy(root / f"Pulumi.{source_env}.yaml", Path(scratch) / f"Pulumi.{as_env}.yaml")
        renamed = engine.run(as_env, config=config, stack_dir=Path(scratch), code_dir=root, id_seed="parity")
    for r in [*original.resources, *renamed.resources]:
        r.inputs = engine.unwrap(r.inputs)  # secrets compared in plain text, where names are normalised
    return differences(report.to_doc(original), report.to_doc(renamed))
