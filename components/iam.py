"""iam tier: per service an execution role (ECS starts the task) and a task role (the app)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components._policy import to_json
from marin import iam
from marin.catalogue import secrets_for
from marin.naming import EnvironmentNames


@dataclass(frozen=True)
class IamArgs:
    names: EnvironmentNames
    account_id: str
    region: str
    images: dict[str, str]
    log_group_arns: dict[str, pulumi.Output[str]]
    secret_arns: dict[str, pulumi.Output[str]]


class Iam(pulumi.ComponentResource):
    execution_role_arns: dict[str, pulumi.Output[str]]
    task_role_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: IamArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:iam:Iam", name, None, opts)
        n = args.names
        child = pulumi.ResourceOptions(parent=self)
        trust = to_json(iam.ecs_tasks_trust(args.account_id, args.region))
        self.execution_role_arns, self.task_role_arns = {}, {}
        for service, image in args.images.items():
            execution = aws.iam.Role(
                f"{name}-{service}-execution", name=n.execution_roles[service], assume_role_policy=trust, opts=child
            )
            injected = [args.secret_arns[s.name] for s in secrets_for(service)]
            policy = pulumi.Output.all(args.log_group_arns[service], *injected).apply(
                lambda arns, image=image: iam.execution_policy(image, arns[0], list(arns[1:]))
            )
            aws.iam.RolePolicy(f"{name}-{service}-execution", role=execution.id, policy=to_json(policy), opts=child)
            task = aws.iam.Role(
                f"{name}-{service}-task", name=n.task_roles[service], assume_role_policy=trust, opts=child
            )
            aws.iam.RolePolicy(
                f"{name}-{service}-task",
                role=task.id,
                opts=child,
                policy=to_json(iam.task_policy(n.recordings_bucket, args.region, args.account_id, n.secret_prefix)),
            )
            self.execution_role_arns[service] = execution.arn
            self.task_role_arns[service] = task.arn
        self.register_outputs({"execution_role_arns": self.execution_role_arns, "task_role_arns": self.task_role_arns})
