"""Invariants of the foundation tiers, on the real program run for each committed stack.

Expected values come from the story (../shared/story-1.8.md) and the issue, not from the code:
retention 7/14/30, the naming convention, the secret hierarchy, protection outside dev.
"""

from __future__ import annotations

import fnmatch
import importlib
import inspect
import ipaddress
import json
import os
import pkgutil
import signal
import typing
from collections import Counter
from itertools import combinations

import pulumi
import pulumi_aws as aws
import pulumi_random as random
import pytest
from google.protobuf import json_format

import components
from marin.catalogue import SECRETS
from marin.config import SCHEMA_BY_NAME, ConfigError, EnvConfig
from offline import engine
from offline.engine import Inventory, token
from tests.test_iam_documents import ELB_ACCOUNTS_FROM_THE_GUIDE

STORY_LOG_RETENTION = {"dev": 7, "staging": 14, "prod": 30}
FOUNDATION_TIERS = {"marin:network:Network", "marin:storage:Storage", "marin:logging:Logging", "marin:secrets:Secrets"}
SECRET_SIG = engine.SECRET_SIG


def is_secret(value: object) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == engine.SECRET_MARK


def rendered(r: engine.Resource) -> dict:
    return engine.unwrap(r.inputs)


def recordings(inv: Inventory, cls: type[pulumi.CustomResource]) -> engine.Resource:
    """The one resource of type `cls` of the storage tier (the recordings bucket or one of its controls)."""
    (found,) = [r for r in inv.of_type(token(cls)) if r.tier == "storage"]
    return found


def test_program_declares_every_foundation_tier(inv: Inventory) -> None:
    types = {r.type for r in inv.resources}
    assert types >= FOUNDATION_TIERS
    assert len(inv.custom) > 50, "the program declares almost nothing"


def test_every_physical_name_carries_its_environment(inv: Inventory, env: str) -> None:
    allowed = (f"marin-{env}-", f"/ecs/{env}/", f"/vpc/{env}/", f"{env}/audio-pipeline/", f"alias/marin-{env}-")
    exact = f"marin-{env}"  # the Atlas project and cluster: the environment is the whole name
    named = [r for r in inv.custom if r.physical_name and not r.type.startswith("pulumi:providers:")]
    assert len(named) > 20
    for r in named:
        name = str(r.physical_name)
        assert name == exact or name.startswith(allowed), f"{r.type} {r.name}: {name}"


def test_no_physical_name_is_shared_between_environments(all_inventories: dict[str, Inventory]) -> None:
    names = {
        env: {r.physical_name for r in inv.custom if r.physical_name and not r.type.startswith("pulumi:providers:")}
        for env, inv in all_inventories.items()
    }
    for a, b in combinations(sorted(names), 2):
        assert not names[a] & names[b], f"{a} and {b} share {sorted(names[a] & names[b])}"


def test_vpc_cidrs_do_not_overlap_between_environments(all_inventories: dict[str, Inventory]) -> None:
    cidrs = {
        env: ipaddress.ip_network(inv.one(token(aws.ec2.Vpc)).inputs["cidrBlock"])
        for env, inv in all_inventories.items()
    }
    for a, b in combinations(sorted(cidrs), 2):
        assert not cidrs[a].overlaps(cidrs[b]), f"{a} {cidrs[a]} overlaps {b} {cidrs[b]}"


def test_logical_names_are_free_of_the_environment(inv: Inventory, env: str) -> None:
    for r in inv.resources:
        assert env not in r.name.split("-"), r.urn


def test_every_urn_is_unique(inv: Inventory) -> None:
    duplicates = [urn for urn, n in Counter(r.urn for r in inv.resources).items() if n > 1]
    assert not duplicates


def test_every_resource_belongs_to_a_tier_component(inv: Inventory) -> None:
    for r in inv.custom:
        if r.type.startswith("pulumi:providers:"):
            continue
        assert r.tier, f"{r.urn} is not inside a marin:<tier> component"
        assert (r.parent != "" and "::marin:" in r.parent.split("::")[2]) or "$marin:" in r.parent, r.urn


