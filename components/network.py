"""network tier: VPC, subnets across AZs, egress, S3 gateway endpoint, flow logs, security groups."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components._outputs import declared
from components._policy import document, service_trust, to_json
from marin.catalogue import APP_PORT, ATLAS_PORT, OPENSEARCH_PORT, REDIS_PORT, usable_zones
from marin.cidr import plan_subnets
from marin.config import IngressConfig, NetworkConfig, StackConfig
from marin.naming import EnvironmentNames

ANYWHERE = "0.0.0.0/0"

# The NAT instance forwards and masquerades private-subnet traffic. It runs on every boot
# (cloud-init per-boot script); nftables is fetched from the AL2023 repositories (on S3, reachable
# through the gateway endpoint) if the AMI lacks it.
NAT_USER_DATA = """#!/bin/bash
set -euo pipefail
cat >/var/lib/cloud/scripts/per-boot/marin-nat.sh <<'EOF'
#!/bin/bash
set -euo pipefail
command -v nft >/dev/null || dnf install -y nftables
sysctl -w net.ipv4.ip_forward=1
iface=$(ip route show default | awk '{print $5; exit}')
nft flush ruleset
nft add table ip nat
nft add chain ip nat postrouting '{ type nat hook postrouting priority 100 ; }'
nft add rule ip nat postrouting oifname "$iface" masquerade
EOF
chmod 755 /var/lib/cloud/scripts/per-boot/marin-nat.sh
/var/lib/cloud/scripts/per-boot/marin-nat.sh
"""


@dataclass(frozen=True)
class NetworkArgs:
    config: NetworkConfig
    stack: StackConfig
    names: EnvironmentNames
    account_id: str
    flow_log_retention_days: int
    atlas_public_egress: bool
    """True when the database is reached over the internet (Atlas shared tier, dev)."""
    ingress: IngressConfig
    """How the api is reached: through a public ALB (443 when it serves TLS, 80 only redirects), or
    an API Gateway VPC link (no public ingress)."""


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    availability_zone_ids: list[str]
    egress_ips: list[pulumi.Output[str]]
    ingress_sg_id: pulumi.Output[str]
    """The load balancer's security group, or the VPC link's: the only way into the api."""
    services_sg_id: pulumi.Output[str]
    redis_sg_id: pulumi.Output[str]
    opensearch_sg_id: pulumi.Output[str]
    endpoints_sg_id: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:network:Network", name, None, opts)
        self._name = name
        self.availability_zone_ids = self._zones(args)
        vpc, igw, public, private = self._vpc_and_subnets(args)
        public_rt, private_rts = self._route_tables(args, vpc, igw, public, private)
        ingress, services, redis, opensearch, endpoints = self._security_groups(args, vpc)
        s3_endpoint = self._s3_endpoint(args, vpc, [public_rt, *private_rts])
        if args.config.nat_mode == "instance":
            self.egress_ips = self._nat_instance(
                args, vpc=vpc, igw=igw, subnet=public[0], private_rts=private_rts, s3_endpoint=s3_endpoint
            )
        else:
            self.egress_ips = self._nat_gateways(args, igw, public, private_rts)
        if args.config.flow_logs:
            self._flow_logs(args, vpc)

        self.vpc_id = vpc.id
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.private_route_table_ids = [rt.id for rt in private_rts]
        self.ingress_sg_id = ingress.id
        self.services_sg_id = services.id
        self.redis_sg_id = redis.id
        self.opensearch_sg_id = opensearch.id
        self.endpoints_sg_id = endpoints.id
        self.register_outputs(declared(self))

    def _child(self, **kw: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kw)  # type: ignore[arg-type]

    def _zones(self, args: NetworkArgs) -> list[str]:
        region, count, pinned = args.stack.aws_region, args.config.az_count, args.config.availability_zone_ids
        allowed = usable_zones(region, args.ingress.load_balanced) or frozenset()  # None: refused by the config
        zones = aws.get_availability_zones(
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=pulumi.InvokeOptions(parent=self),
        )
        usable = sorted((z for z in zones.zone_ids if z in allowed), key=lambda z: (len(z), z))
        if pinned:
            wrong = [z for z in pinned if z not in usable]
            if wrong:
                raise ValueError(
                    f"marin:availabilityZoneIds={list(pinned)}: {', '.join(wrong)} not usable in {region} "
                    f"by every service of this stack; allowed: {', '.join(usable)}"
                )
            return list(pinned)  # as given: the zones an existing stack's subnets are in
        if len(usable) < count:
            raise ValueError(
                f"marin:azCount={count} but region {region} offers {len(usable)} availability zones where "
                f"every service of this stack runs: {', '.join(usable)}"
            )
        # The lowest zone ids: the same zones in every account, whatever their names there.
        return usable[:count]

    def _vpc_and_subnets(
        self, args: NetworkArgs
    ) -> tuple[aws.ec2.Vpc, aws.ec2.InternetGateway, list[aws.ec2.Subnet], list[aws.ec2.Subnet]]:
        name, n, child = self._name, args.names, self._child
        plan = plan_subnets(args.config.vpc_cidr, args.config.az_count)
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=plan.vpc,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": n.vpc},
            opts=child(),
        )
        # The default security group allows all traffic between its members: empty it (FSBP EC2.2).
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{n.prefix}-default-unused"},
            opts=child(),
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": n.internet_gateway}, opts=child())

        subnets: dict[str, list[aws.ec2.Subnet]] = {"public": [], "private": []}
        layout = {"public": (plan.public, n.public_subnets), "private": (plan.private, n.private_subnets)}
        for i, zone_id in enumerate(self.availability_zone_ids):
            for tier, (cidrs, physical) in layout.items():
                subnets[tier].append(
                    aws.ec2.Subnet(
                        f"{name}-{tier}-{i + 1}",
                        vpc_id=vpc.id,
                        cidr_block=cidrs[i],
                        availability_zone_id=zone_id,
                        map_public_ip_on_launch=False,
                        tags={"Name": physical[i], "Tier": tier},
                        opts=child(),
                    )
                )
        public, private = subnets["public"], subnets["private"]

        return vpc, igw, public, private

    def _route_tables(
        self,
        args: NetworkArgs,
        vpc: aws.ec2.Vpc,
        igw: aws.ec2.InternetGateway,
        public: list[aws.ec2.Subnet],
        private: list[aws.ec2.Subnet],
    ) -> tuple[aws.ec2.RouteTable, list[aws.ec2.RouteTable]]:
        name, n, child = self._name, args.names, self._child
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags={"Name": n.public_route_table}, opts=child()
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block=ANYWHERE,
            gateway_id=igw.id,
            opts=child(),
        )
        for i, subnet in enumerate(public):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-rta-{i + 1}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child()
            )
        private_rts = []
        for i, subnet in enumerate(private):
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i + 1}", vpc_id=vpc.id, tags={"Name": n.private_route_tables[i]}, opts=child()
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{i + 1}", subnet_id=subnet.id, route_table_id=rt.id, opts=child()
            )
            private_rts.append(rt)
        return public_rt, private_rts

    # A group is replaced when its
    # description changes (no update API); with a fixed name the new one could not be created
    # while the old, still attached to Redis, OpenSearch, tasks and endpoints, cannot be
    # deleted. A name prefix lets the replacement be created first and the old one go last.
    def _sg(self, vpc: aws.ec2.Vpc, key: str, physical: str, description: str) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            f"{self._name}-{key}-sg",
            name_prefix=f"{physical}-",
            description=description,
            vpc_id=vpc.id,
            tags={"Name": physical},
            opts=self._child(),
        )

    def _security_groups(self, args: NetworkArgs, vpc: aws.ec2.Vpc) -> tuple[aws.ec2.SecurityGroup, ...]:
        """The groups of the ingress, the services and each data store, and the rules between them."""
        name, n, child = self._name, args.names, self._child

        def sg(key: str, physical: str, description: str) -> aws.ec2.SecurityGroup:
            return self._sg(vpc, key, physical, description)

        if args.ingress.load_balanced:
            ingress = sg("alb", n.sg_alb, "Public load balancer of the api")
        else:
            ingress = sg("vpc-link", n.sg_vpc_link, "API Gateway VPC link to the api")
        services = sg("services", n.sg_services, "ECS tasks of the api and worker services")
        redis = sg("redis", n.sg_redis, "ElastiCache Redis, reachable from the services only")
        opensearch = sg("opensearch", n.sg_opensearch, "OpenSearch domain, reachable from the services only")
        endpoints = sg("endpoints", n.sg_endpoints, "Interface endpoints (Atlas PrivateLink)")

        def rule(
            direction: str,
            key: str,
            group: aws.ec2.SecurityGroup,
            port: int,
            to_port: int | None = None,
            *,
            peer: aws.ec2.SecurityGroup | None = None,
            cidr: str | None = None,
            description: str,
        ) -> None:
            """One TCP rule of `group`, to or from another security group (`peer`) or a CIDR."""
            kind = aws.vpc.SecurityGroupIngressRule if direction == "in" else aws.vpc.SecurityGroupEgressRule
            kind(
                f"{name}-{key}",
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=to_port or port,
                referenced_security_group_id=peer.id if peer else None,
                cidr_ipv4=cidr,
                description=description,
                opts=child(),
            )

        if args.ingress.load_balanced:
            if args.ingress.tls:
                rule("in", "alb-https-in", ingress, 443, cidr=ANYWHERE, description="HTTPS from the internet")
            rule(
                "in",
                "alb-http-in",
                ingress,
                80,
                cidr=ANYWHERE,
                description="HTTP from the internet, redirected to HTTPS"
                if args.ingress.tls
                else "HTTP from the internet",
            )
            rule("out", "alb-to-services", ingress, APP_PORT, peer=services, description="To the api tasks")
            rule("in", "services-from-alb", services, APP_PORT, peer=ingress, description="From the load balancer")
        else:
            # API Gateway's VPC link ENIs open the connections: the link's group needs no ingress,
            # only the way out to the api tasks, which admit it and nothing else.
            rule("out", "vpc-link-to-services", ingress, APP_PORT, peer=services, description="To the api tasks")
            rule("in", "services-from-vpc-link", services, APP_PORT, peer=ingress, description="From the VPC link")
        rule(
            "out",
            "services-https-out",
            services,
            443,
            cidr=ANYWHERE,
            description="AWS APIs, ECR, third-party HTTPS APIs",
        )
        rule("out", "services-to-redis", services, REDIS_PORT, peer=redis, description="To Redis")
        rule("out", "services-to-opensearch", services, OPENSEARCH_PORT, peer=opensearch, description="To OpenSearch")
        rule(
            "out",
            "services-to-endpoints",
            services,
            1024,
            65535,
            peer=endpoints,
            description="To Atlas over PrivateLink",
        )
        if args.atlas_public_egress:
            rule(
                "out",
                "services-to-atlas",
                services,
                ATLAS_PORT,
                cidr=ANYWHERE,
                description="To the shared-tier Atlas cluster (its IP access list admits our egress)",
            )
        rule("in", "redis-from-services", redis, REDIS_PORT, peer=services, description="From the services")
        rule(
            "in",
            "opensearch-from-services",
            opensearch,
            OPENSEARCH_PORT,
            peer=services,
            description="From the services",
        )
        rule(
            "in",
            "endpoints-from-services",
            endpoints,
            1024,
            65535,
            peer=services,
            description="Atlas PrivateLink ports from the services",
        )
        return ingress, services, redis, opensearch, endpoints

    def _s3_endpoint(
        self, args: NetworkArgs, vpc: aws.ec2.Vpc, route_tables: list[aws.ec2.RouteTable]
    ) -> aws.ec2.VpcEndpoint:
        name, n, child = self._name, args.names, self._child
        # S3 traffic (recordings, ECR image layers, AL2023 packages) stays on the AWS network, free.
        return aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.stack.aws_region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in route_tables],
            tags={"Name": n.s3_endpoint},
            opts=child(),
        )

    # Egress for private subnets: the same Elastic IPs every time, for allow-lists (Atlas).
    def _nat_instance(
        self,
        args: NetworkArgs,
        *,
        vpc: aws.ec2.Vpc,
        igw: aws.ec2.InternetGateway,
        subnet: aws.ec2.Subnet,
        private_rts: list[aws.ec2.RouteTable],
        s3_endpoint: aws.ec2.VpcEndpoint,
    ) -> list[pulumi.Output[str]]:
        name, n, child = self._name, args.names, self._child
        plan_vpc = args.config.vpc_cidr
        nat_sg = self._sg(vpc, "nat", n.sg_nat, "NAT instance: forwards traffic from the VPC")
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-nat-from-vpc",
            security_group_id=nat_sg.id,
            ip_protocol="-1",
            cidr_ipv4=plan_vpc,
            description="Everything from inside the VPC",
            opts=child(),
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-nat-out",
            security_group_id=nat_sg.id,
            ip_protocol="-1",
            cidr_ipv4=ANYWHERE,
            description="Forwarded traffic to the internet",
            opts=child(),
        )
        ami = aws.ec2.get_ami(
            most_recent=True,
            owners=["amazon"],
            filters=[
                {"name": "name", "values": ["al2023-ami-2023.*-kernel-*-arm64"]},
                {"name": "architecture", "values": ["arm64"]},
            ],
            opts=pulumi.InvokeOptions(parent=self),
        )
        instance = aws.ec2.Instance(
            f"{name}-nat-instance",
            ami=ami.id,
            instance_type=args.config.nat_instance_type,
            subnet_id=subnet.id,
            vpc_security_group_ids=[nat_sg.id],
            source_dest_check=False,
            user_data=NAT_USER_DATA,
            user_data_replace_on_change=True,
            metadata_options={"http_tokens": "required", "http_endpoint": "enabled"},
            root_block_device={"encrypted": True, "volume_type": "gp3"},
            tags={"Name": n.nat_instance},
            # A newer AMI must not replace the instance (and its egress IP) on every `up`;
            # patching is a deliberate `pulumi up --replace` (README).
            opts=child(ignore_changes=["ami"], depends_on=[s3_endpoint]),
        )
        # An EIP associated with an instance needs the VPC's internet gateway first (provider docs).
        eip = aws.ec2.Eip(
            f"{name}-nat-eip-1",
            domain="vpc",
            instance=instance.id,
            tags={"Name": n.nat[0]},
            opts=child(depends_on=[igw]),
        )
        egress_ips = [eip.public_ip]
        for i, rt in enumerate(private_rts):
            aws.ec2.Route(
                f"{name}-private-default-{i + 1}",
                route_table_id=rt.id,
                destination_cidr_block=ANYWHERE,
                network_interface_id=instance.primary_network_interface_id,
                opts=child(),
            )
        return egress_ips

    def _nat_gateways(
        self,
        args: NetworkArgs,
        igw: aws.ec2.InternetGateway,
        public: list[aws.ec2.Subnet],
        private_rts: list[aws.ec2.RouteTable],
    ) -> list[pulumi.Output[str]]:
        name, n, child = self._name, args.names, self._child
        egress_ips = []
        count = 1 if args.config.nat_mode == "single-gateway" else args.config.az_count
        gateways = []
        for i in range(count):
            eip = aws.ec2.Eip(f"{name}-nat-eip-{i + 1}", domain="vpc", tags={"Name": n.nat[i]}, opts=child())
            gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i + 1}",
                    allocation_id=eip.id,
                    subnet_id=public[i].id,
                    tags={"Name": n.nat[i]},
                    opts=child(depends_on=[igw]),
                )
            )
            egress_ips.append(eip.public_ip)
        for i, rt in enumerate(private_rts):
            aws.ec2.Route(
                f"{name}-private-default-{i + 1}",
                route_table_id=rt.id,
                destination_cidr_block=ANYWHERE,
                nat_gateway_id=gateways[i % count].id,
                opts=child(),
            )
        return egress_ips

    def _flow_logs(self, args: NetworkArgs, vpc: aws.ec2.Vpc) -> None:
        name, n, child = self._name, args.names, self._child
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", name=n.flow_log_group, retention_in_days=args.flow_log_retention_days, opts=child()
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            name=n.flow_log_role,
            assume_role_policy=service_trust("vpc-flow-logs.amazonaws.com", args.account_id),
            opts=child(),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=to_json(
                document(
                    {
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        "Resource": group.arn.apply(lambda arn: f"{arn}:*"),
                    },
                    {
                        "Effect": "Allow",
                        "Action": "logs:DescribeLogGroups",
                        "Resource": f"arn:aws:logs:{args.stack.aws_region}:{args.account_id}:log-group:*",
                    },
                )
            ),
            opts=child(),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": n.flow_log},
            # Deliveries start at once: the role must already carry its policy.
            opts=child(depends_on=[policy]),
        )
