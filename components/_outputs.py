"""What a component registers as its outputs: every output attribute its class declares."""

from __future__ import annotations

import inspect
from typing import Any

import pulumi


def declared(component: pulumi.ComponentResource) -> dict[str, Any]:
    """{name: value} of every attribute annotated on the component's class (its typed outputs), for
    `register_outputs`: the state holds all of them, under their own names."""
    return {name: getattr(component, name) for name in inspect.get_annotations(type(component))}
