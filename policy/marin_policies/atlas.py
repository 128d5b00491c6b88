"""Atlas: no access from anywhere; backups by environment; point-in-time recovery in prod."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from ._common import resource_rule

ANYWHERE = ("0.0.0.0/0", "0.0.0.0", "::/0")


def _access(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    entry = args.props.get("cidrBlock") or args.props.get("ipAddress")
    if entry in ANYWHERE:
        yield f"Atlas access list admits {entry}"


def _backups(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if env in ("staging", "prod") and args.props.get("backupEnabled") is not True:
        yield f"Atlas cluster {args.props.get('name')!r} in {env} has no cloud backup"
    if env == "prod" and args.props.get("pitEnabled") is not True:
        yield f"Atlas cluster {args.props.get('name')!r} in prod has no point-in-time recovery"


POLICIES = [
    resource_rule(
        "atlas-no-open-access",
        "No Atlas access list entry for 0.0.0.0/0",
        ("mongodbatlas:index/projectIpAccessList:ProjectIpAccessList",),
        _access,
    ),
    resource_rule(
        "atlas-backups-by-environment",
        "Backups in staging; continuous backup with PITR in prod",
        ("mongodbatlas:index/advancedCluster:AdvancedCluster",),
        _backups,
    ),
]
