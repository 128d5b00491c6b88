"""network: no ingress from anywhere except HTTP(S) on the load balancer; the default group is closed."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterator
from typing import Any

import pulumi_aws as aws
from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from ._common import decide_each, num, of_type, resource_rule, stack_rule, token

WEB_PORTS = (80, 443)
INGRESS_RULE = token(aws.vpc.SecurityGroupIngressRule)
LEGACY_RULE = token(aws.ec2.SecurityGroupRule)
GROUP = token(aws.ec2.SecurityGroup)
ALL_TRAFFIC = ("-1", "all")  # EC2: protocol -1 is every protocol and port, whatever the port range says


def _group_name(props: Any) -> str:
    """A group's name, or its name prefix (AWS appends a unique suffix)."""
    return props.get("name") or str(props.get("namePrefix") or "").rstrip("-")


def _anywhere(cidrs: Any) -> str | None:
    """The first CIDR that admits every address (0.0.0.0/0, ::/0, however written)."""
    for cidr in cidrs:
        with contextlib.suppress(TypeError, ValueError):
            if ipaddress.ip_network(cidr, strict=False).prefixlen == 0:
                return cidr
    return None


def _web_only(protocol: Any, from_port: Any, to_port: Any) -> bool:
    return str(protocol).lower() in ("tcp", "6") and from_port == to_port and from_port in WEB_PORTS


def _open(who: str, cidrs: Any, protocol: Any, from_port: Any, to_port: Any) -> Iterator[str]:
    source = _anywhere(cidrs)
    if source and not _web_only(protocol, from_port, to_port):
        what = "all traffic" if str(protocol).lower() in ALL_TRAFFIC else f"{protocol} {num(from_port)}-{num(to_port)}"
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
    else:
        for rule in p.get("ingress") or []:
            cidrs = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]
            who = f"{_group_name(p) or args.name} (inline)"
            yield from _open(who, cidrs, rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"))


def _open_ingress(args: StackValidationArgs, env: str) -> Iterator[tuple[str, str]]:
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


def _default_sg(args: StackValidationArgs, env: str) -> Iterator[tuple[str, str]]:
    vpcs = of_type(args, token(aws.ec2.Vpc))
    defaults = of_type(args, token(aws.ec2.DefaultSecurityGroup))
    if vpcs and not defaults:
        yield vpcs[0].urn, "the VPC's default security group is not managed (and emptied)"
    for d in defaults:
        if d.props.get("ingress") or d.props.get("egress"):
            yield d.urn, "the default security group allows traffic"


POLICIES = [
    resource_rule(
        "no-open-ingress-ports",
        "Ingress from 0.0.0.0/0 or ::/0 only on TCP port 80 or 443 (checked before the rule exists)",
        (INGRESS_RULE, LEGACY_RULE, GROUP),
        _open_ports,
        control="EC2.18",
    ),
    stack_rule(
        "no-open-ingress",
        "No security group ingress from 0.0.0.0/0 or ::/0 except 80/443 on the ALB",
        _open_ingress,
        control="EC2.18",
    ),
    stack_rule(
        "default-security-group-closed", "The VPC's default security group allows nothing", _default_sg, control="EC2.2"
    ),
]
