"""Run the real Pulumi program under the SDK's mock engine (no CLI, plugins or credentials) and return
what it declared: every registration with its options, and the stack outputs, as an `Inventory`."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import os
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_mongodbatlas as atlas
import pulumi_random
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from marin import stackfiles
from marin.config import SECRET_KEYS
from marin.sdk import token

PROJECT = "marin"
SECRET_SIG = rpc._special_sig_key
SECRET_MARK = rpc._special_secret_sig
STACK_TYPE = "pulumi:pulumi:Stack"
# The input that carries a resource's physical name where it is not `name` (then the Name tag).
NAME_INPUT_BY_TYPE = {
    token(aws.s3.Bucket): "bucket",
    token(aws.opensearch.Domain): "domainName",
    token(aws.elasticache.ReplicationGroup): "replicationGroupId",
    token(aws.ecs.TaskDefinition): "family",
}
# DNS records are named by the DNS name they publish (api.<env>.<domain>), not by the convention.
DNS_RECORD_TYPES = frozenset({token(aws.route53.Record)})
# Names AWS reserves, which carry no environment: API Gateway's `$default` stage.
RESERVED_NAMES = {token(aws.apigatewayv2.Stage): "$default"}
# Input blocks the provider completes with computed fields (an HTTP API custom domain's target
# name and zone): unknown as a whole in a first preview.
COMPUTED_IN_INPUT_BLOCKS = {token(aws.apigatewayv2.DomainName): ("domainNameConfiguration",)}


@dataclass
class Resource:
    type: str
    name: str
    urn: str
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    parent: str = ""
    provider: str = ""
    custom: bool = False
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)  # as the engine received them
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)  # per input
    delete_before_replace: bool = False
    replace_on_changes: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    delete_before_replace_defined: bool = False  # an explicit False wins over the provider's wish
    aliases: list[str] = field(default_factory=list)  # own and inherited from the parent's
    auto_named: list[str] = field(default_factory=list)  # inputs Check filled (`_check`)
    # The RegisterResourceRequest and Response as the engine saw them (protobuf, unknowns kept).
    request: Any = field(default=None, repr=False, compare=False)
    response: Any = field(default=None, repr=False, compare=False)

    @property
    def package(self) -> str:
        return self.type.split(":", 1)[0]

    @property
    def physical_name(self) -> str | None:
        """The name AWS or Atlas knows the resource by, where the program sets one."""
        if self.type in DNS_RECORD_TYPES:
            return None
        if self.type in RESERVED_NAMES and self.inputs.get("name") == RESERVED_NAMES[self.type]:
            return None
        key = NAME_INPUT_BY_TYPE.get(self.type, "name")
        value = None if key in self.auto_named else self.inputs.get(key)
        if isinstance(value, str):
            return value
        tags = self.inputs.get("tags")
        name = tags.get("Name") if isinstance(tags, dict) else None
        return name if isinstance(name, str) else None

    @property
    def tier(self) -> str:
        """The `marin:<tier>:<Type>` component this resource belongs to ('' for top-level ones)."""
        for part in self.urn.split("::")[2].split("$"):
            if part.startswith("marin:"):
                return part.split(":")[1]
        return ""


@dataclass
class Inventory:
    env: str
    resources: list[Resource]
    outputs: dict[str, Any]
    secret_outputs: set[str] = field(default_factory=set)
    stack_urn: str = ""
    preview: bool = False  # the first preview of a new stack (ids and computed outputs unknown)
    # Per URN, the outputs a component or the root stack registered (protobuf, as the engine keeps them).
    registered_outputs: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def depends_on(self, resource: Resource, target: Resource) -> bool:
        """True when the engine would finish `target` before it starts creating `resource`:
        `target` is reachable through dependencies (explicit or property), or through the
        dependencies of any ancestor component of `resource`."""
        by_urn, seen, stack = self.by_urn, set(), [resource.urn]
        while stack:
            r = by_urn.get(stack.pop())
            if r is None or r.urn in seen:
                continue
            seen.add(r.urn)
            deps = [*r.dependencies, *(u for us in r.property_dependencies.values() for u in us)]
            if target.urn in deps:
                return True
            stack.extend(deps)
            if r.parent and r.parent in by_urn and not by_urn[r.parent].custom:
                stack.append(r.parent)
        return False

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> Resource:
        found = self.of_type(type_)
        if len(found) != 1:
            raise AssertionError(f"{self.env}: expected one {type_}, found {len(found)}")
        return found[0]

    @property
    def custom(self) -> list[Resource]:
        return [r for r in self.resources if r.custom]


def walk(value: Any, leaf: Callable[[Any], Any] = lambda v: v, secret: Callable[[Any], Any] | None = None) -> Any:
    """The one tree walk of offline/: `value` rebuilt with `leaf` applied to each leaf (dicts and
    lists walked). A mock-engine secret becomes `secret(its plain value)`, or without `secret` its
    value, walked (unwrapped)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_MARK:
            return secret(walk(value.get("value"))) if secret else walk(value.get("value"), leaf)
        return {k: walk(v, leaf, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [walk(v, leaf, secret) for v in value]
    return leaf(value)


def unwrap(value: Any) -> Any:
    """Strip the mock engine's secret markers, recursively."""
    return walk(value)


def _suffix(seed: str, length: int = 6) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


# How a zone id abbreviates its region's direction (eu-central-1 -> euc1-az1); others by first letter.
DIRECTIONS = {"northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw", "central": "c"}


Args = pulumi_mocks.MockResourceArgs


def _secretsmanager(m: Mocks, a: Args) -> dict[str, Any]:
    # Secrets Manager appends '-' and six random characters to every secret ARN; the id is the ARN.
    arn = f"arn:aws:secretsmanager:{m.region}:{m.account}:secret:{a.inputs['name']}-{m.hex(a, 6)}"
    return {"arn": arn, "id": arn}


def _api(m: Mocks, a: Args) -> dict[str, Any]:
    i = m.hex(a, 10)
    return {
        "id": i,
        "arn": f"arn:aws:apigateway:{m.region}::/apis/{i}",
        "apiEndpoint": f"https://{i}.execute-api.{m.region}.amazonaws.com",
        "executionArn": f"arn:aws:execute-api:{m.region}:{m.account}:{i}",
    }


def _certificate(m: Mocks, a: Args) -> dict[str, Any]:
    proof, domain = m.hex(a, 32), a.inputs["domainName"]
    record = {"resourceRecordName": f"_{proof}.{domain}.", "resourceRecordType": "CNAME"}
    value = f"_{proof[::-1]}.jkddzztszm.acm-validations.aws."
    return {"domainValidationOptions": [{"domainName": domain, **record, "resourceRecordValue": value}]}


def _discovery(kind: str, prefix: str) -> Callable[[Mocks, Args], dict[str, Any]]:
    def outputs(m: Mocks, a: Args) -> dict[str, Any]:
        i = f"{prefix}-{m.hex(a, 16)}"
        zone = {"hostedZone": f"Z{m.hex(a, 20).upper()}"} if kind == "namespace" else {}
        return {"id": i, "arn": f"arn:aws:servicediscovery:{m.region}:{m.account}:{kind}/{i}", **zone}

    return outputs


# What each provider computes beyond the inputs it echoes, in each service's real format, over the
# generic id (`<logical name>-<8 hex>`) and ARN. Keyed by type tokens read once at import: the SDK
# loads its modules lazily, and the mocks run in the engine's threads, where a module another
# thread is still loading is incomplete.
COMPUTED: dict[str, Callable[[Mocks, Args], dict[str, Any]]] = {
    token(aws.s3.Bucket): lambda m, a: {
        "arn": f"arn:aws:s3:::{a.inputs.get('bucket', a.name)}",
        "id": str(a.inputs["bucket"]),
    },
    token(aws.secretsmanager.Secret): _secretsmanager,
    token(aws.cloudwatch.LogGroup): lambda m, a: {
        "arn": f"arn:aws:logs:{m.region}:{m.account}:log-group:{a.inputs['name']}",
        "id": str(a.inputs["name"]),
    },
    token(aws.iam.Role): lambda m, a: {"arn": f"arn:aws:iam::{m.account}:role/{a.inputs.get('name', a.name)}"},
    token(aws.ec2.Eip): lambda m, a: {
        "publicIp": f"203.0.113.{int(_suffix(a.name, 2), 16) % 254 + 1}",
        "allocationId": f"eipalloc-{_suffix(a.name, 8)}",
    },
    token(aws.ec2.Instance): lambda m, a: {"primaryNetworkInterfaceId": f"eni-{_suffix(a.name, 8)}"},
    token(atlas.AdvancedCluster): lambda m, a: {
        "connectionStrings": {"standardSrv": f"mongodb+srv://{a.inputs['name']}.ab1cd.mongodb.net"}
    },
    token(atlas.PrivateLinkEndpoint): lambda m, a: {
        "endpointServiceName": f"com.amazonaws.vpce.{m.region}.vpce-svc-{_suffix(a.name, 17)}",
        "privateLinkId": _suffix(a.name, 24),
    },
    token(aws.elasticache.ReplicationGroup): lambda m, a: {
        "primaryEndpointAddress": f"master.{a.inputs['replicationGroupId']}.ab1cd.use1.cache.amazonaws.com"
    },
    token(aws.opensearch.Domain): lambda m, a: {
        "endpoint": f"vpc-{a.inputs['domainName']}-{_suffix(a.name, 26)}.{m.region}.es.amazonaws.com"
    },
    token(aws.lb.LoadBalancer): lambda m, a: {
        "dnsName": f"{a.inputs['name']}-1234567890.{m.region}.elb.amazonaws.com",
        "arnSuffix": f"app/{a.inputs['name']}/{_suffix(a.name, 16)}",
        "zoneId": "Z35SXDOTRQ7X7K",  # the ALB hosted zone of us-east-1
    },
    # unnamed: the provider's auto-name, `<logical name>-<7 hex>` (`_check`)
    token(aws.lb.TargetGroup): lambda m, a: {
        "arnSuffix": f"targetgroup/{a.inputs.get('name') or f'{a.name}-{_suffix(a.name, 7)}'}/{_suffix(a.name, 16)}"
    },
    # A version's id is `<secret arn>|<version id>`; secretArn is the secret's ARN (its id).
    token(aws.secretsmanager.SecretVersion): lambda m, a: {
        "secretArn": a.inputs["secretId"],
        "arn": a.inputs["secretId"],
        "versionId": m.hex(a, 32),
        "id": f"{a.inputs['secretId']}|{m.hex(a, 32)}",
    },
    token(aws.acm.Certificate): _certificate,
    token(aws.route53.Record): lambda m, a: {"fqdn": str(a.inputs["name"]).rstrip(".")},
    token(aws.apigatewayv2.Api): _api,
    token(aws.apigatewayv2.VpcLink): lambda m, a: {"id": m.hex(a, 6)},
    token(aws.apigatewayv2.Integration): lambda m, a: {"id": m.hex(a, 7)},
    # Regional custom domains answer on a d-<id>.execute-api name in API Gateway's zone.
    token(aws.apigatewayv2.DomainName): lambda m, a: {
        "id": str(a.inputs["domainName"]),
        "domainNameConfiguration": {
            **dict(a.inputs.get("domainNameConfiguration") or {}),
            "targetDomainName": f"d-{m.hex(a, 10)}.execute-api.{m.region}.amazonaws.com",
            "hostedZoneId": "Z1UJRXOUMOOFQ8",  # API Gateway's regional zone in us-east-1
        },
    },
    token(aws.servicediscovery.PrivateDnsNamespace): _discovery("namespace", "ns"),
    token(aws.servicediscovery.Service): _discovery("service", "srv"),
    token(pulumi_random.RandomPassword): lambda m, a: {"result": f"mock-{_suffix(a.name, 16)}"},
}
_VPC_ENDPOINT = token(aws.ec2.VpcEndpoint)
_SUBNET = token(aws.ec2.Subnet)


class Mocks(pulumi_mocks.Mocks):
    """Plausible provider answers: ids, ARNs in each service's real format, invoke results."""

    def __init__(self, seed: str, account: str, region: str, preview: bool = False, domain: str = ""):
        # ids and random-looking suffixes derive from `seed` and logical names, never from physical names
        self.seed, self.account, self.region, self.preview, self.domain = seed, account, region, preview, domain
        self.interface_endpoints: list[str] = []  # ids of the VPC interface endpoints created so far

    def hex(self, args: Args, length: int) -> str:
        return _suffix(self.seed + args.name, length)

    def new_resource(self, args: Args) -> tuple[str, dict[str, Any]]:
        if self.preview:
            # The first preview of a new stack: the provider echoes the inputs, and the id and
            # every computed output (ARNs, endpoints, addresses) are unknown, also where it sits
            # inside an input block (left out here, so the engine reports the block unknown).
            return "", {k: v for k, v in args.inputs.items() if k not in COMPUTED_IN_INPUT_BLOCKS.get(args.typ, ())}
        out: dict[str, Any] = dict(args.inputs)
        if args.typ.startswith("aws:"):
            service, kind = args.typ.split(":")[1].split("/")[0], args.typ.rsplit(":", 1)[1].lower()
            out.setdefault("arn", f"arn:aws:{service}:{self.region}:{self.account}:{kind}/{args.name}")
        out["id"] = f"{args.name}-{_suffix(self.seed + args.typ + args.name, 8)}"
        if args.typ == _VPC_ENDPOINT and args.inputs.get("vpcEndpointType") == "Interface":
            self.interface_endpoints.append(out["id"])
        if args.typ in COMPUTED:
            out.update(COMPUTED[args.typ](self, args))
        if args.typ == _SUBNET:  # the provider stores both the zone's name and id (Optional+Computed)
            by_id = {i: n for n, i in self.zones().items()}
            out.setdefault("availabilityZone", by_id.get(str(out.get("availabilityZoneId"))))
            out.setdefault("availabilityZoneId", self.zones().get(str(out.get("availabilityZone"))))
        return out["id"], out

    def zones(self) -> dict[str, str]:
        """Zone name -> zone id. A zone id (use1-az1) is one place in every account; each account maps
        its own names to them (AWS RAM guide, "AZ IDs for your AWS resources"): here names are the
        ids rotated by account."""
        parts = self.region.split("-")
        code = parts[0] + "".join(DIRECTIONS.get(p, p[0]) for p in parts[1:-1]) + parts[-1]
        count = 6 if self.region == "us-east-1" else 3
        shift = int(self.account) if self.account.isdigit() else 0
        return {f"{self.region}{'abcdef'[i]}": f"{code}-az{(i + shift) % count + 1}" for i in range(count)}

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        region = self.region
        zones = self.zones()
        results: dict[str, dict[str, Any]] = {
            "aws:index/getAvailabilityZones:getAvailabilityZones": {
                "id": region,
                "names": list(zones),
                "zoneIds": list(zones.values()),
            },
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "id": self.account,
                "accountId": self.account,
                "arn": f"arn:aws:iam::{self.account}:role/deployer",
                "userId": "AROAMOCK:deployer",
            },
            "aws:ec2/getAmi:getAmi": {
                "id": "ami-0123456789abcdef0",
                "architecture": "arm64",
                "name": "al2023-ami-2023.6.20251101.0-kernel-6.1-arm64",
            },
            "aws:route53/getZone:getZone": {
                "id": args.args.get("zoneId"),
                "zoneId": args.args.get("zoneId"),
                "name": f"{self.domain}.",
                "privateZone": False,
            },
            "mongodbatlas:index/getAdvancedCluster:getAdvancedCluster": {
                "name": args.args.get("name"),
                "projectId": args.args.get("projectId"),
                # Atlas lists a connected PrivateLink endpoint with the AWS endpoint id it serves.
                "connectionStrings": {
                    "privateEndpoints": [
                        {
                            "srvConnectionString": f"mongodb+srv://{args.args.get('name')}-pl-{i}.ab1cd.mongodb.net",
                            "endpoints": [{"endpointId": vpce, "providerName": "AWS", "region": self.region}],
                        }
                        for i, vpce in enumerate(self.interface_endpoints)
                    ]
                },
            },
        }
        if args.token not in results:
            raise NotImplementedError(f"offline engine has no mock for invoke {args.token}")
        return results[args.token], []


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """MockMonitor that also keeps what MockResourceArgs drops: parent and resource options."""

    def __init__(self, mocks: Mocks, records: list[Resource] | None = None, as_real_deploy: bool = False):
        super().__init__(mocks)
        self.records: list[Resource] = [] if records is None else records
        self.stack_outputs: dict[str, Any] = {}
        # read by components.bootstrap.running_offline: refuse what a real `up` refuses
        self.as_real_deploy = as_real_deploy
        self.stack_urn = ""
        self.registered_outputs: dict[str, Any] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == STACK_TYPE:
            self.stack_urn = response.urn
        else:
            registered = self.resources[response.urn]
            self.records.append(
                Resource(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    inputs=rpc.deserialize_properties(request.object),
                    outputs=dict(registered.state),
                    parent=request.parent,
                    provider=request.provider,
                    custom=bool(request.custom),
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    ignore_changes=list(request.ignoreChanges),
                    dependencies=list(request.dependencies),
                    property_dependencies={
                        k: list(v.urns) for k, v in request.propertyDependencies.items() if list(v.urns)
                    },
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    delete_before_replace_defined=bool(request.deleteBeforeReplaceDefined),
                    aliases=self._alias_urns(request, response.urn),
                    replace_on_changes=list(request.replaceOnChanges),
                    additional_secret_outputs=list(request.additionalSecretOutputs),
                    custom_timeouts={
                        k: getattr(request.customTimeouts, k)
                        for k in ("create", "update", "delete")
                        if request.HasField("customTimeouts") and getattr(request.customTimeouts, k)
                    },
                    request=request,
                    response=response,
                )
            )
        return response

    def _alias_urns(self, request: Any, urn: str) -> list[str]:
        """The engine's alias URNs (pulumi/pulumi pkg/resource/deploy/step_generator.go
        generateAliases), in the mock monitor's URN shape: each alias spec completed with this
        resource's own name, type and parent, then the same resource under each of its parent's
        alias URNs (inherited aliases)."""
        own: list[str] = []
        for alias in request.aliases:
            if alias.urn:
                own.append(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            own.append(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        inherited = []
        parent = next((r for r in self.records if r.urn == request.parent), None)
        for parent_alias in parent.aliases if parent else []:
            # the child under its parent's old URN; a child named after its parent (`<parent>-x`)
            # also under the parent's old name (pulumi sdk/python/lib/pulumi/runtime/resource.py
            # inherited_child_alias)
            old_parent_name = parent_alias.rsplit("::", 1)[1]
            names = {request.name}
            if parent and request.name.startswith(parent.name):
                names.add(old_parent_name + request.name[len(parent.name) :])
            inherited += [self.make_urn(parent_alias, request.type, name) for name in sorted(names)]
        return [a for a in dict.fromkeys([*own, *inherited]) if a != urn]

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.registered_outputs[request.urn] = request.outputs
        if request.urn.split("::")[2] == STACK_TYPE:
            self.stack_outputs = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


def _fresh_loop_in_a_forked_child() -> None:
    """A forked child (mutmut's) inherits the loop's default executor, where the SDK sends its RPC
    calls, without its threads: it gets a new loop. The old one is kept open: closing it would
    unregister the parent's wake-up pipe from their shared epoll instance."""
    _INHERITED.append(asyncio.get_event_loop_policy().get_event_loop())
    asyncio.set_event_loop(asyncio.new_event_loop())


_INHERITED: list[asyncio.AbstractEventLoop] = []
os.register_at_fork(after_in_child=_fresh_loop_in_a_forked_child)


@contextlib.contextmanager
def _as_the_cli(path: Path) -> Iterator[None]:
    """For the duration of a run: the project directory as working directory (as the CLI runs a
    program); no `PULUMI_CONFIG*` from the calling shell (the SDK would read it before the config it
    was given); and the empty stack trace the SDK sends when it finds no user frame, instead of
    walking the stack at every registration for the engine's diagnostics
    (pulumi/runtime/resource.py `_get_stack_trace`): a sixth of the run's CPU."""
    saved_trace = pulumi_resource._get_stack_trace
    with contextlib.chdir(path):
        saved_env = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("PULUMI_CONFIG")}
        pulumi_resource._get_stack_trace = source_pb2.StackTrace
        try:
            yield
        finally:
            os.environ.update(saved_env)
            pulumi_resource._get_stack_trace = saved_trace


def run(
    env: str,
    *,
    config: Mapping[str, str] | None = None,
    stack_dir: Path | None = None,
    code_dir: Path = stackfiles.PROJECT_ROOT,
    records: list[Resource] | None = None,
    id_seed: str | None = None,
    preview: bool = False,
    as_real_deploy: bool = False,
    project: str = PROJECT,
    mocks: Mocks | None = None,
) -> Inventory:
    """Execute `__main__.py` for stack `env` under mocks, with `config` (default: what the CLI passes
    for `<stack_dir>/Pulumi.<env>.yaml`) and placeholders for secrets the stack files cannot carry.
    Raises what the program raises (`records` keeps what was registered). `preview`: a new stack's
    first preview; `as_real_deploy`: refuse what a real `up` refuses; `project`, `mocks`: bootstrap/."""
    stack_dir = stack_dir or code_dir
    config = dict(stackfiles.effective_config(env, stack_dir) if config is None else config)
    if mocks is None:
        try:
            account = str((json.loads(config.get(f"{PROJECT}:allowedAccountIds", "[]")) or ["000000000000"])[0])
        except (ValueError, IndexError, TypeError):
            account = "000000000000"
        region = config.get(f"{PROJECT}:awsRegion", "us-east-1")
        mocks = Mocks(id_seed or env, account, region, preview, config.get(f"{PROJECT}:domainName", ""))
    monitor = RecordingMonitor(mocks, records, as_real_deploy)
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=env, preview=preview, monitor=monitor)
    settings.ROOT.set(None)  # run_in_stack makes the real root stack, as the CLI does
    secret_keys = []
    for key in SECRET_KEYS if project == PROJECT else ():
        if key.full_name not in config and not as_real_deploy:
            config[key.full_name] = f"offline-placeholder-{key.name}"
        if key.full_name in config:
            secret_keys.append(key.full_name)
    set_all_config(config, secret_keys)
    if str(code_dir) not in sys.path:
        sys.path.insert(0, str(code_dir))

    def program() -> None:
        runpy.run_path(str(code_dir / "__main__.py"), run_name="__main__")

    with _as_the_cli(stack_dir):
        _sync_await(run_in_stack(program))
    secret_outputs: set[str] = set()
    for k, v in monitor.stack_outputs.items():
        walk(v, secret=lambda _, k=k: secret_outputs.add(k))
    return _check(
        Inventory(
            env=env,
            resources=monitor.records,
            outputs=unwrap(monitor.stack_outputs),
            secret_outputs=secret_outputs,
            stack_urn=monitor.stack_urn,
            preview=preview,
            registered_outputs=monitor.registered_outputs,
        )
    )


def _check(inv: Inventory) -> Inventory:
    """The providers' Check, as the engine runs it on each registration before the analyzer or Diff
    sees it (docs/offline.md, "Check"): auto-names `<logical name>-<7 hex>` (pulumi-terraform-bridge
    pkg/tfbridge/info/autonaming.go: AutoName(..., Randlen 7), hex; here from the URN, so stable) and
    tagsAll (terraform-provider-aws internal/tags "tags_all ... including those inherited from the
    provider default_tags"), in the inputs and the recorded request; filled names in `auto_named`."""
    from offline import replacements  # noqa: PLC0415 (its table's module imports this one)

    def put(r: Resource, key: str, value: Any) -> None:
        r.inputs[key] = value
        if r.request is not None:
            r.request.object.update({key: value})

    by_urn = inv.by_urn
    aws_default = next((r for r in inv.resources if r.type == "pulumi:providers:aws" and r.name == "default"), None)
    for r in inv.resources:
        entry = replacements.entry(r.type) if r.custom and not r.type.startswith("pulumi:providers:") else None
        field = entry.get("autoName") if entry else None
        if field and r.inputs.get(field) is None and r.inputs.get(f"{field}Prefix") is None:
            put(r, field, f"{r.name}-{hashlib.sha256(r.urn.encode()).hexdigest()[:7]}")
            r.auto_named.append(field)
        if entry and entry.get("tags") and r.package == "aws":
            provider = by_urn.get(r.provider.rsplit("::", 1)[0]) if r.provider else aws_default
            raw = provider.inputs.get("defaultTags") if provider else None
            defaults = (json.loads(raw) if isinstance(raw, str) else raw) or {}
            merged = {**(defaults.get("tags") or {}), **(unwrap(r.inputs.get("tags")) or {})}
            if merged:
                put(r, "tagsAll", merged)
    return inv


_memo: dict[tuple[Any, ...], Inventory] = {}


def run_cached(
    env: str,
    *,
    config: Mapping[str, str] | None = None,
    stack_dir: Path | None = None,
    shared: bool = False,
    **options: Any,
) -> Inventory:
    """`run`, remembered for this process, keyed on the program, config, stack files (the program
    reads every environment's) and `run`'s options; errors are not remembered. Each caller gets its
    own copy, or with `shared` (a caller that only reads it) the remembered one."""
    where: Path = (stack_dir or options.get("code_dir", stackfiles.PROJECT_ROOT)).resolve()
    config = stackfiles.effective_config(env, where) if config is None else config
    files = tuple((p.name, p.read_bytes()) for p in sorted(where.glob("Pulumi*.yaml")) if p.is_file())
    key = (env, tuple(sorted(config.items())), files, tuple(sorted((k, str(v)) for k, v in options.items())))
    if key not in _memo:
        _memo[key] = run(env, config=config, stack_dir=where, **options)
    return _memo[key] if shared else copy.deepcopy(_memo[key])