def test_every_aws_resource_uses_the_stack_provider(inv: Inventory) -> None:
    provider = inv.one("pulumi:providers:aws")
    users = [r for r in inv.custom if r.package == "aws"]
    assert users
    for r in users:
        assert r.provider.startswith(provider.urn + "::"), f"{r.urn} uses {r.provider or 'the default provider'}"


def test_provider_is_pinned_to_the_account_region_and_tags_everything(
    inv: Inventory, env: str, committed: dict[str, dict[str, str]]
) -> None:
    provider = inv.one("pulumi:providers:aws").inputs
    assert json.loads(provider["allowedAccountIds"]) == json.loads(committed[env]["marin:allowedAccountIds"])
    assert provider["region"] == committed[env].get("marin:awsRegion", "us-east-1")
    tags = json.loads(provider["defaultTags"])["tags"]
    assert tags["Project"] == "marin"
    assert tags["Environment"] == env
    assert tags["ManagedBy"] == "pulumi"
    assert env in tags["Stack"]
    assert tags["CostCenter"] == committed[env]["marin:costCenter"]


def test_subnets_span_the_configured_availability_zones(
    inv: Inventory, committed: dict[str, dict[str, str]], env: str
) -> None:
    subnets = inv.of_type(token(aws.ec2.Subnet))
    azs = int(committed[env]["marin:azCount"])
    for tier in ("public", "private"):
        tiered = [s for s in subnets if s.inputs["tags"]["Tier"] == tier]
        assert len({s.inputs["availabilityZoneId"] for s in tiered}) == azs == len(tiered)
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


# Zone ids where a service the stack uses is not offered, from AWS's documentation: ECS guide
# "Supported Regions for Amazon ECS on AWS Fargate" (us-west-1 usw1-az1/az3 only, ap-northeast-1
# apne1-az1/az2/az4 only); API Gateway guide "Set up VPC links V2", Availability by Region.
NOT_ON_FARGATE = {"usw1-az2", "apne1-az3"}
NO_VPC_LINK = {"use1-az3", "usw1-az2", "ape1-az1", "apne2-az4"}


def zone_ids(inv: Inventory) -> list[str]:
    private = [s for s in inv.of_type(token(aws.ec2.Subnet)) if s.inputs["tags"]["Tier"] == "private"]
    return [s.inputs["availabilityZoneId"] for s in sorted(private, key=lambda s: s.name)]


def usable_zone_ids(config: EnvConfig) -> list[str]:
    """The region's zone ids (as the mocked invoke gives them) where every service of the stack runs."""
    mocks = engine.Mocks(config.env, config.stack.allowed_account_ids[0], config.stack.aws_region)
    token = "aws:index/getAvailabilityZones:getAvailabilityZones"
    offered, _ = mocks.call(pulumi.runtime.MockCallArgs(token, {}, ""))
    excluded = NOT_ON_FARGATE | (set() if config.ingress.load_balanced else NO_VPC_LINK)
    return sorted(set(offered["zoneIds"]) - excluded, key=lambda z: (len(z), z))


def test_subnets_sit_in_the_lowest_zone_ids_where_every_service_of_the_stack_runs(
    inv: Inventory, config: EnvConfig
) -> None:
    """Zone ids name the same zones in every account (names do not), so the choice is made on them."""
    assert zone_ids(inv) == usable_zone_ids(config)[: config.network.az_count]


def test_an_http_api_stack_in_three_zones_leaves_out_the_zones_without_vpc_links(
    config: EnvConfig, committed: dict[str, dict[str, str]]
) -> None:
    if config.ingress.load_balanced:
        pytest.skip("no VPC link without the http-api ingress")
    three = engine.run(config.env, config=committed[config.env] | {"marin:azCount": "3"})
    assert zone_ids(three) == usable_zone_ids(config)[:3]
    assert not set(zone_ids(three)) & NO_VPC_LINK


def test_story_az_counts(inv: Inventory, env: str) -> None:
    expected = {"dev": 2, "staging": 3, "prod": 3}.get(env)
    if expected is None:
        pytest.skip("the story sizes dev, staging and prod only")
    assert len(inv.of_type(token(aws.ec2.Subnet))) == 2 * expected


