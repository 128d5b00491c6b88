"""Invariants of the data and compute tiers on the real program, for every committed stack.

Expected sizes are the story's (task 4); everything else is a property that must hold in every
environment (encryption, privacy, protection) or differ by environment as the story says.
"""

from __future__ import annotations

import json

import pulumi_aws as aws
import pulumi_mongodbatlas as atlas
import pulumi_random as random
import pytest

from marin.catalogue import SECRETS
from marin.config import EnvConfig
from offline import engine
from offline.engine import Inventory, token

STORY_SIZING = {
    "dev": {"task": ("256", "512"), "atlas": "M0", "redis": "cache.t4g.micro"},
    "staging": {"task": ("512", "1024"), "atlas": "M10", "redis": "cache.t4g.small"},
    "prod": {"task": ("1024", "2048"), "atlas": "M20", "redis": "cache.t4g.medium"},
}
TIERS = {
    f"marin:{t}:{t.capitalize()}"
    for t in ("network", "storage", "logging", "secrets", "iam", "database", "cache", "search", "compute", "monitoring")
}
OPEN = ("0.0.0.0/0", "::/0")


def story(env: str) -> dict:
    if env not in STORY_SIZING:
        pytest.skip("the story sizes dev, staging and prod only")
    return STORY_SIZING[env]


def containers(inv: Inventory) -> dict[str, dict]:
    out = {}
    for task in inv.of_type(token(aws.ecs.TaskDefinition)):
        (container,) = json.loads(task.inputs["containerDefinitions"])
        out[container["name"]] = {"task": task.inputs, "container": container}
    return out


def test_every_tier_is_present(inv: Inventory) -> None:
    assert {r.type for r in inv.resources} >= TIERS


def test_task_sizes_follow_the_story(inv: Inventory, env: str) -> None:
    cpu, memory = story(env)["task"]
    tasks = inv.of_type(token(aws.ecs.TaskDefinition))
    assert {t.inputs["family"] for t in tasks} == {f"marin-{env}-api-task", f"marin-{env}-worker-task"}
    for t in tasks:
        assert (t.inputs["cpu"], t.inputs["memory"]) == (cpu, memory)
        assert t.inputs["requiresCompatibilities"] == ["FARGATE"]
        assert t.inputs["networkMode"] == "awsvpc"


def test_database_and_cache_sizes_follow_the_story(inv: Inventory, env: str) -> None:
    expected = story(env)
    (region,) = inv.one(token(atlas.AdvancedCluster)).inputs["replicationSpecs"][0]["regionConfigs"]
    assert region["electableSpecs"]["instanceSize"] == expected["atlas"]
    assert region["providerName"] == ("TENANT" if expected["atlas"] == "M0" else "AWS")
    assert inv.one(token(aws.elasticache.ReplicationGroup)).inputs["nodeType"] == expected["redis"]


def test_story_names_for_cluster_and_services(inv: Inventory, env: str) -> None:
    assert inv.one(token(aws.ecs.Cluster)).inputs["name"] == f"marin-{env}-ecs-cluster"
    names = {s.inputs["name"] for s in inv.of_type(token(aws.ecs.Service))}
    assert names == {f"marin-{env}-api-service", f"marin-{env}-worker-service"}
    assert inv.one(token(atlas.Project)).inputs["name"] == f"marin-{env}"
    assert len(inv.one(token(aws.opensearch.Domain)).inputs["domainName"]) <= 28


def test_redis_is_encrypted_authenticated_and_private(inv: Inventory) -> None:
    redis = inv.one(token(aws.elasticache.ReplicationGroup))
    assert redis.inputs["atRestEncryptionEnabled"] is True
    assert redis.inputs["transitEncryptionEnabled"] is True
    assert isinstance(redis.inputs["authToken"], dict)
    assert engine.unwrap(redis.inputs["authToken"])
    subnets = inv.one(token(aws.elasticache.SubnetGroup)).inputs["subnetIds"]
    assert subnets == inv.outputs["privateSubnetIds"]


