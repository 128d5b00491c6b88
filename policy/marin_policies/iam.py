"""IAM: no grant over every service, no privilege escalation, no resource policy open to everyone;
secret reads only under the environment's own path.

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
from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from ._common import (
    ADVISORY,
    SECRET_PATH,
    _is_map,
    _is_seq,
    decide_each,
    json_of,
    listed,
    resource_rule,
    stack_rule,
    token,
)

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
EXCLUSIVE = tuple(
    token(t)
    for t in (
        aws.iam.RolePolicyAttachmentsExclusive,
        aws.iam.UserPolicyAttachmentsExclusive,
        aws.iam.GroupPolicyAttachmentsExclusive,
    )
)
TYPES = (*DOCUMENT, ROLE, *ATTACHMENTS, *EXCLUSIVE)
ARNS = {ROLE: "managedPolicyArns"} | dict.fromkeys(ATTACHMENTS, "policyArn") | dict.fromkeys(EXCLUSIVE, "policyArns")
# A service no grant names: only a wildcard over services (`*`, `*:*`, NotAction) allows it. It is
# probed in every partition, region and account the document names (and a default one), so a
# grant scoped to "every resource of account X" counts as every resource.
PROBE_ACTION = "marinprobe:probe"
DEFAULT_PLACE = ("aws", "us-east-1", "000000000000")
# Actions that let a principal grant itself more (Rhino Security Labs, "AWS IAM privilege
# escalation methods"): allowed on any role, user, group or policy of the account, they are admin.
ESCALATION = (
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:AttachUserPolicy",
    "iam:PutGroupPolicy",
    "iam:AttachGroupPolicy",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateAccessKey",
    "iam:PassRole",
)
# Resource policies: who may act on the role (its trust policy), the secret, the key.
RESOURCE_POLICY = {
    ROLE: "assumeRolePolicy",
    token(aws.secretsmanager.SecretPolicy): "policy",
    token(aws.kms.Key): "policy",
    token(aws.kms.KeyPolicy): "policy",
}
# Condition keys that keep a `*` principal inside an account or organisation, or behind a shared
# secret (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
NARROWING = ("aws:principalaccount", "aws:principalorgid", "sts:externalid")
SECRET_READ = "secretsmanager:getsecretvalue"
AWS_MANAGED = re.compile(r"arn:aws[a-z-]*:iam::aws:policy/(?:.+/)?([^/]+)")


def _plain(value: Any) -> Any:
    """The analyzer's Sequence proxies as lists (what moto reads and the messages print); a
    Mapping proxy is read for its keys only, as it is."""
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
    for s in listed(doc.get("Statement", [])) if _is_map(doc) else []:
        if not _is_map(s) or s.get("Effect") not in ("Allow", "Deny") or ("Action" not in s and "NotAction" not in s):
            continue
        if s.get("Effect") == "Deny" and "Condition" in s:
            continue
        statement: dict[str, Any] = {"Effect": s["Effect"], "raw": {}}
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key in s:
                statement["raw"][key] = [str(v) for v in listed(_plain(s[key]))]
                statement[key] = [_pattern(v, action="Action" in key) for v in statement["raw"][key]]
        out.append(statement)
    return out


def covers(patterns: Any, value: str, *, action: bool = False) -> bool:
    """Whether IAM wildcard patterns (as written in a document) cover `value`."""
    return _matches([_pattern(v, action=action) for v in listed(_plain(patterns))], value.lower() if action else value)


def everyone(principal: Any) -> bool:
    """`"*"` or `{"AWS": "*"}` (or a list holding `*`): any principal of any account."""
    aws_ = principal.get("AWS") if _is_map(principal) else principal
    return "*" in [str(p) for p in listed(_plain(aws_))] if aws_ is not None else False


def _matches(patterns: list[str], value: str) -> bool:
    """moto's wildcard matching (a statement without Resource: the answer is the action's alone)."""
    return IAMPolicyStatement({"Action": patterns}).is_action_permitted(value) is PermissionResult.PERMITTED


def _allows(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    """Whether the statements allow `action` on `resource` (moto's evaluation). A NotResource
    statement applies where it does not name the resource; moto, which does not read NotResource,
    then reads it as a statement without Resource (a trust policy's): on every resource."""
    applicable = [s for s in statements if "NotResource" not in s or not _matches(s["NotResource"], resource)]
    policy = IAMPolicy(json.dumps({"Statement": applicable}))
    return policy.is_action_permitted(action.lower(), resource) is PermissionResult.PERMITTED


def _grants_action(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not _matches(statement["NotAction"], action)
    return _matches(statement["Action"], action)  # _statements keeps only those with one of the two


@cache
def _aws_managed_policies() -> dict[str, Any]:
    """AWS's managed policies by name, as moto ships them (imported when first needed: 0.5 s)."""
    return json.loads(importlib.import_module("moto.iam.aws_managed_policies").aws_managed_policies_data)


def _aws_managed(arn: Any) -> Any:
    """The document of an AWS-managed policy by its ARN, from moto's copy; None when not there."""
    found = AWS_MANAGED.fullmatch(str(arn))
    managed = _aws_managed_policies().get(found.group(1)) if found else None
    return managed["Document"] if managed is not None else None


def _documents(args: ResourceValidationArgs) -> Iterator[tuple[str, Any]]:
    """(what it is, document) for every policy the resource carries or attaches."""
    p, kind = args.props, args.resource_type
    if kind in DOCUMENT:
        yield f"policy of {args.name}", p.get("policy")
    if kind == ROLE:
        for inline in listed(p.get("inlinePolicies") or []):
            if _is_map(inline):
                yield f"inline policy {inline.get('name')!r} of {args.name}", inline.get("policy")
    for arn in listed(p.get(ARNS[kind]) or []) if kind in ARNS else []:
        document = _aws_managed(arn)
        if document is not None:
            yield f"AWS-managed {arn} on {args.name}", document


def _probes(statements: list[dict[str, Any]], template: str) -> list[str]:
    """`template` (a made-up resource) in every partition, region and account the statements'
    Resource ARNs name literally, and in a default one (a NotResource names where it does not apply)."""
    places: set[tuple[str, ...]] = {DEFAULT_PLACE}
    for s in statements:
        for arn in s["raw"].get("Resource", []):
            parts = arn.split(":")
            if len(parts) >= 6 and parts[0] == "arn":
                named = zip((parts[1], parts[3], parts[4]), DEFAULT_PLACE, strict=True)
                places.add(tuple(v if v and not set(v) & set("*?") else d for v, d in named))
    return [template.format(partition=p, region=r, account=a) for p, r, a in sorted(places)]


def _no_admin(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    for what, document in _documents(args):
        statements = _statements(document)
        probes = _probes(statements, "arn:{partition}:marinprobe:{region}:{account}:probe/x")
        if any(_allows(statements, PROBE_ACTION, probe) for probe in probes):
            yield f"{what} allows actions of every service on every resource"


def _no_escalation(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    for what, document in _documents(args):
        statements = _statements(document)
        probes = [
            probe
            for kind in ("role", "user", "group", "policy")
            for probe in _probes(statements, f"arn:{{partition}}:iam::{{account}}:{kind}/marinprobe")
        ]
        found = [a for a in ESCALATION if any(_allows(statements, a, probe) for probe in probes)]
        if found:
            yield f"{what} allows {', '.join(found)} on any role, user, group or policy (privilege escalation)"


def _no_public_principal(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    """A resource policy's Allow to every principal, unless a condition keeps it in the account."""
    document = json_of(args.props.get(RESOURCE_POLICY[args.resource_type]))
    for s in listed(document.get("Statement", [])) if _is_map(document) else []:
        if not _is_map(s) or s.get("Effect") != "Allow":
            continue
        condition = s.get("Condition")
        keys = [str(k).lower() for op in condition for k in _plain(condition[op]) or []] if _is_map(condition) else []
        if (everyone(s.get("Principal")) or "NotPrincipal" in s) and not set(keys) & set(NARROWING):
            what = _plain(s["Action"]) if "Action" in s else f"all but {_plain(s.get('NotAction'))}"
            yield (
                f"resource policy of {args.name} allows any principal {what}; "
                "narrow it with a condition on aws:PrincipalAccount, aws:PrincipalOrgID or sts:ExternalId"
            )


def _unreadable(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    """Policies attached by ARN that are neither in moto's copy of the AWS-managed ones nor a policy
    of this stack (whose document `iam-*` reads on its own resource): nothing checks them."""
    policies = [r for r in args.resources if r.resource_type == token(aws.iam.Policy)]

    def one(r: Any) -> Iterator[tuple[str, str]]:
        key = ARNS[r.resource_type]
        if any(d in policies for d in r.property_dependencies.get(key) or []):
            return
        ours = {p.props.get("arn") for p in policies}
        for arn in listed(r.props.get(key) or []):
            if _aws_managed(arn) is None and arn not in ours:
                yield r.urn, f"can't read {arn} attached by {r.name}: not AWS-managed (moto's copy) nor in this stack"

    return decide_each([r for r in args.resources if r.resource_type in ARNS], one)


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
        "iam-no-privilege-escalation",
        "No policy, inline or attached, lets a principal grant itself more on any role, user or policy",
        TYPES,
        _no_escalation,
    ),
    resource_rule(
        "no-public-principal",
        "Resource policies (role trust, secret, KMS key) admit no principal outside the account",
        tuple(RESOURCE_POLICY),
        _no_public_principal,
    ),
    stack_rule(
        "iam-policies-readable",
        "Policies attached by ARN are AWS-managed or created in the stack (others cannot be checked)",
        _unreadable,
        level=ADVISORY,
    ),
    resource_rule(
        "iam-secrets-own-environment",
        "Secret-read grants, inline or attached, only under the environment's own path",
        TYPES,
        _own_secrets,
    ),
]
