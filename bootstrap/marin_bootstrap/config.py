"""The bootstrap stack's config, validated before anything is registered (pure: no Pulumi runtime).

One bootstrap stack per AWS account, named after the environment that account holds (`dev`,
`staging`, `prod`). The config is checked against the application stack of the same name
(`../Pulumi.<env>.yaml`): the account must be one that stack allows, the region its region, and
an environment whose data is protected (`marin:protectData: true`) must name required reviewers.
That is the "wrong environment" risk, refused here before a role trusts the wrong account.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marin.config import ENV_NAME

NAMESPACE = "marin-bootstrap"
APP = "marin"
KEYS = (
    "accountId",
    "region",
    "githubOwner",
    "githubRepository",
    "reviewerUserIds",
    "reviewerTeamIds",
    "promotedFrom",
    "ownsRepositorySettings",
    "existingOidcProvider",
    "requiredReviewersAvailable",
    "driftAssignees",
    "sealedSecrets",
    "codeOwnersTeam",
    "codeOwnersPermission",
)
# The OIDC `sub` claim template the repository's owning stack sets (GitHub docs, "Customizing the
# subject claims for an organization or repository"): `context` renders `environment:<name>` for a
# job bound to an environment and `pull_request` for a pull request's job.
SUBJECT_CLAIM_KEYS = ("repository_id", "context", "ref", "job_workflow_ref")
# The status check main's ruleset requires: the job `ci` of .github/workflows/ci.yml, reported by
# the GitHub Actions app (its id: `gh api repos/<o>/<r>/commits/<sha>/check-runs --jq '.check_runs[].app.id'`)
# and by nothing else: without an integration id anyone with write access can post a `ci` success status.
REQUIRED_CHECK = "ci"
GITHUB_ACTIONS_APP_ID = 15368
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$")
SEALED_VALUE = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
SECRET_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}-[a-z]+-\d$")
GITHUB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")
DEPLOY_BRANCH = "main"
# A team's slug (GitHub derives it from the name: letters, digits, `-`, `_`) and the permissions
# that let its review count as a code owner's (GitHub docs, "About code owners": write access).
TEAM_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
CODE_OWNER_PERMISSIONS = ("push", "maintain", "admin")


class BootstrapConfigError(ValueError):
    """Bootstrap config refused; one line per problem, naming key, value and what is allowed."""

    def __init__(self, stack: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"bootstrap stack {stack!r}: config refused, nothing was deployed: " + "; ".join(problems))


@dataclass(frozen=True)
class BootstrapConfig:
    env: str
    account_id: str
    region: str
    github_owner: str
    github_repository: str
    protected: bool
    """The application stack protects its data (marin:protectData): deploys need reviewers."""
    reviewer_user_ids: tuple[int, ...]
    reviewer_team_ids: tuple[int, ...]
    hosted_zone_id: str = ""
    """The application stack's Route 53 zone (marin:hostedZoneId): the only zone deploys may change."""
    service_discovery: bool = False
    """The application stack's ingress is an HTTP API (marin:ingress http-api): its Cloud Map
    namespace is a private hosted zone the deploy creates, changes and deletes."""
    promoted_from: str = ""
    """The environment whose successful deployment of a commit this one's deploy requires."""
    owns_repository_settings: bool = False
    """This stack manages the repository-wide settings (main's ruleset, the OIDC subject template):
    exactly one bootstrap stack does."""
    existing_oidc_provider: bool = False
    """The account already has GitHub's OIDC provider (IAM allows one per URL): use it, create none."""
    required_reviewers_available: bool = True
    """False on a private repository without GitHub Enterprise (required reviewers unavailable)."""
    drift_assignees: tuple[str, ...] = ()
    sealed_secrets: Mapping[str, Mapping[str, Any]] | None = None
    """Per GitHub environment: `keyId` and `values` (name -> value sealed with that environment's
    public key, e.g. `gh secret set NAME --env <environment> --no-store`): ciphertext only GitHub opens."""
    code_owners_team: str = ""
    """The owning stack: the team `.github/CODEOWNERS` names (its slug); the bootstrap gives it
    `code_owners_permission` on the repository, without which its review would not count."""
    code_owners_permission: str = "push"

    @property
    def repo(self) -> str:
        return f"{self.github_owner}/{self.github_repository}"

    @property
    def readonly_environment(self) -> str:
        """The GitHub Environment of the drift check and the deployment-record reads."""
        return f"{self.env}-readonly"

    @staticmethod
    def subject(repository: str, repository_id: int | str, environment: str, workflow: str) -> str:
        """The OIDC `sub` claim (template SUBJECT_CLAIM_KEYS) of a job of `workflow` on main bound to
        `environment` in this repository (its numeric id: a renamed or re-created repository differs).
        `repository`: the full name as GitHub spells it (the repository data source's `full_name`,
        not the config's: `job_workflow_ref` carries GitHub's spelling and IAM's StringEquals is
        case-sensitive, so `acme` in config against `Acme` on GitHub would lock every deploy out)."""
        ref = f"refs/heads/{DEPLOY_BRANCH}"
        workflow_ref = f"{repository}/.github/workflows/{workflow}@{ref}"
        return f"repository_id:{repository_id}:environment:{environment}:ref:{ref}:job_workflow_ref:{workflow_ref}"

    @staticmethod
    def pull_request_subject(repository: str, repository_id: int | str) -> str:
        """A pull request's preview job (any pull request of this repository: `*` stands for its number)."""
        ref = "refs/pull/*/merge"
        workflow_ref = f"{repository}/.github/workflows/preview.yml@{ref}"
        return f"repository_id:{repository_id}:pull_request:ref:{ref}:job_workflow_ref:{workflow_ref}"

    @property
    def state_bucket(self) -> str:
        return f"marin-state-{self.env}-{self.account_id}"

    @property
    def state_key_alias(self) -> str:
        return f"alias/marin-{self.env}-pulumi-state"

    @property
    def backend_url(self) -> str:
        return f"s3://{self.state_bucket}?region={self.region}"

    @property
    def secrets_provider(self) -> str:
        return f"awskms://{self.state_key_alias}?region={self.region}"

    def role_name(self, kind: str) -> str:
        return f"marin-{self.env}-ci-{kind}"


