"""marin: one environment of the audio pipeline (dev, staging or prod), chosen by the stack.

Config is validated before anything is registered; each tier gets its section of the config and the
outputs of the tiers it depends on, in dependency order; outputs carry ids, names and ARNs, never secrets.
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

cfg = bootstrap.load_config()  # refuses bad config (and, for real, example identities) before anything exists
stack, names = cfg.stack, cfg.names
providers = bootstrap.providers(cfg)
account = bootstrap.account_id(providers)
bootstrap.check_hosted_zone(cfg, providers)
opts = pulumi.ResourceOptions(providers=providers)

# fmt: off
net = Network("network", NetworkArgs(
    cfg.network, stack, names, account, cfg.logging.log_retention_days, cfg.database.shared_tier, cfg.ingress), opts)
logs = Logging("logging", LoggingArgs(cfg.logging, stack, names, account, cfg.ingress.load_balanced), opts)
storage = Storage("storage", StorageArgs(cfg.storage, stack, names, logs.access_log_bucket), opts)
secrets = Secrets("secrets", SecretsArgs(cfg.secrets, stack, names, bootstrap.operator_secret_values()), opts)
iam = Iam("iam", IamArgs(cfg.compute, stack, names, account, logs.log_group_arns, secrets.arns), opts)
database = Database("database", DatabaseArgs(cfg.database, stack, names, net.egress_ips, net.vpc_id,
    net.private_subnet_ids, net.endpoints_sg_id, secrets.ids["mongodb-uri"]), opts)
cache = Cache("cache", CacheArgs(
    cfg.cache, stack, names, net.private_subnet_ids, net.redis_sg_id, secrets.ids["redis-auth-token"]), opts)
search = Search("search", SearchArgs(cfg.search, stack, names, account, net.private_subnet_ids, net.opensearch_sg_id,
    list(iam.task_role_arns.values()), secrets.ids["opensearch-endpoint"]), opts)
ingress = Ingress("ingress", IngressArgs(cfg.ingress, stack, names, net.vpc_id, net.public_subnet_ids,
    net.private_subnet_ids, net.ingress_sg_id, logs.log_group_arns["api"], logs.access_log_bucket), opts)
compute = Compute("compute", ComputeArgs(cfg.compute, stack, names, cfg.monitoring.full, net.private_subnet_ids,
    net.services_sg_id, ingress, iam.execution_role_arns, iam.task_role_arns, (secrets, database, cache, search),
    storage.bucket_name, cache.primary_endpoint), opts)
monitoring = Monitoring("monitoring", MonitoringArgs(
    cfg.monitoring, names, account, ingress, cache.member_cluster_ids), opts)
# fmt: on

outputs = {
    "environment": cfg.env,
    "namePrefix": names.prefix,
    "vpcId": net.vpc_id,
    "publicSubnetIds": net.public_subnet_ids,
    "privateSubnetIds": net.private_subnet_ids,
    "egressIps": net.egress_ips,
    "recordingsBucket": storage.bucket_name,
    "logGroupArns": logs.log_group_arns,
    "accessLogsBucket": names.access_logs_buckets[account],
    "secretArns": secrets.arns,
    "clusterName": compute.cluster_name,
    "serviceNames": compute.service_names,
    "taskDefinitionArns": compute.task_definition_arns,  # deploy checks the services run these
    "apiUrl": ingress.api_url,  # whichever the ingress: https://api.<env>.<domain>, or its own name
    "loadBalancerDnsName": ingress.load_balancer_dns_name,  # alb only
    "httpApiId": ingress.http_api_id,  # http-api only
    "redisEndpoint": cache.primary_endpoint,
    "opensearchEndpoint": search.endpoint,
    "atlasProjectName": database.project_name,
    "atlasClusterName": database.cluster_name,
    "alertsTopicArn": monitoring.topic_arn,
}
for key, value in outputs.items():
    if value is not None:
        pulumi.export(key, value)
