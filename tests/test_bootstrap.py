"""The one-time setup as code (bootstrap/): run under the mock engine for every committed bootstrap
stack, its trust, its roles' permissions (moto's IAM evaluator, against the application's own
secret ARNs and recordings), its state backend and its GitHub Environments."""

from __future__ import annotations

import functools
import json
import re
import sys
from typing import Any

import pytest
import yaml
from moto.iam.access_control import IAMPolicy, PermissionResult

from marin import stackfiles
from marin.naming import EnvironmentNames
from marin.stackfiles import PROJECT_ROOT
from offline.engine import Inventory, Resource

sys.path.insert(0, str(PROJECT_ROOT / "bootstrap"))
from marin_bootstrap import config, offline, policies

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
import drift_status

from .conftest import inventory_of

BOOTSTRAP_ENVS = sorted(p.name.split(".")[1] for p in (PROJECT_ROOT / "bootstrap").glob("Pulumi.*.yaml"))
APP = stackfiles.all_environments()
OIDC = policies.OIDC_HOST
READ_SECRET, READ_OBJECT, DECRYPT = "secretsmanager:GetSecretValue", "s3:GetObject", "kms:Decrypt"


@functools.cache
def bootstrap_of(env: str) -> Inventory:
    return offline.run(env)


@pytest.fixture(params=BOOTSTRAP_ENVS)
def benv(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def boot(benv: str) -> Inventory:
    return bootstrap_of(benv)


def role(inv: Inventory, kind: str) -> Resource:
    (found,) = [r for r in inv.of_type("aws:iam/role:Role") if r.inputs["name"].endswith(f"-ci-{kind}")]
    return found


def role_policy(inv: Inventory, kind: str) -> str:
    (found,) = [
        r for r in inv.of_type("aws:iam/rolePolicy:RolePolicy") if r.inputs["role"] == role(inv, kind).outputs["id"]
    ]
    return found.inputs["policy"]


def result(inv: Inventory, kind: str, action: str, arn: str) -> PermissionResult:
    return IAMPolicy(role_policy(inv, kind)).is_action_permitted(action, arn)


def can(inv: Inventory, kind: str, action: str, arn: str) -> bool:
    return result(inv, kind, action, arn) == PermissionResult.PERMITTED


def state_key(inv: Inventory) -> str:
    return inv.one("aws:kms/key:Key").outputs["arn"]


def state_object(inv: Inventory) -> str:
    return f"arn:aws:s3:::{inv.one('aws:s3/bucket:Bucket').inputs['bucket']}/.pulumi/stacks/marin/prod.json"


def app_data(env: str) -> dict[str, list[str]]:
    app = inventory_of(env)
    bucket = next(r for r in app.of_type("aws:s3/bucket:Bucket") if "recordings" in r.inputs["bucket"])
    return {
        "secrets": [s.outputs["arn"] for s in app.of_type("aws:secretsmanager/secret:Secret")],
        "objects": [f"{bucket.outputs['arn']}/recordings/2026/11/call.wav"],
        "keys": [k.outputs["arn"] for k in app.of_type("aws:kms/key:Key")],
    }


def test_there_is_one_bootstrap_stack_per_application_environment() -> None:
    assert sorted(stackfiles.environments()) == BOOTSTRAP_ENVS
    project = yaml.safe_load((PROJECT_ROOT / "bootstrap" / "Pulumi.yaml").read_text())
    assert project["name"] == "marin-bootstrap"
    declared = set(project["config"]) - {"pulumi:disable-default-providers"}
    assert declared == set(config.KEYS)


# --- trust -----------------------------------------------------------------------------------------


def subjects(cfg_env: str) -> dict[str, str]:
    """Subjects GitHub issues under the template SUBJECT_CLAIM_KEYS (GitHub docs, OpenID Connect
    reference, "Customizing the subject claims": the keys' `key:value` pairs joined by `:`, `context`
    rendering `environment:<name>` or `pull_request`), for the jobs that must and must not get in."""
    raw = offline.config_of(cfg_env)
    repo = f"{raw['marin-bootstrap:githubOwner']}/{raw['marin-bootstrap:githubRepository']}"
    rid = offline.REPOSITORY_ID

    def sub(context: str, ref: str, workflow: str, repository_id: int = rid) -> str:
        workflow_ref = f"{repo}/.github/workflows/{workflow}@{ref}"
        return f"repository_id:{repository_id}:{context}:ref:{ref}:job_workflow_ref:{workflow_ref}"

    main, pr = "refs/heads/main", "refs/pull/42/merge"
    readonly = f"environment:{cfg_env}-readonly"
    return {
        "deploy": sub(f"environment:{cfg_env}", main, "deploy-stack.yml"),
        "readonly": sub(readonly, main, "drift.yml"),
        "preview": sub("pull_request", pr, "preview.yml"),
        # issue 24, point 3: a new workflow bound to <env>-readonly (or <env>) on main reads nothing
        "new-workflow-readonly": sub(readonly, main, "exfiltrate.yml"),
        "new-workflow-deploy": sub(f"environment:{cfg_env}", main, "deploy.yml"),
        "deploy-from-a-branch": sub(f"environment:{cfg_env}", "refs/heads/feature", "deploy-stack.yml"),
        "pull-request-other-workflow": sub("pull_request", pr, "exfiltrate.yml"),
        # a re-created repository of the same name has another id
        "same-name-other-repository": sub(f"environment:{cfg_env}", main, "deploy-stack.yml", rid + 1),
        # the default template (no customisation) is refused: the template must be in place
        "default-template": f"repo:{repo}:environment:{cfg_env}",
        "default-template-pull-request": f"repo:{repo}:pull_request",
        **{
            f"env-{e}": sub(f"environment:{e}", main, "deploy-stack.yml")
            for e in stackfiles.environments()
            if e != cfg_env
        },
    }


def assumable(trust: str, sub: str, aud: str = policies.OIDC_AUDIENCE) -> bool:
    """The trust's one statement evaluated as IAM does for StringEquals (exact) and StringLike (`*`
    any run of characters, `?` one; IAM User Guide, "String condition operators"): moto 5.2's trust
    evaluator checks StringEquals only and ignores StringLike (moto/iam/policy_conditions.py)."""
    (statement,) = json.loads(trust)["Statement"]
    values = {f"{OIDC}:sub": sub, f"{OIDC}:aud": aud}
    for operator, expected in statement["Condition"].items():
        assert operator in ("StringEquals", "StringLike"), operator
        for key, pattern in expected.items():
            regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
            if not (values[key] == pattern if operator == "StringEquals" else re.fullmatch(regex, values[key])):
                return False
    return statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRoleWithWebIdentity"


@pytest.mark.parametrize("kind", ["deploy", "readonly", "preview"])
def test_each_role_trusts_exactly_its_workflow_on_main_in_this_repository(
    boot: Inventory, benv: str, kind: str
) -> None:
    """Issue 24, points 3 and 14: repository id, environment, ref and workflow file, not the name alone."""
    trust = role(boot, kind).inputs["assumeRolePolicy"]
    (statement,) = json.loads(trust)["Statement"]
    provider = boot.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert statement["Principal"] == {"Federated": provider.outputs["arn"]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    # a wildcard only for a pull request's number
    assert set(statement["Condition"]) == ({"StringEquals", "StringLike"} if kind == "preview" else {"StringEquals"})
    candidates = subjects(benv)
    allowed = {name for name, sub in candidates.items() if assumable(trust, sub)}
    assert allowed == {kind}
    assert not assumable(trust, candidates[kind], aud="sts.example.com")


def test_the_trust_names_the_repository_as_github_spells_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Review of issue 24, point 3: GitHub writes `job_workflow_ref` with the repository's own
    spelling (the REST API's `full_name`, which the repository data source returns:
    terraform-provider-github data_source_github_repository.go, `d.Set("full_name", repo.GetFullName())`),
    and IAM's StringEquals is case-sensitive (IAM User Guide, "String condition operators"): a config
    that says `acme` for GitHub's `Acme` must not lock every deploy out."""
    env = BOOTSTRAP_ENVS[0]
    spelled = "ACME-Corp/Marin-Environments"
    answer = offline.Mocks.call

    def call(self: offline.Mocks, args: Any) -> Any:
        out, deps = answer(self, args)
        return ({**out, "fullName": spelled} if "fullName" in out else out), deps

    monkeypatch.setattr(offline.Mocks, "call", call)
    inv = offline.run(env)
    for kind, workflow in (("deploy", "deploy-stack.yml"), ("readonly", "drift.yml"), ("preview", "preview.yml")):
        (statement,) = json.loads(role(inv, kind).inputs["assumeRolePolicy"])["Statement"]
        sub = {**statement["Condition"].get("StringLike", {}), **statement["Condition"]["StringEquals"]}[f"{OIDC}:sub"]
        assert f":job_workflow_ref:{spelled}/.github/workflows/{workflow}@" in sub, (kind, sub)


def repository_owners() -> list[str]:
    return [e for e in BOOTSTRAP_ENVS if offline.config_of(e).get("marin-bootstrap:ownsRepositorySettings") == "true"]


def test_the_subject_template_the_trust_is_written_for_is_the_repository_s() -> None:
    """The owning stack sets the template whose subjects the roles of every stack trust."""
    owners = repository_owners()
    assert len(owners) == 1, owners
    (template,) = bootstrap_of(owners[0]).of_type(
        "github:index/actionsRepositoryOidcSubjectClaimCustomizationTemplate:ActionsRepositoryOidcSubjectClaimCustomizationTemplate"
    )
    assert template.inputs["useDefault"] is False
    assert template.inputs["includeClaimKeys"] == ["repository_id", "context", "ref", "job_workflow_ref"]
    for env in BOOTSTRAP_ENVS:
        if env != owners[0]:
            assert not bootstrap_of(env).of_type(template.type), env


def test_main_changes_only_through_a_reviewed_pull_request_with_ci_green() -> None:
    """Issue 24, point 3: a push of an edited deploy.yml to main is refused; a pull request needs a
    code owner's approval (CODEOWNERS covers .github/, scripts/, bootstrap/) and the `ci` check."""
    (owner,) = [
        e for e in BOOTSTRAP_ENVS if offline.config_of(e).get("marin-bootstrap:ownsRepositorySettings") == "true"
    ]
    (ruleset,) = bootstrap_of(owner).of_type("github:index/repositoryRuleset:RepositoryRuleset")
    inputs = ruleset.inputs
    assert (inputs["target"], inputs["enforcement"]) == ("branch", "active")
    assert inputs["conditions"]["refName"]["includes"] == ["refs/heads/main"]
    assert not inputs.get("bypassActors")
    rules = inputs["rules"]
    assert rules["deletion"] is True
    assert rules["nonFastForward"] is True
    review = rules["pullRequest"]
    assert review["requiredApprovingReviewCount"] >= 1
    assert review["requireCodeOwnerReview"] is True
    assert review["dismissStaleReviewsOnPush"] is True
    assert review["requireLastPushApproval"] is True
    # only the GitHub Actions app (id 15368, what `.check_runs[].app.id` reports for an Actions job)
    # may satisfy it: a commit status `ci` posted by anyone with write access does not (review, point 5)
    assert rules["requiredStatusChecks"]["requiredChecks"] == [{"context": "ci", "integrationId": 15368}]
    ci = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "ci.yml").read_text())
    assert list(ci["jobs"]) == ["ci"], "the required check is the job `ci` of ci.yml"