def test_redis_is_highly_available_outside_dev(inv: Inventory, env: str, committed: dict[str, dict[str, str]]) -> None:
    redis = inv.one(token(aws.elasticache.ReplicationGroup)).inputs
    ha = committed[env]["marin:highAvailability"] == "true"
    assert redis["multiAzEnabled"] is ha
    assert redis["automaticFailoverEnabled"] is ha
    assert redis["numCacheClusters"] == (2 if ha else 1)
    assert (redis["snapshotRetentionLimit"] > 0) is ha


def test_opensearch_is_private_https_only_and_encrypted(inv: Inventory, env: str) -> None:
    domain = inv.one(token(aws.opensearch.Domain)).inputs
    assert domain["encryptAtRest"]["enabled"] is True
    assert domain["nodeToNodeEncryption"]["enabled"] is True
    assert domain["domainEndpointOptions"]["enforceHttps"] is True
    assert "TLS-1-2" in domain["domainEndpointOptions"]["tlsSecurityPolicy"]
    assert set(domain["vpcOptions"]["subnetIds"]) <= set(inv.outputs["privateSubnetIds"])
    policy = json.loads(domain["accessPolicies"])
    task_roles = {r.outputs["arn"] for r in inv.of_type(token(aws.iam.Role)) if r.inputs["name"].endswith("-task")}
    for statement in policy["Statement"]:
        assert set(statement["Principal"]["AWS"]) == task_roles
        assert statement["Principal"] != "*"


def test_opensearch_topology_by_environment(inv: Inventory, env: str, committed: dict[str, dict[str, str]]) -> None:
    cluster = inv.one(token(aws.opensearch.Domain)).inputs["clusterConfig"]
    assert cluster["instanceType"] == committed[env]["marin:opensearchInstanceType"]
    assert cluster["instanceCount"] == int(committed[env]["marin:opensearchInstanceCount"])
    if committed[env]["marin:highAvailability"] == "false":
        assert cluster["instanceCount"] == 1
    else:
        assert cluster["zoneAwarenessEnabled"] is True
        assert cluster["instanceCount"] >= 2


def test_atlas_is_never_open_to_the_internet(inv: Inventory, env: str, committed: dict[str, dict[str, str]]) -> None:
    entries = inv.of_type(token(atlas.ProjectIpAccessList))
    for e in entries:
        assert e.inputs.get("cidrBlock") not in OPEN
        assert e.inputs.get("ipAddress") in inv.outputs["egressIps"]
    private_link = inv.of_type(token(atlas.PrivateLinkEndpointService))
    if committed[env]["marin:atlasInstanceSize"] == "M0":  # shared tier: no private endpoints
        assert entries
        assert not private_link
    else:
        assert private_link
        assert not entries


def test_atlas_backups_by_environment(inv: Inventory, env: str, committed: dict[str, dict[str, str]]) -> None:
    cluster = inv.one(token(atlas.AdvancedCluster)).inputs
    schedules = inv.of_type(token(atlas.CloudBackupSchedule))
    backup = committed[env]["marin:atlasBackup"]
    if backup == "none":
        assert not cluster.get("backupEnabled")
        assert not schedules
    elif backup == "daily":
        assert cluster["backupEnabled"] is True
        assert schedules[0].inputs["policyItemDaily"]
    else:
        assert backup == "continuous"
        assert cluster["backupEnabled"] is True
        assert cluster["pitEnabled"] is True
        assert schedules


