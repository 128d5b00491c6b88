"""The components of one bootstrap stack: CI roles with OIDC trust, the state backend, GitHub Environments."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_github as github

from marin_bootstrap import policies
from marin_bootstrap.config import (
    DEPLOY_BRANCH,
    GITHUB_ACTIONS_APP_ID,
    REQUIRED_CHECK,
    SUBJECT_CLAIM_KEYS,
    BootstrapConfig,
)

GITHUB_OIDC_URL = f"https://{policies.OIDC_HOST}"


# The workflow file whose jobs each role trusts (the `job_workflow_ref` of the subject).
ROLE_WORKFLOWS = {"deploy": "deploy-stack.yml", "readonly": "drift.yml"}


@dataclass(frozen=True)
class CiRolesArgs:
    cfg: BootstrapConfig
    repository_id: pulumi.Input[int]
    """GitHub's numeric id of the repository (the subject binds it, not the renameable name)."""
    repository_full_name: pulumi.Input[str]
    """`owner/name` as GitHub spells it (the repository data source), as `job_workflow_ref` carries it."""


class CiRoles(pulumi.ComponentResource):
    """GitHub's OIDC identity provider and the deploy, readonly and preview roles (trust only;
    their permissions are attached by `StateBackend` once the state key exists)."""

    deploy: aws.iam.Role
    readonly: aws.iam.Role
    preview: aws.iam.Role

    def __init__(self, name: str, args: CiRolesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:ci:Roles", name, None, opts)
        cfg = args.cfg
        # IAM holds one provider per URL: an account that already has GitHub's (EntityAlreadyExists
        # on create) names it with `existingOidcProvider: true`, and the roles trust that one.
        provider_arn: pulumi.Input[str] = f"arn:aws:iam::{cfg.account_id}:oidc-provider/{policies.OIDC_HOST}"
        if not cfg.existing_oidc_provider:
            provider_arn = aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc",
                url=GITHUB_OIDC_URL,
                client_id_lists=[policies.OIDC_AUDIENCE],
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            ).arn
        roles: dict[str, aws.iam.Role] = {}
        for kind in ("deploy", "readonly", "preview"):
            environment = cfg.env if kind == "deploy" else cfg.readonly_environment
            subject = pulumi.Output.all(args.repository_full_name, args.repository_id).apply(
                lambda a, k=kind, e=environment: (
                    cfg.pull_request_subject(a[0], a[1])
                    if k == "preview"
                    else cfg.subject(a[0], a[1], e, ROLE_WORKFLOWS[k])
                )
            )
            roles[kind] = aws.iam.Role(
                f"{name}-{kind}",
                name=cfg.role_name(kind),
                description=f"marin {cfg.env}: CI {kind} role, assumable only through GitHub OIDC ({kind} jobs)",
                assume_role_policy=pulumi.Output.all(provider_arn, subject).apply(
                    lambda a: json.dumps(policies.trust(a[0], a[1]))
                ),
                # The session outlives the deploy job's timeout (deploy-stack.yml), never the reverse.
                max_session_duration=policies.SESSION_SECONDS[kind],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.deploy, self.readonly, self.preview = roles["deploy"], roles["readonly"], roles["preview"]
        self.register_outputs({k: r.arn for k, r in roles.items()})


@dataclass(frozen=True)
class StateBackendArgs:
    cfg: BootstrapConfig
    roles: CiRoles


class StateBackend(pulumi.ComponentResource):
    """The self-managed Pulumi state of the environment: a versioned, TLS-only, private bucket,
    encrypted with a rotating KMS key that is also the stack's secrets provider; and the roles'
    permissions, which name that key."""

    def __init__(self, name: str, args: StateBackendArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:ci:StateBackend", name, None, opts)
        cfg, roles = args.cfg, args.roles
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=True)
        key = aws.kms.Key(
            f"{name}-key",
            description=f"marin {cfg.env}: Pulumi state and secrets provider",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(roles.deploy.arn, roles.readonly.arn).apply(
                lambda arns: json.dumps(policies.state_key_policy(cfg, arns[0], arns[1]))
            ),
            opts=kept,
        )
        aws.kms.Alias(f"{name}-key-alias", name=cfg.state_key_alias, target_key_id=key.key_id, opts=child)
        bucket = aws.s3.Bucket(f"{name}-bucket", bucket=cfg.state_bucket, opts=kept)
        aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": key.arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=json.dumps(policies.state_bucket_policy(cfg.state_bucket)),
            opts=child,
        )
        documents = {"deploy": policies.deploy, "readonly": policies.readonly, "preview": policies.preview}
        for kind, role in (("deploy", roles.deploy), ("readonly", roles.readonly), ("preview", roles.preview)):
            aws.iam.RolePolicy(
                f"{name}-{kind}-policy",
                name=f"marin-{cfg.env}-ci-{kind}",
                role=role.id,
                policy=key.arn.apply(lambda arn, doc=documents[kind]: json.dumps(doc(cfg, arn))),
                opts=child,
            )
        self.bucket, self.key = bucket, key
        self.register_outputs({"bucket": bucket.bucket, "key": key.arn})


