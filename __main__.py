"""marin: one environment of the audio pipeline (dev, staging or prod), chosen by the stack.

`pulumi stack select dev && pulumi up` builds dev from Pulumi.dev.yaml. Config is validated
before anything is registered; each tier gets its section of the config and the outputs of the
tiers it depends on, in dependency order; outputs carry ids, names and ARNs, never secret values.
"""

import pulumi

from components import bootstrap
from components.cache import Cache, CacheArgs
from components.compute import Compute, ComputeArgs
from components.database import Database, DatabaseArgs
from components.iam import Iam, IamArgs
from components.ingress import Ingress, IngressArgs
from components.logs import Logging, LoggingArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.network import Network, NetworkArgs
from components.search import Search, SearchArgs
from components.secrets import Secrets, SecretsArgs
from components.storage import Storage, StorageArgs

cfg = bootstrap.load_config()  # refuses bad config (and, for real, example identities) before anything is registered
stack, names = cfg.stack, cfg.names
providers = bootstrap.providers(cfg)
account = bootstrap.account_id(providers)
bootstrap.check_hosted_zone(cfg, providers)
opts = pulumi.ResourceOptions(providers=providers)

net = Network(
    "network",
    NetworkArgs(
        cfg.network, stack, names, account, cfg.logging.log_retention_days, cfg.database.shared_tier, cfg.ingress
    ),
    opts,
)
storage = Storage("storage", StorageArgs(cfg.storage, stack, names), opts)
logs = Logging("logging", LoggingArgs(cfg.logging, names), opts)
secrets = Secrets("secrets", SecretsArgs(cfg.secrets, stack, names, bootstrap.operator_secret_values()), opts)
iam = Iam("iam", IamArgs(cfg.compute, stack, names, account, logs.log_group_arns, secrets.arns), opts)
database = Database(
    "database",
    DatabaseArgs(
        cfg.database, stack, names, net.egress_ips, net.vpc_id, net.private_subnet_ids, net.endpoints_sg_id,
        secrets.ids["mongodb-uri"],
    ),
    opts,
)  # fmt: skip
cache = Cache(
    "cache",
    CacheArgs(cfg.cache, stack, names, net.private_subnet_ids, net.redis_sg_id, secrets.ids["redis-auth-token"]),
    opts,
)
search = Search(
    "search",
    SearchArgs(
        cfg.search, stack, names, account, net.private_subnet_ids, net.opensearch_sg_id,
        list(iam.task_role_arns.values()), secrets.ids["opensearch-endpoint"],
    ),
    opts,
)  # fmt: skip
ingress = Ingress(
    "ingress",
    IngressArgs(
        cfg.ingress, stack, names, net.vpc_id, net.public_subnet_ids, net.private_subnet_ids, net.ingress_sg_id,
        logs.log_group_arns["api"],
    ),
    opts,
)  # fmt: skip
# Each secret's ARN as its writer's version resolves it (a task that uses one waits for its value),
# and that version's id (a new value rolls the tasks).
written = secrets.value_arns | {
    "mongodb-uri": database.uri_secret_arn,
    "redis-auth-token": cache.auth_token_arn,
    "opensearch-endpoint": search.endpoint_secret_arn,
}
versions = secrets.value_versions | {
    "mongodb-uri": database.uri_secret_version,
    "redis-auth-token": cache.auth_token_version,
    "opensearch-endpoint": search.endpoint_secret_version,
}
compute = Compute(
    "compute",
    ComputeArgs(
        cfg.compute, stack, names, cfg.monitoring.full, net.private_subnet_ids, net.services_sg_id, ingress,
        iam.execution_role_arns, iam.task_role_arns, written, versions, storage.bucket_name, cache.primary_endpoint,
    ),
    opts,
)  # fmt: skip
http_api = None if ingress.http_api_id is None else (ingress.http_api_id, ingress.http_api_stage or "")
monitoring = Monitoring(
    "monitoring",
    MonitoringArgs(
        cfg.monitoring, names, account, ingress.load_balancer_arn_suffix, http_api, cache.member_cluster_ids
    ),
    opts,
)

pulumi.export("environment", cfg.env)
pulumi.export("namePrefix", names.prefix)
pulumi.export("vpcId", net.vpc_id)
pulumi.export("publicSubnetIds", net.public_subnet_ids)
pulumi.export("privateSubnetIds", net.private_subnet_ids)
pulumi.export("egressIps", net.egress_ips)
pulumi.export("recordingsBucket", storage.bucket_name)
pulumi.export("logGroupArns", logs.log_group_arns)
pulumi.export("secretArns", secrets.arns)
pulumi.export("clusterName", compute.cluster_name)
pulumi.export("serviceNames", compute.service_names)
pulumi.export("taskDefinitionArns", compute.task_definition_arns)  # deploy checks the services run these
pulumi.export("apiUrl", ingress.api_url)  # whichever the ingress: https://api.<env>.<domain>, or its own name
if ingress.load_balancer_dns_name is not None:
    pulumi.export("loadBalancerDnsName", ingress.load_balancer_dns_name)
if ingress.http_api_id is not None:
    pulumi.export("httpApiId", ingress.http_api_id)
pulumi.export("redisEndpoint", cache.primary_endpoint)
pulumi.export("opensearchEndpoint", search.endpoint)
pulumi.export("atlasProjectName", database.project_name)
pulumi.export("atlasClusterName", database.cluster_name)
pulumi.export("alertsTopicArn", monitoring.topic_arn)
