"""Wiring of what the public reads: the usage and privacy policy from the enforced settings, and
the transparency figures from table metadata and the register of release requests."""

from __future__ import annotations

from alpr.adapters.dynamo import approximate_item_count
from alpr.domain.access import AccessPolicy
from alpr.domain.public_policy import (
    PublicPolicy,
    TransparencyReport,
    transparency_report,
    usage_and_privacy_policy,
)
from alpr.services.container import container


def policy(access: AccessPolicy) -> PublicPolicy:
    """The policy for the gate's configuration `access` (the API's, read once at cold start)."""
    return usage_and_privacy_policy(
        retention_days=container().config.retention.days,
        access=access,
        refused_hotlist_categories=container().config.refused_hotlist_categories,
        administration=container().config.administration,
        hold_review_days=container().config.hold_review_days,
    )


def transparency() -> TransparencyReport:
    services = container()
    return transparency_report(
        now=services.clock.now(),
        retention_days=services.config.retention.days,
        reads=approximate_item_count(services.dynamodb, services.granted("reads_table")),
        alerts=approximate_item_count(services.dynamodb, services.granted("alerts_table")),
        requests=[request.status for request in services.release_store.all()],
    )
