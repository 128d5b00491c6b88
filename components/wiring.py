"""How each tier's Args are made from the validated config and the tiers built before it.

Kept apart from `__main__.py` so the composition root reads as the architecture: config,
providers, tiers in dependency order, outputs.
"""

from __future__ import annotations

from pulumi import Output

from components.cache import Cache, CacheArgs
from components.compute import Compute, ComputeArgs, ServiceSpec
from components.database import Database, DatabaseArgs
from components.iam import Iam, IamArgs
from components.logs import Logging, LoggingArgs
from components.monitoring import MonitoringArgs
from components.network import Network, NetworkArgs
from components.search import Search, SearchArgs
from components.secrets import Secrets, SecretsArgs
from components.storage import Storage, StorageArgs
from marin.catalogue import SECRETS
from marin.config import EnvConfig
from marin.naming import SERVICES


def images(cfg: EnvConfig) -> dict[str, str]:
    return {"api": cfg.api_image, "worker": cfg.worker_image}


def network(cfg: EnvConfig, account: str) -> NetworkArgs:
    return NetworkArgs(
        names=cfg.names,
        vpc_cidr=cfg.vpc_cidr,
        az_count=cfg.az_count,
        nat_mode=cfg.nat_mode,
        nat_instance_type=cfg.nat_instance_type,
        flow_logs=cfg.flow_logs,
        log_retention_days=cfg.log_retention_days,
        account_id=account,
        region=cfg.aws_region,
        atlas_public_egress=cfg.atlas_shared_tier,
        tls=cfg.tls,
        load_balanced=cfg.load_balanced,
    )


def storage(cfg: EnvConfig) -> StorageArgs:
    return StorageArgs(
        bucket_name=cfg.names.recordings_bucket,
        versioning=cfg.recordings_versioning,
        protect=cfg.protect_data,
        transition_days=cfg.recordings_transition_days,
        expiration_days=cfg.recordings_expiration_days,
    )


def logging(cfg: EnvConfig) -> LoggingArgs:
    n = cfg.names
    return LoggingArgs(
        log_groups=n.log_groups,
        retention_days=cfg.log_retention_days,
        query_errors_by_service=n.query_errors_by_service,
        query_slowest_requests=n.query_slowest_requests,
    )


def secrets(cfg: EnvConfig, operator_values: dict[str, Output[str]]) -> SecretsArgs:
    return SecretsArgs(
        paths=cfg.names.secrets,
        recovery_window_days=cfg.secret_recovery_window_days,
        protect=cfg.protect_data,
        operator_values=operator_values,
    )


def iam(cfg: EnvConfig, account: str, logs: Logging, secrets: Secrets) -> IamArgs:
    return IamArgs(
        names=cfg.names,
        account_id=account,
        region=cfg.aws_region,
        images=images(cfg),
        log_group_arns=logs.log_group_arns,
        secret_arns=secrets.arns,
    )


def database(cfg: EnvConfig, net: Network, secrets: Secrets) -> DatabaseArgs:
    n = cfg.names
    return DatabaseArgs(
        project_name=n.atlas_project,
        cluster_name=n.atlas_cluster,
        username=n.atlas_user,
        endpoint_name=n.atlas_endpoint,
        org_id=cfg.atlas_org_id,
        instance_size=cfg.atlas_instance_size,
        shared_tier=cfg.atlas_shared_tier,
        atlas_region=cfg.atlas_region,
        backup=cfg.atlas_backup,
        protect=cfg.protect_data,
        egress_ips=net.egress_ips,
        vpc_id=net.vpc_id,
        private_subnet_ids=net.private_subnet_ids,
        endpoints_sg_id=net.endpoints_sg_id,
        uri_secret_id=secrets.ids["mongodb-uri"],
    )


def cache(cfg: EnvConfig, net: Network, secrets: Secrets) -> CacheArgs:
    n = cfg.names
    return CacheArgs(
        replication_group_id=n.redis,
        subnet_group_name=n.redis_subnet_group,
        node_type=cfg.redis_node_type,
        high_availability=cfg.high_availability,
        snapshot_retention_days=cfg.redis_snapshot_retention_days,
        protect=cfg.protect_data,
        private_subnet_ids=net.private_subnet_ids,
        security_group_id=net.redis_sg_id,
        auth_token_secret_id=secrets.ids["redis-auth-token"],
    )


