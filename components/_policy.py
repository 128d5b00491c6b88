"""Serialising IAM policy documents (built as dicts by marin.iam) whose leaves may be Outputs."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from marin.iam import document


def to_json(doc: Any) -> pulumi.Output[str]:
    """Serialise a policy document whose leaves may be Outputs."""
    return pulumi.Output.from_input(doc).apply(lambda d: json.dumps(d, sort_keys=True))


def service_trust(service: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust policy for an AWS service principal, limited to this account (confused deputy)."""
    return to_json(
        document(
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    )
