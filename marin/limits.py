"""AWS and MongoDB Atlas limits the program must respect, as data.

Sources: ../shared/notes/aws-limits.md, cross-checked against the botocore service models and
the AWS documentation cited beside each table. Keep one fact in one place: the config validator
and the naming module both read from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Fargate task sizes: CPU units -> allowed memory (MiB).
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
FARGATE_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# CloudWatch Logs PutRetentionPolicy accepts exactly these values (days).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Secrets Manager DeleteSecret: 0 means force delete without recovery, else 7..30 days.
SECRET_RECOVERY_WINDOW_DAYS: tuple[int, ...] = (0, *range(7, 31))


@dataclass(frozen=True)
class NameRule:
    """What one AWS service accepts as a resource name."""

    service: str
    min_len: int
    max_len: int
    pattern: re.Pattern[str]
    allowed: str  # human description of `pattern`, used in error messages
    no_double_hyphen: bool = False
    no_edge_hyphen: bool = False


def _rule(service: str, lo: int, hi: int, pattern: str, allowed: str, **kw: bool) -> NameRule:
    return NameRule(service, lo, hi, re.compile(pattern), allowed, **kw)


NAME_RULES: dict[str, NameRule] = {
    r.service: r
    for r in (
        _rule(
            "s3-bucket",
            3,
            63,
            r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
            "lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
            no_double_hyphen=False,
        ),
        _rule(
            "opensearch-domain",
            3,
            28,
            r"^[a-z][a-z0-9-]+$",
            "lowercase letters, digits and hyphens, starting with a letter",
        ),
        _rule(
            "elasticache-replication-group",
            1,
            40,
            r"^[a-z][a-z0-9-]*$",
            "lowercase letters, digits and hyphens, starting with a letter",
            no_double_hyphen=True,
            no_edge_hyphen=True,
        ),
        _rule("load-balancer", 1, 32, r"^[A-Za-z0-9-]+$", "letters, digits and hyphens", no_edge_hyphen=True),
        _rule("target-group", 1, 32, r"^[A-Za-z0-9-]+$", "letters, digits and hyphens", no_edge_hyphen=True),
        # API Gateway v2 API and VPC link names (CreateApi / CreateVpcLink: StringWithLengthBetween1And128).
        _rule("apigateway", 1, 128, r"^[A-Za-z0-9 ._-]+$", "letters, digits, spaces and ._-"),
        # Cloud Map: a private DNS namespace is a DNS name (Route 53 private zone); a service name
        # becomes the first label of its SRV records (servicediscovery CreateService: at most 127).
        _rule(
            "cloudmap-namespace",
            1,
            253,
            r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$",
            "lowercase DNS labels joined by dots",
        ),
        _rule("cloudmap-service", 1, 63, r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", "one lowercase DNS label"),
        _rule("iam-role", 1, 64, r"^[\w+=,.@-]+$", "letters, digits and +=,.@_-"),
        _rule("iam-policy", 1, 128, r"^[\w+=,.@-]+$", "letters, digits and +=,.@_-"),
        _rule("log-group", 1, 512, r"^[.\-_/#A-Za-z0-9]+$", "letters, digits and ._-/#"),
        _rule("secret", 1, 512, r"^[A-Za-z0-9/_+=.@-]+$", "letters, digits and /_+=.@-"),
        _rule("ecs-cluster", 1, 255, r"^[A-Za-z0-9_-]+$", "letters, digits, hyphens and underscores"),
        _rule("ecs-service", 1, 255, r"^[A-Za-z0-9_-]+$", "letters, digits, hyphens and underscores"),
        _rule(
            "security-group",
            1,
            255,
            r"^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+$",
            "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*",
        ),
        _rule("query-definition", 1, 255, r"^[^\x00-\x1f]+$", "printable characters"),
        # Tag-only names (VPC, subnets, route tables...): AWS allows 256 chars in a Name tag.
        _rule("tag-name", 1, 256, r"^[\w .:/=+@-]+$", "letters, digits, spaces and _.:/=+-@"),
        _rule("kms-alias", 7, 256, r"^alias/[A-Za-z0-9/_-]+$", "alias/ then letters, digits and /_-"),
        # ACM: the first domain name of a certificate becomes its subject CN, at most 64 octets.
        # https://docs.aws.amazon.com/acm/latest/userguide/acm-certificate.html (Domain names)
        _rule(
            "acm-domain",
            4,
            64,
            r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$",
            "lowercase DNS labels (letters, digits, inner hyphens, at most 63 each) joined by dots",
        ),
        # Atlas project and cluster names.
        _rule("atlas-project", 1, 64, r"^[A-Za-z0-9_-]+$", "letters, digits, hyphens and underscores"),
        _rule(
            "atlas-cluster",
            1,
            64,
            r"^[A-Za-z0-9][A-Za-z0-9-]*$",
            "letters, digits and hyphens, starting with a letter or digit",
        ),
    )
}

# Zone awareness spreads data nodes over 2 or 3 AZs; only 3 AZs with 3 master-eligible nodes (or
# 3 dedicated masters) keep a master quorum when one AZ is lost.
# https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-multiaz.html
# https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-dedicatedmasternodes.html
OPENSEARCH_QUORUM_ZONES = 3
OPENSEARCH_DEDICATED_MASTER_COUNT = 3
OPENSEARCH_VOLUME_GB = (10, 1024)  # gp3 per data node; per type: catalogue.OPENSEARCH_MAX_VOLUME_GB
ELASTICACHE_SNAPSHOT_RETENTION_DAYS = (0, 35)
ATLAS_BACKUP_MODES = ("none", "daily", "continuous")