def test_mongodb_uri_secret_is_written_by_the_database_tier_as_a_secret(
    inv: Inventory, env: str, committed: dict[str, dict[str, str]]
) -> None:
    secret = next(
        s
        for s in inv.of_type(token(aws.secretsmanager.Secret))
        if s.inputs["name"] == f"{env}/audio-pipeline/mongodb-uri"
    )
    (version,) = [
        v for v in inv.of_type(token(aws.secretsmanager.SecretVersion)) if v.inputs["secretId"] == secret.outputs["arn"]
    ]
    assert version.tier == "database"
    assert isinstance(version.inputs["secretString"], dict)
    uri = engine.unwrap(version.inputs["secretString"])
    assert uri.startswith("mongodb+srv://")
    assert "@" in uri
    # every tier but the shared M0 is reached through PrivateLink
    assert ("-pl-" in uri) is (committed[env]["marin:atlasInstanceSize"] != "M0")


def test_only_the_load_balancer_is_public(inv: Inventory, config: EnvConfig) -> None:
    balancers = inv.of_type(token(aws.lb.LoadBalancer))
    if not config.ingress.load_balanced:  # an HTTP API ingress (tests/test_ingress.py): no load balancer
        assert not balancers
    for alb in (b.inputs for b in balancers):
        assert alb["internal"] is False
        assert alb["dropInvalidHeaderFields"] is True
    assert len(balancers) == int(config.ingress.load_balanced)
    for service in inv.of_type(token(aws.ecs.Service)):
        net = service.inputs["networkConfiguration"]
        assert net["assignPublicIp"] is False
        assert set(net["subnets"]) == set(inv.outputs["privateSubnetIds"])


def test_data_stores_accept_traffic_only_from_the_services(inv: Inventory) -> None:
    groups = {g.outputs["id"]: str(g.physical_name) for g in inv.of_type(token(aws.ec2.SecurityGroup))}
    services = next(i for i, n in groups.items() if n.endswith("-services-sg"))
    for rule in inv.of_type(token(aws.vpc.SecurityGroupIngressRule)):
        target = groups[rule.inputs["securityGroupId"]]
        if target.endswith(("-redis-sg", "-opensearch-sg", "-endpoints-sg")):
            assert rule.inputs.get("referencedSecurityGroupId") == services, rule.name
            assert "cidrIpv4" not in rule.inputs


def test_secrets_are_injected_never_written_as_plain_environment(inv: Inventory, env: str) -> None:
    arns = {s.inputs["name"]: s.outputs["arn"] for s in inv.of_type(token(aws.secretsmanager.Secret))}
    secret_vars = {s.env_var for s in SECRETS}
    for name, c in containers(inv).items():
        plain = {e["name"] for e in c["container"]["environment"]}
        assert not plain & secret_vars, name
        injected = {s["name"]: s["valueFrom"] for s in c["container"]["secrets"]}
        expected = {s.env_var: arns[f"{env}/audio-pipeline/{s.name}"] for s in SECRETS if name in s.consumers}
        assert injected == expected


def test_a_new_secret_value_is_a_new_task_definition(inv: Inventory, env: str) -> None:
    """ECS resolves `secrets` when a task starts (ECS guide, "Pass Secrets Manager secrets through
    Amazon ECS environment variables"); the ARN stays the same when a new value is written, so the
    task definition carries each injected secret's version id (PutSecretValue returns a new one)."""
    secrets = {s.outputs["id"]: s.inputs["name"] for s in inv.of_type(token(aws.secretsmanager.Secret))}
    versions = {
        secrets[v.inputs["secretId"]].removeprefix(f"{env}/audio-pipeline/"): v.outputs["versionId"]
        for v in inv.of_type(token(aws.secretsmanager.SecretVersion))
    }
    for name, c in containers(inv).items():
        expected = {f"marin.secret-version.{s.name}": versions[s.name] for s in SECRETS if name in s.consumers}
        assert c["container"]["dockerLabels"] == expected


def test_containers_log_to_the_logging_tiers_groups(inv: Inventory, env: str) -> None:
    for name, c in containers(inv).items():
        log = c["container"]["logConfiguration"]
        assert log["logDriver"] == "awslogs"
        assert log["options"]["awslogs-group"] == f"/ecs/{env}/{name}"


