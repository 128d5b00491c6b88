"""The analyzer requests `offline/policy.py` builds carry what the engine would send (pulumi's
analyzer plugin and step generator): inputs for Analyze, outputs for AnalyzeStack, secrets as
secrets, unknowns as unknowns, the provider's registered inputs, options, parents, dependencies."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pulumi_random
import pytest
from google.protobuf import json_format

from offline import engine, policy
from offline.engine import Inventory
from policy.marin_policies._common import token
from tests.test_foundation import recordings
from tests.test_policies import preview_of

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-string sentinel
SECRET = {engine.SECRET_SIG: engine.SECRET_MARK}


def _by_urn(requests: list) -> dict[str, dict]:
    return {r.urn: json_format.MessageToDict(r) for r in requests}


@pytest.fixture
def prod_preview() -> Inventory:
    return preview_of("prod")


def default_random(inv: Inventory) -> str:
    """The default provider the engine creates for pulumi-random (no explicit provider)."""
    return f"urn:pulumi:{inv.env}::marin::pulumi:providers:random::default_4_21_4"


def test_analyze_gets_every_registered_resource_the_stack_and_the_default_provider(inv: Inventory) -> None:
    requests = policy.analyze_requests(inv)
    assert [r.urn for r in requests] == [inv.stack_urn, *(r.urn for r in inv.resources), default_random(inv)]
    password = next(r for r in requests if r.type == token(pulumi_random.RandomPassword))
    assert password.provider.urn == default_random(inv)
    assert json_format.MessageToDict(password.provider.properties) == {"version": "4.21.4"}


def test_analyze_gets_inputs_with_secrets_as_secrets_and_the_provider_s_registered_inputs(inv: Inventory) -> None:
    redis = inv.one(token(aws.elasticache.ReplicationGroup))
    request = _by_urn(policy.analyze_requests(inv))[redis.urn]
    assert SECRET.items() <= request["properties"]["authToken"].items()
    assert "arn" not in request["properties"], "Analyze sees inputs, not outputs"
    provider = inv.one("pulumi:providers:aws")
    assert request["provider"]["urn"] == provider.urn
    assert request["provider"]["properties"] == json_format.MessageToDict(provider.request.object)
    assert json.loads(request["provider"]["properties"]["defaultTags"])["tags"]["Environment"] == inv.env
    assert request["options"]["parent"] == redis.parent
    assert request["options"].get("protect", False) is redis.protect
    assert "authToken" in request["options"]["additionalSecretOutputs"]


def test_analyze_stack_gets_outputs_parents_and_dependencies(inv: Inventory) -> None:
    resources = {r.urn: r for r in policy.analyze_stack_request(inv).resources}
    assert set(resources) - {inv.stack_urn, *(r.urn for r in inv.resources)} == {default_random(inv)}
    bucket, block = recordings(inv, aws.s3.Bucket), recordings(inv, aws.s3.BucketPublicAccessBlock)
    assert json_format.MessageToDict(resources[bucket.urn].properties)["arn"] == bucket.outputs["arn"]
    assert resources[block.urn].parent == block.parent
    assert list(resources[block.urn].propertyDependencies["bucket"].urns) == [bucket.urn]
    assert set(resources[block.urn].dependencies) == set(block.dependencies)
    stack = json_format.MessageToDict(resources[inv.stack_urn].properties)
    assert set(stack) == set(inv.outputs)


def test_a_first_preview_sends_unknown_ids_as_unknowns(prod_preview: Inventory) -> None:
    block = recordings(prod_preview, aws.s3.BucketPublicAccessBlock)
    analyze = _by_urn(policy.analyze_requests(prod_preview))[block.urn]
    assert analyze["properties"]["bucket"] == UNKNOWN
    stack = {r.urn: r for r in policy.analyze_stack_request(prod_preview).resources}
    assert json_format.MessageToDict(stack[block.urn].properties)["bucket"] == UNKNOWN
    bucket = recordings(prod_preview, aws.s3.Bucket)
    assert "arn" not in json_format.MessageToDict(stack[bucket.urn].properties)
