"""secrets tier: the `{env}/audio-pipeline/*` hierarchy in Secrets Manager.

Every secret of `marin.catalogue.SECRETS` exists here. Values are written by whoever owns them:
`generated` secrets get a pulumi-random value here; tier-owned secrets (database, cache, search)
get their version from that tier; `operator` secrets get no Pulumi-managed version at all, so
no `pulumi up` can ever overwrite what an operator put there.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from marin.catalogue import SECRETS


@dataclass(frozen=True)
class SecretsArgs:
    paths: dict[str, str]
    """Secret name -> full path (`<env>/audio-pipeline/<name>`)."""
    recovery_window_days: int
    protect: bool


class Secrets(pulumi.ComponentResource):
    arns: dict[str, pulumi.Output[str]]
    ids: dict[str, pulumi.Output[str]]
    awaiting_operator: list[str]

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:secrets:Secrets", name, None, opts)
        self.arns, self.ids, self.awaiting_operator = {}, {}, []
        for spec in SECRETS:
            secret = aws.secretsmanager.Secret(
                f"{name}-{spec.name}",
                name=args.paths[spec.name],
                description=spec.description,
                recovery_window_in_days=args.recovery_window_days,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            if spec.writer == "generated":
                value = random.RandomPassword(
                    f"{name}-{spec.name}-value", length=64, special=False, opts=pulumi.ResourceOptions(parent=self)
                )
                aws.secretsmanager.SecretVersion(
                    f"{name}-{spec.name}-version",
                    secret_id=secret.id,
                    secret_string=value.result,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            elif spec.writer == "operator":
                self.awaiting_operator.append(args.paths[spec.name])
            self.arns[spec.name] = secret.arn
            self.ids[spec.name] = secret.id
        self.register_outputs({"arns": self.arns})
