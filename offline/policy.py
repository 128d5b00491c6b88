"""Run the policy pack as `pulumi preview|up --policy-pack policy` would, through pulumi_policy itself
(docs/policy.md): the pack's `__main__.py` builds its `_PolicyAnalyzerServicer` (serving stubbed
out), and we call its RPC methods in-process with the requests the engine would build from what
the mock engine recorded (pulumi sdk/go/common/resource/plugin/analyzer_plugin.go and the step
generator): `Analyze` per registered resource before it is created (registered inputs, options,
the provider's registered inputs), then `AnalyzeStack` (every resource with its outputs). With
`engine.run(env, preview=True)`, rules touching unknowns get pulumi_policy's "can't run policy ...
during preview" note instead of a verdict.
"""

from __future__ import annotations

import contextlib
import re
import runpy
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import grpc
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi.runtime.proto import analyzer_pb2_grpc

from marin import stackfiles
from marin.stackfiles import PROJECT_ROOT
from offline import engine

PACK_DIR = PROJECT_ROOT / "policy"
LEVELS = {pb.ADVISORY: "advisory", pb.MANDATORY: "mandatory", pb.REMEDIATE: "remediate", pb.DISABLED: "disabled"}
LEVEL_OF = {v: k for k, v in LEVELS.items()}
PREVIEW_NOTE = re.compile(r"^can't run policy '[^']+' from policy pack '[^']+' during preview: ")


class _Served(Exception):
    """Raised where the pack would start serving: the servicer exists by then."""


def load_servicer(config: Mapping[str, str] | None = None, pack_dir: Path = PACK_DIR) -> Any:
    """The pack's `_PolicyAnalyzerServicer`, built by the pack's own `__main__.py` in its own directory
    (as the CLI starts it), configured with `config` (rule name -> level) as `--policy-pack-config` would."""
    if str(pack_dir) not in sys.path:
        sys.path.insert(0, str(pack_dir))
    captured: list[Any] = []
    with (
        mock.patch.object(grpc, "server", return_value=mock.Mock(**{"start.side_effect": _Served})),
        mock.patch.object(analyzer_pb2_grpc, "add_AnalyzerServicer_to_server", lambda s, _: captured.append(s)),
        contextlib.chdir(pack_dir),
        contextlib.suppress(_Served),
    ):
        runpy.run_path(str(pack_dir / "__main__.py"), run_name="__main__")
    if len(captured) != 1:
        raise RuntimeError(f"{pack_dir}/__main__.py built {len(captured)} policy packs; expected one")
    servicer = captured[0]
    if config:
        servicer.Configure(
            pb.ConfigureAnalyzerRequest(
                policyConfig={name: pb.PolicyConfig(enforcementLevel=LEVEL_OF[level]) for name, level in config.items()}
            ),
            None,
        )
    return servicer


_default_servicer = cache(load_servicer)  # the pack as it ships, loaded once


@dataclass(frozen=True)
class Rule:
    name: str
    level: str
    kind: str  # "resource" or "stack"


@dataclass(frozen=True)
class Finding:
    policy: str
    level: str
    urn: str
    message: str  # the rule's own (without the description the servicer prefixes), or the preview note
    preview_note: bool = False

    @property
    def resource(self) -> str:
        return self.urn.rsplit("::", 1)[-1] if self.urn else ""

    def __str__(self) -> str:
        return f"[{self.policy}] {self.resource}: {self.message}"


@dataclass
class Report:
    env: str
    preview: bool
    rules: list[Rule]
    resources: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if not f.preview_note]

    @property
    def mandatory(self) -> list[Finding]:
        return [f for f in self.violations if f.level == "mandatory"]

    @property
    def advisory(self) -> list[Finding]:
        return [f for f in self.violations if f.level != "mandatory"]

    @property
    def preview_notes(self) -> list[Finding]:
        return [f for f in self.findings if f.preview_note]

    def text(self) -> str:
        mode = "first preview (ids and computed outputs unknown)" if self.preview else "update"
        lines = [
            f"=== {self.env}, {mode}: {len(self.rules)} rules over {self.resources} resources; "
            f"{len(self.mandatory)} mandatory, {len(self.advisory)} advisory, "
            f"{len(self.preview_notes)} could not run during preview"
        ]
        for rule in self.rules:
            found = [f for f in self.violations if f.policy == rule.name]
            notes = [f for f in self.preview_notes if f.policy == rule.name]
            status = f"{len(found)} violation(s)" if found else "ok"
            if notes:
                status += f", could not run during preview on {len(notes)}"
            lines.append(f"  {rule.name:<34} {rule.kind:<8} {rule.level:<9} {status}")
        lines += [f"  {f.level.upper()}: {f}" for f in self.violations]
        lines += [f"  preview note: {f.resource or 'stack'}: {f.message}" for f in self.preview_notes]
        return "\n".join(lines)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def _seconds(duration: str) -> float:
    """A Go duration ("1h30m", "20m") in seconds, as the engine stores custom timeouts."""
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION.findall(duration or ""))