def code_owners_of(path: str) -> list[str]:
    """.github/CODEOWNERS as GitHub reads it (docs, "About code owners"): the last matching pattern
    wins; `*` matches every file, `/dir/` everything under that root folder, `/file` that file."""
    owners: list[str] = []
    for line in (PROJECT_ROOT / ".github" / "CODEOWNERS").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *names = line.split()
            assert pattern == "*" or pattern.startswith("/"), f"unmodelled pattern {pattern}"
            if pattern == "*" or path == pattern[1:] or (pattern.endswith("/") and path.startswith(pattern[1:])):
                owners = names
    return owners


def test_the_pipeline_is_owned_by_a_team_the_bootstrap_gives_write_access() -> None:
    """Review of issue 24, point 6: a code owner without write access is ignored, and the ruleset
    then requires no code owner's review at all (GitHub docs, "About code owners"). The files that
    decide who reaches prod (the workflows, CI, the scripts, the bootstrap, what the gate imports,
    the locks) are owned by the owning stack's `codeOwnersTeam`, which the bootstrap grants write."""
    (owner,) = repository_owners()
    cfg = config.load(owner, offline.config_of(owner), APP)
    (grant,) = bootstrap_of(owner).of_type("github:index/teamRepository:TeamRepository")
    assert grant.inputs["teamId"] == cfg.code_owners_team
    assert grant.inputs["repository"] == cfg.github_repository
    assert grant.inputs["permission"] in ("push", "maintain", "admin")  # write access or more
    team = f"@{cfg.github_owner}/{cfg.code_owners_team}"
    pipeline = [
        ".github/CODEOWNERS",
        ".github/workflows/deploy-stack.yml",
        ".github/actions/setup/action.yml",
        ".ci/run",
        "scripts/promotion.py",
        "bootstrap/__main__.py",
        "marin/stackfiles.py",
        "requirements.lock",
    ]
    for path in pipeline:
        assert code_owners_of(path) == [team], path
    guide = (PROJECT_ROOT / "docs" / "ci-cd.md").read_text()
    for line in (PROJECT_ROOT / ".github" / "CODEOWNERS").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert f"(`{line.split()[0]}`)" in guide or f"`{line.split()[0]}`," in guide, line


