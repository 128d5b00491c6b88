"""IAM documents of the three CI roles of one account (pure: JSON-able dicts, no Pulumi runtime).

Each role is trusted by one OIDC subject (`config.BootstrapConfig.subject`): this repository's id,
its GitHub Environment or pull request, the ref and the workflow file.
- `marin-<env>-ci-deploy` (environment `<env>`, deploy-stack.yml on main): manages the
  application's resources and reads and writes its state;
- `marin-<env>-ci-readonly` (environment `<env>-readonly`, drift.yml on main): reads resource
  metadata (refresh, drift) and the state; never a secret value or an object;
- `marin-<env>-ci-preview` (a pull request, preview.yml): the few reads the preview's data
  sources need; no state, no data, nothing else.
"""

from __future__ import annotations

from typing import Any

from marin_bootstrap.config import BootstrapConfig

OIDC_HOST = "token.actions.githubusercontent.com"
OIDC_AUDIENCE = "sts.amazonaws.com"
# Each role's maximum session: the deploy's covers deploy-stack.yml's whole job (its credentials are
# requested for that long: a session that ends mid-`up` fails it with the state locked).
SESSION_SECONDS = {"deploy": 3 * 3600, "readonly": 3600, "preview": 3600}
Document = dict[str, Any]

# IAM service prefix of every Pulumi module the application program declares resources of.
SERVICE_OF_MODULE = {
    "acm": "acm",
    "apigatewayv2": "apigateway",
    "servicediscovery": "servicediscovery",
    "route53": "route53",
    "appautoscaling": "application-autoscaling",
    "cloudwatch/logGroup": "logs",
    "cloudwatch/queryDefinition": "logs",
    "cloudwatch/metricAlarm": "cloudwatch",
    "ec2": "ec2",
    "vpc": "ec2",
    "ecs": "ecs",
    "elasticache": "elasticache",
    "iam": "iam",
    "kms": "kms",
    "lb": "elasticloadbalancing",
    "opensearch": "es",
    "s3": "s3",
    "secretsmanager": "secretsmanager",
    "sns": "sns",
}
# Services the deploy role manages outright (IAM, S3, Secrets Manager and KMS are scoped below).
REGIONAL_SERVICES = (
    "acm",
    "apigateway",
    "application-autoscaling",
    "cloudwatch",
    "ec2",
    "ecs",
    "elasticache",
    "elasticloadbalancing",
    "es",
    "logs",
    "servicediscovery",
    "sns",
)
# The invokes of the application program (get_availability_zones, get_ami, get_caller_identity,
# route53.get_zone).
PREVIEW_READS = (
    "sts:GetCallerIdentity",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeImages",
    "ec2:DescribeRegions",
    "route53:GetHostedZone",
    "route53:ListTagsForResource",
)
# Reads of an environment's data or secret values: denied to every role a pull request or a drift
# check can assume (explicitly, so that no later attachment can grant them).
DATA_READS = (
    "s3:GetObject*",
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter*",
    "logs:GetLogEvents",
    "logs:GetLogRecord",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:StartLiveTail",
    "logs:GetQueryResults",
    "ec2:GetPasswordData",
    "ec2:GetConsoleOutput",
    "ec2:GetConsoleScreenshot",
    "es:ESHttp*",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
# Metadata reads the refresh of every resource type the program declares needs.
READONLY_READS = (
    "acm:DescribeCertificate",
    "acm:ListTagsForCertificate",
    "apigateway:GET",
    "application-autoscaling:Describe*",
    "application-autoscaling:ListTagsForResource",
    "cloudwatch:Describe*",
    "cloudwatch:ListTagsForResource",
    "ec2:Describe*",
    "ecs:Describe*",
    "ecs:List*",
    "elasticache:Describe*",
    "elasticache:List*",
    "elasticloadbalancing:Describe*",
    "es:Describe*",
    "es:List*",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListRoleTags",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "logs:DescribeLogGroups",
    "logs:DescribeQueryDefinitions",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "route53:GetHostedZone",
    "route53:GetChange",
    "route53:ListResourceRecordSets",
    "route53:ListTagsForResource",
    "s3:GetBucket*",
    "s3:GetAccelerateConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListAllMyBuckets",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetResourcePolicy",
    "secretsmanager:ListSecretVersionIds",
    "servicediscovery:Get*",
    "servicediscovery:List*",
    "sns:GetTopicAttributes",
    "sns:GetSubscriptionAttributes",
    "sns:ListTagsForResource",
    "sts:GetCallerIdentity",
)


def service_of(pulumi_type: str) -> str | None:
    """IAM service prefix of an `aws:` Pulumi type (None for other packages)."""
    if not pulumi_type.startswith("aws:"):
        return None
    module = pulumi_type.split(":")[1]
    return SERVICE_OF_MODULE.get(module, SERVICE_OF_MODULE.get(module.split("/")[0]))


def trust(provider_arn: str, subject: str) -> Document:
    """Only GitHub's OIDC tokens for this subject (repository id, environment or pull request, ref,
    workflow file); `*` (a pull request's number) only where the subject names it (StringLike)."""
    audience = {f"{OIDC_HOST}:aud": OIDC_AUDIENCE}
    if "*" in subject:
        condition = {"StringEquals": audience, "StringLike": {f"{OIDC_HOST}:sub": subject}}
    else:
        condition = {"StringEquals": {**audience, f"{OIDC_HOST}:sub": subject}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            }
        ],
    }


