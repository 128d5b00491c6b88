"""naming: physical names follow `marin-<env>-...`, `/ecs/<env>/...`, `<env>/audio-pipeline/...`."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pulumi_aws as aws
import pulumi_mongodbatlas as mongodbatlas
from pulumi_policy import ResourceValidationArgs

from ._common import PROJECT, SECRET_PATH, resource_rule, token

NAME_PROP = {
    token(aws.s3.Bucket): "bucket",
    token(aws.s3.BucketV2): "bucket",
    token(aws.opensearch.Domain): "domainName",
    token(aws.elasticache.ReplicationGroup): "replicationGroupId",
    token(aws.ecs.TaskDefinition): "family",
    token(mongodbatlas.DatabaseUser): "username",
}


# DNS records carry the DNS name they publish (api.<env>.<domain>, ACM validation tokens).
DNS_TYPES = (token(aws.route53.Record),)
# Names AWS reserves: an HTTP API's `$default` stage (served at the API's root, http-api ingress).
RESERVED = {token(aws.apigatewayv2.Stage): "$default"}
# Types the program leaves to the provider's auto-name, because nothing outside the stack needs
# their name (docs/naming-policy.md): an inline policy (its name is unique only within its role),
# the ALB's target group and the Cloud Map service (created first on replacement). Left unset, the
# provider's Check fills in `<logical name>-<7 hex>` (pulumi-terraform-bridge
# `pkg/tfbridge/info/autonaming.go`: SetAutonaming/AutoName, Randlen 7, separator "-" as pulumi-aws
# sets it), and the analyzer receives that name. Every other type keeps the convention.
AUTO_NAMED = tuple(token(t) for t in (aws.iam.RolePolicy, aws.lb.TargetGroup, aws.servicediscovery.Service))


def _auto_named(args: ResourceValidationArgs, name: str) -> bool:
    return re.fullmatch(re.escape(args.name) + "-[0-9a-f]{7}", name) is not None


def _check(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if args.resource_type.startswith(("pulumi:", "random:")) or args.resource_type in DNS_TYPES:
        return
    name = args.props.get(NAME_PROP.get(args.resource_type, "name"))
    prefix_prop = args.props.get("namePrefix")
    if name is None and isinstance(prefix_prop, str):  # AWS appends a unique suffix to the prefix
        name = prefix_prop.rstrip("-")
    if not isinstance(name, str) or RESERVED.get(args.resource_type) == name:
        return
    if args.resource_type in AUTO_NAMED and _auto_named(args, name):
        return
    prefix = f"{PROJECT}-{env}"
    if args.resource_type == token(aws.cloudwatch.LogGroup):
        if not name.startswith((f"/ecs/{env}/", f"/vpc/{env}/")):
            yield f"log group {name!r} must be /ecs/{env}/<service> (or /vpc/{env}/<name>)"
    elif args.resource_type == token(aws.secretsmanager.Secret):
        if not name.startswith(SECRET_PATH.format(env=env)):
            yield f"secret {name!r} must live under {SECRET_PATH.format(env=env)}"
    elif args.resource_type == token(aws.kms.Alias):
        if not name.startswith(f"alias/{prefix}-"):
            yield f"KMS alias {name!r} must be alias/{prefix}-<resource>"
    elif name != prefix and not name.startswith(f"{prefix}-"):
        yield f"{args.resource_type} name {name!r} must be {prefix}-<resource>"


POLICIES = [
    resource_rule(
        "naming-convention",
        "Physical names are marin-<env>-<resource>; log groups /ecs/<env>/...; secrets <env>/audio-pipeline/...",
        (),
        _check,
    ),
]
