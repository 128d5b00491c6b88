"""What the composition root needs before any tier: the validated config and the providers.

This is the only module that reads config from the Pulumi runtime; everything it reads is
handed to the pure validator in `marin.config`, which refuses bad input before any resource
is registered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_mongodbatlas as atlas
from pulumi.runtime import config as runtime_config

from marin import stackfiles
from marin.config import EnvConfig, load_environment


def raw_config() -> dict[str, Any]:
    """Every config value the engine passed to this run (stack file, `--config`, env)."""
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def load_config() -> EnvConfig:
    # The CLI runs the program from the project directory, beside the Pulumi.<env>.yaml files.
    return load_environment(pulumi.get_stack(), raw_config(), stackfiles.all_environments(Path.cwd()))


def providers(cfg: EnvConfig) -> dict[str, pulumi.ProviderResource]:
    """The stack's only providers (default providers are disabled in Pulumi.yaml).

    AWS: the stack's region and account and nothing else, default tags on every resource.
    Atlas: API keys from MONGODB_ATLAS_PUBLIC_KEY / MONGODB_ATLAS_PRIVATE_KEY, never from config.
    """
    return {
        "aws": aws.Provider(
            "aws",
            region=cfg.aws_region,
            allowed_account_ids=list(cfg.allowed_account_ids),
            default_tags={"tags": cfg.default_tags},
        ),
        "mongodbatlas": atlas.Provider("mongodbatlas"),
    }


def account_id(providers: dict[str, pulumi.ProviderResource]) -> str:
    """The account the credentials belong to (the provider has already refused any other)."""
    return aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=providers["aws"])).account_id
