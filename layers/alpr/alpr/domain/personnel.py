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
    clets_authorised_on: date | None = Field(
        default=None,
        description="when the person was authorised to see state and federal (CLETS/NCIC) data, policy "
        "439.4(e); without it hits show only that they exist and their category",
    )


class PersonnelRecord(Account):
    """One account of the registry (the Personnel table), person or device (a vehicle unit)."""

    username: str = Field(min_length=1, max_length=128)
    approved_by: str = Field(
        default="",
        description="who approved the account's last change that widened its access, signed in "
        "(`POST /v1/personnel/proposals/{id}/approve`); seeded accounts name their seed's approver",
    )
    approved_at: UtcDatetime | None = None
    proposal_id: str | None = Field(default=None, description="the approved proposal that made the change")
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


# --- administration: what an administrator may do alone (nothing that widens access) ------
#
# Creating an account, changing it, training that lets someone in and reactivation are proposed
# and approved (`alpr.domain.account_proposals`); only what narrows access is done directly.


class TrainingRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    completed: date
    expires: date | None = Field(default=None, description="defaults to completion + the refresher period")

    def expiry(self, policy: StandingPolicy) -> date:
        """The recorded expiry, or completion + the refresher period; InvalidRequest before completion."""
        expires = self.expires or self.completed + timedelta(days=policy.refresher_days)
        if expires < self.completed:
            raise InvalidRequest("the training expiry is before its completion")
        return expires


class StatusChange(BaseModel):
    """Suspend or separate an account (reactivation is a proposal a supervisor approves)."""

    model_config = ConfigDict(extra="forbid")

    status: Status
    reason: str = Field(min_length=3, max_length=500)


def not_own_record(actor: str, username: str) -> None:
    """Nobody changes their own account, proposes a change to it or approves one."""
    if actor == username:
        raise Forbidden(f"'{actor}' may not change their own account: another administrator must")


def training_widens_access(person: PersonnelRecord, policy: StandingPolicy, now: datetime) -> bool:
    """True when the account has no current training today, so recording training would let it in."""
    expiry = training_expiry(person, policy)
    return not person.is_device and (expiry is None or now.date() > expiry)


def record_training(
    store: PersonnelStore,
    admin: str,
    username: str,
    training: TrainingRecord,
    policy: StandingPolicy,
    now: datetime,
) -> PersonnelRecord:
    """Record a refresher for an account whose training is current (the expiry defaults to completion +
    the refresher period). Training that lets a lapsed or untrained account in widens its access: it
    is proposed and approved instead."""
    not_own_record(admin, username)
    person = existing_account(store, username)
    expires = training.expiry(policy)
    if training_widens_access(person, policy, now):
        raise Forbidden(
            f"'{username}' has no current training, so recording it would give access: propose it "
            "(kind 'training') for a supervisor to approve"
        )
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
    """Suspend or separate an account at once (narrowing access needs no approver)."""
    not_own_record(admin, username)
    person = existing_account(store, username)
    if change.status is Status.ACTIVE:
        raise Forbidden(
            f"reactivating '{username}' gives access: propose it (kind 'reactivation') for a supervisor to approve"
        )
    if person.status is Status.SEPARATED and change.status is not Status.SEPARATED:
        raise Forbidden(f"account '{username}' is separated: create a new account instead of changing it")
    updated = person.model_copy(
        update={
            "status": change.status,
            "status_reason": change.reason,
            "updated_at": now,
            "updated_by": admin,
        }
    )
    store.put(updated)
    return updated


def existing_account(store: PersonnelStore, username: str) -> PersonnelRecord:
    person = store.get(username)
    if person is None:
        raise NotFound(f"no account '{username}' in the Personnel registry")
    return person
