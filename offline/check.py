"""The providers' Check, as the engine runs it on each registration before the analyzer or Diff sees it.

- Auto-names: pulumi-aws fills every auto-named field the program leaves unset (`name` on each
  resource that has one as an input, `bucket` on a bucket: see offline/replacements.json
  "autoName") with `<logical name>-<7 hex>` (pulumi-terraform-bridge pkg/tfbridge/info/autonaming.go:
  AutoName(..., Randlen 7), hex charset). Offline the hex comes from the URN, so it is stable.
- tagsAll: pulumi-aws merges the provider's `defaultTags.tags` with the resource's `tags` (the
  resource's win) into `tagsAll` on every taggable resource (terraform-provider-aws
  internal/tags "tags_all ... including those inherited from the provider default_tags").

`apply(inv)` rewrites each resource's `inputs` and its recorded request's properties, and lists the
fields it filled in `Resource.auto_named`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from offline import engine, replacements


def auto_name(urn: str, logical: str) -> str:
    return f"{logical}-{hashlib.sha256(urn.encode()).hexdigest()[:7]}"


def default_tags(provider: engine.Resource | None) -> dict[str, str]:
    if provider is None:
        return {}
    raw = provider.inputs.get("defaultTags")
    value = json.loads(raw) if isinstance(raw, str) else raw
    return dict((value or {}).get("tags") or {})


def _set(r: engine.Resource, key: str, value: Any) -> None:
    r.inputs[key] = value
    if r.request is not None:
        r.request.object.update({key: value})


def apply(inv: engine.Inventory) -> engine.Inventory:
    by_urn = inv.by_urn
    aws_default = next((r for r in inv.resources if r.type == "pulumi:providers:aws" and r.name == "default"), None)
    for r in inv.resources:
        if not r.custom or r.type.startswith("pulumi:providers:"):
            continue
        entry = replacements.entry(r.type)
        field = entry.get("autoName") if entry else None
        if field and r.inputs.get(field) is None and r.inputs.get(f"{field}Prefix") is None:
            _set(r, field, auto_name(r.urn, r.name))
            r.auto_named.append(field)
        if entry and entry.get("tags") and r.package == "aws":
            provider = by_urn.get(r.provider.rsplit("::", 1)[0]) if r.provider else aws_default
            tags = engine.unwrap(r.inputs.get("tags")) or {}
            merged = {**default_tags(provider), **tags}
            if merged:
                _set(r, "tagsAll", merged)
    return inv