def test_deployments_roll_back_and_prod_runs_two_tasks_per_service(
    inv: Inventory, env: str, committed: dict[str, dict[str, str]]
) -> None:
    for service in inv.of_type(token(aws.ecs.Service)):
        assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
        if committed[env]["marin:highAvailability"] == "true":
            assert service.inputs["desiredCount"] >= 2


def test_toggling_fargate_spot_rolls_the_services_instead_of_replacing_them(inv: Inventory) -> None:
    """terraform-provider-aws internal/service/ecs/service.go, capacityProviderStrategyCustomizeDiff:
    a changed capacity_provider_strategy is ForceNew unless force_new_deployment is true (later
    versions refuse the update instead); with it, UpdateService starts a new deployment."""
    for service in inv.of_type(token(aws.ecs.Service)):
        assert service.inputs["capacityProviderStrategies"]
        assert service.inputs.get("forceNewDeployment") is True, service.name


def test_scheduled_scaling_only_in_dev_and_autoscaling_outside(
    inv: Inventory, env: str, committed: dict[str, dict[str, str]]
) -> None:
    scheduled = inv.of_type(token(aws.appautoscaling.ScheduledAction))
    policies = inv.of_type(token(aws.appautoscaling.Policy))
    if committed[env]["marin:autoStop"] == "true":
        assert len(scheduled) == 4
        assert not policies
        stops = [s.inputs for s in scheduled if s.inputs["name"].endswith("-stop")]
        assert all(s["scalableTargetAction"] == {"minCapacity": 0, "maxCapacity": 0} for s in stops)
        assert all(s["timezone"] and s["schedule"].startswith("cron(") for s in stops)
    else:
        assert not scheduled
        assert len(policies) == 2
        for p in policies:
            spec = p.inputs["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]
            assert spec["predefinedMetricType"] == "ECSServiceAverageCPUUtilization"


def test_container_insights_and_alarms_outside_dev(
    inv: Inventory, env: str, committed: dict[str, dict[str, str]]
) -> None:
    setting = inv.one(token(aws.ecs.Cluster)).inputs["settings"][0]
    alarms = inv.of_type(token(aws.cloudwatch.MetricAlarm))
    if committed[env]["marin:monitoring"] == "basic":
        assert setting["value"] == "disabled"
        assert not alarms
        assert not inv.of_type(token(aws.sns.Topic))
        return
    assert setting["value"] == "enabled"
    topic = inv.one(token(aws.sns.Topic))
    # CloudWatch can only publish to a topic whose key policy lets it use the key: not aws/sns.
    key = inv.one(token(aws.kms.Key))
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    principals = [st["Principal"] for st in json.loads(key.inputs["policy"])["Statement"]]
    assert {"Service": "cloudwatch.amazonaws.com"} in principals
    assert key.inputs["enableKeyRotation"] is True
    metrics = {a.inputs["metricName"] for a in alarms}
    assert {
        "CPUUtilization",
        "MemoryUtilization",
        "HTTPCode_ELB_5XX_Count",
        "DatabaseMemoryUsagePercentage",
        "ClusterStatus.red",
    } <= metrics
    assert all(a.inputs["alarmActions"] == [topic.outputs["arn"]] for a in alarms)


def test_data_stores_are_protected_outside_dev(inv: Inventory, env: str, committed: dict[str, dict[str, str]]) -> None:
    stores = [
        *inv.of_type(token(aws.elasticache.ReplicationGroup)),
        *inv.of_type(token(aws.opensearch.Domain)),
        *inv.of_type(token(atlas.AdvancedCluster)),
        *inv.of_type(token(atlas.Project)),
    ]
    assert len(stores) == 4
    cluster = inv.one(token(atlas.AdvancedCluster)).inputs
    albs = [b.inputs for b in inv.of_type(token(aws.lb.LoadBalancer))]
    if committed[env]["marin:protectData"] == "false":
        assert not any(s.protect for s in stores)
        assert all(alb["enableDeletionProtection"] is False for alb in albs)
    else:
        assert all(s.protect for s in stores)
        assert cluster["terminationProtectionEnabled"] is True
        assert albs
        assert all(alb["enableDeletionProtection"] is True for alb in albs)
        redis = inv.one(token(aws.elasticache.ReplicationGroup)).inputs
        assert redis["finalSnapshotIdentifier"]


def test_outputs_name_every_endpoint_without_secret_values(inv: Inventory, config: EnvConfig) -> None:
    ingress = ("loadBalancerDnsName",) if config.ingress.load_balanced else ("httpApiId",)
    for key in (
        "clusterName",
        "serviceNames",
        "apiUrl",
        *ingress,
        "redisEndpoint",
        "opensearchEndpoint",
        "atlasProjectName",
        "atlasClusterName",
        "secretArns",
    ):
        assert inv.outputs.get(key), key
    assert not inv.secret_outputs
    blob = json.dumps(inv.outputs)
    for p in inv.of_type(token(random.RandomPassword)):
        assert p.outputs["result"] not in blob


def test_https_listener_when_a_certificate_is_configured(committed: dict[str, dict[str, str]]) -> None:
    cert = "arn:aws:acm:us-east-1:222222222222:certificate/12345678-1234-1234-1234-123456789012"
    inv = engine.run("staging", config=committed["staging"] | {"marin:certificateArn": cert})
    listeners = {r.inputs["port"]: r.inputs for r in inv.of_type(token(aws.lb.Listener))}
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[443]["certificateArn"] == cert
    assert listeners[80]["defaultActions"][0]["type"] == "redirect"


# TLS 1.2+ listener policies of Application Load Balancers (Elastic Load Balancing user guide,
# "Security policies for your Application Load Balancer": the TLS13 and FS-1-2 families).
TLS12_PLUS_POLICIES = {
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
}


def test_listeners_serve_https_only_when_tls_is_configured(inv: Inventory, config: EnvConfig) -> None:
    listeners = {int(li.inputs["port"]): li.inputs for li in inv.of_type(token(aws.lb.Listener))}
    if not config.ingress.load_balanced:  # HTTPS only through API Gateway (tests/test_ingress.py)
        assert not listeners
        return
    if not config.ingress.tls:
        assert set(listeners) == {80}
        assert listeners[80]["defaultActions"][0]["type"] == "forward"
        return
    assert set(listeners) == {80, 443}
    https = listeners[443]
    assert https["protocol"] == "HTTPS"
    assert https["sslPolicy"] in TLS12_PLUS_POLICIES
    assert https["certificateArn"]
    (redirect,) = listeners[80]["defaultActions"]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}


