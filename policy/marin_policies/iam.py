"""IAM: no grant over every service; secret reads only under the environment's own path.

Every document a resource carries is checked: an inline policy (RolePolicy, UserPolicy, GroupPolicy,
a Role's `inlinePolicies`), a managed policy's own document (Policy), and an AWS-managed policy
attached by ARN (the attachments, a Role's `managedPolicyArns`), read from the copy of AWS's
managed policies that moto ships. What a document allows is decided by moto's IAM policy evaluation
(`moto.iam.access_control`), given the document as AWS reads it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html,
.../reference_policies_evaluation-logic.html): action names are case-insensitive, `*` and `?` are
wildcards in actions and resources, `NotAction` and `NotResource` allow everything they do not
name, an explicit Deny wins. A statement's Condition is assumed to hold for an Allow (the worst
case) and not to for a Deny.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pulumi_aws as aws
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
from pulumi_policy import ResourceValidationArgs

from ._common import SECRET_PATH, _is_map, _is_seq, json_of, resource_rule, token

DOCUMENT = tuple(token(t) for t in (aws.iam.RolePolicy, aws.iam.Policy, aws.iam.UserPolicy, aws.iam.GroupPolicy))
ROLE = token(aws.iam.Role)
ATTACHMENTS = tuple(
    token(t)
    for t in (
        aws.iam.RolePolicyAttachment,
        aws.iam.PolicyAttachment,
        aws.iam.UserPolicyAttachment,
        aws.iam.GroupPolicyAttachment,
    )
)
EXCLUSIVE = token(aws.iam.RolePolicyAttachmentsExclusive)
TYPES = (*DOCUMENT, ROLE, *ATTACHMENTS, EXCLUSIVE)
# A service no grant names: only a wildcard over services (`*`, `*:*`, NotAction) allows it.
PROBE_ACTION, PROBE_RESOURCE = "marinprobe:probe", "arn:aws:marinprobe:us-east-1:000000000000:probe/x"
SECRET_READ = "secretsmanager:getsecretvalue"
AWS_MANAGED = re.compile(r"arn:aws[a-z-]*:iam::aws:policy/(?:.+/)?([^/]+)")


def _listed(value: Any) -> list[Any]:
    return list(value) if _is_seq(value) else [value]


def _plain(value: Any) -> Any:
    """The analyzer's Mapping / Sequence proxies as dicts and lists (what moto reads)."""
    if _is_map(value):
        return {k: _plain(value[k]) for k in value}
    if _is_seq(value):
        return [_plain(v) for v in value]
    return value


def _pattern(value: Any, *, action: bool) -> str:
    """An IAM wildcard as the regular expression moto builds from it (moto expands `*` only, and
    compares case-sensitively): `?` is one character, the rest literal; actions in lower case."""
    text = str(value).lower() if action else str(value)
    return "".join(c if c == "*" else "." if c == "?" else re.escape(c) for c in text)


def _statements(document: Any) -> list[dict[str, Any]]:
    """The document's statements, ready for moto: patterns escaped, conditions dropped (`raw`
    keeps the values as written, for messages)."""
    doc = json_of(document)
    out = []
    for s in _listed(doc.get("Statement", [])) if _is_map(doc) else []:
        if not _is_map(s) or s.get("Effect") not in ("Allow", "Deny") or ("Action" not in s and "NotAction" not in s):
            continue
        if s.get("Effect") == "Deny" and "Condition" in s:
            continue
        statement: dict[str, Any] = {"Effect": s["Effect"], "raw": {}}
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key in s:
                statement["raw"][key] = [str(v) for v in _listed(_plain(s[key]))]
                statement[key] = [_pattern(v, action="Action" in key) for v in statement["raw"][key]]
        out.append(statement)
    return out


def _matches(patterns: list[str], value: str) -> bool:
    return IAMPolicyStatement({"Effect": "Allow", "Action": patterns}).is_action_permitted(value) is (
        PermissionResult.PERMITTED
    )


def _allows(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    """Whether the statements allow `action` on `resource` (moto's evaluation; NotResource resolved
    here, as moto reads a statement without `Resource` as a trust policy's)."""
    applicable = []
    for s in statements:
        if "NotResource" not in s:
            applicable.append(s)
        elif not _matches(s["NotResource"], resource):
            applicable.append({k: v for k, v in s.items() if k != "NotResource"} | {"Resource": ["*"]})
    policy = IAMPolicy(json.dumps({"Statement": applicable}))
    return policy.is_action_permitted(action.lower(), resource) is PermissionResult.PERMITTED


def _grants_action(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not _matches(statement["NotAction"], action)
    return _matches(statement.get("Action", []), action)


@cache
def _aws_managed_policies() -> dict[str, Any]:
    """AWS's managed policies by name, as moto ships them (imported when first needed: 0.5 s)."""
    return json.loads(importlib.import_module("moto.iam.aws_managed_policies").aws_managed_policies_data)


def _documents(args: ResourceValidationArgs) -> Iterator[tuple[str, Any]]:
    """(what it is, document) for every policy the resource carries or attaches."""
    p, kind = args.props, args.resource_type
    if kind in DOCUMENT:
        yield f"policy of {args.name}", p.get("policy")
    if kind == ROLE:
        for inline in _listed(p.get("inlinePolicies") or []):
            if _is_map(inline):
                yield f"inline policy {inline.get('name')!r} of {args.name}", inline.get("policy")
    arns = {ROLE: "managedPolicyArns", EXCLUSIVE: "policyArns"}.get(kind, "policyArn" if kind in ATTACHMENTS else "")
    for arn in _listed(p.get(arns) or []) if arns else []:
        found = AWS_MANAGED.fullmatch(arn) if isinstance(arn, str) else None
        managed = _aws_managed_policies().get(found.group(1)) if found else None
        if managed is not None:
            yield f"AWS-managed {arn} on {args.name}", managed["Document"]


def _no_admin(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    for what, document in _documents(args):
        if _allows(_statements(document), PROBE_ACTION, PROBE_RESOURCE):
            yield f"{what} allows actions of every service on every resource"


def _own_secrets(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    """A resource rule (one document is enough), so `up` refuses a grant before it exists."""
    own = f":secret:{SECRET_PATH.format(env=env)}"
    allowed = f"only {own}... is allowed in {env}"
    for what, document in _documents(args):
        for s in _statements(document):
            if s["Effect"] != "Allow" or not _grants_action(s, SECRET_READ):
                continue
            if "NotResource" in s:
                yield f"{what} grants secret reads on all but {s['raw']['NotResource']}; {allowed}"
            for resource in s["raw"].get("Resource", []):
                if own not in resource:
                    yield f"{what} grants secret reads on {resource!r}; {allowed}"


POLICIES = [
    resource_rule(
        "iam-no-full-admin",
        "No policy, inline or attached, allows actions of every service on every resource",
        TYPES,
        _no_admin,
        control="IAM.1",
    ),
    resource_rule(
        "iam-secrets-own-environment",
        "Secret-read grants, inline or attached, only under the environment's own path",
        TYPES,
        _own_secrets,
    ),
]
