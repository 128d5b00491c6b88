"""network: no ingress from anywhere except HTTP(S) on the load balancer."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import StackValidationArgs

from ._common import num, of_type, stack_rule

OPEN = ("0.0.0.0/0", "::/0")
WEB_PORTS = (80, 443)


def _open_ingress(args: StackValidationArgs, env: str) -> Iterator[str]:
    for rule in of_type(args, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        p = rule.props
        if p.get("cidrIpv4") not in OPEN and p.get("cidrIpv6") not in OPEN:
            continue
        owners = rule.property_dependencies.get("securityGroupId") or []
        group = next((g for g in owners if g.resource_type == "aws:ec2/securityGroup:SecurityGroup"), None)
        group_name = (group.props.get("name") or str(group.props.get("namePrefix") or "").rstrip("-")) if group else ""
        ports = (p.get("fromPort"), p.get("toPort"))
        if not (group_name.endswith("-alb-sg") and ports[0] == ports[1] and ports[0] in WEB_PORTS):
            yield (
                f"{rule.name}: ingress from {p.get('cidrIpv4') or p.get('cidrIpv6')} on ports "
                f"{num(ports[0])}-{num(ports[1])} of {group_name or 'a security group'}; "
                "only 80/443 on the load balancer"
            )
    for legacy in of_type(args, "aws:ec2/securityGroup:SecurityGroup"):
        for rule in legacy.props.get("ingress") or []:
            if set(rule.get("cidrBlocks") or []) & set(OPEN) or set(rule.get("ipv6CidrBlocks") or []) & set(OPEN):
                yield f"{legacy.props.get('name')}: inline ingress from anywhere"


def _default_sg(args: StackValidationArgs, env: str) -> Iterator[str]:
    vpcs = of_type(args, "aws:ec2/vpc:Vpc")
    defaults = of_type(args, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    if vpcs and not defaults:
        yield "the VPC's default security group is not managed (and emptied)"
    for d in defaults:
        if d.props.get("ingress") or d.props.get("egress"):
            yield "the default security group allows traffic"


POLICIES = [
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
