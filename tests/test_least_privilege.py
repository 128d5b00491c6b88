"""Least privilege as invariants: every grant names this environment's own resources, every
network rule names its peer. Narrower than `*` is not enough: a grant on `arn:aws:s3:::*`,
`arn:aws:ecs:*:*:*` or any repository must fail here.
"""

from __future__ import annotations

import functools
import json
from itertools import product
from typing import Any

import pulumi_aws as aws
import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from marin import stackfiles
from marin.catalogue import APP_PORT, ATLAS_PORT, OPENSEARCH_PORT, REDIS_PORT
from marin.config import EnvConfig
from marin.iam import ecr_repository_arn
from offline import engine
from offline.engine import Inventory, token
from tests.test_foundation import recordings

SHARED_ACCOUNT = "444455556666"


def statements(document: str | dict[str, Any]) -> list[dict[str, Any]]:
    doc = json.loads(document) if isinstance(document, str) else document
    return doc["Statement"]


def as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def own_resources(inv: Inventory, config: EnvConfig, account: str) -> set[str]:
    """Every ARN a role of this environment may be granted, and nothing else."""
    bucket = recordings(inv, aws.s3.Bucket).outputs["arn"]
    groups = {g.outputs["arn"] for g in inv.of_type(token(aws.cloudwatch.LogGroup))}
    secrets = {s.outputs["arn"] for s in inv.of_type(token(aws.secretsmanager.Secret))}
    repos = {ecr_repository_arn(i) for i in (config.compute.api_image, config.compute.worker_image)} - {None}
    return (
        {bucket, f"{bucket}/*"}
        | {f"{g}:*" for g in groups}
        | secrets
        | {r for r in repos if r}
        | {f"arn:aws:logs:{config.stack.aws_region}:{account}:log-group:*"}  # flow logs: DescribeLogGroups only
    )


def test_no_statement_grants_a_resource_outside_the_environment(
    inv: Inventory, config: EnvConfig, committed: dict[str, dict[str, str]], env: str
) -> None:
    account = json.loads(committed[env]["marin:allowedAccountIds"])[0]
    allowed = own_resources(inv, config, account)
    for policy in inv.of_type(token(aws.iam.RolePolicy)):
        for statement in statements(policy.inputs["policy"]):
            assert statement["Effect"] == "Allow"
            actions = as_list(statement["Action"])
            for resource in as_list(statement["Resource"]):
                if resource == "*":
                    assert actions == ["ecr:GetAuthorizationToken"], policy.name
                    continue
                assert resource in allowed, f"{policy.name} grants {resource}"
                if resource.endswith("log-group:*"):
                    assert actions == ["logs:DescribeLogGroups"], policy.name


def test_no_action_wildcards_anywhere(inv: Inventory) -> None:
    documents = [p.inputs["policy"] for p in inv.of_type(token(aws.iam.RolePolicy))]
    documents.append(inv.one(token(aws.opensearch.Domain)).inputs["accessPolicies"])
    for document in documents:
        for statement in statements(document):
            for action in as_list(statement["Action"]):
                assert "*" not in action.split(":", 1)[1], action


def test_search_admits_only_the_environments_task_roles_with_http_verbs(inv: Inventory) -> None:
    domain = inv.one(token(aws.opensearch.Domain)).inputs
    task_roles = sorted(
        r.outputs["arn"] for r in inv.of_type(token(aws.iam.Role)) if r.inputs["name"].endswith("-task")
    )
    (statement,) = statements(domain["accessPolicies"])
    assert sorted(statement["Principal"]["AWS"]) == task_roles
    assert set(statement["Action"]) == {
        "es:ESHttpGet",
        "es:ESHttpHead",
        "es:ESHttpPost",
        "es:ESHttpPut",
        "es:ESHttpDelete",
    }
    assert statement["Resource"].endswith(f":domain/{domain['domainName']}/*")