def _arns(cfg: BootstrapConfig, state_key_arn: str) -> dict[str, str]:
    acct, env = cfg.account_id, cfg.env
    return {
        "state_bucket": f"arn:aws:s3:::{cfg.state_bucket}",
        # The application's stacks only (`.pulumi/` at the bucket's root); the bootstrap's own
        # state, under `bootstrap/`, is out of reach of every CI role.
        "state_objects": f"arn:aws:s3:::{cfg.state_bucket}/.pulumi/*",
        "state_key": state_key_arn,
        "app_buckets": f"arn:aws:s3:::marin-{env}-*",
        "app_objects": f"arn:aws:s3:::marin-{env}-*/*",
        "app_roles": f"arn:aws:iam::{acct}:role/marin-{env}-*",
        "ci_roles": f"arn:aws:iam::{acct}:role/marin-{env}-ci-*",
        "oidc_provider": f"arn:aws:iam::{acct}:oidc-provider/{OIDC_HOST}",
        "app_secrets": f"arn:aws:secretsmanager:{cfg.region}:{acct}:secret:{env}/audio-pipeline/*",
        "keys": f"arn:aws:kms:{cfg.region}:{acct}:key/*",
    }


def _statement(sid: str, effect: str, actions: list[str] | tuple[str, ...], resources: list[str] | str) -> Document:
    return {"Sid": sid, "Effect": effect, "Action": list(actions), "Resource": resources}


def discovery_namespace(env: str) -> str:
    """The application's Cloud Map namespace (marin.naming: `discovery_namespace`)."""
    return f"marin-{env}-services.internal"


def _cloud_map_zone(cfg: BootstrapConfig) -> list[Document]:
    """Cloud Map creates, changes and deletes the namespace's private hosted zone with the caller's
    rights (zone ids are random: `*`); record changes only under the namespace's own name."""
    namespace = discovery_namespace(cfg.env)
    records = _statement(
        "CloudMapNamespaceRecords",
        "Allow",
        ["route53:ChangeResourceRecordSets"],
        "arn:aws:route53:::hostedzone/*",
    )
    records["Condition"] = {
        "ForAllValues:StringLike": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [namespace, f"*.{namespace}"]
        }
    }
    zone = _statement(
        "CloudMapNamespaceZone",
        "Allow",
        [
            "route53:CreateHostedZone",
            "route53:DeleteHostedZone",
            "route53:GetHostedZone",
            "route53:ListHostedZonesByName",
            "route53:ListResourceRecordSets",
            "route53:AssociateVPCWithHostedZone",
            "route53:DisassociateVPCFromHostedZone",
            "route53:GetChange",
            # DeregisterInstance (a destroy deregistering left-over tasks) manages their health checks
            "route53:GetHealthCheck",
            "route53:UpdateHealthCheck",
            "route53:DeleteHealthCheck",
        ],
        "*",
    )
    return [zone, records]