def test_an_account_that_already_has_github_s_provider_reuses_it() -> None:
    """Issue 24, point 12: IAM allows one provider per URL (EntityAlreadyExists on a second create)."""
    env = BOOTSTRAP_ENVS[0]
    inv = offline.run(env, config=raw(env, existingOidcProvider="true"))
    assert not inv.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    account = offline.config_of(env)["marin-bootstrap:accountId"]
    for kind in ("deploy", "readonly", "preview"):
        (statement,) = json.loads(role(inv, kind).inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {
            "Federated": f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
        }


def test_the_bootstrap_keeps_no_github_token_in_its_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 24, point 5: pulumi-github's SDK copies GITHUB_TOKEN into the provider's `token` input
    (pulumi_github/provider.py: `if token is None: token = _utilities.get_env('GITHUB_TOKEN')`), which
    the state keeps; the program refuses to run with it set, and the provider never gets a token input."""
    env = BOOTSTRAP_ENVS[0]
    clean = offline.run(env)
    (provider,) = [r for r in clean.resources if r.type == "pulumi:providers:github"]
    assert "token" not in provider.inputs
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_not_a_real_token")
    records: list[Resource] = []
    with pytest.raises(Exception, match="GITHUB_TOKEN is set: pulumi-github would keep it"):
        offline.run(env)
    assert not any("ghp_not_a_real_token" in json.dumps(r.inputs, default=str) for r in records)


def test_sealed_environment_secrets_are_managed_as_ciphertext_only() -> None:
    """Issue 24, point 10: the Atlas keys of <env> and <env>-readonly, sealed for GitHub (never plaintext)."""
    env = BOOTSTRAP_ENVS[0]
    sealed = {
        env: {
            "keyId": "568250167242549743",
            "values": {"MONGODB_ATLAS_PUBLIC_KEY": "c2VhbGVk", "MONGODB_ATLAS_PRIVATE_KEY": "c2VhbA=="},
        },
        f"{env}-readonly": {"keyId": "568250167242549743", "values": {"MONGODB_ATLAS_PUBLIC_KEY": "cm8="}},
    }
    inv = offline.run(env, config=raw(env, sealedSecrets=sealed))
    found = {
        (r.inputs["environment"], r.inputs["secretName"]): r.inputs
        for r in inv.of_type("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret")
    }
    assert set(found) == {(e, n) for e, spec in sealed.items() for n in spec["values"]}
    for (e, n), inputs in found.items():
        value = inputs["valueEncrypted"]  # the SDK marks it secret (recorded wrapped)
        assert (value.get("value") if isinstance(value, dict) else value) == sealed[e]["values"][n]
        assert inputs["keyId"] == sealed[e]["keyId"]
        assert "value" not in inputs
        assert "plaintextValue" not in inputs


# --- what each role can do -----------------------------------------------------------------------------


def test_the_preview_role_reads_no_object_no_secret_value_and_no_state(boot: Inventory, benv: str) -> None:
    data = app_data(benv)
    for arn in data["secrets"]:
        assert result(boot, "preview", READ_SECRET, arn) == PermissionResult.DENIED, arn
    for arn in [*data["objects"], state_object(boot)]:
        assert result(boot, "preview", READ_OBJECT, arn) == PermissionResult.DENIED, arn
    for arn in [*data["keys"], state_key(boot)]:
        assert result(boot, "preview", DECRYPT, arn) == PermissionResult.DENIED, arn
    assert result(boot, "preview", "s3:PutObject", state_object(boot)) == PermissionResult.DENIED
    assert len(data["secrets"]) >= 5


def test_the_preview_role_may_run_only_the_program_s_data_sources(boot: Inventory) -> None:
    for action in policies.PREVIEW_READS:
        assert can(boot, "preview", action, "*"), action
    for action in ("ec2:DescribeVpcs", "s3:ListAllMyBuckets", "iam:GetRole", "ec2:CreateVpc", "sts:AssumeRole"):
        assert not can(boot, "preview", action, "*"), action


def test_the_readonly_role_reads_the_state_and_metadata_but_no_secret_value_or_object(
    boot: Inventory, benv: str
) -> None:
    data = app_data(benv)
    for arn in data["secrets"]:
        assert result(boot, "readonly", READ_SECRET, arn) == PermissionResult.DENIED
        assert can(boot, "readonly", "secretsmanager:DescribeSecret", arn)
        assert can(boot, "readonly", "secretsmanager:ListSecretVersionIds", arn)
    for arn in data["objects"]:
        assert result(boot, "readonly", READ_OBJECT, arn) == PermissionResult.DENIED
    for arn in data["keys"]:
        assert not can(boot, "readonly", DECRYPT, arn)
    assert can(boot, "readonly", READ_OBJECT, state_object(boot))
    assert can(boot, "readonly", DECRYPT, state_key(boot))
    assert not can(boot, "readonly", "s3:PutObject", state_object(boot))
    assert not can(boot, "readonly", "s3:DeleteObject", state_object(boot))


# One metadata read the refresh of each service's resources needs.
REFRESH_ACTION = {
    "acm": "acm:DescribeCertificate",
    "apigateway": "apigateway:GET",
    "servicediscovery": "servicediscovery:GetService",
    "route53": "route53:ListResourceRecordSets",
    "application-autoscaling": "application-autoscaling:DescribeScalableTargets",
    "cloudwatch": "cloudwatch:DescribeAlarms",
    "ec2": "ec2:DescribeVpcs",
    "ecs": "ecs:DescribeServices",
    "elasticache": "elasticache:DescribeReplicationGroups",
    "elasticloadbalancing": "elasticloadbalancing:DescribeLoadBalancers",
    "es": "es:DescribeDomain",
    "iam": "iam:GetRole",
    "kms": "kms:DescribeKey",
    "logs": "logs:DescribeLogGroups",
    "s3": "s3:GetBucketPolicy",
    "secretsmanager": "secretsmanager:DescribeSecret",
    "sns": "sns:GetTopicAttributes",
}


def test_the_readonly_role_can_refresh_every_service_the_program_uses(
    boot: Inventory, benv: str, all_inventories: dict[str, Inventory]
) -> None:
    types = {r.type for inv in all_inventories.values() for r in inv.custom if r.type.startswith("aws:")}
    unmapped = {t for t in types if policies.service_of(t) is None}
    assert not unmapped, f"map these types' services in SERVICE_OF_MODULE: {unmapped}"
    services = {str(policies.service_of(t)) for t in types}
    for service in services:
        assert can(boot, "readonly", REFRESH_ACTION[service], "*"), service


def test_the_refresh_needs_no_secret_value_once_secret_versions_are_left_out(benv: str) -> None:
    """Every resource type whose Read returns data is excluded from the drift refresh, and the
    readonly role is denied exactly those reads (so leaving them in would fail, not pass)."""
    boot = bootstrap_of(benv)
    app = inventory_of(benv)
    excluded = set(
        drift_status.excludes({"deployment": {"resources": [{"urn": r.urn, "type": r.type} for r in app.resources]}})
    )
    for r in app.resources:
        if r.type in drift_status.REFRESH_READS_DATA:
            assert r.urn in excluded
            action = drift_status.REFRESH_READS_DATA[r.type]
            assert result(boot, "readonly", action, r.outputs.get("arn") or "*") == PermissionResult.DENIED


def test_the_deploy_role_manages_every_service_the_program_uses_in_its_own_region(
    boot: Inventory, benv: str, all_inventories: dict[str, Inventory]
) -> None:
    doc = json.loads(role_policy(boot, "deploy"))
    statements = {s["Sid"]: s for s in doc["Statement"]}
    regional = statements["ManageTheEnvironment"]
    assert regional["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": APP[benv].get("marin:awsRegion", "us-east-1")}
    }
    scoped = {"iam", "s3", "secretsmanager", "kms", "route53"}
    for inv in all_inventories.values():
        for r in inv.custom:
            service = policies.service_of(r.type)
            if service:
                assert service in scoped or f"{service}:*" in regional["Action"], r.type


def test_the_deploy_role_cannot_touch_the_ci_itself_or_the_state_backend(boot: Inventory, benv: str) -> None:
    account = json.loads(APP[benv]["marin:allowedAccountIds"])[0]
    for kind in ("deploy", "readonly", "preview"):
        ci_role = f"arn:aws:iam::{account}:role/marin-{benv}-ci-{kind}"
        for action in ("iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRole"):
            assert result(boot, "deploy", action, ci_role) == PermissionResult.DENIED, (kind, action)
    provider = f"arn:aws:iam::{account}:oidc-provider/{OIDC}"
    assert result(boot, "deploy", "iam:UpdateOpenIDConnectProviderThumbprint", provider) == PermissionResult.DENIED
    assert result(boot, "deploy", "iam:CreateUser", f"arn:aws:iam::{account}:user/backdoor") == PermissionResult.DENIED
    assert (
        result(boot, "deploy", "iam:CreateAccessKey", f"arn:aws:iam::{account}:user/backdoor")
        == PermissionResult.DENIED
    )
    bucket = boot.one("aws:s3/bucket:Bucket").inputs["bucket"]
    assert result(boot, "deploy", "s3:DeleteBucket", f"arn:aws:s3:::{bucket}") == PermissionResult.DENIED
    assert result(boot, "deploy", "kms:ScheduleKeyDeletion", state_key(boot)) == PermissionResult.DENIED
    assert can(boot, "deploy", "s3:PutObject", state_object(boot))
    assert can(boot, "deploy", "kms:Encrypt", state_key(boot))
    own_state = f"arn:aws:s3:::{bucket}/bootstrap/.pulumi/stacks/marin-bootstrap/{benv}.json"
    for kind in ("deploy", "readonly", "preview"):
        for action in ("s3:GetObject", "s3:PutObject"):
            assert not can(boot, kind, action, own_state), (kind, action)


def test_the_deploy_role_manages_only_its_own_environment_s_roles_buckets_and_secrets(
    boot: Inventory, benv: str, all_inventories: dict[str, Inventory]
) -> None:
    account = json.loads(APP[benv]["marin:allowedAccountIds"])[0]
    for other, inv in all_inventories.items():
        own = other == benv
        for secret in inv.of_type("aws:secretsmanager/secret:Secret"):
            arn = secret.outputs["arn"].replace(secret.outputs["arn"].split(":")[4], account)
            assert can(boot, "deploy", "secretsmanager:PutSecretValue", arn) is own, (other, arn)
        for bucket in inv.of_type("aws:s3/bucket:Bucket"):
            assert can(boot, "deploy", "s3:PutBucketPolicy", bucket.outputs["arn"]) is own, (
                other,
                bucket.outputs["arn"],
            )
        for r in inv.of_type("aws:iam/role:Role"):
            arn = f"arn:aws:iam::{account}:role/{r.inputs['name']}"
            assert can(boot, "deploy", "iam:PutRolePolicy", arn) is own, (other, arn)


# --- state backend ---------------------------------------------------------------------------------------


def test_the_state_bucket_is_private_versioned_tls_only_and_kms_encrypted(boot: Inventory, benv: str) -> None:
    bucket = boot.one("aws:s3/bucket:Bucket")
    account = json.loads(APP[benv]["marin:allowedAccountIds"])[0]
    assert bucket.inputs["bucket"] == f"marin-state-{benv}-{account}"
    assert bucket.protect
    assert boot.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"] == {
        "status": "Enabled"
    }
    (rule,) = boot.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs[
        "rules"
    ]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": state_key(boot)}
    block = boot.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    (tls,) = json.loads(boot.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])["Statement"]
    assert tls["Effect"] == "Deny"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert not re.match(rf"marin-{benv}-", bucket.inputs["bucket"])  # not one of the application's buckets


def test_the_state_key_rotates_and_is_the_stack_s_secrets_provider(boot: Inventory, benv: str) -> None:
    key = boot.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.protect
    alias = boot.one("aws:kms/alias:Alias")
    assert alias.inputs["targetKeyId"] == key.outputs["keyId"]
    assert (
        boot.outputs["secretsProvider"]
        == f"awskms://{alias.inputs['name']}?region={APP[benv].get('marin:awsRegion', 'us-east-1')}"
    )
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert statements["ReadonlyDecrypts"]["Action"] == ["kms:Decrypt"]
    assert statements["ReadonlyDecrypts"]["Principal"] == {"AWS": role(boot, "readonly").outputs["arn"]}
    assert statements["DeployEncryptsAndDecrypts"]["Principal"] == {"AWS": role(boot, "deploy").outputs["arn"]}
    assert role(boot, "preview").outputs["arn"] not in key.inputs["policy"]


# --- GitHub Environments -----------------------------------------------------------------------------------


def environment(boot: Inventory, name: str) -> Resource:
    (found,) = [
        r
        for r in boot.of_type("github:index/repositoryEnvironment:RepositoryEnvironment")
        if r.inputs["environment"] == name
    ]
    return found


def variables(boot: Inventory, env_name: str) -> dict[str, str]:
    return {
        r.inputs["variableName"]: r.inputs["value"]
        for r in boot.of_type("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable")
        if r.inputs["environment"] == env_name
    }


def test_deploys_wait_for_the_reviewers_and_the_nightly_drift_check_waits_for_nobody(
    boot: Inventory, benv: str
) -> None:
    """Review of issue 24, point 7: reviewers on `<env>-readonly` would hold every nightly drift run
    until approved (GitHub keeps one pending run per environment and cancels the older one). What
    keeps any other code away from the state it decrypts: its role trusts only drift.yml on main
    (test_each_role_trusts_exactly_its_workflow_on_main_in_this_repository), the environment is
    main only (test_every_environment_deploys_from_main_only), and main changes only through a
    pull request the code owners approved (test_the_pipeline_is_owned_by_a_team_the_bootstrap_gives_write_access)."""
    deploy_env, readonly_env = environment(boot, benv), environment(boot, f"{benv}-readonly")
    assert not readonly_env.inputs.get("reviewers")
    assert readonly_env.inputs["canAdminsBypass"] is False  # its main-only branch policy holds for admins too
    if APP[benv].get("marin:protectData") == "true":
        (reviewers,) = deploy_env.inputs["reviewers"]
        assert reviewers.get("users") or reviewers.get("teams")
        assert deploy_env.inputs["preventSelfReview"] is True
        assert deploy_env.inputs["canAdminsBypass"] is False


def test_prod_has_required_reviewers() -> None:
    """The committed prod stack protects its data, so its environment must have reviewers."""
    assert APP["prod"]["marin:protectData"] == "true"
    assert environment(bootstrap_of("prod"), "prod").inputs["reviewers"]


def test_every_environment_deploys_from_main_only(boot: Inventory, benv: str) -> None:
    policies_by_env = {
        r.inputs["environment"]: r.inputs
        for r in boot.of_type(
            "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
        )
    }
    for name in (benv, f"{benv}-readonly"):
        env_ = environment(boot, name)
        assert env_.inputs["deploymentBranchPolicy"] == {"protectedBranches": False, "customBranchPolicies": True}
        assert policies_by_env[name]["branchPattern"] == "main"
        assert "tagPattern" not in policies_by_env[name]
    assert len(policies_by_env) == 2


def test_environment_variables_name_this_environment_s_roles_and_state(boot: Inventory, benv: str) -> None:
    deploy_vars, readonly_vars = variables(boot, benv), variables(boot, f"{benv}-readonly")
    assert deploy_vars["AWS_DEPLOY_ROLE_ARN"] == role(boot, "deploy").outputs["arn"]
    assert readonly_vars["AWS_READONLY_ROLE_ARN"] == role(boot, "readonly").outputs["arn"]
    assert "AWS_DEPLOY_ROLE_ARN" not in readonly_vars
    for found in (deploy_vars, readonly_vars):
        assert found["MARIN_ENVIRONMENT"] == benv
        assert found["PULUMI_BACKEND_URL"] == boot.outputs["backendUrl"]
        assert found["AWS_REGION"] == APP[benv].get("marin:awsRegion", "us-east-1")
    repo_vars = {
        r.inputs["variableName"]: r.inputs["value"]
        for r in boot.of_type("github:index/actionsVariable:ActionsVariable")
    }
    assert repo_vars == {
        f"AWS_PREVIEW_ROLE_ARN_{benv.upper()}": role(boot, "preview").outputs["arn"],
        f"AWS_REGION_{benv.upper()}": APP[benv].get("marin:awsRegion", "us-east-1"),
    }


def test_every_variable_the_workflows_read_is_one_bootstrap_sets() -> None:
    text = "".join(p.read_text() for p in (PROJECT_ROOT / ".github" / "workflows").glob("*.yml"))
    read = set(re.findall(r"vars\.([A-Z_]+)", text)) | {
        f"{prefix}{e.upper()}" for prefix in re.findall(r"vars\[format\('([A-Z_]+)\{0\}'", text) for e in BOOTSTRAP_ENVS
    }
    boot = bootstrap_of("prod")
    env_set = {
        r.inputs["variableName"]
        for r in boot.of_type("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable")
    }
    repo_set = {
        v.replace("PROD", e.upper())
        for v in (r.inputs["variableName"] for r in boot.of_type("github:index/actionsVariable:ActionsVariable"))
        for e in BOOTSTRAP_ENVS
    }
    assert read
    assert read <= env_set | repo_set, read - env_set - repo_set


def test_every_resource_is_a_child_of_a_marin_ci_component(boot: Inventory) -> None:
    components = {r.urn for r in boot.resources if not r.custom}
    assert {r.type for r in boot.resources if not r.custom} - {"marin:ci:RepositorySettings"} == {
        "marin:ci:Roles",
        "marin:ci:StateBackend",
        "marin:ci:GithubEnvironments",
    }
    for r in boot.custom:
        if not r.type.startswith("pulumi:providers:"):
            assert r.parent in components, r.name
    urns = [r.urn for r in boot.resources]
    assert len(urns) == len(set(urns))  # the engine rejects a duplicate; mocks do not


# --- config ------------------------------------------------------------------------------------------------


def raw(env: str, **changes: Any) -> dict[str, str]:
    out = dict(offline.config_of(env))
    for key, value in changes.items():
        full = f"marin-bootstrap:{key}"
        if value is None:
            out.pop(full, None)
        else:
            out[full] = value if isinstance(value, str) else json.dumps(value)
    return out


@pytest.mark.parametrize(
    ("env", "changes", "message"),
    [
        (
            "prod",
            {"accountId": "111111111111"},
            "marin-bootstrap:accountId=111111111111: allowed: an account stack 'prod' deploys to ({prod_accounts})",
        ),
        ("dev", {"accountId": "12345"}, "marin-bootstrap:accountId=12345: allowed: a 12-digit AWS account id"),
        (
            "prod",
            {"region": "sa-east-1"},
            "marin-bootstrap:region=sa-east-1: allowed: {prod_region} (the region of stack 'prod')",
        ),
        (
            "prod",
            {"reviewerUserIds": [], "reviewerTeamIds": []},
            "marin-bootstrap:reviewerUserIds=[] and marin-bootstrap:reviewerTeamIds=[]: allowed: "
            "two reviewers or a team, because stack 'prod' protects its data (marin:protectData: true)"
            " and nobody may approve their own deploy (a lone reviewer who merged could never approve it)",
        ),
        (
            "prod",
            {"reviewerUserIds": [10000001], "reviewerTeamIds": []},
            "marin-bootstrap:reviewerUserIds=[10000001] and marin-bootstrap:reviewerTeamIds=[]: allowed: "
            "two reviewers or a team, because stack 'prod' protects its data (marin:protectData: true)"
            " and nobody may approve their own deploy (a lone reviewer who merged could never approve it)",
        ),
        (
            "dev",
            {"reviewerUserIds": ["alice"]},
            'marin-bootstrap:reviewerUserIds=["alice"]: allowed: a list of numeric GitHub ids, e.g. [1234567]',
        ),
        (
            "dev",
            {"githubOwner": None},
            "marin-bootstrap:githubOwner=(missing): allowed: a GitHub user or organization name",
        ),
        (
            "dev",
            {"reviewer": "[1]"},
            "marin-bootstrap:reviewer: unknown key; allowed: " + ", ".join(config.KEYS),
        ),
        (
            "dev",
            {"reviewerUserIds": list(range(1, 8))},
            "marin-bootstrap:reviewerUserIds/reviewerTeamIds: 7 reviewers: allowed: at most 6",
        ),
        (
            "prod",
            {"codeOwnersTeam": None},
            "marin-bootstrap:codeOwnersTeam=(missing): allowed: the slug of the team .github/CODEOWNERS names "
            "(required with ownsRepositorySettings: true)",
        ),
        (
            "dev",
            {"codeOwnersTeam": "marin-admins"},
            "marin-bootstrap:codeOwnersTeam=marin-admins: allowed only in the stack with ownsRepositorySettings: true",
        ),
        (
            "prod",
            {"codeOwnersPermission": "pull"},
            "marin-bootstrap:codeOwnersPermission=pull: allowed: push, maintain, admin",
        ),
    ],
)
def test_bad_bootstrap_config_is_refused_in_one_line_naming_key_value_and_allowed(
    env: str, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(config.BootstrapConfigError) as refused:
        config.load(env, raw(env, **changes), APP)
    prod = stackfiles.effective_config("prod")  # whatever accounts and region a team puts in
    allowed = {
        "prod_accounts": ", ".join(json.loads(prod["marin:allowedAccountIds"])),
        "prod_region": prod["marin:awsRegion"],
    }
    assert refused.value.problems == [message.format(**allowed)]
    assert "\n" not in str(refused.value)


def test_a_bootstrap_stack_without_an_application_stack_is_refused() -> None:
    with pytest.raises(
        config.BootstrapConfigError,
        match=rf"stack 'nosuchenv': allowed: the name of an application stack \({re.escape(', '.join(APP))}\)",
    ):
        config.load("nosuchenv", raw("dev"), APP)


def test_a_stack_name_that_cannot_name_a_github_variable_is_refused() -> None:
    """Review of issue 24, point 10: `AWS_PREVIEW_ROLE_ARN_QA-EU` is no valid GitHub variable name."""
    with pytest.raises(config.BootstrapConfigError, match="stack 'qa-eu': allowed: 2-10 lowercase letters"):
        config.load("qa-eu", raw("dev"), {**APP, "qa-eu": APP["dev"]})


def test_refused_config_registers_nothing() -> None:
    with pytest.raises(Exception, match="accountId=999999999999"):
        offline.run("prod", config=raw("prod", accountId="999999999999"))


def test_the_committed_bootstrap_stacks_match_their_application_stacks(benv: str) -> None:
    cfg = config.load(benv, offline.config_of(benv), APP)
    assert cfg.account_id in json.loads(APP[benv]["marin:allowedAccountIds"])
    assert cfg.protected is (APP[benv].get("marin:protectData") == "true")


def test_the_deploy_role_changes_records_only_in_the_stack_s_hosted_zone(boot: Inventory, benv: str) -> None:
    zone = APP[benv].get("marin:hostedZoneId", "")
    if zone:  # a stack without a domain (the template's default) publishes no record of its own
        assert can(boot, "deploy", "route53:ChangeResourceRecordSets", f"arn:aws:route53:::hostedzone/{zone}")
    statements = {st["Sid"]: st for st in json.loads(role_policy(boot, "deploy"))["Statement"]}
    if APP[benv].get("marin:ingress") == "http-api":
        # Cloud Map makes the namespace's private zone (a random id) with the deploy's rights; its
        # record changes are held to the namespace's names by a condition (moto does not evaluate
        # conditions, so the condition itself is what is checked).
        namespace = EnvironmentNames.plan(benv, 2).discovery_namespace
        assert can(boot, "deploy", "route53:CreateHostedZone", "*")
        records = statements["CloudMapNamespaceRecords"]
        assert records["Action"] == ["route53:ChangeResourceRecordSets"]
        assert records["Condition"] == {
            "ForAllValues:StringLike": {
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": [namespace, f"*.{namespace}"]
            }
        }
        return
    assert "CloudMapNamespaceRecords" not in statements
    for other in {APP[e].get("marin:hostedZoneId") for e in APP} - {zone, "", None}:
        assert not can(boot, "deploy", "route53:ChangeResourceRecordSets", f"arn:aws:route53:::hostedzone/{other}")
    assert not can(boot, "deploy", "route53:CreateHostedZone", "*")


def test_the_readonly_role_can_refresh_the_app_buckets_and_writes_no_lock(boot: Inventory, benv: str) -> None:
    """HeadBucket (a bucket's refresh) needs s3:ListBucket. Issue 24, point 9: the role writes and
    deletes nothing in the state bucket, locks included (a running deploy's lock stays its own)."""
    app = inventory_of(benv)
    recordings = next(r for r in app.of_type("aws:s3/bucket:Bucket") if "recordings" in r.inputs["bucket"])
    assert can(boot, "readonly", "s3:ListBucket", f"arn:aws:s3:::{recordings.inputs['bucket']}")
    assert not can(boot, "readonly", "s3:GetObject", f"arn:aws:s3:::{recordings.inputs['bucket']}/call.wav")
    state_bucket = boot.one("aws:s3/bucket:Bucket").inputs["bucket"]
    lock = f"arn:aws:s3:::{state_bucket}/.pulumi/locks/organization/marin/{benv}/0b5b6c1e.json"
    for action in ("s3:PutObject", "s3:DeleteObject"):
        assert not can(boot, "readonly", action, lock), action
    assert not can(boot, "readonly", "kms:GenerateDataKey", state_key(boot))
    key_policy = json.loads(boot.one("aws:kms/key:Key").inputs["policy"])
    readonly_arn = role(boot, "readonly").outputs["arn"]
    granted = {
        a
        for s in key_policy["Statement"]
        if s["Principal"] == {"AWS": readonly_arn}
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert granted == {"kms:Decrypt"}


def app_region(env: str) -> str:
    return stackfiles.effective_config(env).get("marin:awsRegion", "us-east-1")


def test_without_required_reviewers_a_protected_stack_bootstraps_on_the_documented_fallback() -> None:
    """Issue 24, point 13: on a private repository without GitHub Enterprise, environments cannot
    require reviewers; the stack says so explicitly and main's ruleset remains (docs/ci-cd.md)."""
    protected = [e for e in BOOTSTRAP_ENVS if APP[e].get("marin:protectData") == "true"]
    assert protected
    env = protected[0]
    no_reviewers = raw(env, reviewerUserIds=[], reviewerTeamIds=[])
    with pytest.raises(config.BootstrapConfigError):
        config.load(env, no_reviewers, APP)
    cfg = config.load(env, {**no_reviewers, "marin-bootstrap:requiredReviewersAvailable": "false"}, APP)
    assert cfg.required_reviewers_available is False
    assert (cfg.reviewer_user_ids, cfg.reviewer_team_ids) == ((), ())
