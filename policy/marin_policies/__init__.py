"""The rules of the marin policy pack, by domain. `ALL_POLICIES` is what the pack enforces."""

from . import (
    atlas,
    datastores,
    ecs,
    guard,
    iam,
    naming,
    network,
    protection,
    retention,
    secrets,
    sizing,
    storage,
    tagging,
)
from ._common import keep_stack_config

ALL_POLICIES = [
    *naming.POLICIES,
    *tagging.POLICIES,
    *retention.POLICIES,
    *sizing.POLICIES,
    *storage.POLICIES,
    *datastores.POLICIES,
    *network.POLICIES,
    *iam.POLICIES,
    *secrets.POLICIES,
    *protection.POLICIES,
    *atlas.POLICIES,
    *ecs.POLICIES,
    *guard.POLICIES,
]

__all__ = ["ALL_POLICIES", "keep_stack_config"]
