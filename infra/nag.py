"""cdk-nag 3 acknowledgments, in one form: a rule id and a reason a reviewer would accept."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge `rule` (e.g. "AwsSolutions-IAM5[Resource::*]") on `scope` and everything under it."""
    if not reason.strip():
        raise ValueError(f"acknowledging {rule} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def checkov_skip(scope: IConstruct, check: str, reason: str) -> None:
    """Skip Checkov's `check` (e.g. "CKV_AWS_117") on `scope`'s CloudFormation resource, with the
    reason in the template's Metadata (Checkov reads `Metadata.checkov.skip`), the cdk-nag way."""
    if not reason.strip():
        raise ValueError(f"skipping {check} needs a reason")
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource to carry the skip")
    metadata = resource.get_metadata("checkov") or {"skip": []}
    if check not in {s["id"] for s in metadata["skip"]}:
        metadata["skip"].append({"id": check, "comment": reason})
    resource.add_metadata("checkov", metadata)