def test_alb_opens_443_only_with_tls_and_80_always(inv: Inventory, config: EnvConfig) -> None:
    public = {
        int(r.inputs["fromPort"])
        for r in inv.of_type(token(aws.vpc.SecurityGroupIngressRule))
        if r.inputs.get("cidrIpv4") == "0.0.0.0/0"
    }
    if not config.ingress.load_balanced:
        assert public == set()
    else:
        assert public == ({80, 443} if config.ingress.tls else {80})


def test_a_domain_gets_a_dns_validated_certificate_and_an_alias_to_the_alb(inv: Inventory, config: EnvConfig) -> None:
    certificates = inv.of_type(token(aws.acm.Certificate))
    records = {r.name.rsplit("-", 1)[-1]: r for r in inv.of_type(token(aws.route53.Record))}
    if not config.ingress.domain_name:
        assert not certificates
        assert not records
        return
    host = f"api.{config.env}.{config.ingress.domain_name}"
    (certificate,) = certificates
    assert certificate.inputs["domainName"] == host
    assert certificate.inputs["validationMethod"] == "DNS"
    assert "subjectAlternativeNames" not in certificate.inputs
    validation = records["validation"].inputs
    option = certificate.outputs["domainValidationOptions"][0]
    assert (validation["name"], validation["type"], validation["records"]) == (
        option["resourceRecordName"],
        option["resourceRecordType"],
        [option["resourceRecordValue"]],
    )
    assert validation["zoneId"] == config.ingress.hosted_zone_id
    (waiter,) = inv.of_type(token(aws.acm.CertificateValidation))
    assert waiter.inputs["certificateArn"] == certificate.outputs["arn"]
    assert waiter.inputs["validationRecordFqdns"] == [records["validation"].outputs["fqdn"]]
    if not config.ingress.load_balanced:  # the HTTP API's custom domain: tests/test_ingress.py
        return
    https = next(li for li in inv.of_type(token(aws.lb.Listener)) if int(li.inputs["port"]) == 443)
    # the listener takes the certificate from the validation, so it waits until ACM has issued it
    assert inv.depends_on(https, waiter)
    alias = records["dns"].inputs
    alb = inv.one(token(aws.lb.LoadBalancer)).outputs
    assert (alias["name"], alias["type"], alias["zoneId"]) == (host, "A", config.ingress.hosted_zone_id)
    assert alias["aliases"] == [{"name": alb["dnsName"], "zoneId": alb["zoneId"], "evaluateTargetHealth": True}]
    assert inv.outputs["apiUrl"] == f"https://{host}"


