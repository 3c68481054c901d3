"""Personnel records for the local stack's seeded users (bootstrap: written straight to the store).

Everyone is trained and active except `untrained` (a role, no training record), so the
access gate has someone to refuse; `unit-01` is a device (a vehicle unit), which needs no
training but can still be suspended or separated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from alpr.domain.personnel import PersonnelRecord, PersonnelStore
from alpr.names import Group

LOCAL_ORGANISATION = "Local Police Department (ALPR back office, local stack)"
TRAINED_DAYS_AGO = 30

# username -> (full name, job title, badge)
LOCAL_PEOPLE: dict[str, tuple[str, str, str | None]] = {
    "investigator": ("Ivy Investigator", "Detective", "1101"),
    "supervisor": ("Sam Supervisor", "Sergeant", "1201"),
    "commander": ("Casey Commander", "Lieutenant, Investigations Division commander", "1301"),
    "auditor": ("Avery Auditor", "Professional Standards auditor", None),
    "admin": ("Ada Administrator", "ALPR system administrator", None),
    "records": ("Riley Records", "Records supervisor", None),
    "untrained": ("Uma Untrained", "Detective (training pending)", "1102"),
    "unit-01": ("Patrol car 01", "vehicle unit (mobile ALPR camera)", None),
}
UNTRAINED = frozenset({"untrained"})
CLETS_ROLES = frozenset({Group.INVESTIGATOR, Group.SUPERVISOR, Group.COMMANDER})


def local_personnel(users: Mapping[str, Sequence[Group]], now: datetime) -> list[PersonnelRecord]:
    """A record per seeded user (their roles are their Cognito groups)."""
    records = []
    for username, groups in users.items():
        full_name, job_title, badge = LOCAL_PEOPLE.get(username, (username, "staff", None))
        device = list(groups) == [Group.UNIT]
        trained = not device and username not in UNTRAINED
        records.append(
            PersonnelRecord(
                username=username,
                full_name=full_name,
                badge=badge,
                job_title=job_title,
                organisation=LOCAL_ORGANISATION,
                roles=list(groups),
                training_completed=(now - timedelta(days=TRAINED_DAYS_AGO)).date() if trained else None,
                approved_by="commander" if username == "supervisor" else "supervisor",
                # Sworn users who work alerts are authorised for CLETS data (policy 439.4(e)).
                clets_authorised_on=(now - timedelta(days=TRAINED_DAYS_AGO)).date()
                if trained and set(groups) & CLETS_ROLES
                else None,
                created_at=now,
                updated_at=now,
                updated_by="local-seed",
            )
        )
    return records


def seed_personnel(store: PersonnelStore, users: Mapping[str, Sequence[Group]], now: datetime) -> int:
    """Write the seeded users' records; returns how many."""
    records = local_personnel(users, now)
    for record in records:
        store.put(record)
    return len(records)


def seed_local_stack(endpoint_url: str, region: str, users: Mapping[str, Sequence[Group]]) -> int:
    """Seed the Personnel table the deployed functions use (its name is in their environment)."""
    import os

    import boto3

    from alpr.adapters.personnel import DynamoPersonnelStore
    from alpr.domain.clock import SystemClock
    from alpr.names import Env

    table = os.environ.get(Env.PERSONNEL_TABLE.value, "")
    if not table:
        raise RuntimeError(
            f"{Env.PERSONNEL_TABLE.value} is not set: the template deployed no Personnel table"
        )
    client = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
    return seed_personnel(DynamoPersonnelStore(table, lambda: client), users, SystemClock().now())