@dataclass(frozen=True)
class GithubEnvironmentsArgs:
    cfg: BootstrapConfig
    roles: CiRoles


class GithubEnvironments(pulumi.ComponentResource):
    """`<env>` (deploys, behind the required reviewers) and `<env>-readonly` (the nightly drift
    check, which waits for nobody), both `main` only, each with the variables its jobs read and its
    sealed secrets; and the repository variables naming the preview role. `<env>-readonly` decrypts
    the state too: what keeps other code out of it is the readonly role's subject (drift.yml on
    main only), the main-only branch policy, and main's ruleset with the code owners' review of
    `.github/`; reviewers there would only hold each night's run until someone approves it (GitHub
    keeps one pending run and cancels the older one)."""

    def __init__(self, name: str, args: GithubEnvironmentsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:ci:GithubEnvironments", name, None, opts)
        cfg, roles = args.cfg, args.roles
        child = pulumi.ResourceOptions(parent=self)
        reviewers = (
            [{"users": list(cfg.reviewer_user_ids), "teams": list(cfg.reviewer_team_ids)}]
            if cfg.reviewer_user_ids or cfg.reviewer_team_ids
            else []
        )
        environments = {
            cfg.env: {
                "reviewers": reviewers,
                "variables": {
                    "AWS_DEPLOY_ROLE_ARN": roles.deploy.arn,
                    "MARIN_ENVIRONMENT": cfg.env,
                    "AWS_REGION": cfg.region,
                    "PULUMI_BACKEND_URL": cfg.backend_url,
                    "PULUMI_SECRETS_PROVIDER": cfg.secrets_provider,
                },
            },
            cfg.readonly_environment: {
                "reviewers": [],
                "variables": {
                    "MARIN_DRIFT_ASSIGNEES": ",".join(cfg.drift_assignees),
                    "AWS_READONLY_ROLE_ARN": roles.readonly.arn,
                    "MARIN_ENVIRONMENT": cfg.env,
                    "AWS_REGION": cfg.region,
                    "PULUMI_BACKEND_URL": cfg.backend_url,
                    "PULUMI_SECRETS_PROVIDER": cfg.secrets_provider,
                    "MARIN_PROMOTED_FROM": cfg.promoted_from,
                },
            },
        }
        for env_name, spec in environments.items():
            environment = github.RepositoryEnvironment(
                f"{name}-{env_name}",
                repository=cfg.github_repository,
                environment=env_name,
                reviewers=spec["reviewers"],
                prevent_self_review=bool(spec["reviewers"]),
                # admins bypass nothing where there is something to bypass: reviewers, or the
                # main-only branch policy of the environment that decrypts the state unattended
                can_admins_bypass=not spec["reviewers"] and env_name == cfg.env,
                deployment_branch_policy={"protected_branches": False, "custom_branch_policies": True},
                opts=child,
            )
            github.RepositoryEnvironmentDeploymentPolicy(
                f"{name}-{env_name}-main-only",
                repository=cfg.github_repository,
                environment=environment.environment,
                branch_pattern=DEPLOY_BRANCH,
                opts=child,
            )
            for variable, value in spec["variables"].items():
                github.ActionsEnvironmentVariable(
                    f"{name}-{env_name}-{variable.lower().replace('_', '-')}",
                    repository=cfg.github_repository,
                    environment=environment.environment,
                    variable_name=variable,
                    value=value,
                    opts=child,
                )
            for secret, sealed in ((cfg.sealed_secrets or {}).get(env_name) or {"values": {}})["values"].items():
                github.ActionsEnvironmentSecret(
                    f"{name}-{env_name}-{secret.lower().replace('_', '-')}",
                    repository=cfg.github_repository,
                    environment=environment.environment,
                    secret_name=secret,
                    key_id=(cfg.sealed_secrets or {})[env_name]["keyId"],
                    value_encrypted=sealed,
                    opts=child,
                )
        for variable, value in (
            (f"AWS_PREVIEW_ROLE_ARN_{cfg.env.upper()}", roles.preview.arn),
            (f"AWS_REGION_{cfg.env.upper()}", cfg.region),
        ):
            github.ActionsVariable(
                f"{name}-{variable.lower().replace('_', '-')}",
                repository=cfg.github_repository,
                variable_name=variable,
                value=value,
                opts=child,
            )
        self.register_outputs({})


@dataclass(frozen=True)
class RepositorySettingsArgs:
    cfg: BootstrapConfig


class RepositorySettings(pulumi.ComponentResource):
    """What protects `main` and the roles' subjects, repository-wide: main's ruleset (changes only
    through a pull request a code owner approved, the `ci` check green, no force push, no deletion,
    nobody bypasses), write access for the code owners' team (.github/CODEOWNERS) and the OIDC
    subject template the roles' trust policies are written for."""

    def __init__(self, name: str, args: RepositorySettingsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:ci:RepositorySettings", name, None, opts)
        cfg = args.cfg
        child = pulumi.ResourceOptions(parent=self)
        github.RepositoryRuleset(
            f"{name}-main",
            name=f"{DEPLOY_BRANCH} is changed only through reviewed pull requests",
            repository=cfg.github_repository,
            target="branch",
            enforcement="active",
            conditions={"ref_name": {"includes": [f"refs/heads/{DEPLOY_BRANCH}"], "excludes": []}},
            bypass_actors=[],
            rules={
                "deletion": True,
                "non_fast_forward": True,
                "pull_request": {
                    "required_approving_review_count": 1,
                    "require_code_owner_review": True,
                    "dismiss_stale_reviews_on_push": True,
                    "require_last_push_approval": True,
                },
                "required_status_checks": {
                    "required_checks": [{"context": REQUIRED_CHECK, "integration_id": GITHUB_ACTIONS_APP_ID}],
                    "strict_required_status_checks_policy": True,
                },
            },
            opts=child,
        )
        # The code owners' review counts only if the team can write (GitHub docs, "About code
        # owners"); otherwise the ruleset silently requires no code owner at all.
        github.TeamRepository(
            f"{name}-code-owners",
            team_id=cfg.code_owners_team,
            repository=cfg.github_repository,
            permission=cfg.code_owners_permission,
            opts=child,
        )
        github.ActionsRepositoryOidcSubjectClaimCustomizationTemplate(
            f"{name}-oidc-subject",
            repository=cfg.github_repository,
            use_default=False,
            include_claim_keys=list(SUBJECT_CLAIM_KEYS),
            opts=child,
        )
        self.register_outputs({})
