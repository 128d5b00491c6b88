"""Type tokens from the SDK classes, never written out: a provider upgrade that renames a type is an
error here (pyright, or at import), not a table entry that silently stops matching."""

from __future__ import annotations

import pulumi


def token(resource: type[pulumi.Resource]) -> str:
    """The type token the SDK registers a class under."""
    value = resource.pulumi_type  # pyright: ignore[reportAttributeAccessIssue]  # set by the decorator
    assert isinstance(value, str), resource
    return value
