"""Pure tests of the VPC address plan."""

from __future__ import annotations

import ipaddress
from itertools import combinations

import pytest

from marin.cidr import CidrError, overlapping, plan_subnets


@pytest.mark.parametrize("vpc", ["10.10.0.0/16", "172.16.0.0/18", "192.168.0.0/20"])
@pytest.mark.parametrize("azs", [1, 2, 3])
def test_subnets_lie_inside_the_vpc_and_never_overlap(vpc: str, azs: int) -> None:
    plan = plan_subnets(vpc, azs)
    subnets = [ipaddress.ip_network(s) for s in plan.private + plan.public]
    assert len(plan.private) == len(plan.public) == azs
    assert all(s.subnet_of(ipaddress.ip_network(vpc)) for s in subnets)  # type: ignore[arg-type]
    assert not any(a.overlaps(b) for a, b in combinations(subnets, 2))


def test_private_subnets_are_larger_than_public_ones() -> None:
    plan = plan_subnets("10.10.0.0/16", 3)
    assert plan.private[0] == "10.10.0.0/18"
    assert plan.public[0] == "10.10.192.0/20"


def test_more_azs_than_the_plan_holds_is_refused() -> None:
    with pytest.raises(CidrError, match="az count 4 is outside 1-3"):
        plan_subnets("10.10.0.0/16", 4)


def test_overlapping_pairs_are_named() -> None:
    assert overlapping({"a": "10.0.0.0/16", "b": "10.0.128.0/17", "c": "10.1.0.0/16"}) == [("a", "b")]