def test_private_subnets_reach_the_internet_through_nat_only(
    inv: Inventory, env: str, committed: dict[str, dict[str, str]]
) -> None:
    routes = [r.inputs for r in inv.of_type(token(aws.ec2.Route))]
    private_defaults = [r for r in routes if "natGatewayId" in r or "networkInterfaceId" in r]
    public_defaults = [r for r in routes if "gatewayId" in r]
    assert len(public_defaults) == 1
    assert len(private_defaults) == len(inv.of_type(token(aws.ec2.RouteTable))) - 1
    if committed[env]["marin:natMode"] == "gateway-per-az":  # one NAT gateway per AZ, each used by one route table
        nats = inv.of_type(token(aws.ec2.NatGateway))
        assert len(nats) == len(private_defaults)
        assert len({r["natGatewayId"] for r in private_defaults}) == len(nats)


def test_dev_nat_instance_is_hardened(inv: Inventory, env: str, committed: dict[str, dict[str, str]]) -> None:
    instances = inv.of_type(token(aws.ec2.Instance))
    if not instances:
        assert committed[env]["marin:natMode"] != "instance"
        return
    nat = instances[0]
    assert nat.inputs["sourceDestCheck"] is False
    assert nat.inputs["metadataOptions"]["httpTokens"] == "required"
    assert nat.inputs["rootBlockDevice"]["encrypted"] is True
    assert "ami" in nat.ignore_changes


def test_egress_addresses_are_static_elastic_ips(inv: Inventory) -> None:
    ips = inv.outputs["egressIps"]
    assert ips
    assert len(ips) == len(inv.of_type(token(aws.ec2.Eip)))


def test_s3_gateway_endpoint_serves_every_route_table(inv: Inventory, config: EnvConfig) -> None:
    (endpoint,) = [
        e.inputs for e in inv.of_type(token(aws.ec2.VpcEndpoint)) if e.inputs["vpcEndpointType"] == "Gateway"
    ]
    region = inv.one(token(aws.ec2.Vpc)).outputs["arn"].split(":")[3]  # where the VPC really is
    assert endpoint["serviceName"] == f"com.amazonaws.{region}.s3"
    tables = {t.outputs["id"] for t in inv.of_type(token(aws.ec2.RouteTable))}
    assert sorted(endpoint["routeTableIds"]) == sorted(tables)  # every one of them, each once


def test_flow_logs_in_staging_and_prod_only(inv: Inventory, env: str, committed: dict[str, dict[str, str]]) -> None:
    flow_logs = inv.of_type(token(aws.ec2.FlowLog))
    assert len(flow_logs) == (1 if committed[env]["marin:flowLogs"] == "true" else 0)
    for fl in flow_logs:
        assert fl.inputs["trafficType"] == "ALL"
        group = next(
            g for g in inv.of_type(token(aws.cloudwatch.LogGroup)) if g.outputs["arn"] == fl.inputs["logDestination"]
        )
        assert group.inputs["name"] == f"/vpc/{env}/flow-logs"


def test_no_security_group_ingress_from_the_internet_except_web_ports_on_the_alb(inv: Inventory) -> None:
    groups = {g.outputs["id"]: str(g.physical_name) for g in inv.of_type(token(aws.ec2.SecurityGroup))}
    for rule in inv.of_type(token(aws.vpc.SecurityGroupIngressRule)):
        i = rule.inputs
        if i.get("cidrIpv4") == "0.0.0.0/0" or i.get("cidrIpv6") == "::/0":
            assert groups[i["securityGroupId"]].endswith("-alb-sg"), rule.name
            assert i["fromPort"] == i["toPort"], rule.name
            assert i["fromPort"] in (80, 443), rule.name


def test_default_security_group_allows_nothing(inv: Inventory) -> None:
    default = inv.one(token(aws.ec2.DefaultSecurityGroup)).inputs
    assert default["ingress"] == []
    assert default["egress"] == []


