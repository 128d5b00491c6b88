"""Existing stacks keep their subnets: `marin:availabilityZoneIds` pins the zones they are in.

Before zones were chosen by id, the program put subnet i in the i-th zone *name* of the region
(`availability_zone`). In terraform-provider-aws (internal/service/ec2/vpc_subnet.go) both
`availability_zone` and `availability_zone_id` are Optional+Computed+ForceNew: the state holds both,
a dropped one keeps its stored value, and a new id different from the stored one replaces the subnet
(create-first in the same VPC with the same CIDR: InvalidSubnet.Conflict). Checked through the
offline diff model (offline/report.changes).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi_aws as aws
import pytest

from marin.config import ConfigError, parse
from offline import engine, report
from offline.engine import token

SUBNET = token(aws.ec2.Subnet)


def name_sorted_zones(committed: dict[str, str]) -> dict[str, str]:
    """The zones the old program used: the region's first azCount zone names, and their ids."""
    account = json.loads(committed["marin:allowedAccountIds"])[0]
    zones = engine.Mocks("x", account, committed.get("marin:awsRegion", "us-east-1")).zones()
    return dict(sorted(zones.items())[: int(committed["marin:azCount"])])


def as_deployed_by_name(doc: dict[str, Any], zones: dict[str, str]) -> dict[str, Any]:
    """`doc` as the old program registered it: each subnet's zone given by name, the state holding both."""
    old = copy.deepcopy(doc)
    names = list(zones)
    for r in old["resources"]:
        if r["type"] == SUBNET:
            i = int(r["logicalName"].rsplit("-", 1)[1]) - 1
            r["inputs"].pop("availabilityZoneId")
            r["inputs"]["availabilityZone"] = names[i]
            r["outputs"] |= {"availabilityZone": names[i], "availabilityZoneId": zones[names[i]]}
    return old


def subnet_changes(env: str, config: dict[str, str], zones: dict[str, str]) -> list[report.ResourceChange]:
    new = report.to_doc(engine.run_cached(env, config=config))
    old = as_deployed_by_name(new, zones)
    return [c for c in report.changes(old["resources"], new["resources"]) if c.type == SUBNET]


def test_pinning_the_deployed_zone_ids_leaves_every_subnet_alone(committed: dict[str, dict[str, str]]) -> None:
    for env, raw in committed.items():
        zones = name_sorted_zones(raw)
        pinned = raw | {"marin:availabilityZoneIds": json.dumps(list(zones.values()))}
        try:
            parse(env, pinned)
        except ConfigError:
            continue  # the old name-sorted layout was never deployable here (a zone a service is not in)
        assert subnet_changes(env, pinned, zones) == [], env


def test_unpinned_zone_ids_other_than_the_deployed_ones_replace_the_subnets(
    committed: dict[str, dict[str, str]],
) -> None:
    """What the review found on prod: without the pin, the lowest usable ids differ from the zones
    the subnets are in, and every subnet is replaced (the reason the key exists)."""
    seen = 0
    for env, raw in committed.items():
        zones = name_sorted_zones(raw)
        cs = subnet_changes(env, raw, zones)
        inv = engine.run_cached(env, config=raw)
        chosen = {s.inputs["availabilityZoneId"] for s in inv.of_type(SUBNET)}
        if chosen == set(zones.values()):
            assert cs == []
            continue
        seen += 1
        assert cs, env
        assert all(c.op == "replace" for c in cs), env
    if not seen:
        pytest.skip("every committed stack's name-sorted zones are already its lowest usable ids")
