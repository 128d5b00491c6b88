"""What `pulumi preview` would print for the changes a team makes, modelled offline (issue 20).

Each scenario runs the real program twice under the mock engine, before and after one change (a
stack-file value, or a program edit applied by patching the SDK class the component calls), and
compares the two plan documents with `report.changes`, as `diff --base` does. The expected counts
are worked out by hand from the providers' sources (terraform-provider-aws at the revision named
in offline/replacements.json; pulumi-terraform-bridge pkg/tfbridge; pulumi/pulumi's step
generator), each figure with its reasons below, not read off the code under test.
"""

from __future__ import annotations

import contextlib
import inspect
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components import storage
from marin import stackfiles
from offline import engine, replacements, report
from offline.engine import token

SG = token(aws.ec2.SecurityGroup)
INGRESS = token(aws.vpc.SecurityGroupIngressRule)
EGRESS = token(aws.vpc.SecurityGroupEgressRule)
TASK = token(aws.ecs.TaskDefinition)
ECS_SERVICE = token(aws.ecs.Service)
BUCKET = token(aws.s3.Bucket)
AWS_PROVIDER = "pulumi:providers:aws"


def doc(env: str, config: Mapping[str, str] | None = None) -> dict[str, Any]:
    return report.to_doc(engine.run(env, config=config, id_seed="offline"))


def changed_config(env: str, **values: str) -> dict[str, str]:
    config = dict(stackfiles.effective_config(env))
    for key, value in values.items():
        assert f"marin:{key}" in config, key
        config[f"marin:{key}"] = value
    return config


def diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, int], list[report.ResourceChange]]:
    cs = report.changes(old["resources"], new["resources"])
    return report.change_counts(cs), cs


@pytest.fixture(scope="module")
def dev() -> dict[str, Any]:
    return doc("dev")


def ops(cs: list[report.ResourceChange], op: str) -> set[tuple[str, str]]:
    return {(c.type, c.logical_name) for c in cs if c.op == op}


@contextlib.contextmanager
def patched(cls: Any, **changes: Any) -> Iterator[None]:
    """A program edit: `cls(...)` called with some arguments changed (name -> {arg: value}, or a
    function of the keyword arguments)."""
    original = cls.__init__

    def init(self: Any, resource_name: str, *args: Any, **kwargs: Any) -> None:
        change: Any = changes.get(resource_name, {})
        edited: dict[str, Any] = {**kwargs, **change} if isinstance(change, dict) else change(kwargs)
        original(self, resource_name, *args, **edited)

    cls.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        cls.__init__ = original  # type: ignore[method-assign]


def test_every_type_the_program_and_bootstrap_use_has_generated_replacement_metadata() -> None:
    types = {r.type for env in stackfiles.environments() for r in engine.run_cached(env).resources if r.custom}
    missing = sorted(t for t in types if not t.startswith("pulumi:providers:") and replacements.entry(t) is None)
    assert not missing, f"no entry in offline/replacements.json (run scripts/gen_replacements.py): {missing}"
    for t in types - {t for t in types if t.startswith("pulumi:providers:")}:
        e = replacements.entry(t)
        assert e, t
        assert e["source"].count("@") == 1, (t, e)
        assert e["source"].endswith(".go"), (t, e)


def test_the_replacement_table_was_generated_for_the_pinned_providers() -> None:
    pins = {}
    for req in ("requirements.txt", "bootstrap/requirements.txt"):
        for line in (stackfiles.PROJECT_ROOT / req).read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                name, version = line.split("==")
                pins[name.strip()] = version.strip()
    generated = {u["sdk"].split("==")[0]: u["sdk"].split("==")[1] for u in replacements.table()["upstream"].values()}
    for sdk, version in generated.items():
        assert pins.get(sdk) == version, (
            f"{sdk} is pinned at {pins.get(sdk)} but offline/replacements.json was generated for {version}: "
            "regenerate it from that version's provider sources (scripts/gen_replacements.py)"
        )


