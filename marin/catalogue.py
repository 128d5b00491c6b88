"""What the program offers: the secret hierarchy, the ports, and the sizes a stack may choose.

The `{env}/audio-pipeline/*` secrets: one table drives the secrets tier (which secrets exist), the
tiers that own values, and IAM (each service's execution role may read exactly the secrets injected
into it).

The sizes: config validation accepts exactly these, the cost model prices exactly these
(pricing/prices.yaml has a price for each, in every region it prices; tests/test_cost.py checks it)
and the policy pack ranks them. Each tuple is ordered from cheapest to dearest (us-east-1 on-demand).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Writer = Literal["generated", "operator", "database", "cache", "search"]


@dataclass(frozen=True)
class SecretSpec:
    name: str
    description: str
    writer: Writer
    """`generated`: random value made by the program; `operator`: placeholder a person fills in
    later, never overwritten by `pulumi up`; a tier name: that tier writes the value."""
    consumers: tuple[str, ...]
    """Services that get this secret injected into their containers."""
    env_var: str


SECRETS: tuple[SecretSpec, ...] = (
    SecretSpec(
        "mongodb-uri",
        "MongoDB Atlas connection string (SRV) with the app user's password",
        "database",
        ("api", "worker"),
        "MONGODB_URI",
    ),
    SecretSpec("redis-auth-token", "ElastiCache Redis AUTH token", "cache", ("api", "worker"), "REDIS_AUTH_TOKEN"),
    SecretSpec(
        "opensearch-endpoint",
        "OpenSearch domain HTTPS endpoint (IAM-authenticated)",
        "search",
        ("api", "worker"),
        "OPENSEARCH_ENDPOINT",
    ),
    SecretSpec(
        "app-signing-key", "Key the api signs session and upload tokens with", "generated", ("api",), "APP_SIGNING_KEY"
    ),
    SecretSpec(
        "transcription-api-key",
        "Third-party speech-to-text API key; an operator sets it",
        "operator",
        ("worker",),
        "TRANSCRIPTION_API_KEY",
    ),
)


def secrets_for(service: str) -> tuple[SecretSpec, ...]:
    """The secrets injected into `service`'s containers."""
    return tuple(s for s in SECRETS if service in s.consumers)


# Ports the tiers agree on (security group rules, target groups, container definitions).
APP_PORT = 8080
REDIS_PORT = 6379
OPENSEARCH_PORT = 443
ATLAS_PORT = 27017


# MongoDB Atlas cluster tiers (M0 is the shared TENANT tier; M10 and up are dedicated, general
# class). https://www.mongodb.com/docs/atlas/manage-clusters/ (cluster tiers)
ATLAS_SHARED_TIERS: tuple[str, ...] = ("M0",)
ATLAS_DEDICATED_TIERS: tuple[str, ...] = ("M10", "M20", "M30", "M40", "M50", "M60")
ATLAS_TIERS: tuple[str, ...] = ATLAS_SHARED_TIERS + ATLAS_DEDICATED_TIERS

# ElastiCache (Redis OSS) node types: current-generation Graviton burstable, general purpose and
# memory optimized. https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html
REDIS_NODE_TYPES: tuple[str, ...] = (
    "cache.t4g.micro",
    "cache.t4g.small",
    "cache.t4g.medium",
    "cache.m7g.large",
    "cache.r7g.large",
    "cache.m7g.xlarge",
    "cache.r7g.xlarge",
    "cache.m7g.2xlarge",
    "cache.r7g.2xlarge",
)

# OpenSearch data (and dedicated master) node types: t3 for small domains, Graviton general purpose
# and memory optimized up to 4xlarge for production.
# https://docs.aws.amazon.com/opensearch-service/latest/developerguide/supported-instance-types.html
OPENSEARCH_INSTANCE_TYPES: tuple[str, ...] = (
    "t3.small.search",
    "t3.medium.search",
    "m6g.large.search",
    "m7g.large.search",
    "r6g.large.search",
    "r7g.large.search",
    "m6g.xlarge.search",
    "m7g.xlarge.search",
    "r6g.xlarge.search",
    "r7g.xlarge.search",
    "m6g.2xlarge.search",
    "m7g.2xlarge.search",
    "r6g.2xlarge.search",
    "r7g.2xlarge.search",
    "m6g.4xlarge.search",
    "m7g.4xlarge.search",
    "r6g.4xlarge.search",
    "r7g.4xlarge.search",
)

# The largest gp3 EBS volume (GiB) per data node of each type: OpenSearch developer guide, "Amazon
# OpenSearch Service quotas", EBS volume size quotas (gp3 allows twice the gp2 size except on t3;
# the minimum is 10 GiB everywhere). Config validation refuses a larger opensearchVolumeGb.
OPENSEARCH_MAX_VOLUME_GB: dict[str, int] = {
    "t3.small.search": 100,
    "t3.medium.search": 200,
    **{f"{f}.large.search": 1024 for f in ("m6g", "m7g")},
    **{f"{f}.large.search": 2048 for f in ("r6g", "r7g")},
    **{f"{f}.xlarge.search": 2048 for f in ("m6g", "m7g")},
    **{f"{f}.xlarge.search": 3072 for f in ("r6g", "r7g")},
    **{f"{f}.2xlarge.search": 3072 for f in ("m6g", "m7g")},
    **{f"{f}.2xlarge.search": 6144 for f in ("r6g", "r7g")},
    **{f"{f}.4xlarge.search": 6144 for f in ("m6g", "m7g")},
    **{f"{f}.4xlarge.search": 12288 for f in ("r6g", "r7g")},
}