def _options(r: engine.Resource, *, parent: bool) -> pb.AnalyzerResourceOptions:
    req = r.request
    return pb.AnalyzerResourceOptions(
        protect=r.protect,
        ignoreChanges=r.ignore_changes,
        deleteBeforeReplace=r.delete_before_replace,
        deleteBeforeReplaceDefined=r.delete_before_replace_defined,
        additionalSecretOutputs=r.additional_secret_outputs,
        aliases=list(req.aliasURNs) if req is not None else [],
        customTimeouts=pb.AnalyzerResourceOptions.CustomTimeouts(
            **{k: _seconds(v) for k, v in r.custom_timeouts.items()}
        ),
        parent=r.parent if parent else "",
    )


def _default_providers(inv: engine.Inventory) -> dict[str, engine.Resource]:
    """The default providers the engine creates for custom resources registered without one
    (pulumi-random here; AWS and Atlas have theirs disabled in Pulumi.yaml), by package, with the
    only input the engine gives them: the plugin version."""
    out: dict[str, engine.Resource] = {}
    for r in inv.resources:
        if not r.custom or r.provider or r.type.startswith("pulumi:providers:") or r.request is None:
            continue
        package, version = r.package, r.request.version
        if package in out:
            continue
        name = f"default_{version.replace('.', '_')}" if version else "default"
        urn = f"urn:pulumi:{inv.env}::{engine.PROJECT}::pulumi:providers:{package}::{name}"
        request = type(r.request)(type=f"pulumi:providers:{package}", name=name, custom=True)
        if version:
            request.object.update({"version": version})
        provider = engine.Resource(request.type, name, urn, custom=True)
        provider.request = request
        provider.response = type(r.response)(urn=urn, object=request.object)
        out[package] = provider
    return out


def _provider(
    r: engine.Resource, by_urn: Mapping[str, engine.Resource], defaults: Mapping[str, engine.Resource]
) -> pb.AnalyzerProviderResource | None:
    """The resource's provider with its registered inputs (the Python SDK JSON-encodes non-strings)."""
    if r.provider:
        p = by_urn.get(r.provider.rsplit("::", 1)[0])
    else:
        p = defaults.get(r.package) if r.custom and not r.type.startswith("pulumi:providers:") else None
    if p is None:
        return None
    return pb.AnalyzerProviderResource(type=p.type, urn=p.urn, name=p.name, properties=p.request.object)


def analyze_requests(inv: engine.Inventory) -> list[pb.AnalyzeRequest]:
    """One AnalyzeRequest per registered resource, in registration order (the stack first, the
    default providers the engine adds last)."""
    by_urn, defaults = inv.by_urn, _default_providers(inv)
    stack = pb.AnalyzeRequest(type=engine.STACK_TYPE, urn=inv.stack_urn, name=f"{engine.PROJECT}-{inv.env}")
    return [stack] + [
        pb.AnalyzeRequest(
            type=r.type,
            urn=r.urn,
            name=r.name,
            properties=r.request.object,
            options=_options(r, parent=True),
            provider=_provider(r, by_urn, defaults),
        )
        for r in [*inv.resources, *defaults.values()]
    ]