def test_dev_vpc_cidr_replaces_what_takes_the_vpc_or_a_subnet_and_updates_the_rest(dev: dict[str, Any]) -> None:
    """39 replacements, 8 updates (issue 20's hand count), from terraform-provider-aws:
    replaced: Vpc (cidr_block ForceNew, ec2/vpc_.go) 1; Subnet x4 (cidr_block, vpc_id ForceNew,
    ec2/vpc_subnet.go) 4; SecurityGroup x6 and the DefaultSecurityGroup (vpc_id ForceNew) 7; every
    ingress/egress rule x12 (security_group_id RequiresReplace, ec2/vpc_security_group_ingress_rule.go)
    12; RouteTable x3 (vpc_id) 3; Route x3 (route_table_id) 3; RouteTableAssociation x4 (subnet_id)
    4; the S3 endpoint (vpc_id) 1; the NAT instance (subnet_id, ec2/ec2_instance.go) 1; the VPC link
    (subnet_ids, apigatewayv2/vpc_link.go) 1; the Cloud Map namespace (vpc) and service
    (dns_config.namespace_id, servicediscovery/) 2.
    updated (inputs unknown, not force-new): the EIP (instance), the internet gateway (vpc_id is
    updatable: detach/attach), the Redis group (security_group_ids) and its subnet group
    (subnet_ids), the OpenSearch domain (vpc_options' fields: a ForceNew block replaces only when
    added or removed, helper/schema diffList), the API integration (connection_id), the two ECS
    services (network_configuration)."""
    counts, cs = diff(dev, doc("dev", changed_config("dev", vpcCidr="10.40.0.0/16")))
    assert (counts["create"], counts["delete"], counts["update"], counts["replace"]) == (0, 0, 8, 39)
    assert {t for t, _ in ops(cs, "update")} >= {ECS_SERVICE, token(aws.opensearch.Domain)}
    # the VPC link is named by the program, which the bridge would replace delete-first while the
    # API integration still uses it; the program's explicit `delete_before_replace=False` wins
    # (pulumi/pulumi step generator), so it is created first and nothing fails
    (link,) = [c for c in cs if c.type == token(aws.apigatewayv2.VpcLink)]
    assert link.op == "replace"
    assert not link.delete_first
    assert not [c for c in cs if c.failing]