# Zones, by zone id (the same place in every account; a name like us-east-1a maps to a different
# zone in each account), where each service the stack uses is offered. AWS publishes these as
# allow-lists; config validation refuses a region not listed here (add it from both guides):
# - ECS on Fargate: ECS guide "Supported Regions for Amazon ECS on AWS Fargate" (every zone but
#   in us-west-1, usw1-az1/az3 only, and ap-northeast-1, apne1-az1/az2/az4 only).
# - API Gateway VPC links V2, with the http-api ingress: API Gateway guide "Set up VPC links V2",
#   Availability by Region. A VPC link can't be changed once created.
FARGATE_ZONES: dict[str, frozenset[str]] = {
    "us-east-1": frozenset({"use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az5", "use1-az6"}),
    "us-east-2": frozenset({"use2-az1", "use2-az2", "use2-az3"}),
    "us-west-1": frozenset({"usw1-az1", "usw1-az3"}),
    "us-west-2": frozenset({"usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"}),
    "ap-east-1": frozenset({"ape1-az1", "ape1-az2", "ape1-az3"}),
    "ap-northeast-1": frozenset({"apne1-az1", "apne1-az2", "apne1-az4"}),
    "ap-south-1": frozenset({"aps1-az1", "aps1-az2", "aps1-az3"}),
    "ap-northeast-2": frozenset({"apne2-az1", "apne2-az2", "apne2-az3", "apne2-az4"}),
    "ap-southeast-1": frozenset({"apse1-az1", "apse1-az2", "apse1-az3"}),
    "ap-southeast-2": frozenset({"apse2-az1", "apse2-az2", "apse2-az3"}),
    "eu-west-1": frozenset({"euw1-az1", "euw1-az2", "euw1-az3"}),
}
VPC_LINK_ZONES: dict[str, frozenset[str]] = {
    "us-east-1": frozenset({"use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"}),
    "us-east-2": frozenset({"use2-az1", "use2-az2", "use2-az3"}),
    "us-west-1": frozenset({"usw1-az1", "usw1-az3"}),
    "us-west-2": frozenset({"usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"}),
    "ap-east-1": frozenset({"ape1-az2", "ape1-az3"}),
    "ap-south-1": frozenset({"aps1-az1", "aps1-az2", "aps1-az3"}),
    "ap-northeast-2": frozenset({"apne2-az1", "apne2-az2", "apne2-az3"}),
    "ap-southeast-1": frozenset({"apse1-az1", "apse1-az2", "apse1-az3"}),
    "ap-southeast-2": frozenset({"apse2-az1", "apse2-az2", "apse2-az3"}),
    "eu-west-1": frozenset({"euw1-az1", "euw1-az2", "euw1-az3"}),
}


# Who writes a load balancer's access logs into S3, by region: ELB User Guide (Application Load
# Balancers), "Enable access logs", step 2 "Attach a policy to your S3 bucket"
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
# A region available before August 2022 grants its regional Elastic Load Balancing account: its row
# holds that account id. A newer one grants the log delivery service: its row holds
# ELB_LOG_DELIVERY_SERVICE (marin.iam.elb_log_writer turns a row into the policy's principal).
# Every region FARGATE_ZONES lists is an older one. Config validation refuses a load-balanced stack
# in a region missing here: add its row from that page.
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
ELB_LOG_DELIVERY: dict[str, str] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-south-1": "718504428378",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "eu-west-1": "156460612806",
}


def usable_zones(region: str, load_balanced: bool) -> frozenset[str] | None:
    """The zone ids of `region` where every service of the stack is offered; None when the lists
    do not cover the region."""
    lists = [FARGATE_ZONES] + ([] if load_balanced else [VPC_LINK_ZONES])
    if any(region not in table for table in lists):
        return None
    return frozenset.intersection(*(t[region] for t in lists))


# EC2 types of the dev NAT instance (ARM, matching the arm64 AMI lookup).
NAT_INSTANCE_TYPES: tuple[str, ...] = ("t4g.nano", "t4g.micro", "t4g.small")

# Every sized config key (marin:<key>) and the sizes it accepts ("" for an optional one is not a size).
SIZES: dict[str, tuple[str, ...]] = {
    "atlasInstanceSize": ATLAS_TIERS,
    "redisNodeType": REDIS_NODE_TYPES,
    "opensearchInstanceType": OPENSEARCH_INSTANCE_TYPES,
    "opensearchDedicatedMasterType": OPENSEARCH_INSTANCE_TYPES,
    "natInstanceType": NAT_INSTANCE_TYPES,
}
