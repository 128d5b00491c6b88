"""ElastiCache and OpenSearch: encryption, authentication, availability, private endpoints."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from ._common import PROTECTED_ENVS, get, resource_rule

REDIS = ("aws:elasticache/replicationGroup:ReplicationGroup",)
SEARCH = ("aws:opensearch/domain:Domain",)


def _redis_encryption(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if args.props.get("atRestEncryptionEnabled") is not True:
        yield "Redis is not encrypted at rest"
    if args.props.get("transitEncryptionEnabled") is not True:
        yield "Redis is not encrypted in transit"


def _redis_auth(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if not args.props.get("authToken") and not args.props.get("userGroupIds"):
        yield "Redis accepts connections without AUTH"


def _redis_multi_az(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if env in PROTECTED_ENVS and not (args.props.get("multiAzEnabled") and args.props.get("automaticFailoverEnabled")):
        yield f"Redis in {env} needs Multi-AZ with automatic failover"


def _search_vpc(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if not get(args.props, "vpcOptions.subnetIds"):
        yield "OpenSearch domain is not inside a VPC (it would have a public endpoint)"


def _search_https(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    options = args.props.get("domainEndpointOptions") or {}
    if options.get("enforceHttps") is not True:
        yield "OpenSearch domain does not enforce HTTPS"
    elif "TLS-1-2" not in str(options.get("tlsSecurityPolicy", "")):
        yield f"OpenSearch TLS policy {options.get('tlsSecurityPolicy')!r} allows TLS below 1.2"


def _search_encryption(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    if get(args.props, "encryptAtRest.enabled") is not True:
        yield "OpenSearch domain is not encrypted at rest"
    if get(args.props, "nodeToNodeEncryption.enabled") is not True:
        yield "OpenSearch domain does not encrypt node-to-node traffic"


POLICIES = [
    resource_rule(
        "elasticache-encryption",
        "Redis is encrypted at rest and in transit",
        REDIS,
        _redis_encryption,
        control="ElastiCache.4",
    ),
    resource_rule("elasticache-auth", "Redis requires AUTH", REDIS, _redis_auth, control="ElastiCache.6"),
    resource_rule(
        "elasticache-multi-az-outside-dev",
        "Staging and prod Redis fail over across AZs",
        REDIS,
        _redis_multi_az,
        control="ElastiCache.3",
    ),
    resource_rule(
        "opensearch-in-vpc", "OpenSearch domains live inside the VPC", SEARCH, _search_vpc, control="Opensearch.2"
    ),
    resource_rule(
        "opensearch-https-only",
        "OpenSearch enforces HTTPS with TLS 1.2 or later",
        SEARCH,
        _search_https,
        control="Opensearch.8",
    ),
    resource_rule(
        "opensearch-encryption",
        "OpenSearch encrypts data at rest and between nodes",
        SEARCH,
        _search_encryption,
        control="Opensearch.1",
    ),
]
