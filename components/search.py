"""search tier: an OpenSearch domain inside the VPC, HTTPS only, encrypted, task roles only.

Highly available domains spread their data nodes over 3 AZs (a multiple of 3 nodes), so the
master quorum (2 of 3 master-eligible nodes, or of 3 dedicated masters when configured) survives
the loss of one AZ; 2 AZs cannot (AWS: "Configuring a multi-AZ domain", managedomains-multiaz).

Needs the account's service-linked role for OpenSearch VPC access (created once per account:
`aws iam create-service-linked-role --aws-service-name opensearchservice.amazonaws.com`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components._outputs import declared
from marin import iam, limits
from marin.config import SearchConfig, StackConfig
from marin.naming import EnvironmentNames

ENGINE_VERSION = "OpenSearch_2.19"
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"


@dataclass(frozen=True)
class SearchArgs:
    config: SearchConfig
    stack: StackConfig
    names: EnvironmentNames
    account_id: str
    private_subnet_ids: list[pulumi.Output[str]]
    security_group_id: pulumi.Output[str]
    task_role_arns: list[pulumi.Output[str]]
    endpoint_secret_id: pulumi.Output[str]


class Search(pulumi.ComponentResource):
    endpoint: pulumi.Output[str]
    value_arns: dict[str, pulumi.Output[str]]
    """ARN of the opensearch-endpoint secret, resolved once its value is written (after the domain exists)."""
    value_versions: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: SearchArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:search:Search", name, None, opts)
        domain_arn = f"arn:aws:es:{args.stack.aws_region}:{args.account_id}:domain/{args.names.opensearch}"
        zones = limits.OPENSEARCH_QUORUM_ZONES if args.stack.high_availability else 1
        masters = bool(args.config.opensearch_dedicated_master_type)
        access = pulumi.Output.all(*args.task_role_arns).apply(
            lambda arns: json.dumps(iam.opensearch_access_policy(domain_arn, list(arns)), sort_keys=True)
        )
        domain = aws.opensearch.Domain(
            f"{name}-domain",
            domain_name=args.names.opensearch,
            engine_version=ENGINE_VERSION,
            cluster_config={
                "instance_type": args.config.opensearch_instance_type,
                "instance_count": args.config.opensearch_instance_count,
                "zone_awareness_enabled": zones > 1,
                "zone_awareness_config": {"availability_zone_count": zones} if zones > 1 else None,
                "dedicated_master_enabled": masters,
                "dedicated_master_type": args.config.opensearch_dedicated_master_type or None,
                "dedicated_master_count": limits.OPENSEARCH_DEDICATED_MASTER_COUNT if masters else None,
            },
            ebs_options={"ebs_enabled": True, "volume_type": "gp3", "volume_size": args.config.opensearch_volume_gb},
            vpc_options={"subnet_ids": args.private_subnet_ids[:zones], "security_group_ids": [args.security_group_id]},
            encrypt_at_rest={"enabled": True},
            node_to_node_encryption={"enabled": True},
            domain_endpoint_options={"enforce_https": True, "tls_security_policy": TLS_POLICY},
            access_policies=access,
            opts=pulumi.ResourceOptions(parent=self, protect=args.stack.protect_data),
        )
        self.endpoint = domain.endpoint.apply(lambda host: f"https://{host}")
        version = aws.secretsmanager.SecretVersion(
            f"{name}-endpoint",
            secret_id=args.endpoint_secret_id,
            secret_string=self.endpoint,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.value_arns = {"opensearch-endpoint": version.secret_arn}
        self.value_versions = {"opensearch-endpoint": version.version_id}
        self.register_outputs(declared(self))
