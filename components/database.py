"""database tier: one MongoDB Atlas project per environment, its cluster, user and network access.

Shared tier (M0, dev): a TENANT cluster reached over the internet through an IP access list that
holds only the environment's static egress addresses. Dedicated tiers (staging, prod): reached
only through AWS PrivateLink (Atlas private endpoint + an interface VPC endpoint in the private
subnets). No `0.0.0.0/0` entry anywhere. The connection string, with a generated password, is
written to `<env>/audio-pipeline/mongodb-uri`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pulumi
import pulumi_aws as aws
import pulumi_mongodbatlas as atlas
import pulumi_random as random

from components._outputs import declared
from marin.config import DatabaseConfig, StackConfig
from marin.naming import EnvironmentNames

DATABASE = "marin"
MONGODB_MAJOR_VERSION = "8.0"
# Snapshot policies by marin:atlasBackup (none has no schedule: the shared tier has no backups).
BACKUP_POLICIES: dict[str, dict[str, object]] = {
    "daily": {
        "policy_item_daily": {"frequency_interval": 1, "retention_unit": "days", "retention_value": 7},
    },
    "continuous": {  # with pit_enabled on the cluster: restore to any second of the last 7 days
        "restore_window_days": 7,
        "policy_item_hourly": {"frequency_interval": 6, "retention_unit": "days", "retention_value": 7},
        "policy_item_daily": {"frequency_interval": 1, "retention_unit": "days", "retention_value": 30},
        "policy_item_monthlies": [{"frequency_interval": 1, "retention_unit": "months", "retention_value": 12}],
    },
}


@dataclass(frozen=True)
class DatabaseArgs:
    config: DatabaseConfig
    stack: StackConfig
    names: EnvironmentNames
    egress_ips: list[pulumi.Output[str]]
    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    endpoints_sg_id: pulumi.Output[str]
    uri_secret_id: pulumi.Output[str]


def _field(value: Any, name: str) -> Any:
    """A field of an invoke result, which arrives as a typed object or (lifted) as a dict."""
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def private_srv(connection_strings: Any, vpc_endpoint_id: str) -> str:
    """The private SRV string of the PrivateLink endpoint `vpc_endpoint_id`, or raise.

    Atlas lists one entry per connected private endpoint; an endpoint that is still pending is
    absent. Raising fails the `pulumi up` and leaves the secret's current value as it was: it is
    never overwritten with an empty string, or with another endpoint's address.
    """
    for entry in _field(connection_strings, "private_endpoints") or []:
        ids = [_field(e, "endpoint_id") for e in (_field(entry, "endpoints") or [])]
        srv = _field(entry, "srv_connection_string")
        if vpc_endpoint_id in ids and srv:
            return str(srv)
    raise ValueError(
        f"Atlas lists no private SRV connection string for VPC endpoint {vpc_endpoint_id} yet; "
        "mongodb-uri was left unchanged. Wait until the endpoint is AVAILABLE in Atlas, then run `pulumi up` again"
    )


def with_credentials(srv: str, user: str, password: str) -> str:
    if not srv.startswith("mongodb+srv://") or len(srv) <= len("mongodb+srv://"):
        raise ValueError(f"not an SRV connection string: {srv!r}; mongodb-uri was left unchanged")
    host = srv.removeprefix("mongodb+srv://")
    return (
        f"mongodb+srv://{quote(user, safe='')}:{quote(password, safe='')}@{host}/{DATABASE}?retryWrites=true&w=majority"
    )


class Database(pulumi.ComponentResource):
    project_name: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    value_arns: dict[str, pulumi.Output[str]]
    """ARN of the mongodb-uri secret, resolved once the connection string is written."""
    value_versions: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:database:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        data = pulumi.ResourceOptions(parent=self, protect=args.stack.protect_data)
        atlas_region = args.stack.aws_region.upper().replace("-", "_")  # Atlas spells us-east-1 US_EAST_1
        project = atlas.Project(
            f"{name}-project", name=args.names.atlas_project, org_id=args.config.atlas_org_id, opts=data
        )

        if args.config.shared_tier:
            region_config: dict[str, object] = {
                "provider_name": "TENANT",
                "backing_provider_name": "AWS",
                "region_name": atlas_region,
                "priority": 7,
                "electable_specs": {"instance_size": args.config.atlas_instance_size},
            }
        else:
            region_config = {
                "provider_name": "AWS",
                "region_name": atlas_region,
                "priority": 7,
                "electable_specs": {"instance_size": args.config.atlas_instance_size, "node_count": 3},
            }
        backups = args.config.atlas_backup != "none"
        cluster = atlas.AdvancedCluster(
            f"{name}-cluster",
            project_id=project.id,
            name=args.names.atlas_cluster,
            cluster_type="REPLICASET",
            mongo_db_major_version=None if args.config.shared_tier else MONGODB_MAJOR_VERSION,
            replication_specs=[{"region_configs": [region_config]}],  # type: ignore[list-item]
            backup_enabled=backups if not args.config.shared_tier else None,
            pit_enabled=(args.config.atlas_backup == "continuous") if not args.config.shared_tier else None,
            termination_protection_enabled=args.stack.protect_data if not args.config.shared_tier else None,
            opts=data,
        )

        schedule = BACKUP_POLICIES.get(args.config.atlas_backup)
        if schedule is not None:
            atlas.CloudBackupSchedule(
                f"{name}-backup-schedule",
                project_id=project.id,
                cluster_name=cluster.name,
                reference_hour_of_day=3,
                reference_minute_of_hour=0,
                opts=child,
                **schedule,  # type: ignore[arg-type]
            )

        password = random.RandomPassword(f"{name}-app-password", length=40, special=False, opts=child)
        atlas.DatabaseUser(
            f"{name}-app-user",
            project_id=project.id,
            username=args.names.atlas_user,
            password=password.result,
            auth_database_name="admin",
            roles=[{"role_name": "readWrite", "database_name": DATABASE}],
            scopes=[{"name": cluster.name, "type": "CLUSTER"}],
            opts=child,
        )

        if args.config.shared_tier:
            # M0 has no private endpoints: admit exactly the environment's static egress addresses.
            for i, ip in enumerate(args.egress_ips):
                atlas.ProjectIpAccessList(
                    f"{name}-egress-{i + 1}",
                    project_id=project.id,
                    ip_address=ip,
                    comment="marin egress (NAT)",
                    opts=child,
                )
            srv = cluster.connection_strings.apply(lambda cs: cs.standard_srv if cs else "")
        else:
            endpoint = atlas.PrivateLinkEndpoint(
                f"{name}-private-endpoint",
                project_id=project.id,
                provider_name="AWS",
                region=atlas_region,
                opts=child,
            )
            vpce = aws.ec2.VpcEndpoint(
                f"{name}-atlas-vpce",
                vpc_id=args.vpc_id,
                service_name=endpoint.endpoint_service_name,
                vpc_endpoint_type="Interface",
                subnet_ids=args.private_subnet_ids,
                security_group_ids=[args.endpoints_sg_id],
                tags={"Name": args.names.atlas_endpoint},
                opts=child,
            )
            service = atlas.PrivateLinkEndpointService(
                f"{name}-private-endpoint-service",
                project_id=project.id,
                private_link_id=endpoint.private_link_id,
                endpoint_service_id=vpce.id,
                provider_name="AWS",
                opts=child,
            )
            # The private SRV exists once the endpoint is connected: read it after that, not at creation.
            live = atlas.get_advanced_cluster_output(
                project_id=project.id,
                name=cluster.name,
                opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[service]),
            )
            srv = pulumi.Output.all(live.connection_strings, vpce.id).apply(lambda v: private_srv(v[0], v[1]))

        uri = pulumi.Output.all(srv, password.result).apply(
            lambda v: with_credentials(v[0], args.names.atlas_user, v[1])
        )
        version = aws.secretsmanager.SecretVersion(
            f"{name}-uri", secret_id=args.uri_secret_id, secret_string=pulumi.Output.secret(uri), opts=child
        )
        self.value_arns = {"mongodb-uri": version.secret_arn}
        self.value_versions = {"mongodb-uri": version.version_id}

        self.project_name = project.name
        self.cluster_name = cluster.name
        self.register_outputs(declared(self))