def analyze_stack_request(inv: engine.Inventory) -> pb.AnalyzeStackRequest:
    by_urn, defaults = inv.by_urn, _default_providers(inv)
    resources = []
    stack = engine.Resource(engine.STACK_TYPE, f"{engine.PROJECT}-{inv.env}", inv.stack_urn)  # as the engine holds it
    for r in [stack, *inv.resources, *defaults.values()]:
        resources.append(
            pb.AnalyzerResource(
                type=r.type,
                urn=r.urn,
                name=r.name,
                properties=r.response.object
                if r.custom and r.response is not None
                else inv.registered_outputs.get(r.urn) or struct_pb2.Struct(),
                options=_options(r, parent=False),
                provider=_provider(r, by_urn, defaults),
                parent=r.parent,
                dependencies=r.dependencies,
                propertyDependencies={
                    k: pb.AnalyzerPropertyDependencies(urns=v) for k, v in r.property_dependencies.items() if v
                },
            )
        )
    return pb.AnalyzeStackRequest(resources=resources)


def _findings(response: Any, urn: str) -> list[Finding]:
    out = []
    for d in response.diagnostics:
        note = bool(PREVIEW_NOTE.match(d.message))
        message = d.message if note else d.message.removeprefix(d.description).removeprefix("\n")
        out.append(Finding(d.policyName, LEVELS[d.enforcementLevel], d.urn or urn, message, note))
    return out


def rules(servicer: Any, config: Mapping[str, str] | None = None) -> list[Rule]:
    """The pack's rules as the servicer reports them (GetAnalyzerInfo), with configured levels."""
    return [
        Rule(
            p.name,
            (config or {}).get(p.name, LEVELS[p.enforcementLevel]),
            "stack" if p.policy_type == pb.POLICY_TYPE_STACK else "resource",
        )
        for p in servicer.GetAnalyzerInfo(None, None).policies
    ]


def configure_stack_request(env: str, stack_dir: Path = PROJECT_ROOT) -> pb.AnalyzerStackConfigureRequest:
    """ConfigureStack as the engine sends it before any resource (pulumi
    pkg/resource/plugin/analyzer_plugin.go): the stack's config, secrets decrypted (offline: a
    placeholder), and which keys are encrypted in the stack file (`config_secret_keys`)."""
    path = stack_dir / f"{stackfiles.STACK_FILE_PREFIX}{env}.yaml"
    if not path.is_file():
        return pb.AnalyzerStackConfigureRequest(stack=env, project=engine.PROJECT)
    raw = stackfiles.read_yaml(path).get("config") or {}
    secure = sorted(k for k, v in raw.items() if isinstance(v, dict) and "secure" in v)
    config = {**stackfiles.effective_config(env, stack_dir), **dict.fromkeys(secure, "[secret]")}
    return pb.AnalyzerStackConfigureRequest(stack=env, project=engine.PROJECT, config=config, config_secret_keys=secure)


def analyze(
    inv: engine.Inventory,
    *,
    only: Iterable[str] | None = None,
    config: Mapping[str, str] | None = None,
    stack_dir: Path = PROJECT_ROOT,
) -> Report:
    """Every diagnostic the pack reports: Analyze per resource, then AnalyzeStack. `only`: those rules
    (the others configured `disabled`, as a pack config would); `config`: levels by rule name."""
    config = dict(config or {})
    if only is not None:
        wanted = set(only)
        all_rules = rules(_default_servicer())
        unknown = wanted - {r.name for r in all_rules}
        if unknown:
            raise KeyError(f"no rule named {', '.join(sorted(unknown))} in the pack")
        config.update({r.name: "disabled" for r in all_rules if r.name not in wanted})
    servicer = load_servicer(config) if config else _default_servicer()
    servicer.ConfigureStack(configure_stack_request(inv.env, stack_dir), None)
    report = Report(
        env=inv.env,
        preview=inv.preview,
        rules=[r for r in rules(servicer, config) if r.level != "disabled"],
        resources=len(inv.resources) + 1 + len(_default_providers(inv)),
    )
    for request in analyze_requests(inv):
        response = servicer.Analyze(request, None)
        report.findings += _findings(response, request.urn)
    report.findings += _findings(servicer.AnalyzeStack(analyze_stack_request(inv), None), "")
    return report


def run(env: str, *, preview: bool = False, stack_dir: Path | None = None) -> Report:
    """Run the program for `env` under mocks (update or first preview) and the pack over it."""
    return analyze(engine.run_cached(env, stack_dir=stack_dir, preview=preview), stack_dir=stack_dir or PROJECT_ROOT)
