"""marin-bootstrap: the one-time CI/CD setup of one environment's AWS account and GitHub Environments.

    cd bootstrap && pulumi up --stack <env>     # with admin credentials for that account and a GitHub token

Declares GitHub's OIDC provider in the account, the deploy / readonly / preview roles trusted by
exactly one OIDC subject each, the self-managed state backend (bucket and KMS key) the
application stack `<env>` lives in, and the GitHub Environments `<env>` and `<env>-readonly`
with their reviewers, branch policy and variables. The config is validated against the
application's `Pulumi.<env>.yaml` before anything is registered.
"""

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

providers = {
    "aws": aws.Provider(
        "aws",
        region=cfg.region,
        allowed_account_ids=[cfg.account_id],
        default_tags={"tags": {"Project": "marin", "Environment": cfg.env, "ManagedBy": "pulumi:marin-bootstrap"}},
    ),
    "github": github.Provider("github", owner=cfg.github_owner),  # token: GITHUB_TOKEN of the operator
}
opts = pulumi.ResourceOptions(providers=providers)
roles = CiRoles("ci", CiRolesArgs(cfg), opts)
state = StateBackend("state", StateBackendArgs(cfg, roles), opts)
GithubEnvironments("environments", GithubEnvironmentsArgs(cfg, roles), opts)

pulumi.export("deployRoleArn", roles.deploy.arn)
pulumi.export("readonlyRoleArn", roles.readonly.arn)
pulumi.export("previewRoleArn", roles.preview.arn)
pulumi.export("backendUrl", cfg.backend_url)
pulumi.export("secretsProvider", cfg.secrets_provider)