def test_a_delete_first_of_something_still_in_use_fails(dev: dict[str, Any]) -> None:
    """Without its `delete_before_replace=False`, the VPC link (name set by the program, SDKv2:
    the bridge's nameRequiresDeleteBeforeReplace) is deleted before its replacement exists, while
    the API integration, only updated (connection_id is updatable), still uses it: API Gateway
    refuses the deletion, the `up` stops."""

    def default_option(kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs["opts"].delete_before_replace = None
        return kwargs

    with patched(aws.apigatewayv2.VpcLink, **{"ingress-vpc-link": default_option}):
        _, cs = diff(dev, doc("dev", changed_config("dev", vpcCidr="10.40.0.0/16")))
    (link,) = [c for c in cs if c.type == token(aws.apigatewayv2.VpcLink)]
    assert link.delete_first
    assert link.failing == [
        f"deleted first while {token(aws.apigatewayv2.Integration)} ingress-api-integration still uses it"
    ]


def test_a_security_group_description_replaces_it_and_its_rules(dev: dict[str, Any]) -> None:
    """description ForceNew (ec2/vpc_security_group.go): the services group is replaced; its 6 rules
    take its id as security_group_id (RequiresReplace): replaced (7). Rules of other groups naming it
    as referenced_security_group_id (updatable) x4 and the two ECS services' network_configuration:
    6 updates. It has a name prefix, not a name: no delete-first (the bridge's rule needs a name)."""
    with patched(aws.ec2.SecurityGroup, **{"network-services-sg": {"description": "The api and worker tasks"}}):
        counts, cs = diff(dev, doc("dev"))
    assert (counts["create"], counts["delete"], counts["update"], counts["replace"]) == (0, 0, 6, 7)
    assert {t for t, _ in ops(cs, "replace")} == {SG, INGRESS, EGRESS}
    assert not any(c.delete_first or c.failing for c in cs)


def test_worker_size_replaces_the_task_definition_and_updates_its_service(dev: dict[str, Any]) -> None:
    """cpu and memory ForceNew (ecs/task_definition.go): a new revision; the service's
    task_definition takes its ARN, unknown until then, and is updatable (ecs/service.go): 1 + 1."""
    _, cs = diff(dev, doc("dev", changed_config("dev", workerCpu="512", workerMemory="1024")))
    assert ops(cs, "replace") == {(TASK, "compute-worker-task")}
    assert ops(cs, "update") == {(ECS_SERVICE, "compute-worker-service")}
    update = next(c for c in cs if c.op == "update")
    assert [(p.path, p.new) for p in update.properties] == [("taskDefinition", report.UNKNOWN)]


def test_a_renamed_bucket_is_replaced_delete_first_with_everything_that_names_it(dev: dict[str, Any]) -> None:
    """bucket ForceNew (s3/bucket.go) and set by the program, so the bridge deletes it first
    (pkg/tfbridge/schema.go nameRequiresDeleteBeforeReplace): the recordings are gone before the new
    bucket exists. Its 6 configuration resources take `bucket` (ForceNew in each s3/bucket_*.go, its
    server access logging included): replaced; the task definitions carry the name in their
    environment (container_definitions ForceNew): replaced, their services updated; the task roles'
    policies and the access-log bucket's policy (its aws:SourceArn) name the ARN (policy is
    updatable, iam/role_policy.go, s3/bucket_policy.go): updated. 9 replacements, 5 updates."""
    counts, cs = diff(dev, doc("dev", changed_config("dev", recordingsBucketSuffix="media")))
    assert (counts["create"], counts["delete"], counts["update"], counts["replace"]) == (0, 0, 5, 9)
    bucket = next(c for c in cs if c.type == BUCKET)
    assert bucket.op == "replace"
    assert bucket.delete_first
    assert bucket.dangerous


def test_default_tags_reach_every_tagged_resource_through_tags_all(dev: dict[str, Any]) -> None:
    """costCenter feeds the provider's defaultTags; pulumi-aws recomputes tagsAll on every resource
    that takes tags: the provider and each of them is updated, nothing is replaced."""
    counts, cs = diff(dev, doc("dev", changed_config("dev", costCenter="marin-research")))
    tagged = [r for r in dev["resources"] if r["custom"] and r["type"].startswith("aws:") and takes_tags(r["type"])]
    assert (counts["create"], counts["delete"], counts["replace"]) == (0, 0, 0)
    assert counts["update"] == 1 + len(tagged)
    assert all(p.path.startswith("tagsAll") for c in cs if c.type != AWS_PROVIDER for p in c.properties)


def takes_tags(type_: str) -> bool:
    """From the SDK class, not from the code under test."""
    mod, cls = type_.split(":")[1].split("/", maxsplit=1)[0], type_.split(":")[2]
    return "tags" in inspect.signature(getattr(getattr(aws, mod), cls)._internal_init).parameters


@contextlib.contextmanager
def component(token: str | None = None, name: str | None = None, alias: str | None = None) -> Iterator[None]:
    """A program edit of the storage component: another type token, another name, an alias."""
    original = storage.Storage.__init__
    base = pulumi.ComponentResource.__init__

    def component_init(self: Any, t: str, n: str, props: Any = None, opts: Any = None, *a: Any, **k: Any) -> None:
        base(self, token if token and t == "marin:storage:Storage" else t, n, props, opts, *a, **k)

    def init(self: Any, n: str, args: Any, opts: pulumi.ResourceOptions | None = None) -> None:
        if alias:
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(name=alias)]))
        original(self, name or n, args, opts)

    storage.Storage.__init__ = init  # type: ignore[method-assign]
    pulumi.ComponentResource.__init__ = component_init  # type: ignore[method-assign]
    try:
        yield
    finally:
        storage.Storage.__init__ = original  # type: ignore[method-assign]
        pulumi.ComponentResource.__init__ = base  # type: ignore[method-assign]


