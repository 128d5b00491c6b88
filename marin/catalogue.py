"""The `{env}/audio-pipeline/*` secret hierarchy: what exists, who writes it, who reads it.

One table drives the secrets tier (which secrets exist), the tiers that own values, and IAM
(each service's execution role may read exactly the secrets injected into it).
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
