"""ECS: no public IP where data is protected; deployment circuit breaker; logs configured."""

from __future__ import annotations

from collections.abc import Iterator

import pulumi_aws as aws
from pulumi_policy import ResourceValidationArgs

from ._common import get, json_of, resource_rule, setting, stack_says, token


def _public_ip(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    allowed = setting(args, "allowed", not stack_says("protectData"))
    if not allowed and get(args.props, "networkConfiguration.assignPublicIp") is True:
        yield f"service {args.props.get('name')!r} assigns public IPs to its tasks; the stack protects its data"


def _circuit_breaker(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    breaker = args.props.get("deploymentCircuitBreaker") or {}
    if not (breaker.get("enable") and breaker.get("rollback")):
        yield f"service {args.props.get('name')!r} has no deployment circuit breaker with rollback"


def _logging(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    for container in json_of(args.props.get("containerDefinitions")) or []:
        if not get(container, "logConfiguration.logDriver"):
            yield f"container {container.get('name')!r} of {args.props.get('family')!r} has no log configuration"


SERVICE = (token(aws.ecs.Service),)
POLICIES = [
    resource_rule(
        "ecs-no-public-ip",
        "Tasks get no public IP where the stack's protectData is true (allowed)",
        SERVICE,
        _public_ip,
        control="ECS.2",
        config={"allowed": {"type": "boolean", "description": "default: the stack's protectData is false"}},
    ),
    resource_rule("ecs-circuit-breaker", "Deployments roll back on failure", SERVICE, _circuit_breaker),
    resource_rule(
        "ecs-logging",
        "Every container logs somewhere",
        (token(aws.ecs.TaskDefinition),),
        _logging,
        control="ECS.9",
    ),
]
