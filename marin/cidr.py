"""VPC address plan: private subnets get three quarters of the VPC, public subnets share the last.

For a /16: private /18 per AZ (16,379 usable addresses each), public /20 per AZ. Pure functions;
the config validator uses them to refuse a CIDR early, the network tier to lay out subnets.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from itertools import combinations

VPC_PREFIX_RANGE = (16, 20)
MAX_AZS = 3
PRIVATE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


class CidrError(ValueError):
    """A VPC CIDR that is malformed, public, wrongly sized or overlapping another environment's."""


@dataclass(frozen=True)
class SubnetPlan:
    vpc: str
    private: tuple[str, ...]
    public: tuple[str, ...]


def parse_vpc_cidr(value: str) -> ipaddress.IPv4Network:
    """Parse and check a VPC CIDR: strict IPv4 network, RFC 1918, prefix /16 to /20."""
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise CidrError(f"{value!r} is not a valid IPv4 network in CIDR notation ({exc})") from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise CidrError(f"{value!r} is IPv6; the VPC needs an IPv4 CIDR")
    if not any(net.subnet_of(r) for r in PRIVATE_RANGES):
        allowed = ", ".join(str(r) for r in PRIVATE_RANGES)
        raise CidrError(f"{value!r} is not private; allowed: a network inside {allowed} (RFC 1918)")
    lo, hi = VPC_PREFIX_RANGE
    if not lo <= net.prefixlen <= hi:
        raise CidrError(f"{value!r} has prefix /{net.prefixlen}; allowed: /{lo} to /{hi}")
    return net


def plan_subnets(vpc_cidr: str, az_count: int) -> SubnetPlan:
    if not 1 <= az_count <= MAX_AZS:
        raise CidrError(f"az count {az_count} is outside 1-{MAX_AZS}")
    net = parse_vpc_cidr(vpc_cidr)
    quarters = list(net.subnets(prefixlen_diff=2))
    public_pool = list(quarters[3].subnets(prefixlen_diff=2))
    return SubnetPlan(
        vpc=str(net),
        private=tuple(str(q) for q in quarters[:az_count]),
        public=tuple(str(p) for p in public_pool[:az_count]),
    )


def overlapping(cidrs: dict[str, str]) -> list[tuple[str, str]]:
    """Pairs of names whose CIDRs overlap (names sorted, pairs sorted)."""
    nets = {k: ipaddress.ip_network(v) for k, v in sorted(cidrs.items())}
    return [(a, b) for a, b in combinations(nets, 2) if nets[a].overlaps(nets[b])]
