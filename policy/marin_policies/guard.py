"""What pulumi-policy-aws (AWSGuard) checks on the types this program uses, with the FSBP control:
KMS key rotation, the ALB's HTTP listener redirecting to HTTPS, the load balancer's deletion
protection and access logs where data is protected, IMDSv2 and encrypted volumes on instances."""

from __future__ import annotations

from collections.abc import Iterator

import pulumi_aws as aws
from pulumi_policy import ResourceValidationArgs

from ._common import get, resource_rule, setting, stack_says, token

KEY, INSTANCE = token(aws.kms.Key), token(aws.ec2.Instance)
# aws.alb.* is the same resource under its older token: both are matched.
LISTENERS = (token(aws.lb.Listener), token(aws.alb.Listener))
BALANCERS = (token(aws.lb.LoadBalancer), token(aws.alb.LoadBalancer))
CLASSIC = token(aws.elb.LoadBalancer)
# Access logs are checked where AWS Config's elb-logging-enabled (FSBP ELB.5) checks them: "the
# Application Load Balancer and the Classic Load Balancer ... The rule does not apply to Network Load
# Balancers or Gateway Load Balancers" (AWS Config developer guide, elb-logging-enabled).
LOGGED_BALANCERS = (*BALANCERS, CLASSIC)
PROTECTED = {"required": {"type": "boolean", "description": "default: the stack's protectData"}}


def _rotation(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    # Rotation applies to symmetric encryption keys only (AWS KMS EnableKeyRotation).
    symmetric = args.props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    if symmetric and args.props.get("enableKeyRotation") is not True:
        yield f"KMS key {args.name} does not rotate its key material (enableKeyRotation)"


def _redirect(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if args.props.get("protocol") != "HTTP" or not setting(args, "required", stack_says("protectData")):
        return
    actions = args.props.get("defaultActions") or []
    if not all(a.get("type") == "redirect" and get(a, "redirect.protocol") == "HTTPS" for a in actions) or not actions:
        yield f"HTTP listener {args.name} serves plain HTTP; it must redirect to HTTPS"


def _deletion_protection(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if setting(args, "required", stack_says("protectData")) and args.props.get("enableDeletionProtection") is not True:
        yield f"load balancer {args.props.get('name')!r} has no deletion protection; the stack protects its data"


def _access_logs(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if not setting(args, "required", stack_says("protectData")):
        return
    if get(args.props, "loadBalancerType", "application") != "application":  # network, gateway
        return
    # A Classic ELB's access_logs block is enabled unless it says otherwise (terraform-provider-aws
    # internal/service/elb/load_balancer.go: `enabled` Default true); aws_lb's is off by default.
    default = args.resource_type == CLASSIC and args.props.get("accessLogs") is not None
    if get(args.props, "accessLogs.enabled", default) is not True:
        yield f"load balancer {args.props.get('name')!r} keeps no access logs; the stack protects its data"


def _imdsv2(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if get(args.props, "metadataOptions.httpTokens") != "required":
        yield f"instance {args.name} accepts IMDSv1 (metadataOptions.httpTokens must be 'required')"


def _volumes(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if get(args.props, "rootBlockDevice.encrypted") is not True:
        yield f"instance {args.name}'s root volume is not encrypted"
    for device in args.props.get("ebsBlockDevices") or []:
        if device.get("encrypted") is not True:
            yield f"instance {args.name}'s volume {device.get('deviceName')} is not encrypted"


POLICIES = [
    resource_rule("kms-key-rotation", "KMS keys rotate their key material yearly", (KEY,), _rotation, control="KMS.4"),
    resource_rule(
        "alb-http-redirects-to-https",
        "HTTP listeners redirect to HTTPS where the stack's protectData is true (required)",
        LISTENERS,
        _redirect,
        control="ELB.1",
        config=PROTECTED,
    ),
    resource_rule(
        "elb-deletion-protection",
        "Load balancers are protected from deletion where the stack's protectData is true (required)",
        BALANCERS,
        _deletion_protection,
        control="ELB.6",
        config=PROTECTED,
    ),
    resource_rule(
        "elb-access-logs",
        "Application and Classic load balancers keep access logs where the stack's protectData is true (required)",
        LOGGED_BALANCERS,
        _access_logs,
        control="ELB.5",
        config=PROTECTED,
    ),
    resource_rule("ec2-imdsv2", "Instances require IMDSv2", (INSTANCE,), _imdsv2, control="EC2.8"),
    resource_rule("ec2-encrypted-volumes", "Instances' volumes are encrypted", (INSTANCE,), _volumes, control="EC2.3"),
]
