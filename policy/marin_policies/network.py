"""network: no ingress from the internet except HTTP(S) on the load balancer; the default group is closed.

"The internet" is any public range wider than /8 (IPv4) or /16 (IPv6): 0.0.0.0/1 plus 128.0.0.0/1
opens as much as 0.0.0.0/0. A managed prefix list holds no such range, so a rule from it is checked
by checking the list; a rule from a prefix list the stack does not define cannot be (advisory).
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterator
from typing import Any

import pulumi_aws as aws
from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from ._common import ADVISORY, decide_each, num, of_type, resource_rule, stack_rule, token

WEB_PORTS = (80, 443)
INGRESS_RULE = token(aws.vpc.SecurityGroupIngressRule)
LEGACY_RULE = token(aws.ec2.SecurityGroupRule)
GROUP = token(aws.ec2.SecurityGroup)
DEFAULT_GROUP = token(aws.ec2.DefaultSecurityGroup)
PREFIX_LIST, PREFIX_ENTRY = token(aws.ec2.ManagedPrefixList), token(aws.ec2.ManagedPrefixListEntry)
WIDEST_PRIVATE = {4: 8, 6: 16}  # prefix length: no public range is wider than this and still "a network"
ALL_TRAFFIC = ("-1", "all")  # EC2: protocol -1 is every protocol and port, whatever the port range says


def _group_name(props: Any) -> str:
    """A group's name, or its name prefix (AWS appends a unique suffix)."""
    return props.get("name") or str(props.get("namePrefix") or "").rstrip("-")


def _anywhere(cidrs: Any) -> str | None:
    """The first CIDR that admits the internet: public and wider than /8 (IPv4) or /16 (IPv6)."""
    for cidr in cidrs:
        with contextlib.suppress(ValueError):  # not a CIDR (None, an unknown value...)
            network = ipaddress.ip_network(cidr, strict=False)
            if network.prefixlen < WIDEST_PRIVATE[network.version] and not network.is_private:
                return cidr
    return None


def _web_only(protocol: Any, from_port: Any, to_port: Any) -> bool:
    return str(protocol).lower() in ("tcp", "6") and from_port == to_port and from_port in WEB_PORTS


def _open(who: str, cidrs: Any, protocol: Any, from_port: Any, to_port: Any) -> Iterator[str]:
    source = _anywhere(cidrs)
    if source and not _web_only(protocol, from_port, to_port):
        what = f"{protocol} {num(from_port)}-{num(to_port)}"
        if str(protocol).lower() in ALL_TRAFFIC:
            what = "all traffic"
        elif from_port is None and to_port is None:  # a protocol without ports (ESP, GRE...)
            what = f"protocol {protocol}"
        yield f"{who}: ingress from {source} on {what}; only TCP 80 or 443 may be open to the internet"