# MongoDB Atlas: database user roles and scopes, cluster backup options:
# https://www.mongodb.com/docs/atlas/reference/api-resources-spec/v2/#tag/Database-Users
# https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/advanced_cluster
def test_the_app_user_reads_and_writes_only_its_database_on_its_own_cluster(inv: Inventory) -> None:
    cluster = inv.one(token(atlas.AdvancedCluster)).inputs
    user = inv.one(token(atlas.DatabaseUser)).inputs
    assert user["authDatabaseName"] == "admin"  # SCRAM users authenticate against admin
    assert user["roles"] == [{"roleName": "readWrite", "databaseName": "marin"}]
    assert user["scopes"] == [{"type": "CLUSTER", "name": cluster["name"]}]
    assert user["projectId"] == cluster["projectId"]
    (password,) = [p for p in inv.of_type(token(random.RandomPassword)) if "app-password" in p.name]
    assert password.inputs["special"] is False
    assert 32 <= password.inputs["length"] <= 128


def test_the_cluster_is_a_replica_set_backed_up_and_protected_as_the_stack_says(
    inv: Inventory, config: EnvConfig
) -> None:
    cluster = inv.one(token(atlas.AdvancedCluster)).inputs
    assert cluster["clusterType"] == "REPLICASET"
    (spec,) = cluster["replicationSpecs"]
    (region,) = spec["regionConfigs"]
    assert region["regionName"] == config.stack.aws_region.upper().replace("-", "_")
    assert region["priority"] == 7  # the highest electable priority, for a single-region cluster
    shared = config.database.atlas_instance_size in ("M0", "M2", "M5", "FLEX")
    if shared:  # a shared tier: Atlas runs it on a tenant of the cloud provider, with no options
        assert (region["providerName"], region["backingProviderName"]) == ("TENANT", "AWS")
        assert region["electableSpecs"] == {"instanceSize": config.database.atlas_instance_size}
        assert not {"backupEnabled", "pitEnabled", "terminationProtectionEnabled", "mongoDbMajorVersion"} & set(cluster)
        return
    assert region["providerName"] == "AWS"
    assert region["electableSpecs"] == {"instanceSize": config.database.atlas_instance_size, "nodeCount": 3}
    assert cluster["backupEnabled"] is (config.database.atlas_backup != "none")
    assert cluster["pitEnabled"] is (config.database.atlas_backup == "continuous")
    assert cluster["terminationProtectionEnabled"] is config.stack.protect_data
    assert cluster["mongoDbMajorVersion"] == "8.0"
    for schedule in inv.of_type(token(atlas.CloudBackupSchedule)):
        # snapshots at 03:00 UTC, outside the working day of every region the story serves
        assert (schedule.inputs["referenceHourOfDay"], schedule.inputs["referenceMinuteOfHour"]) == (3, 0)