def search(cfg: EnvConfig, account: str, net: Network, iam: Iam, secrets: Secrets) -> SearchArgs:
    return SearchArgs(
        domain_name=cfg.names.opensearch,
        instance_type=cfg.opensearch_instance_type,
        instance_count=cfg.opensearch_instance_count,
        zones=cfg.opensearch_zones,
        dedicated_master_type=cfg.opensearch_dedicated_master_type,
        volume_gb=cfg.opensearch_volume_gb,
        protect=cfg.protect_data,
        account_id=account,
        region=cfg.aws_region,
        private_subnet_ids=net.private_subnet_ids,
        security_group_id=net.opensearch_sg_id,
        task_role_arns=list(iam.task_role_arns.values()),
        endpoint_secret_id=secrets.ids["opensearch-endpoint"],
    )


def secret_values(
    secrets: Secrets, database: Database, cache: Cache, search: Search
) -> dict[str, tuple[Output[str], Output[str]]]:
    """Every secret's ARN as its writer's version resolves it (used, a task waits for the value),
    and that version's id (a new value, a new id)."""
    written = {
        **{s: (arn, secrets.value_versions[s]) for s, arn in secrets.value_arns.items()},
        "mongodb-uri": (database.uri_secret_arn, database.uri_secret_version),
        "redis-auth-token": (cache.auth_token_arn, cache.auth_token_version),
        "opensearch-endpoint": (search.endpoint_secret_arn, search.endpoint_secret_version),
    }
    missing = sorted(set(n.name for n in SECRETS) - set(written))
    if missing:
        raise ValueError(f"secrets without a writer: {missing}")
    return written


def compute(
    cfg: EnvConfig,
    *,
    net: Network,
    iam: Iam,
    logs: Logging,
    storage: Storage,
    cache: Cache,
    secret_arns: dict[str, tuple[Output[str], Output[str]]],
) -> ComputeArgs:
    n = cfg.names
    services = tuple(
        ServiceSpec(
            name=s,
            service_name=n.services[s],
            family=n.task_families[s],
            image=images(cfg)[s],
            cpu=cfg.task_cpu(s),
            memory=cfg.task_memory(s),
            desired_count=cfg.desired_count(s),
            log_group_name=n.log_groups[s],
            execution_role_arn=iam.execution_role_arns[s],
            task_role_arn=iam.task_role_arns[s],
        )
        for s in SERVICES
    )
    return ComputeArgs(
        env=cfg.env,
        region=cfg.aws_region,
        cluster_name=n.ecs_cluster,
        ingress=cfg.ingress,
        alb_name=n.alb,
        target_group_name=n.target_group,
        http_api_name=n.http_api,
        vpc_link_name=n.vpc_link,
        discovery_namespace=n.discovery_namespace,
        discovery_service=n.discovery_service,
        throttle_burst_limit=cfg.api_throttle_burst_limit,
        throttle_rate_limit=cfg.api_throttle_rate_limit,
        services=services,
        container_insights=cfg.monitoring == "full",
        fargate_spot=cfg.fargate_spot,
        autoscaling=cfg.high_availability,
        max_task_count=cfg.max_task_count,
        auto_stop=cfg.auto_stop,
        business_hours=(cfg.business_hours_start, cfg.business_hours_end),
        timezone=cfg.business_timezone,
        certificate_arn=cfg.certificate_arn,
        api_hostname=n.api_hostname,
        hosted_zone_id=cfg.hosted_zone_id,
        protect=cfg.protect_data,
        vpc_id=net.vpc_id,
        public_subnet_ids=net.public_subnet_ids,
        private_subnet_ids=net.private_subnet_ids,
        ingress_sg_id=net.ingress_sg_id,
        services_sg_id=net.services_sg_id,
        api_log_group_arn=logs.log_group_arns["api"],
        secret_arns={s: arn for s, (arn, _) in secret_arns.items()},
        secret_versions={s: version for s, (_, version) in secret_arns.items()},
        bucket_name=storage.bucket_name,
        redis_endpoint=cache.primary_endpoint,
    )


def monitoring(cfg: EnvConfig, account: str, compute: Compute, cache: Cache) -> MonitoringArgs:
    n = cfg.names
    return MonitoringArgs(
        full=cfg.monitoring == "full",
        topic_name=n.alerts_topic,
        key_alias=n.alerts_key_alias,
        alarm_prefix=n.prefix,
        subscribers=cfg.alert_subscribers,
        account_id=account,
        cluster_name=n.ecs_cluster,
        service_names=n.services,
        load_balancer_arn_suffix=compute.load_balancer_arn_suffix,
        http_api_id=compute.http_api_id,
        http_api_stage=compute.http_api_stage,
        redis_member_ids=cache.member_cluster_ids,
        opensearch_domain=n.opensearch,
    )