def test_log_groups_follow_the_story(inv: Inventory, env: str, committed: dict[str, dict[str, str]]) -> None:
    groups = {g.inputs["name"]: g.inputs for g in inv.of_type(token(aws.cloudwatch.LogGroup))}
    expected_days = STORY_LOG_RETENTION.get(env, int(committed[env]["marin:logRetentionDays"]))
    for service in ("api", "worker"):
        assert groups[f"/ecs/{env}/{service}"]["retentionInDays"] == expected_days
        assert groups[f"/ecs/{env}/{service}"]["logGroupClass"] == "STANDARD"  # Logs Insights
    assert all(g["retentionInDays"] == expected_days for g in groups.values())


def test_logs_insights_queries_cover_the_environments_groups(inv: Inventory, env: str) -> None:
    queries = {q.inputs["name"]: q.inputs for q in inv.of_type(token(aws.cloudwatch.QueryDefinition))}
    errors = queries[f"marin-{env}-errors-by-service"]
    assert sorted(errors["logGroupNames"]) == [f"/ecs/{env}/api", f"/ecs/{env}/worker"]
    assert queries[f"marin-{env}-slowest-requests"]["logGroupNames"] == [f"/ecs/{env}/api"]


def test_secrets_form_the_environments_hierarchy(inv: Inventory, env: str) -> None:
    names = {s.inputs["name"] for s in inv.of_type(token(aws.secretsmanager.Secret))}
    assert f"{env}/audio-pipeline/mongodb-uri" in names
    assert names == {f"{env}/audio-pipeline/{s.name}" for s in SECRETS}


def test_secret_recovery_window_by_environment(inv: Inventory, env: str, committed: dict[str, dict[str, str]]) -> None:
    windows = {s.inputs["recoveryWindowInDays"] for s in inv.of_type(token(aws.secretsmanager.Secret))}
    assert len(windows) == 1
    window = windows.pop()
    assert window == int(committed[env]["marin:secretRecoveryWindowDays"])
    if committed[env]["marin:protectData"] == "true":
        assert window >= 7  # protected data keeps a deleted secret recoverable
    else:
        assert window == 0  # destroyed and recreated often: the name must be free at once


def test_every_secret_value_is_marked_secret_and_generated_ones_come_from_random(inv: Inventory, env: str) -> None:
    versions = inv.of_type(token(aws.secretsmanager.SecretVersion))
    assert versions
    for v in versions:
        assert is_secret(v.inputs["secretString"]), v.name
    secrets = {s.outputs["arn"]: s.inputs["name"] for s in inv.of_type(token(aws.secretsmanager.Secret))}
    passwords = {p.outputs["result"] for p in inv.of_type(token(random.RandomPassword))}
    for spec in (s for s in SECRETS if s.writer == "generated"):
        (version,) = [v for v in versions if secrets[v.inputs["secretId"]] == f"{env}/audio-pipeline/{spec.name}"]
        assert engine.unwrap(version.inputs["secretString"]) in passwords


def test_operator_secrets_get_their_first_value_from_secret_config_and_keep_rotations(inv: Inventory, env: str) -> None:
    secrets = {s.outputs["arn"]: s.inputs["name"] for s in inv.of_type(token(aws.secretsmanager.Secret))}
    versions = {secrets[v.inputs["secretId"]]: v for v in inv.of_type(token(aws.secretsmanager.SecretVersion))}
    operator = {f"{env}/audio-pipeline/{s.name}" for s in SECRETS if s.writer == "operator"}
    assert operator
    for path in operator:
        version = versions[path]
        assert is_secret(version.inputs["secretString"]), path  # from `pulumi config set --secret`
        assert engine.unwrap(version.inputs["secretString"]) == "offline-placeholder-transcriptionApiKey"
        assert version.ignore_changes == ["secretString", "versionStages"], path  # a rotation stays
        # its own label keeps the seed from being unlabelled, deleted by Secrets Manager, and re-created
        assert version.inputs["versionStages"] == ["AWSCURRENT", "marin-seed"]