# OpenSearch: domain options https://docs.aws.amazon.com/opensearch-service/latest/developerguide/
def test_the_search_domain_is_private_on_gp3_with_its_masters_and_zones_as_configured(
    inv: Inventory, config: EnvConfig
) -> None:
    domain = inv.one(token(aws.opensearch.Domain)).inputs
    assert domain["ebsOptions"] == {
        "ebsEnabled": True,
        "volumeType": "gp3",
        "volumeSize": config.search.opensearch_volume_gb,
    }
    (group,) = [g for g in inv.of_type(token(aws.ec2.SecurityGroup)) if g.name.endswith("opensearch-sg")]
    assert domain["vpcOptions"]["securityGroupIds"] == [group.outputs["id"]]
    zones = 3 if config.stack.high_availability else 1
    assert len(domain["vpcOptions"]["subnetIds"]) == zones
    cluster = domain["clusterConfig"]
    assert cluster["zoneAwarenessEnabled"] is (zones > 1)
    assert cluster.get("zoneAwarenessConfig") == ({"availabilityZoneCount": zones} if zones > 1 else None)
    masters = bool(config.search.opensearch_dedicated_master_type)
    assert cluster["dedicatedMasterEnabled"] is masters
    assert cluster.get("dedicatedMasterType") == (config.search.opensearch_dedicated_master_type or None)
    assert cluster.get("dedicatedMasterCount") == (3 if masters else None)
    assert domain["engineVersion"].startswith("OpenSearch_2.")
    policy = domain["accessPolicies"]
    assert policy == json.dumps(json.loads(policy), sort_keys=True), "sorted: the same text on every run"


# ElastiCache for Redis OSS: encryption in transit and at rest, AUTH, Multi-AZ with automatic
# failover (needs a replica), backups: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/
def test_redis_is_exactly_the_replication_group_the_stack_describes(inv: Inventory, config: EnvConfig) -> None:
    group = inv.one(token(aws.elasticache.ReplicationGroup)).inputs
    (sg,) = [g for g in inv.of_type(token(aws.ec2.SecurityGroup)) if g.name.endswith("redis-sg")]
    subnets = inv.one(token(aws.elasticache.SubnetGroup)).inputs
    private = [s.outputs["id"] for s in inv.of_type(token(aws.ec2.Subnet)) if "private" in s.name]
    assert sorted(subnets["subnetIds"]) == sorted(private)
    ha = config.stack.high_availability
    retention = config.cache.redis_snapshot_retention_days
    expected = {
        "engine": "redis",
        "engineVersion": "7.1",
        "port": 6379,
        "nodeType": config.cache.redis_node_type,
        "numCacheClusters": 2 if ha else 1,
        "automaticFailoverEnabled": ha,
        "multiAzEnabled": ha,
        "atRestEncryptionEnabled": True,
        "transitEncryptionEnabled": True,
        "securityGroupIds": [sg.outputs["id"]],
        "subnetGroupName": subnets["name"],
        "snapshotRetentionLimit": retention,
        "maintenanceWindow": "sun:05:00-sun:06:00",
        "autoMinorVersionUpgrade": True,
        # Modifications wait for the maintenance window unless applied immediately (ElastiCache API
        # ModifyReplicationGroup, ApplyImmediately, default false): a reviewed `up` applies its change.
        "applyImmediately": True,
    }
    assert {k: group.get(k) for k in expected} == expected
    # backups in the night before maintenance, never overlapping it; a final snapshot if protected
    assert group.get("snapshotWindow") == ("03:00-04:00" if retention else None)
    assert group.get("finalSnapshotIdentifier") == (
        f"{group['replicationGroupId']}-final" if config.stack.protect_data else None
    )
    assert inv.one(token(aws.elasticache.ReplicationGroup)).protect is config.stack.protect_data
    assert group["description"]
    assert subnets["description"]