def _open_ports(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    """Per resource, so `up` refuses it before it exists (the stack rule below runs after the steps)."""
    p = args.props
    if args.resource_type == INGRESS_RULE:
        cidrs = [p.get("cidrIpv4"), p.get("cidrIpv6")]
        yield from _open(args.name, cidrs, p.get("ipProtocol"), p.get("fromPort"), p.get("toPort"))
    elif args.resource_type == LEGACY_RULE:
        if p.get("type") == "ingress":
            cidrs = [*(p.get("cidrBlocks") or []), *(p.get("ipv6CidrBlocks") or [])]
            yield from _open(args.name, cidrs, p.get("protocol"), p.get("fromPort"), p.get("toPort"))
    elif args.resource_type in (PREFIX_LIST, PREFIX_ENTRY):
        entries = (p.get("entries") or []) if args.resource_type == PREFIX_LIST else [p]
        source = _anywhere([e.get("cidr") for e in entries])
        if source:
            yield f"prefix list {args.name} holds {source}, the internet; a rule from it would be open to anyone"
    else:
        for rule in p.get("ingress") or []:
            cidrs = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]
            who = f"{_group_name(p) or args.name} (inline)"
            yield from _open(who, cidrs, rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"))


def _open_ingress(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    def one(rule: Any) -> Iterator[tuple[str, str]]:
        p = rule.props
        if rule.resource_type == LEGACY_RULE:
            if p.get("type") != "ingress":
                return
            source = _anywhere([*(p.get("cidrBlocks") or []), *(p.get("ipv6CidrBlocks") or [])])
        else:
            source = _anywhere([p.get("cidrIpv4"), p.get("cidrIpv6")])
        if not source:
            return
        owners = rule.property_dependencies.get("securityGroupId") or []
        group = next((g for g in owners if g.resource_type == GROUP), None)
        group_name = _group_name(group.props) if group else ""
        protocol = p.get("protocol") if rule.resource_type == LEGACY_RULE else p.get("ipProtocol")
        if not (group_name.endswith("-alb-sg") and _web_only(protocol, p.get("fromPort"), p.get("toPort"))):
            yield (
                rule.urn,
                (
                    f"{rule.name}: ingress from {source} on ports "
                    f"{num(p.get('fromPort'))}-{num(p.get('toPort'))} of {group_name or 'a security group'}; "
                    "only 80/443 on the load balancer"
                ),
            )

    # Inline rules of a group are decided per resource (`no-open-ingress-ports`).
    return decide_each([*of_type(args, INGRESS_RULE), *of_type(args, LEGACY_RULE)], one)


def _prefix_lists(rule: Any) -> list[Any]:
    """The prefix lists an ingress rule admits (the rule resources, a group's inline rules)."""
    p = rule.props
    if rule.resource_type == INGRESS_RULE:
        return [p.get("prefixListId")] if p.get("prefixListId") else []
    if rule.resource_type == LEGACY_RULE:
        return list(p.get("prefixListIds") or []) if p.get("type") == "ingress" else []
    return [pl for inline in p.get("ingress") or [] for pl in inline.get("prefixListIds") or []]


def _unread_prefix_lists(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    """Ingress from a prefix list the stack does not define: its entries cannot be checked."""
    ours = of_type(args, PREFIX_LIST)

    def one(rule: Any) -> Iterator[tuple[str, str]]:
        if any(d in ours for deps in rule.property_dependencies.values() for d in deps):
            return
        ids = {r.props.get("id") for r in ours}
        for prefix_list in _prefix_lists(rule):
            if prefix_list not in ids:
                yield rule.urn, f"can't read prefix list {prefix_list} of {rule.name}: not defined in this stack"

    return decide_each([*of_type(args, INGRESS_RULE), *of_type(args, LEGACY_RULE), *of_type(args, GROUP)], one)


def _default_closed(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    """On the resource, so `up` refuses the rules before they exist."""
    if args.props.get("ingress") or args.props.get("egress"):
        yield "the default security group allows traffic"


def _default_managed(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    vpcs = of_type(args, token(aws.ec2.Vpc))
    if vpcs and not of_type(args, DEFAULT_GROUP):
        yield vpcs[0].urn, "the VPC's default security group is not managed (and emptied)"


POLICIES = [
    resource_rule(
        "no-open-ingress-ports",
        "Ingress from the internet only on TCP port 80 or 443; no prefix list holds the internet",
        (INGRESS_RULE, LEGACY_RULE, GROUP, PREFIX_LIST, PREFIX_ENTRY),
        _open_ports,
        control="EC2.18",
    ),
    stack_rule(
        "no-open-ingress",
        "No security group ingress from the internet except 80/443 on the ALB",
        _open_ingress,
        control="EC2.18",
    ),
    stack_rule(
        "ingress-prefix-lists-readable",
        "Ingress prefix lists are defined in the stack (others cannot be checked)",
        _unread_prefix_lists,
        level=ADVISORY,
    ),
    resource_rule(
        "default-security-group-closed",
        "The VPC's default security group allows nothing",
        (DEFAULT_GROUP,),
        _default_closed,
        control="EC2.2",
    ),
    stack_rule(
        "default-security-group-managed",
        "Every VPC's default security group is managed (to be emptied)",
        _default_managed,
        control="EC2.2",
    ),
]
