"""Story testing strategy 4: no role of one environment can read another environment's data.

Every role's policy documents, as the mocked program declares them, are evaluated with moto's
IAM policy evaluator against every environment's secret ARNs (with Secrets Manager's random
six-character suffix) and recordings objects.
"""

from __future__ import annotations

import json
from itertools import product

import pulumi_aws as aws
import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from offline.engine import Inventory, token
from tests.test_foundation import recordings

READS = {"secret": "secretsmanager:GetSecretValue", "object": "s3:GetObject"}


def role_policies(inv: Inventory) -> dict[str, list[str]]:
    roles = {r.outputs["id"]: r.inputs["name"] for r in inv.of_type(token(aws.iam.Role))}
    out: dict[str, list[str]] = {name: [] for name in roles.values()}
    for policy in inv.of_type(token(aws.iam.RolePolicy)):
        out[roles[policy.inputs["role"]]].append(policy.inputs["policy"])
    return out


def data_arns(inv: Inventory) -> dict[str, list[str]]:
    bucket = recordings(inv, aws.s3.Bucket).outputs["arn"]
    return {
        "secret": [s.outputs["arn"] for s in inv.of_type(token(aws.secretsmanager.Secret))],
        "object": [f"{bucket}/recordings/2026/11/call.wav"],
    }


def permitted(policies: list[str], action: str, arn: str) -> bool:
    results = [IAMPolicy(p).is_action_permitted(action, arn) for p in policies]
    return PermissionResult.PERMITTED in results and PermissionResult.DENIED not in results


def test_no_role_can_read_another_environments_secrets_or_recordings(all_inventories: dict[str, Inventory]) -> None:
    checked = 0
    for (owner, inv), (other, target) in product(all_inventories.items(), repeat=2):
        for role, policies in role_policies(inv).items():
            for kind, arns in data_arns(target).items():
                for arn in arns:
                    allowed = permitted(policies, READS[kind], arn)
                    checked += 1
                    if owner != other:
                        assert not allowed, f"{role} ({owner}) can read {other}'s {arn}"
    assert checked > 100


@pytest.mark.parametrize("service", ["api", "worker"])
def test_task_role_reads_its_recordings_and_no_secret(inv: Inventory, env: str, service: str) -> None:
    """ECS injects each service's secrets through its execution role: the app's own role needs none."""
    policies = role_policies(inv)[f"marin-{env}-{service}-task"]
    arns = data_arns(inv)
    assert arns["secret"]
    assert not any(permitted(policies, READS["secret"], arn) for arn in arns["secret"])
    assert permitted(policies, "s3:PutObject", arns["object"][0])
    assert permitted(policies, READS["object"], arns["object"][0])


def test_api_cannot_read_the_workers_key_nor_the_worker_the_apis(inv: Inventory, env: str) -> None:
    policies = role_policies(inv)
    arns = {s.inputs["name"].rsplit("/", 1)[1]: s.outputs["arn"] for s in inv.of_type(token(aws.secretsmanager.Secret))}
    for service, foreign in (("api", "transcription-api-key"), ("worker", "app-signing-key")):
        for role in (f"marin-{env}-{service}-execution", f"marin-{env}-{service}-task"):
            assert not permitted(policies[role], READS["secret"], arns[foreign]), (role, foreign)


@pytest.mark.parametrize("service", ["api", "worker"])
def test_execution_role_reads_exactly_the_secrets_it_injects(inv: Inventory, env: str, service: str) -> None:
    policies = role_policies(inv)[f"marin-{env}-{service}-execution"]
    (task,) = [
        t for t in inv.of_type(token(aws.ecs.TaskDefinition)) if t.inputs["family"] == f"marin-{env}-{service}-task"
    ]
    injected = {s["valueFrom"] for s in json.loads(task.inputs["containerDefinitions"])[0]["secrets"]}
    readable = {arn for arn in data_arns(inv)["secret"] if permitted(policies, READS["secret"], arn)}
    assert injected
    assert readable == injected


def test_roles_grant_nothing_beyond_their_job(inv: Inventory, env: str) -> None:
    for role, policies in role_policies(inv).items():
        for doc in map(json.loads, policies):
            for statement in doc["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert "*" not in actions, role
                assert not any(a.endswith(":*") for a in actions), role
                if statement["Resource"] == "*":
                    assert actions == ["ecr:GetAuthorizationToken"], role  # the one action with no resource


def test_roles_trust_only_their_service_in_their_account(
    inv: Inventory, committed: dict[str, dict[str, str]], env: str
) -> None:
    account = json.loads(committed[env]["marin:allowedAccountIds"])[0]
    region = committed[env]["marin:awsRegion"]
    for role in inv.of_type(token(aws.iam.Role)):
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert set(statement["Principal"]) == {"Service"}
        assert statement["Action"] == "sts:AssumeRole"
        if role.inputs["name"].endswith("-execution"):
            # AWS documents no confused-deputy condition for execution roles; one ECS does not
            # send would make every task fail to start.
            assert "Condition" not in statement, role.name
            assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
            continue
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
        if statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}:
            assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:ecs:{region}:{account}:*"}
