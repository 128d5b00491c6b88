"""marin: one environment of the audio pipeline (dev, staging or prod), chosen by the stack.

`pulumi stack select dev && pulumi up` builds dev from Pulumi.dev.yaml. Config is validated
before anything is registered; tiers are built in dependency order; outputs carry ids, names and
ARNs, never secret values.
"""

import pulumi

from components import bootstrap
from components.cache import Cache, CacheArgs
from components.compute import Compute, ComputeArgs, ServiceSpec
from components.database import Database, DatabaseArgs
from components.iam import Iam, IamArgs
from components.logs import Logging, LoggingArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.network import Network, NetworkArgs
from components.search import Search, SearchArgs
from components.secrets import Secrets, SecretsArgs
from components.storage import Storage, StorageArgs

cfg = bootstrap.load_config()
n = cfg.names
providers = bootstrap.providers(cfg)
account = bootstrap.account_id(providers)
opts = pulumi.ResourceOptions(providers=providers)
images = {"api": cfg.api_image, "worker": cfg.worker_image}

network = Network(
    "network",
    NetworkArgs(
        names=n,
        vpc_cidr=cfg.vpc_cidr,
        az_count=cfg.az_count,
        nat_mode=cfg.nat_mode,
        nat_instance_type=cfg.nat_instance_type,
        flow_logs=cfg.flow_logs,
        log_retention_days=cfg.log_retention_days,
        account_id=account,
        region=cfg.aws_region,
        atlas_public_egress=cfg.atlas_shared_tier,
    ),
    opts,
)
storage = Storage(
    "storage",
    StorageArgs(
        bucket_name=n.recordings_bucket,
        versioning=cfg.recordings_versioning,
        protect=cfg.protect_data,
        transition_days=cfg.recordings_transition_days,
        expiration_days=cfg.recordings_expiration_days,
    ),
    opts,
)
logs = Logging(
    "logging",
    LoggingArgs(
        log_groups=n.log_groups,
        retention_days=cfg.log_retention_days,
        query_errors_by_service=n.query_errors_by_service,
        query_slowest_requests=n.query_slowest_requests,
    ),
    opts,
)
secrets = Secrets(
    "secrets",
    SecretsArgs(paths=n.secrets, recovery_window_days=cfg.secret_recovery_window_days, protect=cfg.protect_data),
    opts,
)
iam = Iam(
    "iam",
    IamArgs(
        names=n,
        account_id=account,
        region=cfg.aws_region,
        images=images,
        log_group_arns=logs.log_group_arns,
        secret_arns=secrets.arns,
    ),
    opts,
)
database = Database(
    "database",
    DatabaseArgs(
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
        egress_ips=network.egress_ips,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        endpoints_sg_id=network.endpoints_sg_id,
        uri_secret_id=secrets.ids["mongodb-uri"],
    ),
    opts,
)
cache = Cache(
    "cache",
    CacheArgs(
        replication_group_id=n.redis,
        subnet_group_name=n.redis_subnet_group,
        node_type=cfg.redis_node_type,
        high_availability=cfg.high_availability,
        snapshot_retention_days=cfg.redis_snapshot_retention_days,
        protect=cfg.protect_data,
        private_subnet_ids=network.private_subnet_ids,
        security_group_id=network.redis_sg_id,
        auth_token_secret_id=secrets.ids["redis-auth-token"],
    ),
    opts,
)
search = Search(
    "search",
    SearchArgs(
        domain_name=n.opensearch,
        instance_type=cfg.opensearch_instance_type,
        instance_count=cfg.opensearch_instance_count,
        volume_gb=cfg.opensearch_volume_gb,
        high_availability=cfg.high_availability,
        protect=cfg.protect_data,
        account_id=account,
        region=cfg.aws_region,
        private_subnet_ids=network.private_subnet_ids,
        security_group_id=network.opensearch_sg_id,
        task_role_arns=list(iam.task_role_arns.values()),
        endpoint_secret_id=secrets.ids["opensearch-endpoint"],
    ),
    opts,
)
compute = Compute(
    "compute",
    ComputeArgs(
        env=cfg.env,
        region=cfg.aws_region,
        cluster_name=n.ecs_cluster,
        alb_name=n.alb,
        target_group_name=n.target_group,
        services=tuple(
            ServiceSpec(
                name=s,
                service_name=n.services[s],
                family=n.task_families[s],
                image=images[s],
                cpu=cfg.task_cpu(s),
                memory=cfg.task_memory(s),
                desired_count=cfg.desired_count(s),
                log_group_name=n.log_groups[s],
                execution_role_arn=iam.execution_role_arns[s],
                task_role_arn=iam.task_role_arns[s],
            )
            for s in images
        ),
        container_insights=cfg.monitoring == "full",
        fargate_spot=cfg.fargate_spot,
        autoscaling=cfg.high_availability,
        max_task_count=cfg.max_task_count,
        auto_stop=cfg.auto_stop,
        business_hours=(cfg.business_hours_start, cfg.business_hours_end),
        timezone=cfg.business_timezone,
        certificate_arn=cfg.certificate_arn,
        protect=cfg.protect_data,
        vpc_id=network.vpc_id,
        public_subnet_ids=network.public_subnet_ids,
        private_subnet_ids=network.private_subnet_ids,
        alb_sg_id=network.alb_sg_id,
        services_sg_id=network.services_sg_id,
        secret_arns=secrets.arns,
        bucket_name=storage.bucket_name,
        redis_endpoint=cache.primary_endpoint,
    ),
    opts,
)
monitoring = Monitoring(
    "monitoring",
    MonitoringArgs(
        full=cfg.monitoring == "full",
        topic_name=n.alerts_topic,
        alarm_prefix=n.prefix,
        alert_email=cfg.alert_email,
        account_id=account,
        cluster_name=n.ecs_cluster,
        service_names=n.services,
        load_balancer_arn_suffix=compute.load_balancer_arn_suffix,
        redis_member_ids=cache.member_cluster_ids,
        opensearch_domain=n.opensearch,
    ),
    opts,
)

pulumi.export("environment", cfg.env)
pulumi.export("namePrefix", n.prefix)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("egressIps", network.egress_ips)
pulumi.export("recordingsBucket", storage.bucket_name)
pulumi.export("logGroupArns", logs.log_group_arns)
pulumi.export("secretArns", secrets.arns)
pulumi.export("secretsAwaitingOperator", secrets.awaiting_operator)
pulumi.export("clusterName", compute.cluster_name)
pulumi.export("serviceNames", compute.service_names)
pulumi.export("loadBalancerDnsName", compute.load_balancer_dns_name)
pulumi.export("redisEndpoint", cache.primary_endpoint)
pulumi.export("opensearchEndpoint", search.endpoint)
pulumi.export("atlasProjectName", database.project_name)
pulumi.export("atlasClusterName", database.cluster_name)
pulumi.export("alertsTopicArn", monitoring.topic_arn)
