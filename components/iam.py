"""iam tier: per service an execution role (ECS starts the task) and a task role (the app)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components._outputs import declared
from components._policy import to_json
from marin import iam
from marin.catalogue import secrets_for
from marin.config import ComputeConfig, StackConfig
from marin.naming import SERVICES, EnvironmentNames


@dataclass(frozen=True)
class IamArgs:
    compute: ComputeConfig
    """The images each service's execution role may pull."""
    stack: StackConfig
    names: EnvironmentNames
    account_id: str
    log_group_arns: dict[str, pulumi.Output[str]]
    secret_arns: dict[str, pulumi.Output[str]]


def _after(value: pulumi.Output[str], resource: pulumi.CustomResource) -> pulumi.Output[str]:
    """`value`, carrying a dependency on `resource` to every input it is passed to."""
    return pulumi.Output.all(value, resource.id).apply(lambda v: v[0])


class Iam(pulumi.ComponentResource):
    execution_role_arns: dict[str, pulumi.Output[str]]
    """Per service, the execution role's ARN, resolved once its inline policy is attached."""
    task_role_arns: dict[str, pulumi.Output[str]]
    """Per service, the task role's ARN, resolved once its inline policy is attached."""

    def __init__(self, name: str, args: IamArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marin:iam:Iam", name, None, opts)
        n = args.names
        child = pulumi.ResourceOptions(parent=self)
        execution_trust = to_json(iam.ecs_execution_trust())
        task_trust = to_json(iam.ecs_tasks_trust(args.account_id, args.stack.aws_region))
        self.execution_role_arns, self.task_role_arns = {}, {}
        for service in SERVICES:
            image = args.compute.image(service)
            execution = aws.iam.Role(
                f"{name}-{service}-execution",
                name=n.execution_roles[service],
                assume_role_policy=execution_trust,
                opts=child,
            )
            injected = [args.secret_arns[s.name] for s in secrets_for(service)]
            policy = pulumi.Output.all(args.log_group_arns[service], *injected).apply(
                lambda arns, image=image: iam.execution_policy(image, arns[0], list(arns[1:]))
            )
            execution_policy = aws.iam.RolePolicy(
                f"{name}-{service}-execution", role=execution.id, policy=to_json(policy), opts=child
            )
            task = aws.iam.Role(
                f"{name}-{service}-task", name=n.task_roles[service], assume_role_policy=task_trust, opts=child
            )
            task_policy = aws.iam.RolePolicy(
                f"{name}-{service}-task",
                role=task.id,
                opts=child,
                policy=to_json(iam.task_policy(n.recordings_bucket)),
            )
            # A role is of use only with its policy: whoever takes the ARN waits for both.
            self.execution_role_arns[service] = _after(execution.arn, execution_policy)
            self.task_role_arns[service] = _after(task.arn, task_policy)
        self.register_outputs(declared(self))
