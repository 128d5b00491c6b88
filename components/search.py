"""search tier: an OpenSearch domain inside the VPC, HTTPS only, encrypted, task roles only.

Needs the account's service-linked role for OpenSearch VPC access (created once per account:
`aws iam create-service-linked-role --aws-service-name opensearchservice.amazonaws.com`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from marin import iam

ENGINE_VERSION = "OpenSearch_2.19"
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"


@dataclass(frozen=True)
class SearchArgs:
    domain_name: str
    instance_type: str
    instance_count: int
    volume_gb: int
    high_availability: bool
    protect: bool
    account_id: str
    region: str
    private_subnet_ids: list[pulumi.Output[str]]
    security_group_id: pulumi.Output[str]
    task_role_arns: list[pulumi.Output[str]]
    endpoint_secret_id: pulumi.Output[str]


class Search(pulumi.ComponentResource):
    endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: SearchArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:search:Search", name, None, opts)
        domain_arn = f"arn:aws:es:{args.region}:{args.account_id}:domain/{args.domain_name}"
        zones = 2 if args.high_availability else 1
        access = pulumi.Output.all(*args.task_role_arns).apply(
            lambda arns: json.dumps(iam.opensearch_access_policy(domain_arn, list(arns)), sort_keys=True)
        )
        domain = aws.opensearch.Domain(
            f"{name}-domain",
            domain_name=args.domain_name,
            engine_version=ENGINE_VERSION,
            cluster_config={
                "instance_type": args.instance_type,
                "instance_count": args.instance_count,
                "zone_awareness_enabled": args.high_availability,
                "zone_awareness_config": {"availability_zone_count": zones} if args.high_availability else None,
            },
            ebs_options={"ebs_enabled": True, "volume_type": "gp3", "volume_size": args.volume_gb},
            vpc_options={"subnet_ids": args.private_subnet_ids[:zones], "security_group_ids": [args.security_group_id]},
            encrypt_at_rest={"enabled": True},
            node_to_node_encryption={"enabled": True},
            domain_endpoint_options={"enforce_https": True, "tls_security_policy": TLS_POLICY},
            access_policies=access,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.endpoint = domain.endpoint.apply(lambda host: f"https://{host}")
        aws.secretsmanager.SecretVersion(
            f"{name}-endpoint",
            secret_id=args.endpoint_secret_id,
            secret_string=self.endpoint,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"endpoint": self.endpoint})
