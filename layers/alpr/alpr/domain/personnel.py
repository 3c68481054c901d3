"""The Personnel registry: who may use the system, in what roles, with what training.

Policy 439.4(d), 439.8 (no access without department-approved training) and the State
Auditor's recommendations (report 2019-118): supervisor-approved accounts, training before
access and refreshers, suspension after 90 days of inactivity, immediate deactivation on
separation. Pure domain: the store is a small protocol, the clock is passed in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alpr.domain.errors import Forbidden, InvalidRequest, NotFound
from alpr.domain.models import UtcDatetime
from alpr.names import Group

DEFAULT_INACTIVITY_DAYS = 90  # State Auditor 2019-118: suspend after 90 days unused
DEFAULT_REFRESHER_DAYS = 365  # CJIS security awareness training is yearly (policy 439.8)
MAX_REFRESHER_DAYS = 365  # a configuration may make it more frequent, never less


class Status(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    SEPARATED = "separated"


class StandingPolicy(BaseModel):
    """How long an account may sit unused, and how long training stays current (configuration)."""

    model_config = ConfigDict(frozen=True)

    inactivity_days: int = Field(default=DEFAULT_INACTIVITY_DAYS, ge=1)
    refresher_days: int = Field(default=DEFAULT_REFRESHER_DAYS, ge=1, le=MAX_REFRESHER_DAYS)


class Account(BaseModel):
    """What an administrator says about an account (the part of the record they set)."""

    full_name: str = Field(min_length=1, max_length=200)
    badge: str | None = None
    job_title: str = Field(min_length=1, max_length=200)
    organisation: str = Field(min_length=1, max_length=200)
    roles: list[Group] = Field(min_length=1)
    training_completed: date | None = None
    training_expires: date | None = None
    approved_by: str = Field(min_length=1, description="username of the supervisor who approved the account")
    clets_authorised_on: date | None = Field(
        default=None,
        description="when the person was authorised to see state and federal (CLETS/NCIC) data, policy "
        "439.4(e); without it hits show only that they exist and their category",
    )


class PersonnelRecord(Account):
    """One account of the registry (the Personnel table), person or device (a vehicle unit)."""

    username: str = Field(min_length=1, max_length=128)
    status: Status = Status.ACTIVE
    status_reason: str = ""
    last_active: UtcDatetime | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    updated_by: str = ""

    @field_validator("roles")
    @classmethod
    def distinct_roles(cls, roles: list[Group]) -> list[Group]:
        return sorted(set(roles))

    @property
    def is_device(self) -> bool:
        return self.roles == [Group.UNIT]


class PersonnelStore(Protocol):
    def get(self, username: str) -> PersonnelRecord | None: ...

    def put(self, record: PersonnelRecord) -> None: ...

    def all(self) -> list[PersonnelRecord]: ...

    def touch(self, username: str, at: datetime) -> None:
        """Set last_active (only that attribute: a concurrent admin change is not overwritten)."""
        ...

    def set_status(self, username: str, status: Status, reason: str, at: datetime, by: str) -> None: ...


def training_expiry(person: PersonnelRecord, policy: StandingPolicy) -> date | None:
    """The day training lapses: the recorded expiry, and never later than completion + the refresher period."""
    if person.training_completed is None:
        return None
    due = person.training_completed + timedelta(days=policy.refresher_days)
    return min(due, person.training_expires) if person.training_expires else due


def inactive_since(person: PersonnelRecord, policy: StandingPolicy, now: datetime) -> datetime | None:
    """When the account was last used (or created) if that is longer ago than the inactivity limit."""
    last = person.last_active or person.created_at
    return last if now - last > timedelta(days=policy.inactivity_days) else None


def standing_refusal(person: PersonnelRecord, policy: StandingPolicy, now: datetime) -> str | None:
    """Why this account may not act now (status, inactivity, training), in words; None when it may.

    Devices (vehicle units) carry no training: only their status counts.
    """
    if person.status is Status.SEPARATED:
        return f"account '{person.username}' is separated{_because(person.status_reason)}"
    if person.status is Status.SUSPENDED:
        return f"account '{person.username}' is suspended{_because(person.status_reason)}"
    if person.is_device:
        return None
    idle = inactive_since(person, policy, now)
    if idle is not None:
        return (
            f"account '{person.username}' unused since {idle.date().isoformat()} "
            f"(more than {policy.inactivity_days} days): suspended; a supervisor must reactivate it"
        )
    expiry = training_expiry(person, policy)
    if expiry is None:
        return f"no ALPR training on record for '{person.username}' (policy 439.8)"
    if now.date() > expiry:
        return f"ALPR training of '{person.username}' expired on {expiry.isoformat()} (refresher due, policy 439.8)"
    return None


def _because(reason: str) -> str:
    return f": {reason}" if reason else ""


# --- administration (the administrator, with a supervisor as approver) -----------------


class PersonnelChange(Account):
    """What an administrator sends to create or replace an account."""

    model_config = ConfigDict(extra="forbid")


class TrainingRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    completed: date
    expires: date | None = Field(default=None, description="defaults to completion + the refresher period")


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    reason: str = Field(min_length=3, max_length=500)
    approved_by: str | None = Field(
        default=None, description="a supervisor's username; required to reactivate an account"
    )


def _require_approver(store: PersonnelStore, approver: str, subject: str, admin: str) -> None:
    if approver in (subject, admin):
        raise Forbidden(
            "the approver must be a supervisor other than the administrator and the account holder"
        )
    record = store.get(approver)
    if record is None or Group.SUPERVISOR not in record.roles or record.status is not Status.ACTIVE:
        raise InvalidRequest(f"approver '{approver}' is not an active supervisor in the Personnel registry")


def save_person(
    store: PersonnelStore, admin: str, username: str, change: PersonnelChange, now: datetime
) -> PersonnelRecord:
    """Create or replace an account; the approver must be another active supervisor."""
    _require_approver(store, change.approved_by, username, admin)
    if (
        change.training_completed
        and change.training_expires
        and change.training_expires < change.training_completed
    ):
        raise InvalidRequest("training_expires is before training_completed")
    existing = store.get(username)
    record = PersonnelRecord(
        username=username,
        **change.model_dump(),
        status=existing.status if existing else Status.ACTIVE,
        status_reason=existing.status_reason if existing else "",
        last_active=existing.last_active if existing else None,
        created_at=existing.created_at if existing else now,
        updated_at=now,
        updated_by=admin,
    )
    store.put(record)
    return record


def record_training(
    store: PersonnelStore,
    admin: str,
    username: str,
    training: TrainingRecord,
    policy: StandingPolicy,
    now: datetime,
) -> PersonnelRecord:
    """Record completed training (the expiry defaults to completion + the refresher period)."""
    person = _existing(store, username)
    expires = training.expires or training.completed + timedelta(days=policy.refresher_days)
    if expires < training.completed:
        raise InvalidRequest("the training expiry is before its completion")
    updated = person.model_copy(
        update={
            "training_completed": training.completed,
            "training_expires": expires,
            "updated_at": now,
            "updated_by": admin,
        }
    )
    store.put(updated)
    return updated


def change_status(
    store: PersonnelStore, admin: str, username: str, change: StatusChange, now: datetime
) -> PersonnelRecord:
    """Suspend, separate or reactivate an account; reactivation needs a supervisor's approval.

    Reactivating also restarts the inactivity clock, or the account would be suspended again
    on its next request.
    """
    person = _existing(store, username)
    if person.status is Status.SEPARATED and change.status is not Status.SEPARATED:
        raise Forbidden(f"account '{username}' is separated: create a new account instead of reactivating it")
    update: dict[str, object] = {
        "status": change.status,
        "status_reason": change.reason,
        "updated_at": now,
        "updated_by": admin,
    }
    if change.status is Status.ACTIVE:
        if not change.approved_by:
            raise InvalidRequest("reactivating an account needs 'approved_by' (a supervisor)")
        _require_approver(store, change.approved_by, username, admin)
        update["approved_by"] = change.approved_by
        update["last_active"] = now
    updated = person.model_copy(update=update)
    store.put(updated)
    return updated


def _existing(store: PersonnelStore, username: str) -> PersonnelRecord:
    person = store.get(username)
    if person is None:
        raise NotFound(f"no account '{username}' in the Personnel registry")
    return person
