"""cdk-nag 3 acknowledgments, in one form: a rule id and a reason a reviewer would accept."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge `rule` (e.g. "AwsSolutions-IAM5[Resource::*]") on `scope` and everything under it."""
    if not reason.strip():
        raise ValueError(f"acknowledging {rule} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))