def test_bucket_is_private_encrypted_and_tls_only(inv: Inventory, env: str) -> None:
    bucket = recordings(inv, aws.s3.Bucket).inputs
    assert bucket["bucket"].startswith(f"marin-{env}-call-recordings")
    block = recordings(inv, aws.s3.BucketPublicAccessBlock).inputs
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    sse = recordings(inv, aws.s3.BucketServerSideEncryptionConfiguration)
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in ("AES256", "aws:kms")
    assert recordings(inv, aws.s3.BucketOwnershipControls).inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    policy = json.loads(recordings(inv, aws.s3.BucketPolicy).inputs["policy"])
    deny_plain = [
        s
        for s in policy["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    assert deny_plain
    assert deny_plain[0]["Action"] == "s3:*"
    assert deny_plain[0]["Principal"] == "*"
    assert f"arn:aws:s3:::{bucket['bucket']}/*" in deny_plain[0]["Resource"]
    assert not [s for s in policy["Statement"] if s["Effect"] == "Allow"]


def test_versioning_in_staging_and_prod(inv: Inventory, env: str, committed: dict[str, dict[str, str]]) -> None:
    versioning = [r for r in inv.of_type(token(aws.s3.BucketVersioning)) if r.tier == "storage"]
    if committed[env]["marin:recordingsVersioning"] == "false":
        assert not versioning
    else:
        assert versioning[0].inputs["versioningConfiguration"]["status"] == "Enabled"


def test_lifecycle_matches_the_environments_retention(
    inv: Inventory, env: str, committed: dict[str, dict[str, str]]
) -> None:
    (rule,) = recordings(inv, aws.s3.BucketLifecycleConfiguration).inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7
    expire = int(committed[env]["marin:recordingsExpirationDays"])
    assert rule.get("expiration", {}).get("days") == (expire or None)
    if committed[env]["marin:recordingsVersioning"] == "true":
        assert rule["noncurrentVersionExpiration"]["noncurrentDays"] > 0


def test_data_is_protected_outside_dev_and_disposable_in_dev(
    inv: Inventory, env: str, committed: dict[str, dict[str, str]]
) -> None:
    data = inv.of_type(token(aws.s3.Bucket)) + inv.of_type(token(aws.secretsmanager.Secret))
    bucket = recordings(inv, aws.s3.Bucket).inputs
    if committed[env]["marin:protectData"] == "false":
        assert not any(r.protect for r in data)
        assert bucket["forceDestroy"] is True
    else:
        assert all(r.protect for r in data)
        assert bucket["forceDestroy"] is False


def test_outputs_are_the_deliberate_set_without_secret_values(inv: Inventory, env: str) -> None:
    assert {
        "environment",
        "namePrefix",
        "vpcId",
        "publicSubnetIds",
        "privateSubnetIds",
        "recordingsBucket",
        "logGroupArns",
        "secretArns",
    } <= set(inv.outputs)
    assert inv.outputs["environment"] == env
    assert inv.outputs["namePrefix"] == f"marin-{env}"
    assert set(inv.outputs["logGroupArns"]) == {"api", "worker"}
    assert all(f":log-group:/ecs/{env}/" in arn for arn in inv.outputs["logGroupArns"].values())
    assert set(inv.outputs["secretArns"]) == {s.name for s in SECRETS}
    assert not inv.secret_outputs
    secret_values = {p.outputs["result"] for p in inv.of_type(token(random.RandomPassword))}
    assert not secret_values & set(json.dumps(inv.outputs).split('"'))


@pytest.mark.parametrize(
    ("key", "bad"), [("marin:logRetentionDays", "8"), ("marin:apiMemory", "4096"), ("marin:natMode", "none")]
)
def test_refused_config_registers_nothing(committed: dict[str, dict[str, str]], key: str, bad: str) -> None:
    records: list[engine.Resource] = []
    with pytest.raises(ConfigError, match=key):
        engine.run("dev", config=committed["dev"] | {key: bad}, records=records)
    assert records == []


def test_the_engine_sees_registrations_when_config_is_good(committed: dict[str, dict[str, str]]) -> None:
    records: list[engine.Resource] = []
    engine.run("dev", config=committed["dev"], records=records)
    assert len(records) > 50  # so the test above cannot pass just because nothing is recorded


def test_a_process_forked_after_a_run_can_run_the_program() -> None:
    """A forked process (mutmut's children) gets a fresh event loop, so it runs the program instead
    of waiting forever on the RPC executor threads the fork did not copy."""
    engine.run("dev")
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only if the run ends (SIGALRM ends a hang)
        signal.alarm(60)
        code = 1
        try:
            engine.run("dev")
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def component_classes() -> dict[str, type[pulumi.ComponentResource]]:
    out = {}
    for module in pkgutil.iter_modules(components.__path__):
        for cls in vars(importlib.import_module(f"components.{module.name}")).values():
            if (
                inspect.isclass(cls)
                and issubclass(cls, pulumi.ComponentResource)
                and cls is not pulumi.ComponentResource
            ):
                out[cls.__name__] = cls
    return out


def test_every_component_registers_exactly_its_typed_outputs(inv: Inventory) -> None:
    """What a component registers (`register_outputs`, kept in the state) is every output attribute
    its class declares, under its own name: all of them, but those declared `| None` when unset
    (the SDK drops a None), so none is left out or renamed."""
    classes = component_classes()
    components_seen = [r for r in inv.resources if not r.custom and r.type.startswith("marin:")]
    assert len({r.type for r in components_seen}) >= 9
    for r in components_seen:
        hints = inspect.get_annotations(classes[r.type.split(":")[2]], eval_str=True)
        required = {name for name, hint in hints.items() if type(None) not in typing.get_args(hint)}
        registered = set(json_format.MessageToDict(inv.registered_outputs[r.urn]))
        assert required <= registered <= set(hints), r.type


# S3: "How to enforce TLS 1.2 or higher" (the `s3:TlsVersion` condition key) and "Enforce
# encryption in transit" (`aws:SecureTransport`):
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html#example-object-tls-version
def test_the_bucket_policy_denies_plain_http_and_tls_below_1_2_on_the_bucket_and_its_objects(inv: Inventory) -> None:
    arn = f"arn:aws:s3:::{recordings(inv, aws.s3.Bucket).inputs['bucket']}"
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, f"{arn}/*"]}
    policy = json.loads(recordings(inv, aws.s3.BucketPolicy).inputs["policy"])
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            deny | {"Sid": "DenyInsecureTransport", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            deny | {"Sid": "DenyOutdatedTls", "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
        ],
    }


