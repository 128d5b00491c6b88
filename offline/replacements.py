"""Which input changes make a provider replace a resource, per type: offline/replacements.json, generated
from the Terraform providers' Go sources (docs/offline.md). Paths are the SDK's camelCase input paths;
list indexes are ignored and a plural SDK name matches its Terraform singular (`volumes` / `volume`)."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pulumi_mongodbatlas as atlas

from offline.engine import token

TABLE = Path(__file__).resolve().parent / "replacements.json"

# Types whose replacement loses data or identity others depend on (a new bucket is empty, a new
# Redis group or OpenSearch domain starts cold, a new VPC moves every address).
STATEFUL = frozenset(
    {
        token(aws.s3.Bucket),
        token(aws.elasticache.ReplicationGroup),
        token(aws.opensearch.Domain),
        token(atlas.AdvancedCluster),
        token(atlas.Project),
        token(aws.ec2.Vpc),
        token(aws.ec2.Subnet),
        token(aws.secretsmanager.Secret),
        token(aws.cloudwatch.LogGroup),
        token(aws.kms.Key),
        token(aws.ec2.Eip),
        token(aws.lb.LoadBalancer),
    }
)

# Inputs that are Optional and Computed: left unset, the provider keeps the value it stored (no
# diff); set, they are compared with that stored value. terraform-provider-aws
# internal/service/ec2/vpc_subnet.go: availability_zone and availability_zone_id (both ForceNew).
OPTIONAL_COMPUTED: dict[str, frozenset[str]] = {
    token(aws.ec2.Subnet): frozenset({"availabilityZone", "availabilityZoneId"}),
}


@functools.cache
def table() -> dict[str, Any]:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def entry(type_: str) -> dict[str, Any] | None:
    return table()["types"].get(type_)


def _norm(path: str) -> str:
    """`capacityProviderStrategies[0].base` -> `capacityproviderstrategie.base`: no indexes, no case,
    no plural `s` (the SDK pluralises list blocks the Terraform schema names in the singular)."""
    parts = re.sub(r"\[[^\]]*\]", "", path).split(".")
    return ".".join(re.sub(r"(ies|es|s)$", "", p.lower()) for p in parts if p)


def under(path: str, rule: str) -> bool:
    """`path` is `rule` or inside it (`a.b`, `a[0]` under `a`)."""
    return path == rule or path.startswith((rule + ".", rule + "["))


def forcing(type_: str, path: str, replace_on_changes: list[str] | tuple[str, ...] = ()) -> bool:
    """Whether a change (or an unknown value) at input `path` replaces a resource of `type_`:
    the path, a list of values above it or a field inside it is force-new, or `replaceOnChanges`
    names it. A force-new nested block replaces only when it is added or removed (its own path)."""
    if "*" in replace_on_changes:
        return True
    e = entry(type_)
    rules = [*(e["forceNew"] if e else ()), *replace_on_changes]
    blocks = {_norm(b) for b in (e["blocks"] if e else ())}
    p = _norm(path)
    return any((p == r if r in blocks else under(p, r)) or under(r, p) for r in map(_norm, rules))


def conditional(type_: str, path: str) -> str | None:
    """The condition under which `path` forces a replacement (a CustomizeDiff), if any."""
    e = entry(type_)
    p = _norm(path)
    for c in e["conditional"] if e else ():
        if c["path"] == "(some inputs)" or under(p, _norm(c["path"])):
            return str(c["when"])
    return None
