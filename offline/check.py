"""The providers' Check, as the engine runs it on each registration before the analyzer or Diff sees
it (docs/offline.md, "Check"): auto-names `<logical name>-<7 hex>` (pulumi-terraform-bridge
pkg/tfbridge/info/autonaming.go: AutoName(..., Randlen 7), hex; offline the hex comes from the
URN, so it is stable) and tagsAll (terraform-provider-aws internal/tags "tags_all ... including
those inherited from the provider default_tags")."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from offline import engine, replacements


def _set(r: engine.Resource, key: str, value: Any) -> None:
    r.inputs[key] = value
    if r.request is not None:
        r.request.object.update({key: value})


def apply(inv: engine.Inventory) -> engine.Inventory:
    """Each resource's inputs and recorded request as Check leaves them; filled names in `auto_named`."""
    by_urn = inv.by_urn
    aws_default = next((r for r in inv.resources if r.type == "pulumi:providers:aws" and r.name == "default"), None)
    for r in inv.resources:
        if not r.custom or r.type.startswith("pulumi:providers:"):
            continue
        entry = replacements.entry(r.type)
        field = entry.get("autoName") if entry else None
        if field and r.inputs.get(field) is None and r.inputs.get(f"{field}Prefix") is None:
            _set(r, field, f"{r.name}-{hashlib.sha256(r.urn.encode()).hexdigest()[:7]}")
            r.auto_named.append(field)
        if entry and entry.get("tags") and r.package == "aws":
            provider = by_urn.get(r.provider.rsplit("::", 1)[0]) if r.provider else aws_default
            raw = provider.inputs.get("defaultTags") if provider else None
            defaults = (json.loads(raw) if isinstance(raw, str) else raw) or {}
            merged = {**(defaults.get("tags") or {}), **(engine.unwrap(r.inputs.get("tags")) or {})}
            if merged:
                _set(r, "tagsAll", merged)
    return inv
