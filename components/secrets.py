"""secrets tier: the `{env}/audio-pipeline/*` hierarchy in Secrets Manager.

Every secret of `marin.catalogue.SECRETS` exists here, and every one has a value before any task
that injects it is created. Values are written by whoever owns them:
- `generated` secrets get a pulumi-random value here;
- tier-owned secrets (database, cache, search) get their version from that tier;
- `operator` secrets get their first value from secret stack config
  (`pulumi config set --secret marin:<key>`). That version ignores later changes of its value, so
  a rotation done in Secrets Manager (a new AWSCURRENT version) is never reverted by `pulumi up`.

`value_arns` carries each secret's ARN *through its version*: whatever is built from it (a task
definition) waits until the secret has a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components._outputs import declared
from marin.catalogue import SECRETS
from marin.config import SecretsConfig, StackConfig
from marin.naming import EnvironmentNames


class SecretWriter(Protocol):
    """A tier that writes secret values (this one, database, cache, search)."""

    value_arns: dict[str, pulumi.Output[str]]
    """Each secret's ARN through the version that writes its value."""
    value_versions: dict[str, pulumi.Output[str]]
    """That version's id: a new value rolls the tasks that inject it."""


SEED_STAGE = "marin-seed"  # staging label of an operator secret's first (config-seeded) version


@dataclass(frozen=True)
class SecretsArgs:
    config: SecretsConfig
    stack: StackConfig
    names: EnvironmentNames
    operator_values: dict[str, pulumi.Output[str]]
    """Catalogue name -> first value (secret Output) of every `operator` secret."""


class Secrets(pulumi.ComponentResource):
    arns: dict[str, pulumi.Output[str]]
    ids: dict[str, pulumi.Output[str]]
    value_arns: dict[str, pulumi.Output[str]]
    """ARNs of the secrets this tier writes a value for, resolved once the value is written."""
    value_versions: dict[str, pulumi.Output[str]]
    """Version id of the value this tier wrote for each of them."""

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:secrets:Secrets", name, None, opts)
        self.arns, self.ids, self.value_arns, self.value_versions = {}, {}, {}, {}
        for spec in SECRETS:
            secret = aws.secretsmanager.Secret(
                f"{name}-{spec.name}",
                name=args.names.secrets[spec.name],
                description=spec.description,
                recovery_window_in_days=args.config.secret_recovery_window_days,
                opts=pulumi.ResourceOptions(parent=self, protect=args.stack.protect_data),
            )
            if spec.writer == "generated":
                value = random.RandomPassword(
                    f"{name}-{spec.name}-value", length=64, special=False, opts=pulumi.ResourceOptions(parent=self)
                )
                version = aws.secretsmanager.SecretVersion(
                    f"{name}-{spec.name}-version",
                    secret_id=secret.id,
                    secret_string=value.result,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                self.value_arns[spec.name] = version.secret_arn
                self.value_versions[spec.name] = version.version_id
            elif spec.writer == "operator":
                version = aws.secretsmanager.SecretVersion(
                    f"{name}-{spec.name}-version",
                    secret_id=secret.id,
                    secret_string=args.operator_values[spec.name],
                    # A version that loses every label may be deleted by Secrets Manager; the
                    # provider would then drop it from state and the next `up` would write the
                    # seed again as AWSCURRENT. The seed label keeps it from ever being unlabelled.
                    version_stages=["AWSCURRENT", SEED_STAGE],
                    # The first value only: rotations happen in Secrets Manager and stay.
                    opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secretString", "versionStages"]),
                )
                self.value_arns[spec.name] = version.secret_arn
                self.value_versions[spec.name] = version.version_id
            self.arns[spec.name] = secret.arn
            self.ids[spec.name] = secret.id
        self.register_outputs(declared(self))