def test_kms_grants_to_services_are_bound_to_the_account(
    inv: Inventory, committed: dict[str, dict[str, str]], env: str
) -> None:
    account = json.loads(committed[env]["marin:allowedAccountIds"])[0]
    for key in inv.of_type(token(aws.kms.Key)):
        for statement in statements(key.inputs["policy"]):
            principal = statement["Principal"]
            if "Service" in principal:
                assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": account}}
                assert not {a for a in as_list(statement["Action"]) if a.endswith("*") and a != "kms:GenerateDataKey*"}
            else:
                assert principal == {"AWS": f"arn:aws:iam::{account}:root"}


def _groups(inv: Inventory) -> dict[str, str]:
    return {g.outputs["id"]: str(g.physical_name) for g in inv.of_type(token(aws.ec2.SecurityGroup))}


def test_every_ingress_rule_names_a_source_group_or_is_the_albs_web_ports(inv: Inventory, config: EnvConfig) -> None:
    groups = _groups(inv)
    for rule in inv.of_type(token(aws.vpc.SecurityGroupIngressRule)):
        i, owner = rule.inputs, groups[rule.inputs["securityGroupId"]]
        if "referencedSecurityGroupId" in i:
            assert i["referencedSecurityGroupId"] in groups, rule.name
            assert i["ipProtocol"] == "tcp"
        elif owner.endswith("-alb-sg"):
            assert (i["cidrIpv4"], i["fromPort"], i["toPort"]) in {("0.0.0.0/0", 80, 80), ("0.0.0.0/0", 443, 443)}
        else:  # the NAT instance forwards what the VPC sends it, nothing from outside
            assert owner.endswith("-nat-sg"), rule.name
            assert i["cidrIpv4"] == config.network.vpc_cidr


def test_every_egress_rule_names_its_peer_or_one_documented_internet_port(inv: Inventory, config: EnvConfig) -> None:
    groups = _groups(inv)
    internet = {(f"marin-{config.env}-services-sg", 443)}
    if config.database.shared_tier:
        internet.add((f"marin-{config.env}-services-sg", ATLAS_PORT))
    peer_ports = {APP_PORT, REDIS_PORT, OPENSEARCH_PORT, 1024}
    for rule in inv.of_type(token(aws.vpc.SecurityGroupEgressRule)):
        i, owner = rule.inputs, groups[rule.inputs["securityGroupId"]]
        if "referencedSecurityGroupId" in i:
            assert i["fromPort"] in peer_ports, rule.name
        elif owner.endswith("-nat-sg"):
            assert i["ipProtocol"] == "-1"  # a NAT forwards every protocol
        else:
            assert i["ipProtocol"] == "tcp"
            assert i["fromPort"] == i["toPort"], rule.name
            assert (owner, i["fromPort"]) in internet, rule.name


@pytest.fixture
def one_account() -> dict[str, Inventory]:
    return every_environment_in_one_account()


@functools.cache
def every_environment_in_one_account() -> dict[str, Inventory]:
    """Every environment in one shared AWS account, as many teams start."""
    out = {}
    for env in stackfiles.environments():
        config = stackfiles.effective_config(env) | {"marin:allowedAccountIds": json.dumps([SHARED_ACCOUNT])}
        out[env] = engine.run(env, config=config)
    return out


def test_no_role_reads_another_environments_data_in_a_shared_account(one_account: dict[str, Inventory]) -> None:
    checked = 0
    for (owner, inv), (other, target) in product(one_account.items(), repeat=2):
        if owner == other:
            continue
        bucket = recordings(target, aws.s3.Bucket).outputs["arn"]
        arns = [s.outputs["arn"] for s in target.of_type(token(aws.secretsmanager.Secret))]
        assert all(f":{SHARED_ACCOUNT}:" in a for a in arns)
        for policy in inv.of_type(token(aws.iam.RolePolicy)):
            evaluator = IAMPolicy(policy.inputs["policy"])
            for action, arn in [
                ("s3:GetObject", f"{bucket}/x.wav"),
                *(("secretsmanager:GetSecretValue", a) for a in arns),
            ]:
                checked += 1
                assert evaluator.is_action_permitted(action, arn) != PermissionResult.PERMITTED, (
                    owner,
                    policy.name,
                    arn,
                )
    assert checked > 100