def _ids(key: str, raw: Any, problems: list[str]) -> tuple[int, ...]:
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        value = None
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        problems.append(f"{NAMESPACE}:{key}={raw}: allowed: a list of numeric GitHub ids, e.g. [1234567]")
        return ()
    return tuple(value)


def load(stack: str, raw: Mapping[str, str], app_stacks: Mapping[str, Mapping[str, str]]) -> BootstrapConfig:
    """`raw`: the bootstrap stack's config as the engine passes it (fully qualified keys, strings).
    `app_stacks`: every application stack's effective config, by environment."""
    problems: list[str] = []
    if stack not in app_stacks:
        raise BootstrapConfigError(
            stack, [f"stack {stack!r}: allowed: the name of an application stack ({', '.join(app_stacks)})"]
        )
    if not ENV_NAME.fullmatch(stack):
        raise BootstrapConfigError(
            stack,
            [
                f"stack {stack!r}: allowed: 2-10 lowercase letters and digits, starting with a letter (the "
                "application's rule; it also names the repository variables AWS_PREVIEW_ROLE_ARN_<ENV>)"
            ],
        )
    app = app_stacks[stack]
    prefix = f"{NAMESPACE}:"
    for key in sorted(k for k in raw if k.startswith(prefix) and k[len(prefix) :] not in KEYS):
        problems.append(f"{key}: unknown key; allowed: {', '.join(KEYS)}")

    def text(key: str, pattern: re.Pattern[str], allowed: str) -> str:
        value = raw.get(prefix + key, "")
        if not pattern.fullmatch(value):
            problems.append(f"{prefix}{key}={value or '(missing)'}: allowed: {allowed}")
        return value

    account = text("accountId", ACCOUNT_ID, "a 12-digit AWS account id")
    region = text("region", REGION, "an AWS region, e.g. us-east-1")
    owner = text("githubOwner", GITHUB_NAME, "a GitHub user or organization name")
    repository = text("githubRepository", GITHUB_NAME, "a GitHub repository name")
    users = _ids("reviewerUserIds", raw.get(prefix + "reviewerUserIds"), problems)
    teams = _ids("reviewerTeamIds", raw.get(prefix + "reviewerTeamIds"), problems)
    flags = {k: _flag(k, raw.get(prefix + k), problems) for k in FLAGS}
    promoted_from = raw.get(prefix + "promotedFrom", "")
    if (promoted_from and promoted_from not in app_stacks) or promoted_from == stack:
        others = ", ".join(e for e in app_stacks if e != stack)
        problems.append(f"{prefix}promotedFrom={promoted_from}: allowed: another application stack ({others}) or unset")
    assignees = _logins(raw.get(prefix + "driftAssignees"), problems)
    sealed = _sealed(stack, raw.get(prefix + "sealedSecrets"), problems)
    team = raw.get(prefix + "codeOwnersTeam", "")
    permission = raw.get(prefix + "codeOwnersPermission", "push")
    if flags["ownsRepositorySettings"] and not TEAM_SLUG.fullmatch(team):
        problems.append(
            f"{prefix}codeOwnersTeam={team or '(missing)'}: allowed: the slug of the team .github/CODEOWNERS "
            "names (required with ownsRepositorySettings: true)"
        )
    if team and not flags["ownsRepositorySettings"]:
        problems.append(f"{prefix}codeOwnersTeam={team}: allowed only in the stack with ownsRepositorySettings: true")
    if permission not in CODE_OWNER_PERMISSIONS:
        problems.append(f"{prefix}codeOwnersPermission={permission}: allowed: {', '.join(CODE_OWNER_PERMISSIONS)}")

    allowed_accounts = json.loads(app.get(f"{APP}:allowedAccountIds", "[]"))
    if ACCOUNT_ID.fullmatch(account) and account not in allowed_accounts:
        deploys_to = ", ".join(allowed_accounts)
        problems.append(f"{prefix}accountId={account}: allowed: an account stack {stack!r} deploys to ({deploys_to})")
    app_region = app.get(f"{APP}:awsRegion", "us-east-1")
    if REGION.fullmatch(region) and region != app_region:
        problems.append(f"{prefix}region={region}: allowed: {app_region} (the region of stack {stack!r})")
    protected = app.get(f"{APP}:protectData") == "true"
    if protected and flags["requiredReviewersAvailable"] and len(users) < 2 and not teams:
        problems.append(
            f"{prefix}reviewerUserIds={list(users)} and {prefix}reviewerTeamIds=[]: allowed: two reviewers or a "
            f"team, because stack {stack!r} protects its data (marin:protectData: true) and nobody may approve "
            "their own deploy (a lone reviewer who merged could never approve it)"
        )
    if len(users) + len(teams) > 6:
        problems.append(
            f"{prefix}reviewerUserIds/reviewerTeamIds: {len(users) + len(teams)} reviewers: allowed: at most 6"
        )
    if problems:
        raise BootstrapConfigError(stack, problems)
    return BootstrapConfig(
        env=stack,
        account_id=account,
        region=region,
        github_owner=owner,
        github_repository=repository,
        protected=protected,
        reviewer_user_ids=users,
        reviewer_team_ids=teams,
        hosted_zone_id=app.get(f"{APP}:hostedZoneId", ""),
        service_discovery=app.get(f"{APP}:ingress", "alb") == "http-api",
        promoted_from=promoted_from,
        owns_repository_settings=flags["ownsRepositorySettings"],
        existing_oidc_provider=flags["existingOidcProvider"],
        required_reviewers_available=flags["requiredReviewersAvailable"],
        drift_assignees=assignees,
        sealed_secrets=sealed,
        code_owners_team=team,
        code_owners_permission=permission,
    )


