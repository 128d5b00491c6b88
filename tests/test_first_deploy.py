"""What the real engine does on a first `pulumi up`, asserted over the recorded dependency graph.

The mock engine registers everything at once; the real one creates a resource only after every
resource it depends on (explicit `depends_on`, expanded to component children, and every resource
an input Output came from) and an ECS service starts its tasks as soon as it exists. So each
ordering the tiers rely on is asserted here as a path in the graph the engine would see, for every
committed stack, keyed on what the stack's config says.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.database import private_srv, with_credentials
from marin import stackfiles
from marin.config import ConfigError, EnvConfig
from offline import engine
from offline.engine import Inventory, Resource, token
from tests.test_config_validation import with_example_identities


def by_type(inv: Inventory, suffix: str) -> list[Resource]:
    return [r for r in inv.resources if r.type.endswith(suffix)]


def secret_of(inv: Inventory, version: Resource) -> Resource:
    (urn,) = version.property_dependencies["secretId"]
    return inv.by_urn[urn]


def service_task(inv: Inventory, service: Resource) -> Resource:
    (urn,) = service.property_dependencies["taskDefinition"]
    return inv.by_urn[urn]


def services(inv: Inventory) -> list[Resource]:
    found = inv.of_type(token(aws.ecs.Service))
    assert len(found) == 2
    return found


def test_each_service_waits_for_a_value_of_every_secret_it_injects(inv: Inventory) -> None:
    versions_by_secret_arn: dict[str, list[Resource]] = {}
    for version in inv.of_type(token(aws.secretsmanager.SecretVersion)):
        versions_by_secret_arn.setdefault(secret_of(inv, version).outputs["arn"], []).append(version)
    for service in services(inv):
        (container,) = json.loads(service_task(inv, service).inputs["containerDefinitions"])
        injected = [s["valueFrom"] for s in container["secrets"]]
        assert injected, service.name
        for arn in injected:
            writers = versions_by_secret_arn.get(arn, [])
            assert len(writers) == 1, f"{service.name}: {arn} has {len(writers)} versions"
            assert inv.depends_on(service, writers[0]), f"{service.name} may start before {writers[0].name}"


def test_each_service_waits_for_its_roles_policies(inv: Inventory) -> None:
    policies = {p.inputs["role"]: p for p in inv.of_type(token(aws.iam.RolePolicy))}
    roles = {r.outputs["arn"]: r for r in inv.of_type(token(aws.iam.Role))}
    for service in services(inv):
        task = service_task(inv, service)
        for key in ("executionRoleArn", "taskRoleArn"):
            role = roles[task.inputs[key]]
            assert inv.depends_on(service, role)
            assert inv.depends_on(service, policies[role.outputs["id"]]), f"{service.name} before {role.name} policy"


def test_a_first_deploy_whose_tasks_cannot_start_fails_the_up(inv: Inventory) -> None:
    for service in services(inv):
        assert service.inputs["waitForSteadyState"] is True, service.name
        assert service.custom_timeouts == {"create": "30m", "update": "30m"}
        assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_eips_associated_with_an_instance_come_after_the_internet_gateway(inv: Inventory) -> None:
    (igw,) = inv.of_type(token(aws.ec2.InternetGateway))
    for eip in inv.of_type(token(aws.ec2.Eip)):
        if "instance" in eip.inputs or "networkInterface" in eip.inputs:
            assert inv.depends_on(eip, igw), eip.name
    for gateway in inv.of_type(token(aws.ec2.NatGateway)):
        assert inv.depends_on(gateway, igw), gateway.name


def test_flow_logs_come_after_their_roles_policy(inv: Inventory, config: EnvConfig) -> None:
    flow_logs = inv.of_type(token(aws.ec2.FlowLog))
    assert len(flow_logs) == (1 if config.network.flow_logs else 0)
    policies = {p.inputs["role"]: p for p in inv.of_type(token(aws.iam.RolePolicy))}
    roles = {r.outputs["arn"]: r for r in inv.of_type(token(aws.iam.Role))}
    for flow_log in flow_logs:
        role = roles[flow_log.inputs["iamRoleArn"]]
        assert inv.depends_on(flow_log, policies[role.outputs["id"]])


def test_log_writers_come_after_the_log_bucket_s_policy_and_encryption(inv: Inventory, config: EnvConfig) -> None:
    """ELB checks that it can write to the bucket when access logging is enabled, and fails the load
    balancer ("Access Denied for bucket") if the policy is not there yet (ELB User Guide, "Enable
    access logs for your Application Load Balancer"); S3 delivers only to an SSE-S3 bucket that
    grants it. So the load balancer and the recordings bucket's logging wait for both."""
    (policy,) = [p for p in inv.of_type(token(aws.s3.BucketPolicy)) if p.tier == "logging"]
    (sse,) = [e for e in inv.of_type(token(aws.s3.BucketServerSideEncryptionConfiguration)) if e.tier == "logging"]
    writers = inv.of_type(token(aws.s3.BucketLogging)) + inv.of_type(token(aws.lb.LoadBalancer))
    assert len(writers) == (2 if config.ingress.load_balanced else 1)
    for writer in writers:
        assert inv.depends_on(writer, policy), writer.name
        assert inv.depends_on(writer, sse), writer.name


def test_scheduled_scaling_targets_ignore_the_capacity_the_schedule_sets(inv: Inventory, config: EnvConfig) -> None:
    scheduled = {a.inputs["resourceId"] for a in inv.of_type(token(aws.appautoscaling.ScheduledAction))}
    assert bool(scheduled) == config.compute.auto_stop
    for target in inv.of_type(token(aws.appautoscaling.Target)):
        if target.inputs["resourceId"] in scheduled:
            # neither `up --refresh` nor the drift check may put min/max back or call it drift
            assert set(target.ignore_changes) >= {"minCapacity", "maxCapacity"}, target.name
        else:
            assert not target.ignore_changes, target.name  # autoscaling bounds stay the program's


def test_no_secret_version_is_ever_written_empty(inv: Inventory) -> None:
    versions = inv.of_type(token(aws.secretsmanager.SecretVersion))
    assert len(versions) == 5
    for version in versions:
        value = engine.unwrap(version.inputs.get("secretString"))
        assert isinstance(value, str), version.name
        assert value.strip(), version.name


def _endpoints(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"private_endpoints": list(entries)}


def test_the_private_connection_string_is_the_one_of_our_endpoint() -> None:
    ours = {"srv_connection_string": "mongodb+srv://c-pl-1.ab.mongodb.net", "endpoints": [{"endpoint_id": "vpce-2"}]}
    other = {"srv_connection_string": "mongodb+srv://c-pl-0.ab.mongodb.net", "endpoints": [{"endpoint_id": "vpce-1"}]}
    assert private_srv(_endpoints(other, ours), "vpce-2") == "mongodb+srv://c-pl-1.ab.mongodb.net"


@pytest.mark.parametrize(
    "strings",
    [
        None,
        {"private_endpoints": None},
        _endpoints(),  # the endpoint is not connected yet
        _endpoints({"srv_connection_string": "", "endpoints": [{"endpoint_id": "vpce-2"}]}),
        _endpoints({"srv_connection_string": "mongodb+srv://x.mongodb.net", "endpoints": [{"endpoint_id": "vpce-9"}]}),
    ],
)
def test_a_missing_private_connection_string_fails_instead_of_writing_empty(strings: Any) -> None:
    with pytest.raises(ValueError, match="mongodb-uri was left unchanged"):
        private_srv(strings, "vpce-2")


@pytest.mark.parametrize("srv", ["", "mongodb+srv://", "mongodb://host:27017"])
def test_a_connection_string_that_is_not_srv_is_never_written(srv: str) -> None:
    with pytest.raises(ValueError, match="mongodb-uri was left unchanged"):
        with_credentials(srv, "marin-dev-app", "pw")


def test_credentials_are_url_encoded_into_the_srv_string() -> None:
    uri = with_credentials("mongodb+srv://c.ab.mongodb.net", "a b", "p@ss/word")
    assert uri == "mongodb+srv://a%20b:p%40ss%2Fword@c.ab.mongodb.net/marin?retryWrites=true&w=majority"


def test_security_groups_can_be_replaced_while_in_use(inv: Inventory) -> None:
    """A changed description replaces a group; with a fixed name the new one could not be created
    before the old one, still attached to Redis, OpenSearch and the tasks, is deleted."""
    for group in inv.of_type(token(aws.ec2.SecurityGroup)):
        assert "name" not in group.inputs, group.name
        assert group.inputs["namePrefix"] == f"{group.inputs['tags']['Name']}-"
        assert not group.delete_before_replace


def test_containers_have_a_read_only_root_and_the_worker_a_health_check(inv: Inventory) -> None:
    for task in inv.of_type(token(aws.ecs.TaskDefinition)):
        (container,) = json.loads(task.inputs["containerDefinitions"])
        assert container["readonlyRootFilesystem"] is True
        (mount,) = container["mountPoints"]
        assert mount["containerPath"] == "/tmp"
        assert mount["sourceVolume"] in {v["name"] for v in task.inputs["volumes"]}
        if "portMappings" not in container:  # no load balancer checks it
            check = container["healthCheck"]
            assert check["command"][0] in ("CMD", "CMD-SHELL")
            assert check["retries"] >= 1


def test_protected_environments_have_an_alert_subscriber(inv: Inventory, config: EnvConfig) -> None:
    found = inv.of_type(token(aws.sns.TopicSubscription))
    subscriptions = {s.inputs["protocol"]: s.inputs["endpoint"] for s in found}
    assert subscriptions == config.monitoring.subscribers
    for s in found:  # an HTTPS endpoint that cannot confirm fails the `up` instead of hearing nothing
        assert s.inputs.get("endpointAutoConfirms") is (True if s.inputs["protocol"] == "https" else None)
    if config.stack.protect_data:
        assert subscriptions
        assert config.ingress.tls


def test_highly_available_search_keeps_a_master_quorum_when_an_az_is_lost(inv: Inventory, config: EnvConfig) -> None:
    domain = inv.one(token(aws.opensearch.Domain)).inputs
    cluster, subnets = domain["clusterConfig"], domain["vpcOptions"]["subnetIds"]
    if not config.stack.high_availability:
        assert not cluster["zoneAwarenessEnabled"]
        assert len(subnets) == 1
        return
    assert cluster["zoneAwarenessEnabled"] is True
    assert cluster["zoneAwarenessConfig"] == {"availabilityZoneCount": 3}
    assert len(set(subnets)) == 3
    if cluster.get("dedicatedMasterEnabled"):
        assert cluster["dedicatedMasterCount"] == 3
    else:
        # every data node is master-eligible: one per AZ leaves 2 of 3 after losing an AZ
        assert cluster["instanceCount"] >= 3
        assert cluster["instanceCount"] % 3 == 0


def test_the_first_preview_registers_what_the_update_does(env: str, inv: Inventory) -> None:
    """Unknown outputs must not change which resources exist (no resources inside apply)."""
    preview = engine.run_cached(env, preview=True)
    assert sorted(r.urn for r in preview.resources) == sorted(r.urn for r in inv.resources)
    service = next(r for r in preview.resources if r.type == token(aws.ecs.Service))
    assert not service.outputs.get("id")  # really a first preview: ids unknown


def test_a_refused_config_ends_the_program_without_a_traceback(env: str) -> None:
    with pytest.raises(pulumi.RunError):  # the CLI prints a RunError's message alone
        engine.run(env, config=with_example_identities(stackfiles.effective_config(env)), as_real_deploy=True)


def test_a_real_deploy_with_the_example_identities_registers_nothing(env: str) -> None:
    records: list[Resource] = []
    examples = with_example_identities(stackfiles.effective_config(env))
    with pytest.raises(ConfigError) as refused:
        engine.run(env, config=examples, records=records, as_real_deploy=True)
    message = str(refused.value)
    for key in ("allowedAccountIds", "atlasOrgId", "apiImage", "workerImage", "transcriptionApiKey"):
        assert f"marin:{key}" in message
    assert records == []


def test_a_real_deploy_with_real_identities_runs(env: str) -> None:
    config = stackfiles.effective_config(env)
    account = "444455556666"
    real = config | {
        "marin:allowedAccountIds": json.dumps([account]),
        "marin:atlasOrgId": "5f1e2d3c4b5a69788796a5b4",
        "marin:apiImage": f"{account}.dkr.ecr.us-east-1.amazonaws.com/marin/api:1.4.2",
        "marin:workerImage": f"{account}.dkr.ecr.us-east-1.amazonaws.com/marin/worker:1.4.2",
        "marin:transcriptionApiKey": "sk-live-123",
    }
    for key, value in (
        ("domainName", "marin.io"),
        ("hostedZoneId", "Z08123456ABCDEFGHIJK"),
        ("alertEmail", "ops@marin.io"),
    ):
        if config.get(f"marin:{key}"):
            real[f"marin:{key}"] = value
    inv = engine.run(env, config=real, as_real_deploy=True)
    assert len(inv.custom) > 50


def test_a_hosted_zone_the_api_name_does_not_belong_to_is_refused(
    env: str, config: EnvConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not config.ingress.hosted_zone_id:
        pytest.skip("this stack publishes no DNS name")
    call = engine.Mocks.call

    def other_zone(self: engine.Mocks, args: Any) -> Any:
        result, failures = call(self, args)
        if args.token == "aws:route53/getZone:getZone":
            result = result | {"name": "elsewhere.io."}
        return result, failures

    monkeypatch.setattr(engine.Mocks, "call", other_zone)
    records: list[Resource] = []
    with pytest.raises(ConfigError, match=r"allowed: a public zone that 'api\.") as refused:
        engine.run(env, records=records)
    assert "elsewhere.io" in str(refused.value)
    assert {r.type for r in records} <= {"pulumi:providers:aws", "pulumi:providers:mongodbatlas"}
