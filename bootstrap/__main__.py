"""marin-bootstrap: the one-time CI/CD setup of one environment's AWS account and GitHub Environments.

    cd bootstrap && pulumi up --stack <env>     # admin credentials for that account; `gh auth login` done

Declares GitHub's OIDC provider in the account, the deploy / readonly / preview roles trusted by
exactly one OIDC subject each, the self-managed state backend (bucket and KMS key) the
application stack `<env>` lives in, and the GitHub Environments `<env>` and `<env>-readonly`
with their reviewers, branch policy, variables and sealed secrets; in the one stack that owns them,
main's ruleset and the OIDC subject template. The config is validated against the application's
`Pulumi.<env>.yaml` before anything is registered.

No GitHub token is ever an input: pulumi-github's SDK copies `GITHUB_TOKEN` into the provider's
inputs (`token`), which the state keeps; without it the provider itself asks `gh auth token`
(terraform-provider-github, provider.go: `if token == "" { tokenFromGhCli(...) }`).
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [p for p in (str(HERE), str(HERE.parent)) if p not in sys.path]

import pulumi  # noqa: E402
import pulumi_aws as aws  # noqa: E402
import pulumi_github as github  # noqa: E402
from marin_bootstrap.components import (  # noqa: E402
    CiRoles,
    CiRolesArgs,
    GithubEnvironments,
    GithubEnvironmentsArgs,
    RepositorySettings,
    RepositorySettingsArgs,
    StateBackend,
    StateBackendArgs,
)
from marin_bootstrap.config import BootstrapConfigError, load  # noqa: E402
from pulumi.runtime import config as runtime_config  # noqa: E402

from marin import stackfiles  # noqa: E402

raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
try:
    cfg = load(pulumi.get_stack(), raw, stackfiles.all_environments(HERE.parent))
except BootstrapConfigError as error:
    raise pulumi.RunError(str(error)) from None
if os.environ.get("GITHUB_TOKEN"):
    raise pulumi.RunError(
        "GITHUB_TOKEN is set: pulumi-github would keep it in this stack's state as the provider's `token` "
        "input; unset it (`unset GITHUB_TOKEN`) and authenticate with `gh auth login` instead"
    )

providers = {
    "aws": aws.Provider(
        "aws",
        region=cfg.region,
        allowed_account_ids=[cfg.account_id],
        default_tags={"tags": {"Project": "marin", "Environment": cfg.env, "ManagedBy": "pulumi:marin-bootstrap"}},
    ),
    "github": github.Provider("github", owner=cfg.github_owner),  # token: `gh auth token`, never an input
}
opts = pulumi.ResourceOptions(providers=providers)
repository = github.get_repository_output(
    full_name=cfg.repo, opts=pulumi.InvokeOutputOptions(provider=providers["github"])
)
roles = CiRoles("ci", CiRolesArgs(cfg, repository.repo_id, repository.full_name), opts)
state = StateBackend("state", StateBackendArgs(cfg, roles), opts)
GithubEnvironments("environments", GithubEnvironmentsArgs(cfg, roles), opts)
if cfg.owns_repository_settings:
    RepositorySettings("repository", RepositorySettingsArgs(cfg), opts)

pulumi.export("deployRoleArn", roles.deploy.arn)
pulumi.export("readonlyRoleArn", roles.readonly.arn)
pulumi.export("previewRoleArn", roles.preview.arn)
pulumi.export("backendUrl", cfg.backend_url)
pulumi.export("secretsProvider", cfg.secrets_provider)
