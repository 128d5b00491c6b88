"""IAM: no full admin; secret reads only under the environment's own path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._common import SECRET_PATH, _is_map, _is_seq, json_of, resource_rule

POLICY_TYPES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")
SECRET_READS = ("secretsmanager:GetSecretValue", "secretsmanager:*", "*")


def _listed(value: Any) -> list[Any]:
    return list(value) if _is_seq(value) else [value]


def _statements(policy: Any) -> list[Any]:
    """The Allow statements of a document: a JSON string, or already a document (the analyzer's
    Mapping / Sequence proxies, not dict / list)."""
    doc = json_of(policy)
    if not _is_map(doc):
        return []
    return [s for s in _listed(doc.get("Statement", [])) if _is_map(s) and s.get("Effect") == "Allow"]


def _no_admin(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    for s in _statements(args.props.get("policy")):
        if "*" in _listed(s.get("Action")) and "*" in _listed(s.get("Resource")):
            yield f"policy of {args.name} allows every action on every resource"


def _own_secrets(args: ResourceValidationArgs, env: str) -> Iterator[str]:
    """A resource rule (one document is enough), so `up` refuses a grant before it exists."""
    arn_prefix = f":secret:{SECRET_PATH.format(env=env)}"
    for s in _statements(args.props.get("policy")):
        if not set(_listed(s.get("Action"))) & set(SECRET_READS):
            continue
        for resource in _listed(s.get("Resource")):
            if not (isinstance(resource, str) and arn_prefix in resource):
                yield f"{args.name} grants secret reads on {resource!r}; only {arn_prefix}... is allowed in {env}"


POLICIES = [
    resource_rule(
        "iam-no-full-admin",
        "No policy allows * actions on * resources",
        POLICY_TYPES,
        _no_admin,
        control="IAM.1",
    ),
    resource_rule(
        "iam-secrets-own-environment",
        "Secret-read grants only under the environment's own path",
        POLICY_TYPES,
        _own_secrets,
    ),
]
