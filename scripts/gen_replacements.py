"""Generate offline/replacements.json: which inputs force a replacement, per resource type, read from
the Terraform providers' Go sources that pulumi-aws, pulumi-mongodbatlas, pulumi-random and
pulumi-github bridge.

    python scripts/gen_replacements.py SOURCES_DIR

SOURCES_DIR holds one git directory per provider (bare or not; kept outside this repository):
  terraform-provider-aws, terraform-provider-mongodbatlas, terraform-provider-random,
  terraform-provider-github
and the revision of each is given in UPSTREAM below (the tag or commit read). The generator finds
each resource's file by its registration (`@SDKResource("aws_x"`, `TypeName = "aws_x"`, the
provider's ResourcesMap), then reads its schema:
- SDKv2: every `ForceNew: true` under a schema key, nested blocks (`Elem: &schema.Resource{...}`)
  included, as a dotted path;
- Plugin Framework: every `*planmodifier.RequiresReplace()` under an attribute or block;
- conditional replacements, kept with their condition: `RequiresReplaceIf*`, `ForceNewIf*`, and
  `d.ForceNew("x")` / `RequiresReplace = ...` inside a CustomizeDiff or ModifyPlan function.
Paths are converted to the Pulumi input names (snake_case -> camelCase per segment).

It also records whether the resource has a top-level string input `name` (the field the bridge's
`SetAutonaming` auto-names: pulumi-terraform-bridge pkg/tfbridge/info/autonaming.go), and whether
the resource is a Plugin Framework one (the bridge's automatic delete-before-replace for an explicit
name applies to SDKv2 resources only: pkg/pf/tfbridge/provider_diff.go, "TODO ... #823").
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "offline" / "replacements.json"

# What was read, and for which pinned SDK (requirements.txt, bootstrap/requirements.txt). The repo
# names are the public GitHub repositories; `rev` is the commit read; `wraps` is what the pinned
# SDK's own repository says it bridges, as far as it could be read (docs/offline.md, provenance).
UPSTREAM = {
    "aws": {
        "dir": "terraform-provider-aws",
        "repo": "hashicorp/terraform-provider-aws",
        "rev": "1a5174b137bbdefdebd6e5c2fc033f829057e283",
        "sdk": "pulumi-aws==7.51.1",
        "wraps": "unverified: pulumi/pulumi-aws (731 MB) cannot be fetched and the search index maps no tag to"
        " its `upstream` submodule; a v6 tree (>= 6.3.0, pulumi-aws#5665); this rev is v5.46-era (2024-04)",
    },
    "mongodbatlas": {
        "dir": "terraform-provider-mongodbatlas",
        "repo": "mongodb/terraform-provider-mongodbatlas",
        "rev": "v2.16.0",
        "sdk": "pulumi-mongodbatlas==4.18.0",
        "wraps": "unverified: the newest pulumi-mongodbatlas tag fetched, v4.14.0 (2026-08-14), wraps v2.16.0"
        " (its `upstream` submodule 08aab40); 4.18.0 is later, so this rev is the closest earlier one",
    },
    "random": {
        "dir": "terraform-provider-random",
        "repo": "hashicorp/terraform-provider-random",
        "rev": "v3.9.0",
        "sdk": "pulumi-random==4.21.4",
        "wraps": "v3.9.0 for pulumi-random v4.21.1 (provider/shim/go.mod: f8d869dc = tag v3.9.0); the commits"
        " after it to 2026-08-14 upgrade only the bridge; 4.21.4 itself is later than the fetched snapshot",
    },
    "github": {
        "dir": "terraform-provider-github",
        "repo": "integrations/terraform-provider-github",
        "rev": "v6.13.0",
        "sdk": "pulumi-github==6.15.0",
        "wraps": "v6.13.0: pulumi/pulumi-github tag v6.15.0's `upstream` submodule is 20728bb = tag v6.13.0",
    },
}

# Pulumi type token -> Terraform resource name (pulumi-aws provider/resources.go and the other
# bridges map them one to one; the token's module and name are the Terraform name in camelCase).
TYPES = {
    "aws:acm/certificate:Certificate": "aws_acm_certificate",
    "aws:acm/certificateValidation:CertificateValidation": "aws_acm_certificate_validation",
    "aws:apigatewayv2/api:Api": "aws_apigatewayv2_api",
    "aws:apigatewayv2/apiMapping:ApiMapping": "aws_apigatewayv2_api_mapping",
    "aws:apigatewayv2/domainName:DomainName": "aws_apigatewayv2_domain_name",
    "aws:apigatewayv2/integration:Integration": "aws_apigatewayv2_integration",
    "aws:apigatewayv2/route:Route": "aws_apigatewayv2_route",
    "aws:apigatewayv2/stage:Stage": "aws_apigatewayv2_stage",
    "aws:apigatewayv2/vpcLink:VpcLink": "aws_apigatewayv2_vpc_link",
    "aws:appautoscaling/policy:Policy": "aws_appautoscaling_policy",
    "aws:appautoscaling/scheduledAction:ScheduledAction": "aws_appautoscaling_scheduled_action",
    "aws:appautoscaling/target:Target": "aws_appautoscaling_target",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:cloudwatch/queryDefinition:QueryDefinition": "aws_cloudwatch_query_definition",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/instance:Instance": "aws_instance",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/route:Route": "aws_route",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:ecs/cluster:Cluster": "aws_ecs_cluster",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "aws_ecs_cluster_capacity_providers",
    "aws:ecs/service:Service": "aws_ecs_service",
    "aws:ecs/taskDefinition:TaskDefinition": "aws_ecs_task_definition",
    "aws:elasticache/replicationGroup:ReplicationGroup": "aws_elasticache_replication_group",
    "aws:elasticache/subnetGroup:SubnetGroup": "aws_elasticache_subnet_group",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "aws_iam_openid_connect_provider",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:lb/listener:Listener": "aws_lb_listener",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:lb/targetGroup:TargetGroup": "aws_lb_target_group",
    "aws:opensearch/domain:Domain": "aws_opensearch_domain",
    "aws:route53/record:Record": "aws_route53_record",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketLogging:BucketLogging": "aws_s3_bucket_logging",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "aws_s3_bucket_server_side_encryption_configuration"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:secretsmanager/secret:Secret": "aws_secretsmanager_secret",
    "aws:secretsmanager/secretVersion:SecretVersion": "aws_secretsmanager_secret_version",
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": "aws_service_discovery_private_dns_namespace",
    "aws:servicediscovery/service:Service": "aws_service_discovery_service",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable": "github_actions_environment_variable",
    "github:index/actionsVariable:ActionsVariable": "github_actions_variable",
    "github:index/repositoryEnvironment:RepositoryEnvironment": "github_repository_environment",
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy": (
        "github_repository_environment_deployment_policy"
    ),
    "mongodbatlas:index/advancedCluster:AdvancedCluster": "mongodbatlas_advanced_cluster",
    "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule": "mongodbatlas_cloud_backup_schedule",
    "mongodbatlas:index/databaseUser:DatabaseUser": "mongodbatlas_database_user",
    "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint": "mongodbatlas_privatelink_endpoint",
    "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService": (
        "mongodbatlas_privatelink_endpoint_service"
    ),
    "mongodbatlas:index/project:Project": "mongodbatlas_project",
    "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList": "mongodbatlas_project_ip_access_list",
    "random:index/randomPassword:RandomPassword": "random_password",
}
# Terraform fields pulumi-aws renames (provider/resources.go `Fields: {"alarm_name": {Name: "name"}}`
# and the like), found where a force-new field is not an input of the SDK class.
RENAMES = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"alarmName": "name"},
    "aws:sns/topicSubscription:TopicSubscription": {"topicArn": "topic"},
    "aws:ec2/flowLog:FlowLog": {"logGroupName": "logDestination"},
}
# Auto-named fields pulumi-aws sets explicitly besides SetAutonaming's `name` (provider/resources.go:
# aws_s3_bucket's "bucket": tfbridge.AutoNameWithCustomOptions(..., Maxlen 63, lowercase)).
EXTRA_AUTONAME = {"aws:s3/bucket:Bucket": "bucket"}


def _key(tag: str) -> str:
    return rf'(?:"(?P<lit{tag}>[a-z0-9_]+)"|names\.(?P<const{tag}>Attr\w+))'


TOKEN = re.compile(
    _key("") + r"\s*:\s*(?:&?[\w.]+)?\{"  # a keyed schema entry opening
    r"|(?P<open>\{)|(?P<close>\})"
    r"|(?P<force>ForceNew:\s*true)"
    r"|(?P<replace>\w*planmodifier\.RequiresReplace\(\))"
    r"|(?P<replaceif>\w*planmodifier\.RequiresReplaceIf\w*\(|customdiff\.ForceNewIf\w*\(\s*" + _key("2") + ")"
    r"|(?P<cond>\.ForceNew\(\s*" + _key("3") + r"\s*\)|RequiresReplace\s*=)"
    r"|(?P<func>^func\s+(?:\([^)]*\)\s*)?(?P<fname>\w+))",
    re.M,
)


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def git(gitdir: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(gitdir), *args], capture_output=True, text=True, check=True).stdout


def constants(gitdir: Path, rev: str) -> dict[str, str]:
    try:
        text = git(gitdir, "show", f"{rev}:names/attr_consts_gen.go")
    except subprocess.CalledProcessError:
        return {}
    return dict(re.findall(r"(Attr\w+)\s*=\s*\"([a-z0-9_]+)\"", text))


def registrations(gitdir: Path, rev: str, prefix: str, wanted: set[str]) -> dict[str, str]:
    """Terraform resource name -> the Go file that registers it (one `git grep` per provider):
    an `@SDKResource("x"` or `TypeName = "x"` annotation, a framework `resourceName = "x"`
    (prefixed with the provider's name), or a ResourcesMap entry `"x": resourceX(),`."""
    pattern = (
        r'@SDKResource\("[a-z0-9_]+"|TypeName = "[a-z0-9_]+"'
        r'|^[[:space:]]+"[a-z0-9_]+":[[:space:]]+[[:alnum:]_.]+\(\),?$'
        r'|^[[:space:]]*[[:alnum:]]*[rR]esourceName[[:space:]]+= "[a-z0-9_]+"'
        r'|TypeName = req.ProviderTypeName \+ "_[a-z0-9_]+"'
    )
    done = subprocess.run(
        ["git", "--git-dir", str(gitdir), "grep", "-n", "-E", pattern, rev, "--", "*.go"],
        capture_output=True,
        text=True,
        check=False,
    )
    found: dict[str, str] = {}
    funcs: dict[str, str] = {}
    for line in done.stdout.splitlines():
        _, path, _, code = line.split(":", 3)
        if path.endswith("_test.go") or any(w in path for w in ("sweep", "ephemeral", "data_source")):
            continue
        name = re.search(r'"([a-z0-9_]+)"', code)
        if not name:
            continue
        func = re.search(r":\s+([\w.]+)\(\)", code)
        if "ProviderTypeName +" in code:
            found.setdefault(f"{prefix}{name.group(1)}", path)
        elif "esourceName" in code:
            found.setdefault(f"{prefix}_{name.group(1)}", path)
        elif func:  # a ResourcesMap entry: "tf_name": resourceX(),
            if name.group(1) in wanted and "DataSource" not in func.group(1):
                funcs[name.group(1)] = func.group(1)
        else:
            found.setdefault(name.group(1), path)
    for tf, func in funcs.items():
        if tf in found:
            continue
        pkg, _, fn = func.rpartition(".")
        where = f"*/{pkg}/*.go" if pkg else "*.go"
        done = subprocess.run(
            ["git", "--git-dir", str(gitdir), "grep", "-l", f"^func {fn}(", rev, "--", where],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.stdout:
            found[tf] = done.stdout.splitlines()[0].split(":", 1)[1]
    listing = git(gitdir, "ls-tree", "-r", "--name-only", rev).splitlines()
    for tf in wanted - found.keys():  # named by a package constant: the file is named after it
        short = tf.split("_", 1)[1]
        files = [f for f in listing if f.endswith((f"/resource_{short}.go", f"/{short}.go"))]
        if files:
            found[tf] = files[0]
    return found


def parse(text: str, consts: dict[str, str]) -> tuple[list[str], list[dict[str, str]], bool, list[str]]:
    """(force-new paths, conditional ones with their condition, has a `name` string input, the
    force-new paths that are nested blocks: in SDKv2 a block's ForceNew replaces only when the block
    is added or removed, its fields' own ForceNew decide the rest (helper/schema diffList), while a
    list of values passes its ForceNew to each value)."""
    stack: list[str | None] = []
    func = ""
    forced: set[str] = set()
    conditional: dict[str, str] = {}
    blocks: set[str] = set()
    top_name: list[str] = []  # the body of a top-level `name` attribute (up to its first `}`)
    for m in TOKEN.finditer(text):
        key = next((m.group(f"lit{t}") for t in ("", "2", "3") if m.group(f"lit{t}")), "") or next(
            (consts.get(m.group(f"const{t}"), "") for t in ("", "2", "3") if m.group(f"const{t}")), ""
        )
        if m.group("func"):
            func, stack = m.group("fname"), []
        elif any(w in func.lower() for w in ("upgrade", "move", "legacy")):
            continue  # the schema of an older version or another type, read only to migrate state
        elif m.group("open"):
            stack.append(None)
        elif m.group("close"):
            if stack:
                stack.pop()
        elif m.group("force") or m.group("replace") or m.group("replaceif"):
            path = ".".join(camel(k) for k in stack if k)
            if m.group("replaceif") and m.group("replaceif").startswith("customdiff"):
                path = camel(key) if key else path
            if not path:
                continue
            if m.group("force") or m.group("replace"):
                forced.add(path)
            else:
                conditional.setdefault(path, f"{m.group('replaceif').rstrip('(')} in {func}")
        elif m.group("cond"):
            path = camel(key) if key else ".".join(camel(k) for k in stack if k)
            conditional.setdefault(path or "(some inputs)", f"{m.group('cond').strip()} in {func} (CustomizeDiff)")
        elif m.group(0).rstrip().endswith("{"):
            if key == "name" and not any(stack):
                top_name.append(m.group(0) + text[m.end() : text.find("}", m.end())])
            if key and any(stack):
                blocks.add(".".join(camel(k) for k in stack if k))
            stack.append(key or None)
    has_name = any(
        re.search(r"(Optional|Required):\s*true", body) and re.search(r"TypeString|StringAttribute", body)
        for body in top_name
    )
    cond = [{"path": p, "when": w} for p, w in sorted(conditional.items()) if p not in forced]
    return sorted(forced), cond, has_name, sorted(blocks & forced)


def sdk_inputs(token: str) -> set[str]:
    """The input names of the installed SDK class for `token` (camelCase), e.g. pulumi_aws.s3.Bucket."""
    pkg, mod, cls = token.split(":", maxsplit=1)[0], token.split(":")[1].split("/", maxsplit=1)[0], token.split(":")[2]
    module = importlib.import_module(f"pulumi_{pkg}" + ("" if mod == "index" else f".{mod}"))
    params = inspect.signature(getattr(module, cls)._internal_init).parameters
    return {camel(p) for p in params if p not in ("__self__", "resource_name", "opts", "__props__")}


def to_sdk(paths: list[str], token: str, inputs: set[str]) -> tuple[list[str], list[str]]:
    """(paths renamed and pluralised as the SDK names them, paths that are not SDK inputs: legacy
    or state-migration schemas in the same file)."""
    kept, dropped = [], []
    for path in paths:
        top, _, rest = path.partition(".")
        top = RENAMES.get(token, {}).get(top, top)
        plural = next((t for t in (top, top + "s", top[:-1] + "ies", top + "es") if t in inputs), None)
        if plural is None:
            dropped.append(path)
        else:
            kept.append(plural + (f".{rest}" if rest else ""))
    return sorted(set(kept)), dropped


# Known differences between the tree read and the one the pinned SDK wraps, each with its evidence:
# applied over what the Go source says, and listed in the table's entry (`corrected`).
# Known differences between the tree read and the one the pinned SDK wraps, each with its evidence:
# (force-new paths to drop, conditional ones to add), applied over what the Go source says; the
# entry is marked `corrected`.
CORRECTIONS: dict[str, tuple[list[str], list[dict[str, str]]]] = {
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        ["engine"],
        [
            {
                "path": "engine",
                "when": "any engine change but redis -> valkey (an in-place engine upgrade, ElastiCache "
                "ModifyReplicationGroup `Engine`); the tree read predates valkey, which the pinned SDK's "
                "ReplicationGroup docs accept ('Valid values are `redis` or `valkey`')",
            }
        ],
    ),
}


def corrected(token: str, forced: list[str], cond: list[dict[str, str]]) -> tuple[list[str], list[dict[str, str]]]:
    dropped, added = CORRECTIONS.get(token, ([], []))
    return [f for f in forced if f not in dropped], [*cond, *added]


def main() -> int:
    sources = Path(sys.argv[1])
    table: dict[str, object] = {}
    index: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    for token, tf in sorted(TYPES.items()):
        up = UPSTREAM[token.split(":", 1)[0]]
        gitdir = sources / up["dir"]
        if up["dir"] not in index:
            wanted = {t for k, t in TYPES.items() if k.startswith(token.split(":", 1)[0] + ":")}
            regs = registrations(gitdir, up["rev"], token.split(":", 1)[0], wanted)
            index[up["dir"]] = (constants(gitdir, up["rev"]), regs)
        consts, files = index[up["dir"]]
        if tf not in files:
            raise SystemExit(f"{tf}: no file registers it at {up['repo']}@{up['rev']}")
        path = files[tf]
        # the files that hold its schema: its own, the schema files beside it (framework resources
        # split them out), and the shared rule base the egress rule embeds
        siblings = [
            f
            for f in git(gitdir, "ls-tree", "--name-only", up["rev"], path.rsplit("/", 1)[0] + "/").splitlines()
            if "schema" in f.rsplit("/", 1)[1] and "data_source" not in f and not f.endswith("_test.go")
        ]
        shared = [path.replace("egress_rule", "ingress_rule")] if tf == "aws_vpc_security_group_egress_rule" else []
        text = "\n".join(git(gitdir, "show", f"{up['rev']}:{f}") for f in [path, *siblings, *shared])
        framework = "planmodifier" in text or "resource.ResourceWithConfigure" in text
        forced, cond, has_name, blocks = parse(text, consts)
        inputs = sdk_inputs(token)
        forced, dropped = to_sdk(forced, token, inputs)
        blocks = to_sdk(blocks, token, inputs)[0] if not framework else []
        cond = [
            {**c, "path": to_sdk([c["path"]], token, inputs)[0][0]}
            if c["path"] != "(some inputs)" and to_sdk([c["path"]], token, inputs)[0]
            else c
            for c in cond
        ]
        forced, cond = corrected(token, forced, cond)
        auto = EXTRA_AUTONAME.get(token) or ("name" if has_name and token.startswith("aws:") else None)
        table[token] = {
            "terraform": tf,
            "source": f"{up['repo']}@{up['rev'][:12]}:{path}",
            "forceNew": forced,
            "conditional": cond,
            "autoName": auto,
            "framework": framework,
            "notInputs": dropped,
            "blocks": blocks,
            "tags": "tags" in inputs,
            **({"corrected": True} if token in CORRECTIONS else {}),
        }
    doc = {
        "generatedBy": "scripts/gen_replacements.py",
        "upstream": {k: {n: v[n] for n in ("repo", "rev", "sdk", "wraps")} for k, v in UPSTREAM.items()},
        "types": table,
    }
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(table)} types to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
