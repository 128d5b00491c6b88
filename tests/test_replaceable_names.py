"""The target group and the Cloud Map service keep the story's `marin-<env>-...` names and are
still replaced create-first: the name is the naming module's plus 6 hex of the inputs that force a
new resource (offline/replacements.json, from terraform-provider-aws), so a replacement has a name
of its own while the old one, still in use, waits to be deleted. ELB target group names are unique
per account and region and at most 32 characters (ELB API CreateTargetGroup); Cloud Map service
names are unique in their namespace."""

from __future__ import annotations

import re

import pulumi_aws as aws

from marin.config import EnvConfig
from offline import engine, report
from offline.engine import Inventory, token

NAMED = {
    token(aws.lb.TargetGroup): lambda c: c.names.target_group,
    token(aws.servicediscovery.Service): lambda c: c.names.discovery_service,
}


def test_names_are_the_naming_modules_plus_a_short_suffix(inv: Inventory, config: EnvConfig) -> None:
    for r in inv.resources:
        if r.type in NAMED:
            assert re.fullmatch(re.escape(NAMED[r.type](config)) + r"-[0-9a-f]{6}", r.inputs["name"]), r.inputs
            assert "name" not in r.auto_named
            assert len(r.inputs["name"]) <= 32  # the ELB limit, the tighter of the two


def test_a_force_new_change_replaces_them_create_first_under_a_new_name(
    config: EnvConfig, committed: dict[str, dict[str, str]]
) -> None:
    """A new VPC (its CIDR changed) forces a new target group (vpc_id) and Cloud Map namespace, so a
    new service: each is created first, and nothing fails on a name still taken."""
    raw = committed[config.env]
    old = report.to_doc(engine.run_cached(config.env, config=raw))
    new = report.to_doc(engine.run_cached(config.env, config=raw | {"marin:vpcCidr": "10.99.0.0/16"}))
    cs = {c.type: c for c in report.changes(old["resources"], new["resources"]) if c.type in NAMED}
    assert cs
    for c in cs.values():
        assert (c.op, c.delete_first, c.failing) == ("replace", False, []), c.as_json()