def deploy(cfg: BootstrapConfig, state_key_arn: str) -> Document:
    a = _arns(cfg, state_key_arn)
    regional = _statement("ManageTheEnvironment", "Allow", [f"{s}:*" for s in REGIONAL_SERVICES], "*")
    regional["Condition"] = {"StringEquals": {"aws:RequestedRegion": cfg.region}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            regional,
            *(
                [
                    _statement(
                        "OwnHostedZoneRecords",
                        "Allow",
                        [
                            "route53:ChangeResourceRecordSets",
                            "route53:ListResourceRecordSets",
                            "route53:GetHostedZone",
                            "route53:ListTagsForResource",
                        ],
                        f"arn:aws:route53:::hostedzone/{cfg.hosted_zone_id}",
                    ),
                    _statement("RecordChanges", "Allow", ["route53:GetChange"], "arn:aws:route53:::change/*"),
                ]
                if cfg.hosted_zone_id
                else []
            ),
            *(_cloud_map_zone(cfg) if cfg.service_discovery else []),
            _statement("OwnRolesOnly", "Allow", ["iam:*"], a["app_roles"]),
            _statement("ReadIam", "Allow", ["iam:Get*", "iam:List*"], "*"),
            _statement(
                "ServiceLinkedRoles",
                "Allow",
                ["iam:CreateServiceLinkedRole"],
                f"arn:aws:iam::{cfg.account_id}:role/aws-service-role/*",
            ),
            _statement("OwnBucketsOnly", "Allow", ["s3:*"], [a["app_buckets"], a["app_objects"]]),
            _statement("ListBuckets", "Allow", ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "*"),
            _statement("OwnSecretsOnly", "Allow", ["secretsmanager:*"], a["app_secrets"]),
            _statement("Keys", "Allow", ["kms:*"], a["keys"]),
            _statement("CreateKeys", "Allow", ["kms:CreateKey", "kms:ListAliases", "kms:CreateAlias"], "*"),
            _statement("State", "Allow", ["s3:ListBucket", "s3:GetBucketLocation"], a["state_bucket"]),
            _statement(
                "StateObjects", "Allow", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], a["state_objects"]
            ),
            _statement("StateSecrets", "Allow", ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], state_key_arn),
            _statement(
                "NeverTheCiItself",
                "Deny",
                ["iam:*"],
                [a["ci_roles"], a["oidc_provider"]],
            ),
            _statement(
                "NoLongLivedCredentials",
                "Deny",
                ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateAssumeRolePolicy"],
                [a["ci_roles"], f"arn:aws:iam::{cfg.account_id}:user/*"],
            ),
            _statement(
                "KeepTheState",
                "Deny",
                ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning"],
                a["state_bucket"],
            ),
            _statement(
                "KeepTheStateKey",
                "Deny",
                ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy", "kms:CreateGrant"],
                state_key_arn,
            ),
        ],
    }


def readonly(cfg: BootstrapConfig, state_key_arn: str) -> Document:
    a = _arns(cfg, state_key_arn)
    return {
        "Version": "2012-10-17",
        "Statement": [
            _statement("RefreshReadsMetadata", "Allow", READONLY_READS, "*"),
            _statement("ReadState", "Allow", ["s3:ListBucket", "s3:GetBucketLocation"], a["state_bucket"]),
            _statement("ReadStateObjects", "Allow", ["s3:GetObject"], a["state_objects"]),
            _statement("DecryptTheState", "Allow", ["kms:Decrypt"], state_key_arn),
            # No write of any kind, locks included: drift's `refresh --preview-only` and `preview`
            # take no lock (pulumi/pulumi pkg/backend/diy/backend.go, 3.229.0 and later), and a
            # role that could write a lock could delete a running deploy's. Decrypt only: drift
            # opens the state's own data key, never makes one (drift.yml).
            # Refreshing a bucket calls HeadBucket, which needs s3:ListBucket (keys, not contents).
            _statement("RefreshTheBuckets", "Allow", ["s3:ListBucket"], a["app_buckets"]),
            _statement("NoDataReads", "Deny", [r for r in DATA_READS if not r.startswith("s3:")], "*"),
            _statement("NoObjectReads", "Deny", ["s3:GetObject*"], a["app_objects"]),
        ],
    }


def preview(cfg: BootstrapConfig, state_key_arn: str) -> Document:
    a = _arns(cfg, state_key_arn)
    return {
        "Version": "2012-10-17",
        "Statement": [
            _statement("DataSourcesOfThePreview", "Allow", PREVIEW_READS, "*"),
            _statement(
                "NoDataNoStateNoSecrets",
                "Deny",
                [*DATA_READS, "s3:ListBucket", "kms:Decrypt", "kms:GenerateDataKey*", "sts:AssumeRole"],
                "*",
            ),
            _statement("NoState", "Deny", ["s3:*"], [a["state_bucket"], a["state_objects"]]),
        ],
    }


def state_key_policy(cfg: BootstrapConfig, deploy_role_arn: str, readonly_role_arn: str) -> Document:
    """The state key: the account administers it; deploys encrypt and decrypt; drift decrypts."""
    root = f"arn:aws:iam::{cfg.account_id}:root"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "DeployEncryptsAndDecrypts",
                "Effect": "Allow",
                "Principal": {"AWS": deploy_role_arn},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            },
            {
                "Sid": "ReadonlyDecrypts",
                "Effect": "Allow",
                "Principal": {"AWS": readonly_role_arn},
                "Action": ["kms:Decrypt"],
                "Resource": "*",
            },
        ],
    }


def state_bucket_policy(bucket: str) -> Document:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