# Atlas over AWS PrivateLink: an Atlas endpoint service in the project's region, an interface VPC
# endpoint in our private subnets behind the endpoints security group, then the link between them:
# https://www.mongodb.com/docs/atlas/security-private-endpoint/
def test_a_dedicated_cluster_is_reached_through_our_own_private_endpoint(inv: Inventory, config: EnvConfig) -> None:
    links = inv.of_type(token(atlas.PrivateLinkEndpoint))
    if config.database.atlas_instance_size == "M0":  # M0 has no private endpoints (its access list is the NAT)
        assert links == []
        return
    project = inv.one(token(atlas.Project)).outputs["id"]
    (link,) = links
    assert link.inputs == {
        "projectId": project,
        "providerName": "AWS",
        "region": config.stack.aws_region.upper().replace("-", "_"),
    }
    (endpoint,) = [e for e in inv.of_type(token(aws.ec2.VpcEndpoint)) if e.inputs["vpcEndpointType"] == "Interface"]
    (sg,) = [g for g in inv.of_type(token(aws.ec2.SecurityGroup)) if g.name.endswith("endpoints-sg")]
    private = [s.outputs["id"] for s in inv.of_type(token(aws.ec2.Subnet)) if "private" in s.name]
    assert endpoint.inputs["serviceName"] == link.outputs["endpointServiceName"]
    assert endpoint.inputs["vpcId"] == inv.one(token(aws.ec2.Vpc)).outputs["id"]
    assert sorted(endpoint.inputs["subnetIds"]) == sorted(private)
    assert endpoint.inputs["securityGroupIds"] == [sg.outputs["id"]]
    assert endpoint.inputs["tags"]["Name"] == f"marin-{config.env}-atlas-endpoint"
    service = inv.one(token(atlas.PrivateLinkEndpointService)).inputs
    assert service == {
        "projectId": project,
        "providerName": "AWS",
        "privateLinkId": link.outputs["privateLinkId"],
        "endpointServiceId": endpoint.outputs["id"],
    }


# docs/naming-policy.md. pulumi-terraform-bridge pkg/tfbridge/schema.go, nameRequiresDeleteBeforeReplace:
# a resource whose auto-named field (`name`, info/autonaming.go) the program sets is replaced
# delete-first; the program's deleteBeforeReplace option, when given, decides instead (pulumi/pulumi
# pkg/resource/deploy/step_generator.go).
CREATED_FIRST_DESPITE_A_NAME = (
    token(aws.apigatewayv2.VpcLink),
    token(aws.lb.TargetGroup),
    token(aws.servicediscovery.Service),
)


def test_what_something_still_uses_is_replaced_by_creating_the_new_one_first(inv: Inventory) -> None:
    for r in inv.resources:
        if r.type in CREATED_FIRST_DESPITE_A_NAME:
            assert (r.request.deleteBeforeReplaceDefined, r.request.deleteBeforeReplace) == (True, False), r.name


def test_no_bucket_is_created_first_under_the_name_it_replaces(inv: Inventory) -> None:
    """A bucket's name is unique across all accounts and regions (S3 User Guide, "General purpose
    bucket naming rules"): a replacement under the same name (a new `region`, which v6 of
    terraform-provider-aws makes force-new) cannot be created while the old bucket holds it. So no
    bucket overrides the provider's delete-first for an explicit name."""
    for r in inv.of_type(token(aws.s3.Bucket)):
        assert not (r.request.deleteBeforeReplaceDefined and not r.request.deleteBeforeReplace), r.name
