"""marin: one environment of the audio pipeline (dev, staging or prod), chosen by the stack.

`pulumi stack select dev && pulumi up` builds dev from Pulumi.dev.yaml. Config is validated
before anything is registered; tiers are built in dependency order; outputs carry ids, names and
ARNs, never secret values.
"""

import pulumi

from components.bootstrap import account_id, aws_provider, load_config
from components.logs import Logging, LoggingArgs
from components.network import Network, NetworkArgs
from components.secrets import Secrets, SecretsArgs
from components.storage import Storage, StorageArgs
from marin.limits import ATLAS_SHARED_TIERS

cfg = load_config()
names = cfg.names
provider = aws_provider(cfg)
aws_only = pulumi.ResourceOptions(providers={"aws": provider})

network = Network(
    "network",
    NetworkArgs(
        names=names,
        vpc_cidr=cfg.vpc_cidr,
        az_count=cfg.az_count,
        nat_mode=cfg.nat_mode,
        nat_instance_type=cfg.nat_instance_type,
        flow_logs=cfg.flow_logs,
        log_retention_days=cfg.log_retention_days,
        account_id=account_id(provider),
        region=cfg.aws_region,
        atlas_public_egress=cfg.atlas_instance_size in ATLAS_SHARED_TIERS,
    ),
    aws_only,
)
storage = Storage(
    "storage",
    StorageArgs(
        bucket_name=names.recordings_bucket,
        versioning=cfg.recordings_versioning,
        protect=cfg.protect_data,
        transition_days=cfg.recordings_transition_days,
        expiration_days=cfg.recordings_expiration_days,
    ),
    aws_only,
)
logs = Logging(
    "logging",
    LoggingArgs(
        log_groups=names.log_groups,
        retention_days=cfg.log_retention_days,
        query_errors_by_service=names.query_errors_by_service,
        query_slowest_requests=names.query_slowest_requests,
    ),
    aws_only,
)
secrets = Secrets(
    "secrets",
    SecretsArgs(paths=names.secrets, recovery_window_days=cfg.secret_recovery_window_days, protect=cfg.protect_data),
    aws_only,
)

pulumi.export("environment", cfg.env)
pulumi.export("namePrefix", names.prefix)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("egressIps", network.egress_ips)
pulumi.export("recordingsBucket", storage.bucket_name)
pulumi.export("logGroupArns", logs.log_group_arns)
pulumi.export("secretArns", secrets.arns)
pulumi.export("secretsAwaitingOperator", secrets.awaiting_operator)