def test_the_bucket_policy_and_lifecycle_wait_for_what_they_need(inv: Inventory) -> None:
    """S3 refuses concurrent changes to a bucket's public-access block and its policy; a lifecycle
    with noncurrent-version rules on a bucket not yet versioned is accepted but never applies."""
    policy = recordings(inv, aws.s3.BucketPolicy)
    assert inv.depends_on(policy, recordings(inv, aws.s3.BucketPublicAccessBlock))
    lifecycle = recordings(inv, aws.s3.BucketLifecycleConfiguration)
    for versioning in [r for r in inv.of_type(token(aws.s3.BucketVersioning)) if r.tier == "storage"]:
        assert inv.depends_on(lifecycle, versioning)


def test_recordings_are_encrypted_with_s3_managed_keys_without_a_bucket_key(inv: Inventory) -> None:
    """A bucket key only changes SSE-KMS (S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3
    Bucket Keys"); with SSE-S3 (AES256) it is a setting that does nothing, so none is set."""
    sse = recordings(inv, aws.s3.BucketServerSideEncryptionConfiguration)
    assert sse.inputs["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]


def test_the_lifecycle_rule_is_the_stack_s_retention_exactly(inv: Inventory, config: EnvConfig) -> None:
    """One rule for every object: Standard-IA after the transition days, deleted after the
    expiration days (or, versioned and kept forever, only orphaned delete markers), noncurrent
    versions kept 30 days, unfinished uploads aborted after 7."""
    (rule,) = recordings(inv, aws.s3.BucketLifecycleConfiguration).inputs["rules"]
    expected: dict[str, object] = {
        "id": "recordings-retention",
        "status": "Enabled",
        "filter": {},
        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
    }
    if config.storage.recordings_transition_days:
        expected["transitions"] = [{"days": config.storage.recordings_transition_days, "storageClass": "STANDARD_IA"}]
    if config.storage.recordings_expiration_days:
        expected["expiration"] = {"days": config.storage.recordings_expiration_days}
    elif config.storage.recordings_versioning:
        expected["expiration"] = {"expiredObjectDeleteMarker": True}
    if config.storage.recordings_versioning:
        expected["noncurrentVersionExpiration"] = {"noncurrentDays": 30}
    assert rule == expected


def access_logs(inv: Inventory, cls: type[pulumi.CustomResource]) -> list[engine.Resource]:
    """The resources of type `cls` of the logging tier (the access-log bucket and its controls)."""
    return [r for r in inv.of_type(token(cls)) if r.tier == "logging"]


# ALB access logs: the bucket in the load balancer's region, SSE-S3 the only default encryption,
# `<bucket>/<prefix>/AWSLogs/<account>/...` the keys written, the region's ELB account granted
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
# S3 server access logs: same region and account, `logging.s3.amazonaws.com` granted by the bucket
# policy (ACLs disabled), SSE-S3 https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
def test_the_access_log_bucket_is_private_sse_s3_and_tls_only(inv: Inventory, config: EnvConfig) -> None:
    (bucket,) = access_logs(inv, aws.s3.Bucket)
    # S3 names are global: the account the stack deploys into (the mocks' caller identity) makes it its own.
    account = config.stack.allowed_account_ids[0]
    assert bucket.inputs["bucket"] == f"marin-{config.env}-access-logs-{account}"
    (block,) = access_logs(inv, aws.s3.BucketPublicAccessBlock)
    blocks = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(block.inputs[k] is True for k in blocks)
    (ownership,) = access_logs(inv, aws.s3.BucketOwnershipControls)
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    (sse,) = access_logs(inv, aws.s3.BucketServerSideEncryptionConfiguration)
    assert sse.inputs["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    (policy,) = access_logs(inv, aws.s3.BucketPolicy)
    statements = {s.get("Sid"): s for s in json.loads(policy.inputs["policy"])["Statement"]}
    arn = f"arn:aws:s3:::{bucket.inputs['bucket']}"
    for sid in ("DenyInsecureTransport", "DenyOutdatedTls"):
        assert statements.pop(sid)["Resource"] == [arn, f"{arn}/*"]
    assert not [s for s in statements.values() if s["Effect"] != "Allow" or s["Action"] != "s3:PutObject"]
    assert inv.depends_on(policy, block)


def _covers(resource: str, key: str) -> bool:
    return fnmatch.fnmatchcase(key, resource)


def test_each_writer_logs_under_a_prefix_the_bucket_grants_it_and_waits_for_the_grant(
    inv: Inventory, config: EnvConfig
) -> None:
    """The recordings bucket's server access logs and the load balancer's access logs go to the
    access-log bucket, under keys its policy lets exactly that writer put, for this account only."""
    (bucket,) = access_logs(inv, aws.s3.Bucket)
    (policy,) = access_logs(inv, aws.s3.BucketPolicy)
    name, account = bucket.inputs["bucket"], config.stack.allowed_account_ids[0]
    grants = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"] if s["Effect"] == "Allow"}

    (logging,) = inv.of_type(token(aws.s3.BucketLogging))
    assert logging.inputs["bucket"] == recordings(inv, aws.s3.Bucket).inputs["bucket"]
    assert logging.inputs["targetBucket"] == name
    s3 = grants.pop("S3ServerAccessLogs")
    assert s3["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert s3["Condition"] == {
        "ArnLike": {"aws:SourceArn": recordings(inv, aws.s3.Bucket).outputs["arn"]},
        "StringEquals": {"aws:SourceAccount": account},
    }
    assert _covers(s3["Resource"], f"arn:aws:s3:::{name}/{logging.inputs['targetPrefix']}2026-01-01-00-00-00-ABC")

    balancers = inv.of_type(token(aws.lb.LoadBalancer))
    assert len(balancers) == (1 if config.ingress.load_balanced else 0)
    for alb in balancers:
        logs = alb.inputs["accessLogs"]
        assert logs["enabled"] is True
        assert logs["bucket"] == name
        assert "AWSLogs" not in logs["prefix"]
        assert not logs["prefix"].startswith("/")
        elb = grants.pop("LoadBalancerAccessLogs")
        region_account = ELB_ACCOUNTS_FROM_THE_GUIDE.get(config.stack.aws_region)
        newer = {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}  # a region the guide lists no account for
        assert elb["Principal"] == ({"AWS": f"arn:aws:iam::{region_account}:root"} if region_account else newer)
        key = f"arn:aws:s3:::{name}/{logs['prefix']}/AWSLogs/{account}/ELBAccessLogTestFile"
        assert _covers(elb["Resource"], key)
        assert not _covers(elb["Resource"], key.replace(account, "999999999999"))
    assert grants == {}, "nothing else may write there"


def test_access_logs_expire_with_the_log_retention_and_are_protected_as_the_stack_s_data(
    inv: Inventory, config: EnvConfig
) -> None:
    """Kept logRetentionDays (and, versioned, as long again once deleted or expired); protected,
    versioned and not force-destroyable exactly where the stack protects its data."""
    (bucket,) = access_logs(inv, aws.s3.Bucket)
    protect = config.stack.protect_data
    assert bucket.protect is protect
    assert bucket.inputs["forceDestroy"] is (not protect)
    versioning = access_logs(inv, aws.s3.BucketVersioning)
    assert [v.inputs["versioningConfiguration"] for v in versioning] == ([{"status": "Enabled"}] if protect else [])
    (lifecycle,) = access_logs(inv, aws.s3.BucketLifecycleConfiguration)
    days = config.logging.log_retention_days
    assert lifecycle.inputs["rules"] == [
        {
            "id": "access-logs-retention",
            "status": "Enabled",
            "filter": {},
            "expiration": {"days": days},
            "noncurrentVersionExpiration": {"noncurrentDays": days},
        }
    ]
    assert all(inv.depends_on(lifecycle, v) for v in versioning)


def test_the_retention_key_says_how_long_s3_keeps_an_access_log(inv: Inventory, config: EnvConfig) -> None:
    """S3 User Guide, "Expiring objects": on a versioned bucket an expiration "adds a delete marker",
    and the log stays a noncurrent version until the noncurrent-version expiration removes it;
    unversioned, the expiration deletes it. logRetentionDays' description promises what that adds up to."""
    (lifecycle,) = access_logs(inv, aws.s3.BucketLifecycleConfiguration)
    (rule,) = lifecycle.inputs["rules"]
    versioning = access_logs(inv, aws.s3.BucketVersioning)
    versioned = any(v.inputs["versioningConfiguration"]["status"] == "Enabled" for v in versioning)
    kept = rule["expiration"]["days"] + (rule["noncurrentVersionExpiration"]["noncurrentDays"] if versioned else 0)
    days, description = config.logging.log_retention_days, SCHEMA_BY_NAME["logRetentionDays"].description
    twice = "kept up to twice this" in description and "With protectData" in description
    assert kept == (2 * days if twice and config.stack.protect_data else days), description


# Secrets Manager: a secret's description is what an operator sees in the console; ElastiCache AUTH
# tokens are 16-128 printable characters without /, " or @, and values go into connection strings,
# so generated values are letters and digits only:
# https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth.html
def test_every_secret_says_what_it_holds_and_generated_values_are_long_and_plain(inv: Inventory) -> None:
    by_path_end = {spec.name: spec for spec in SECRETS}
    for secret in inv.of_type(token(aws.secretsmanager.Secret)):
        spec = by_path_end[secret.name.split("-", 1)[1]]
        assert secret.inputs["description"] == spec.description
    passwords = inv.of_type(token(random.RandomPassword))
    assert passwords
    for password in passwords:
        assert password.inputs["special"] is False, password.name
        assert 32 <= password.inputs["length"] <= 128, password.name
