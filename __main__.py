"""marin: one environment of the audio pipeline (dev, staging or prod), chosen by the stack.

`pulumi stack select dev && pulumi up` builds dev from Pulumi.dev.yaml. Config is validated
before anything is registered; tiers are built in dependency order (each tier's Args are made
in components/wiring.py); outputs carry ids, names and ARNs, never secret values.
"""

import pulumi

from components import bootstrap, wiring
from components.cache import Cache
from components.compute import Compute
from components.database import Database
from components.iam import Iam
from components.logs import Logging
from components.monitoring import Monitoring
from components.network import Network
from components.search import Search
from components.secrets import Secrets
from components.storage import Storage

cfg = bootstrap.load_config()  # refuses bad config (and, for real, example identities) before anything is registered
providers = bootstrap.providers(cfg)
account = bootstrap.account_id(providers)
bootstrap.check_hosted_zone(cfg, providers)
opts = pulumi.ResourceOptions(providers=providers)

network = Network("network", wiring.network(cfg, account), opts)
storage = Storage("storage", wiring.storage(cfg), opts)
logs = Logging("logging", wiring.logging(cfg), opts)
secrets = Secrets("secrets", wiring.secrets(cfg, bootstrap.operator_secret_values()), opts)
iam = Iam("iam", wiring.iam(cfg, account, logs, secrets), opts)
database = Database("database", wiring.database(cfg, network, secrets), opts)
cache = Cache("cache", wiring.cache(cfg, network, secrets), opts)
search = Search("search", wiring.search(cfg, account, network, iam, secrets), opts)
secret_values = wiring.secret_values(secrets, database, cache, search)  # each resolves once written
compute = Compute(
    "compute",
    wiring.compute(cfg, net=network, iam=iam, logs=logs, storage=storage, cache=cache, secret_arns=secret_values),
    opts,
)
monitoring = Monitoring("monitoring", wiring.monitoring(cfg, account, compute, cache), opts)

pulumi.export("environment", cfg.env)
pulumi.export("namePrefix", cfg.names.prefix)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("egressIps", network.egress_ips)
pulumi.export("recordingsBucket", storage.bucket_name)
pulumi.export("logGroupArns", logs.log_group_arns)
pulumi.export("secretArns", secrets.arns)
pulumi.export("clusterName", compute.cluster_name)
pulumi.export("serviceNames", compute.service_names)
pulumi.export("taskDefinitionArns", compute.task_definition_arns)  # deploy checks the services run these
pulumi.export("apiUrl", compute.api_url)  # whichever the ingress: https://api.<env>.<domain>, or its own name
if compute.load_balancer_dns_name is not None:
    pulumi.export("loadBalancerDnsName", compute.load_balancer_dns_name)
if compute.http_api_id is not None:
    pulumi.export("httpApiId", compute.http_api_id)
pulumi.export("redisEndpoint", cache.primary_endpoint)
pulumi.export("opensearchEndpoint", search.endpoint)
pulumi.export("atlasProjectName", database.project_name)
pulumi.export("atlasClusterName", database.cluster_name)
pulumi.export("alertsTopicArn", monitoring.topic_arn)
