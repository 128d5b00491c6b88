"""Which input changes make the provider REPLACE a resource (delete + create), per type.

pulumi-aws and pulumi-mongodbatlas are bridged from the Terraform providers; the Python SDK does
not carry the ForceNew marks, so this table is kept by hand from the provider documentation
("Forces new resource" / "Changing this forces a new resource" in the Terraform docs the Pulumi
registry pages are generated from, and "Update requires: Replacement" / "UpdateType: Immutable"
in the CloudFormation reference for the same AWS API). Paths are camelCase input paths as the
engine records them; `a.b` matches a nested key, `a[]` any list element.

`checked` says whether the source text was read while writing this table (True) or the entry
comes from the provider's documented behaviour without a quote kept here (False): check those
first when one matters. A resource's own `replaceOnChanges` option is honoured in addition.
"""

from __future__ import annotations

from dataclasses import dataclass

TF_DOCS = "terraform-provider-aws website/docs/r/{}.html.markdown"
ATLAS_DOCS = "terraform-provider-mongodbatlas docs/resources/{}.md"
CFN = "AWS CloudFormation reference {}: UpdateType Immutable"


@dataclass(frozen=True)
class Rule:
    paths: tuple[str, ...]
    source: str
    checked: bool


# Types whose replacement loses data or identity others depend on (a new bucket is empty, a new
# Redis group or OpenSearch domain starts cold, a new VPC moves every address).
STATEFUL = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:opensearch/domain:Domain",
        "mongodbatlas:index/advancedCluster:AdvancedCluster",
        "mongodbatlas:index/project:Project",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:secretsmanager/secret:Secret",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:kms/key:Key",
        "aws:ec2/eip:Eip",
        "aws:lb/loadBalancer:LoadBalancer",
    }
)

REPLACE_ON_CHANGE: dict[str, Rule] = {
    "aws:s3/bucket:Bucket": Rule(
        ("bucket", "bucketPrefix", "objectLockEnabled"),
        TF_DOCS.format("s3_bucket") + " ('bucket - (Optional, Forces new resource) Name of the bucket')",
        True,
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": Rule(
        ("replicationGroupId", "atRestEncryptionEnabled", "kmsKeyId", "subnetGroupName", "snapshotName", "engine"),
        TF_DOCS.format("elasticache_replication_group")
        + " (snapshot_name: 'Changing the snapshot_name forces a new resource'); "
        + CFN.format(
            "AWS::ElastiCache::ReplicationGroup ReplicationGroupId ('AWS CloudFormation replaces the resource"
            " when you change this property'), AtRestEncryptionEnabled"
        ),
        True,
    ),
    "aws:opensearch/domain:Domain": Rule(
        ("domainName", "encryptAtRest.kmsKeyId"),
        TF_DOCS.format("opensearch_domain")
        + " ('If you change the kms_key_id, Terraform will also recreate the domain'); domain_name ForceNew",
        True,
    ),
    "mongodbatlas:index/advancedCluster:AdvancedCluster": Rule(
        ("name", "projectId"), ATLAS_DOCS.format("advanced_cluster") + " (cluster name and project are identity)", False
    ),
    "mongodbatlas:index/project:Project": Rule(("orgId",), ATLAS_DOCS.format("project"), False),
    "aws:ec2/vpc:Vpc": Rule(
        ("cidrBlock", "instanceTenancy"), TF_DOCS.format("vpc") + "; " + CFN.format("AWS::EC2::VPC CidrBlock"), True
    ),
    "aws:ec2/subnet:Subnet": Rule(
        ("cidrBlock", "availabilityZone", "availabilityZoneId", "vpcId"),
        TF_DOCS.format("subnet") + "; " + CFN.format("AWS::EC2::Subnet AvailabilityZone, CidrBlock"),
        True,
    ),
    "aws:secretsmanager/secret:Secret": Rule(
        ("name", "namePrefix"), TF_DOCS.format("secretsmanager_secret") + " (name: Forces new resource)", False
    ),
    "aws:cloudwatch/logGroup:LogGroup": Rule(
        ("name", "namePrefix", "logGroupClass"),
        TF_DOCS.format("cloudwatch_log_group") + " v6.69.1 ('name - (Optional, Forces new resource)')",
        True,
    ),
    "aws:kms/key:Key": Rule(("customerMasterKeySpec", "keySpec", "keyUsage"), TF_DOCS.format("kms_key"), False),
    "aws:ec2/eip:Eip": Rule(("domain", "address", "publicIpv4Pool"), TF_DOCS.format("eip"), False),
    "aws:lb/loadBalancer:LoadBalancer": Rule(
        ("name", "namePrefix", "internal", "loadBalancerType"), TF_DOCS.format("lb"), False
    ),
    "aws:ec2/securityGroup:SecurityGroup": Rule(
        ("name", "namePrefix", "description", "vpcId"), TF_DOCS.format("security_group"), False
    ),
    "aws:ec2/natGateway:NatGateway": Rule(
        ("allocationId", "subnetId", "connectivityType"), TF_DOCS.format("nat_gateway"), False
    ),
    "aws:ec2/instance:Instance": Rule(
        ("ami", "subnetId", "availabilityZone", "rootBlockDevice.encrypted", "rootBlockDevice.volumeSize"),
        TF_DOCS.format("instance") + " (ami: changing it replaces the instance; volume_size grows in place in v5+)",
        False,
    ),
    "aws:ecs/taskDefinition:TaskDefinition": Rule(
        ("family", "containerDefinitions", "cpu", "memory", "executionRoleArn", "taskRoleArn", "networkMode"),
        TF_DOCS.format("ecs_task_definition") + " (every argument but tags forces a new revision)",
        False,
    ),
    "aws:iam/role:Role": Rule(("name", "namePrefix", "path"), TF_DOCS.format("iam_role"), False),
    "aws:lb/targetGroup:TargetGroup": Rule(
        ("name", "namePrefix", "port", "protocol", "vpcId", "targetType"), TF_DOCS.format("lb_target_group"), False
    ),
    "aws:sns/topic:Topic": Rule(("name", "namePrefix", "fifoTopic"), TF_DOCS.format("sns_topic"), False),
    "aws:elasticache/subnetGroup:SubnetGroup": Rule(("name",), TF_DOCS.format("elasticache_subnet_group"), False),
    "aws:ecs/cluster:Cluster": Rule(("name",), TF_DOCS.format("ecs_cluster"), False),
    "aws:ecs/service:Service": Rule(("name", "cluster", "launchType"), TF_DOCS.format("ecs_service"), False),
}


def _matches(path: str, rule_path: str) -> bool:
    norm = "".join(part if not part.startswith("[") else "[]" for part in _split(path))
    return norm == rule_path or norm.startswith(rule_path + ".") or norm.startswith(rule_path + "[")


def _split(path: str) -> list[str]:
    out, buf = [], ""
    for ch in path:
        if ch == "[":
            out.append(buf)
            buf = "["
        elif ch == "]":
            out.append(buf + "]")
            buf = ""
        else:
            buf += ch
    out.append(buf)
    return [p for p in out if p]


def replacing_paths(type_: str, paths: list[str], replace_on_changes: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The changed `paths` that force a replacement of a resource of `type_`."""
    rule = REPLACE_ON_CHANGE.get(type_)
    patterns = [*(rule.paths if rule else ()), *replace_on_changes]
    if "*" in replace_on_changes:
        return list(paths)
    return [p for p in paths if any(_matches(p, r) for r in patterns)]
