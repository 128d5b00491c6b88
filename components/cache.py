"""cache tier: ElastiCache Redis, private, encrypted at rest and in transit, AUTH required."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components._outputs import declared
from marin.catalogue import REDIS_PORT
from marin.config import CacheConfig, StackConfig
from marin.naming import EnvironmentNames

ENGINE_VERSION = "7.1"


@dataclass(frozen=True)
class CacheArgs:
    config: CacheConfig
    stack: StackConfig
    names: EnvironmentNames
    private_subnet_ids: list[pulumi.Output[str]]
    security_group_id: pulumi.Output[str]
    auth_token_secret_id: pulumi.Output[str]


class Cache(pulumi.ComponentResource):
    primary_endpoint: pulumi.Output[str]
    member_cluster_ids: list[str]
    value_arns: dict[str, pulumi.Output[str]]
    """ARN of the redis-auth-token secret, resolved once its value is written."""
    value_versions: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:cache:Cache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            name=args.names.redis_subnet_group,
            subnet_ids=args.private_subnet_ids,
            description="Private subnets of the marin Redis",
            opts=child,
        )
        # AUTH tokens: 16-128 printable characters without @, " or /; letters and digits are safe.
        token = random.RandomPassword(f"{name}-auth-token", length=64, special=False, opts=child)
        token_version = aws.secretsmanager.SecretVersion(
            f"{name}-auth-token", secret_id=args.auth_token_secret_id, secret_string=token.result, opts=child
        )
        nodes = 2 if args.stack.high_availability else 1  # a replica is what Multi-AZ fails over to
        group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            replication_group_id=args.names.redis,
            description="marin cache and job queue",
            engine="redis",
            engine_version=ENGINE_VERSION,
            node_type=args.config.redis_node_type,
            port=REDIS_PORT,
            num_cache_clusters=nodes,
            automatic_failover_enabled=args.stack.high_availability,
            multi_az_enabled=args.stack.high_availability,
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            auth_token=token.result,
            subnet_group_name=subnets.name,
            security_group_ids=[args.security_group_id],
            snapshot_retention_limit=args.config.redis_snapshot_retention_days,
            snapshot_window="03:00-04:00" if args.config.redis_snapshot_retention_days else None,
            maintenance_window="sun:05:00-sun:06:00",
            auto_minor_version_upgrade=True,
            # A reviewed `up` applies its change now (ModifyReplicationGroup ApplyImmediately), not
            # at the next maintenance window, while preview and drift kept showing it as pending.
            # Node type changes scale online; failover and engine changes may briefly interrupt.
            apply_immediately=True,
            final_snapshot_identifier=f"{args.names.redis}-final" if args.stack.protect_data else None,
            opts=pulumi.ResourceOptions(parent=self, protect=args.stack.protect_data),
        )
        self.primary_endpoint = group.primary_endpoint_address
        self.value_arns = {"redis-auth-token": token_version.secret_arn}
        self.value_versions = {"redis-auth-token": token_version.version_id}
        self.member_cluster_ids = [f"{args.names.redis}-{i + 1:03d}" for i in range(nodes)]
        self.register_outputs(declared(self))
