"""What the composition root needs before any tier: the validated config and the providers.

This is the only module that reads config from the Pulumi runtime; everything it reads is
handed to the pure validator in `marin.config`, which refuses bad input before any resource
is registered. A real `pulumi up` or `preview` is also refused while the stack still carries the
committed example identities or lacks an operator secret (`marin.config.deploy_problems`); the
offline tools, which run the same program under the SDK's mock engine, accept them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_mongodbatlas as atlas
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks, settings

from marin.config import NAMESPACE, SECRET_KEYS, ConfigError, EnvConfig, deploy_problems, parse


def raw_config() -> dict[str, Any]:
    """Every config value the engine passed to this run (stack file, `--config`, env)."""
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def running_offline() -> bool:
    """True under the SDK's mock engine (`offline/engine.py`), false under the Pulumi CLI.

    Decided by the monitor the program talks to, not by anything a stack or a shell can set.
    The offline engine can ask to be treated as a real deployment (`as_real_deploy`), so the
    refusal below is tested.
    """
    monitor = settings.get_monitor()
    return isinstance(monitor, mocks.MockMonitor) and not getattr(monitor, "as_real_deploy", False)


class RefusedConfig(ConfigError, pulumi.RunError):
    """A ConfigError the Pulumi CLI prints as its message alone: `RunError` ends a program with a
    clean error instead of a Python traceback."""


def load_config() -> EnvConfig:
    """The selected stack's config, validated. Only this stack's: another environment's stack file,
    broken or not, has no say in this one's `up` (checks across environments run offline and in CI)."""
    stack = pulumi.get_stack()
    # The CLI runs the program from the project directory, beside the Pulumi.<env>.yaml files.
    if not Path(f"Pulumi.{stack}.yaml").is_file():
        raise RefusedConfig(
            stack,
            [
                f"stack {stack!r} has no Pulumi.{stack}.yaml: add it from templates/Pulumi.ENV.yaml "
                "(docs/environments.md: Adding an environment)"
            ],
        )
    raw = raw_config()
    try:
        secret = {k for k in raw if runtime_config.is_config_secret(k)} | set(
            runtime_config.get_config_secret_keys_env()
        )
        cfg = parse(stack, raw, secret_keys=secret)
    except ConfigError as exc:
        raise RefusedConfig(exc.stack, exc.problems) from None
    if not running_offline():
        problems = deploy_problems(cfg, raw)
        if problems:
            raise RefusedConfig(cfg.env, problems)
    return cfg


def operator_secret_values() -> dict[str, pulumi.Output[str]]:
    """First values of the operator secrets (catalogue name -> secret Output), from secret config."""
    config = pulumi.Config(NAMESPACE)
    return {key.secret: config.require_secret(key.name) for key in SECRET_KEYS}


def providers(cfg: EnvConfig) -> dict[str, pulumi.ProviderResource]:
    """The stack's only providers (default providers are disabled in Pulumi.yaml).

    AWS: the stack's region and account and nothing else, default tags on every resource.
    Atlas: API keys from MONGODB_ATLAS_PUBLIC_KEY / MONGODB_ATLAS_PRIVATE_KEY, never from config.
    """
    return {
        "aws": aws.Provider(
            "aws",
            region=cfg.stack.aws_region,
            allowed_account_ids=list(cfg.stack.allowed_account_ids),
            default_tags={"tags": cfg.default_tags},
        ),
        "mongodbatlas": atlas.Provider("mongodbatlas"),
    }


def account_id(providers: dict[str, pulumi.ProviderResource]) -> str:
    """The account the credentials belong to (the provider has already refused any other)."""
    return aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=providers["aws"])).account_id


def check_hosted_zone(cfg: EnvConfig, providers: dict[str, pulumi.ProviderResource]) -> None:
    """Refuse a hosted zone that cannot hold the api's name, before any tier is built."""
    if not cfg.ingress.hosted_zone_id:
        return
    zone = aws.route53.get_zone(
        zone_id=cfg.ingress.hosted_zone_id, opts=pulumi.InvokeOptions(provider=providers["aws"])
    )
    zone_name = zone.name.rstrip(".")
    host = cfg.names.api_hostname
    if zone.private_zone or not (host == zone_name or host.endswith(f".{zone_name}")):
        kind = "private" if zone.private_zone else "public"
        raise RefusedConfig(
            cfg.env,
            [
                f"{NAMESPACE}:hostedZoneId={cfg.ingress.hosted_zone_id!r} is the {kind} "
                f"zone {zone_name!r}; allowed: a public zone that {host!r} belongs to "
                f"({NAMESPACE}:domainName or {cfg.env}.{cfg.ingress.domain_name})"
            ],
        )
