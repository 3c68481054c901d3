"""Wiring of what the public reads: the usage and privacy policy from the enforced settings, and
the transparency figures from table metadata and the register of release requests."""

from __future__ import annotations

from alpr.adapters import aws
from alpr.adapters.dynamo import approximate_item_count
from alpr.domain.access import AccessPolicy
from alpr.domain.public_policy import (
    PublicPolicy,
    TransparencyReport,
    transparency_report,
    usage_and_privacy_policy,
)
from alpr.services import release as release_service
from alpr.services import uploads as service
from alpr.services.hotlist import hotlist_settings
from alpr.settings import settings


def policy(access: AccessPolicy) -> PublicPolicy:
    """The policy for the gate's configuration `access` (the API's, read once at cold start)."""
    return usage_and_privacy_policy(
        retention_days=settings().retention.days,
        access=access,
        refused_hotlist_categories=hotlist_settings().refused,
    )


def transparency() -> TransparencyReport:
    tables = settings().tables
    return transparency_report(
        now=service.clock().now(),
        retention_days=settings().retention.days,
        reads=approximate_item_count(aws.dynamodb, tables.reads),
        alerts=approximate_item_count(aws.dynamodb, tables.alerts),
        requests=[request.status for request in release_service.store().all()],
    )
