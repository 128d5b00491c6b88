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
from pulumi.runtime import config as runtime_config

from marin import stackfiles
from marin.config import EnvConfig, load_environment


def raw_config() -> dict[str, Any]:
    """Every config value the engine passed to this run (stack file, `--config`, env)."""
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def load_config() -> EnvConfig:
    # The CLI runs the program from the project directory, beside the Pulumi.<env>.yaml files.
    return load_environment(pulumi.get_stack(), raw_config(), stackfiles.all_environments(Path.cwd()))


def aws_provider(cfg: EnvConfig) -> aws.Provider:
    """The stack's only AWS provider: its region, its account and nothing else, tags on everything."""
    return aws.Provider(
        "aws",
        region=cfg.aws_region,
        allowed_account_ids=list(cfg.allowed_account_ids),
        default_tags={"tags": cfg.default_tags},
    )


def account_id(provider: aws.Provider) -> str:
    """The account the credentials belong to (the provider has already refused any other)."""
    return aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id
