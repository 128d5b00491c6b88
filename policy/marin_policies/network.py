"""network: no ingress from anywhere except HTTP(S) on the load balancer; the default group is closed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from ._common import decide_each, num, of_type, resource_rule, stack_rule

OPEN = ("0.0.0.0/0", "::/0")
WEB_PORTS = (80, 443)
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
GROUP = "aws:ec2/securityGroup:SecurityGroup"


def _group_name(props: Any) -> str:
    """A group's name, or its name prefix (AWS appends a unique suffix)."""
    return props.get("name") or str(props.get("namePrefix") or "").rstrip("-")


def _open_source(props: Any) -> str | None:
    for key in ("cidrIpv4", "cidrIpv6"):
        if props.get(key) in OPEN:
            return props.get(key)
    return None


def _web_port(props: Any) -> bool:
    return props.get("fromPort") == props.get("toPort") and props.get("fromPort") in WEB_PORTS


def _inline_open(rule: Any) -> bool:
    blocks = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]
    return bool(set(blocks) & set(OPEN))


def _open_ports(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    """Per resource, so `up` refuses it before it exists (the stack rule below runs after the steps)."""
    p = args.props
    if args.resource_type == INGRESS_RULE:
        source = _open_source(p)
        if source and not _web_port(p):
            yield (
                f"{args.name}: ingress from {source} on ports {num(p.get('fromPort'))}-{num(p.get('toPort'))}; "
                "only 80 or 443 may be open to the internet"
            )
    elif any(_inline_open(rule) for rule in p.get("ingress") or []):
        yield f"{_group_name(p) or args.name}: inline ingress from anywhere"


def _open_ingress(args: StackValidationArgs, env: str) -> Iterator[str]:
    def one(rule: Any) -> Iterator[str]:
        p = rule.props
        source = _open_source(p)
        if not source:
            return
        owners = rule.property_dependencies.get("securityGroupId") or []
        group = next((g for g in owners if g.resource_type == GROUP), None)
        group_name = _group_name(group.props) if group else ""
        if not (group_name.endswith("-alb-sg") and _web_port(p)):
            yield (
                f"{rule.name}: ingress from {source} on ports "
                f"{num(p.get('fromPort'))}-{num(p.get('toPort'))} of {group_name or 'a security group'}; "
                "only 80/443 on the load balancer"
            )

    # Inline rules of a group are decided per resource (`no-open-ingress-ports`).
    return decide_each(of_type(args, INGRESS_RULE), one)


def _default_sg(args: StackValidationArgs, env: str) -> Iterator[str]:
    vpcs = of_type(args, "aws:ec2/vpc:Vpc")
    defaults = of_type(args, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    if vpcs and not defaults:
        yield "the VPC's default security group is not managed (and emptied)"
    for d in defaults:
        if d.props.get("ingress") or d.props.get("egress"):
            yield "the default security group allows traffic"


POLICIES = [
    resource_rule(
        "no-open-ingress-ports",
        "Ingress from 0.0.0.0/0 or ::/0 only on port 80 or 443 (checked before the rule exists)",
        (INGRESS_RULE, GROUP),
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