def test_a_new_component_type_token_deletes_and_recreates_every_child(dev: dict[str, Any]) -> None:
    """The type token is part of each child's URN (pulumi/pulumi resource URNs: the parent's type
    chain): the component and its 7 children are created under new URNs and the old ones deleted,
    creates first (pulumi/pulumi step generator), so the new bucket's name is still taken: fails."""
    with component(token="marin:storage:RecordingStore"):
        counts, cs = diff(dev, doc("dev"))
    assert (counts["create"], counts["delete"], counts["update"], counts["replace"]) == (8, 8, 0, 0)
    assert {c.type for c in cs if c.failing} == {BUCKET}


def test_a_component_renamed_with_an_alias_changes_nothing(dev: dict[str, Any]) -> None:
    """`aliases=[Alias(name="storage")]`: the component keeps its identity, and each child inherits
    the alias, with its name's prefix renamed too (pulumi sdk/python/lib/pulumi/runtime/resource.py
    inherited_child_alias): no step at all. Without the alias: 8 creates, 8 deletes."""
    with component(name="recordings", alias="storage"):
        counts, _ = diff(dev, doc("dev"))
    assert (counts["create"], counts["delete"], counts["update"], counts["replace"]) == (0, 0, 0, 0)
    with component(name="recordings"):
        counts, _ = diff(dev, doc("dev"))
    assert (counts["create"], counts["delete"]) == (8, 8)


def test_replacing_a_protected_resource_fails_with_a_distinct_exit_code() -> None:
    """A stack with protectData protects its bucket; renaming it replaces it (bucket ForceNew):
    `pulumi preview` refuses to replace a protected resource (pulumi/pulumi step generator)."""
    env = next(
        e for e in stackfiles.environments() if stackfiles.effective_config(e).get("marin:protectData") == "true"
    )
    counts, cs = diff(doc(env), doc(env, changed_config(env, recordingsBucketSuffix="media")))
    bucket = next(c for c in cs if c.type == BUCKET)
    assert bucket.op == "replace"
    assert bucket.protected
    assert bucket.failing
    assert counts["failing"] >= 1


def test_a_changed_secret_is_seen_by_digest_and_never_printed() -> None:
    secret = {engine.SECRET_SIG: engine.SECRET_MARK, "value": "sk-live-1"}
    other = {engine.SECRET_SIG: engine.SECRET_MARK, "value": "sk-live-2"}
    a, b = report.masked({"v": secret}), report.masked({"v": other})
    assert a != b
    assert "sk-live" not in json.dumps([a, b])
    assert report.show(b["v"]) == '"[secret]"'


def test_resources_moved_under_aliases_keep_their_ids_and_what_references_them_is_unchanged(
    dev: dict[str, Any],
) -> None:
    """The engine matches a moved resource by its alias URN and keeps its state (pulumi/pulumi
    step_generator.go: an alias match is a same-resource step): the ids and ARNs its provider
    computed stay the old ones, so nothing that references them changes. The mocks seed ids from
    the new logical names; here the old state's computed values differ from them on purpose."""
    moved = [r for r in dev["resources"] if r["custom"] and r.get("aliases")]
    assert moved, "the program moves no resource under an alias any more"
    text = json.dumps(dev["resources"])
    for value in sorted({v for r in moved for v in report._computed(r)}, key=len, reverse=True):
        text = text.replace(value, value + "-old")
    old = [r for r in json.loads(text) if r["custom"] or r["urn"] != moved[0]["parent"]]
    for r in old:
        if r["custom"] and r.get("aliases"):
            r["urn"], r["aliases"] = r["aliases"][0], []
    cs = report.changes(old, dev["resources"])
    assert [(c.op, c.urn) for c in cs] == [("create", moved[0]["parent"])]


def test_a_redis_engine_change_is_conditional_not_a_replacement() -> None:
    """ElastiCache upgrades a replication group from redis to valkey in place (ModifyReplicationGroup
    `Engine`); only other engine changes replace it. The generated table's tree predates valkey, so
    scripts/gen_replacements.py corrects it (CORRECTIONS, with its evidence)."""
    group = token(aws.elasticache.ReplicationGroup)
    assert not replacements.forcing(group, "engine", [])
    assert replacements.conditional(group, "engine")
