"""A trained, active investigator's Personnel record, shared by the access tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alpr.domain.personnel import PersonnelRecord
from alpr.names import Group

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def investigator(**changes: object) -> PersonnelRecord:
    """Ivy, trained in June, created ten days ago, active yesterday; `changes` override any field."""
    record = PersonnelRecord(
        username="ivy",
        full_name="Ivy Investigator",
        job_title="Detective",
        organisation="PD",
        roles=[Group.INVESTIGATOR],
        training_completed=date(2026, 6, 1),
        approved_by="sam",
        created_at=NOW - timedelta(days=10),
        updated_at=NOW - timedelta(days=10),
        last_active=NOW - timedelta(days=1),
    )
    return record.model_copy(update=changes)


def account(username: str, roles: list[Group], **changes: object) -> PersonnelRecord:
    """An account named after its username, trained on 1 January, created five days before NOW."""
    base = PersonnelRecord(
        username=username,
        full_name=username.title(),
        job_title="Sergeant" if Group.SUPERVISOR in roles else "Detective",
        organisation="PD",
        roles=roles,
        training_completed=date(2026, 1, 1),
        approved_by="boss",
        created_at=NOW - timedelta(days=5),
        updated_at=NOW - timedelta(days=5),
    )
    return base.model_copy(update=changes)