FLAGS = {"ownsRepositorySettings": False, "existingOidcProvider": False, "requiredReviewersAvailable": True}


def _flag(key: str, raw: Any, problems: list[str]) -> bool:
    if raw is None:
        return FLAGS[key]
    if str(raw) not in ("true", "false"):
        problems.append(f"{NAMESPACE}:{key}={raw}: allowed: true or false")
        return FLAGS[key]
    return str(raw) == "true"


def _logins(raw: Any, problems: list[str]) -> tuple[str, ...]:
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        value = raw
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and GITHUB_LOGIN.fullmatch(v) for v in value):
        problems.append(f"{NAMESPACE}:driftAssignees={raw}: allowed: a list of GitHub logins, e.g. [octocat]")
        return ()
    return tuple(value)


def _sealed(stack: str, raw: Any, problems: list[str]) -> dict[str, dict[str, Any]]:
    """`{<environment>: {keyId: ..., values: {NAME: sealed}}}`, environments `<env>` and `<env>-readonly`."""
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        value = raw
    if value is None:
        return {}
    allowed = (stack, f"{stack}-readonly")
    ok = isinstance(value, dict) and all(
        env in allowed
        and isinstance(spec, dict)
        and set(spec) == {"keyId", "values"}
        and isinstance(spec["keyId"], str)
        and isinstance(spec["values"], dict)
        and all(
            SECRET_NAME.fullmatch(n) and isinstance(v, str) and SEALED_VALUE.fullmatch(v)
            for n, v in spec["values"].items()
        )
        for env, spec in value.items()
    )
    if not ok:
        problems.append(
            f"{NAMESPACE}:sealedSecrets: allowed: {{<{' or '.join(allowed)}>: {{keyId: <the environment's public "
            "key id>, values: {NAME: <base64 value sealed by `gh secret set NAME --env <environment> --no-store`>}}}"
        )
        return {}
    assert isinstance(value, dict)
    return value
