"""Stable logical ids for the resources other tools look up in the template.

CDK derives logical ids from construct paths plus a hash. The local runtime and
operators read the template, so the resources they look for get plain, fixed ids
(`ReadsTable`, `UploadsBucket`, `IngestQueue`, `ApiFunction`, ...); see docs/infra.md.
"""

from __future__ import annotations

from aws_cdk import CfnElement, CfnOutput
from constructs import IConstruct

from alpr.names import Output


def fix_logical_id(construct: IConstruct, logical_id: str) -> None:
    """Give the CloudFormation resource behind an L2 construct the logical id `logical_id`."""
    resource = construct.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to rename")
    resource.override_logical_id(logical_id)


def output(scope: IConstruct, name: Output, value: str) -> None:
    """A stack output whose logical id is exactly `name` (what the CLI and scripts read back)."""
    CfnOutput(scope, name.value, value=value).override_logical_id(name.value)  # type: ignore[arg-type]
