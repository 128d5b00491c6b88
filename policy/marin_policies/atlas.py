"""Atlas: no access from anywhere; backups by environment; point-in-time recovery in prod."""

from __future__ import annotations

from collections.abc import Iterator

import pulumi_mongodbatlas as mongodbatlas
from pulumi_policy import ResourceValidationArgs

from ._common import resource_rule, setting, stack_says, stack_value, token

ANYWHERE = ("0.0.0.0/0", "0.0.0.0", "::/0")


def _access(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    entry = args.props.get("cidrBlock") or args.props.get("ipAddress")
    if entry in ANYWHERE:
        yield f"Atlas access list admits {entry}"


def _backups(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    name = args.props.get("name")
    if setting(args, "backups", stack_says("protectData")) and args.props.get("backupEnabled") is not True:
        yield f"Atlas cluster {name!r} has no cloud backup; the stack protects its data"
    continuous = stack_value("atlasBackup") == "continuous"
    if setting(args, "pointInTime", continuous) and args.props.get("pitEnabled") is not True:
        yield f"Atlas cluster {name!r} has no point-in-time recovery; the stack asks for continuous backup"


POLICIES = [
    resource_rule(
        "atlas-no-open-access",
        "No Atlas access list entry for 0.0.0.0/0",
        (token(mongodbatlas.ProjectIpAccessList),),
        _access,
    ),
    resource_rule(
        "atlas-backups",
        "Backups where the stack protects its data; point-in-time recovery with continuous backup",
        (token(mongodbatlas.AdvancedCluster),),
        _backups,
        config={
            "backups": {"type": "boolean", "description": "default: the stack's protectData"},
            "pointInTime": {"type": "boolean", "description": "default: the stack's atlasBackup is continuous"},
        },
    ),
]
