"""Run the bootstrap program under the Pulumi SDK's mock engine, the way `offline.engine` runs the
application: the real `bootstrap/__main__.py`, the config the CLI would pass for
`bootstrap/Pulumi.<env>.yaml`, every registration recorded (inputs, parent, protect, ...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

from marin import stackfiles
from marin_bootstrap.config import NAMESPACE
from offline import engine

BOOTSTRAP_DIR = Path(__file__).resolve().parent.parent


class Mocks(engine.Mocks):
    """The application's mock answers, plus the ARN formats of what only the bootstrap declares."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rid, out = super().new_resource(args)
        if args.typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            out["arn"] = f"arn:aws:iam::{self.account}:oidc-provider/{args.inputs['url'].removeprefix('https://')}"
        elif args.typ == "aws:kms/key:Key":
            rid = f"{engine._suffix(args.name, 8)}-0000-4000-8000-{engine._suffix(args.name, 12)}"
            out.update(id=rid, keyId=rid, arn=f"arn:aws:kms:{self.region}:{self.account}:key/{rid}")
        elif args.typ == "aws:iam/role:Role":
            rid = args.inputs["name"]
            out["id"] = rid
        return rid, out

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "github:index/getRepository:getRepository":
            return {"id": args.args["fullName"], "fullName": args.args["fullName"], "repoId": REPOSITORY_ID}, []
        return super().call(args)


REPOSITORY_ID = 123456789
"""The repository's numeric id in the mocked GitHub (what `gh api repos/<owner>/<repo> --jq .id` prints)."""


def config_of(env: str, root: Path = BOOTSTRAP_DIR) -> dict[str, str]:
    return stackfiles.effective_config(env, root)


def run(env: str, *, config: Mapping[str, str] | None = None, root: Path = BOOTSTRAP_DIR) -> engine.Inventory:
    """Execute `bootstrap/__main__.py` for bootstrap stack `env` under mocks (raises what it raises)."""
    config = dict(config_of(env, root) if config is None else config)
    account = config.get(f"{NAMESPACE}:accountId", "000000000000")
    region = config.get(f"{NAMESPACE}:region", "us-east-1")
    return engine.run(
        env, config=config, stack_dir=root, code_dir=root, project=NAMESPACE, mocks=Mocks(env, account, region)
    )


def document(value: Any) -> dict[str, Any]:
    """A policy input as the engine received it (a JSON string) parsed."""
    return json.loads(value) if isinstance(value, str) else value
