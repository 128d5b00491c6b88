"""tagging: Project, Environment and ManagedBy on every taggable AWS resource."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._common import PROJECT, get, provider_input, resource_rule

REQUIRED = ("Project", "Environment", "ManagedBy")


@cache
def taggable(resource_type: str) -> bool:
    """Whether the AWS provider accepts `tags` for this resource type (read from pulumi_aws)."""
    package, module_path, cls = resource_type.split(":")
    if package != "aws":
        return False
    module = module_path.split("/")[0]
    try:
        kind = getattr(importlib.import_module(f"pulumi_aws.{module}" if module != "index" else "pulumi_aws"), cls)
    except (ImportError, AttributeError):
        return False
    init = getattr(kind, "_internal_init", kind.__init__)
    return "tags" in inspect.signature(init).parameters


def _default_tags(provider: Any) -> dict[str, Any]:
    """The provider's `defaultTags.tags` (registered JSON-encoded by the Python SDK)."""
    tags = get(provider_input(provider, "defaultTags"), "tags")
    return dict(tags) if isinstance(tags, Mapping) else {}


def _check(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if not taggable(args.resource_type):
        return
    own = args.props.get("tags")
    tags = {**_default_tags(args.provider), **(own if isinstance(own, Mapping) else {})}
    missing = [t for t in REQUIRED if not tags.get(t)]
    if missing:
        yield f"missing tags {', '.join(missing)} (set them through the provider's default tags)"
        return
    if tags["Environment"] != env or tags["Project"] != PROJECT or tags["ManagedBy"] != "pulumi":
        yield (
            f"tags Project={tags['Project']!r} Environment={tags['Environment']!r} ManagedBy={tags['ManagedBy']!r}"
            f"; expected {PROJECT!r}, {env!r}, 'pulumi'"
        )


POLICIES = [
    resource_rule("required-tags", "Project, Environment and ManagedBy on every taggable resource", (), _check),
]
