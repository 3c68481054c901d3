"""The Personnel registry, pure: standing (status, inactivity, training) and administration."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from alpr.domain.errors import Forbidden, InvalidRequest, NotFound
from alpr.domain.personnel import (
    PersonnelChange,
    PersonnelRecord,
    StandingPolicy,
    Status,
    StatusChange,
    TrainingRecord,
    change_status,
    record_training,
    save_person,
    standing_refusal,
    training_expiry,
)
from alpr.names import Group
from tests.fakes.personnel import MemoryPersonnelStore

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
POLICY = StandingPolicy()


def record(username: str, roles: list[Group], **changes: object) -> PersonnelRecord:
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


@pytest.fixture
def store() -> MemoryPersonnelStore:
    return MemoryPersonnelStore(
        record("sam", [Group.SUPERVISOR]),
        record("ada", [Group.ADMINISTRATOR]),
        record("ivy", [Group.INVESTIGATOR]),
        record("old-sup", [Group.SUPERVISOR], status=Status.SUSPENDED),
    )


def change(**changes: object) -> PersonnelChange:
    base = PersonnelChange(
        full_name="Dana Detective",
        job_title="Detective",
        organisation="PD",
        roles=[Group.INVESTIGATOR],
        training_completed=date(2026, 10, 1),
        approved_by="sam",
    )
    return base.model_copy(update=changes)


def test_training_lapses_at_the_earlier_of_its_expiry_and_the_refresher() -> None:
    trained = record("ivy", [Group.INVESTIGATOR], training_completed=date(2025, 1, 1))
    assert training_expiry(trained, POLICY) == date(2026, 1, 1)  # 365 days later
    assert training_expiry(trained.model_copy(update={"training_expires": date(2025, 6, 1)}), POLICY) == date(
        2025, 6, 1
    )
    assert training_expiry(trained, StandingPolicy(refresher_days=180)) == date(2025, 6, 30)
    assert training_expiry(trained.model_copy(update={"training_completed": None}), POLICY) is None


def test_the_day_training_expires_is_still_valid_the_next_is_not() -> None:
    person = record("ivy", [Group.INVESTIGATOR], training_expires=date(2026, 11, 29))
    assert standing_refusal(person, POLICY, NOW) is None
    assert "expired" in (standing_refusal(person, POLICY, NOW + timedelta(days=1)) or "")


def test_a_new_account_never_used_is_measured_from_its_creation() -> None:
    person = record("ivy", [Group.INVESTIGATOR], created_at=NOW - timedelta(days=91), last_active=None)
    assert "unused since" in (standing_refusal(person, POLICY, NOW) or "")


def test_devices_need_no_training_but_keep_their_status() -> None:
    unit = record(
        "unit-01",
        [Group.UNIT],
        training_completed=None,
        last_active=None,
        created_at=NOW - timedelta(days=400),
    )
    assert standing_refusal(unit, POLICY, NOW) is None
    assert "separated" in (
        standing_refusal(unit.model_copy(update={"status": Status.SEPARATED}), POLICY, NOW) or ""
    )


def test_an_administrator_creates_an_account_approved_by_a_supervisor(store: MemoryPersonnelStore) -> None:
    saved = save_person(store, "ada", "dana", change(), NOW)
    assert (saved.status, saved.approved_by, saved.updated_by, saved.created_at) == (
        Status.ACTIVE,
        "sam",
        "ada",
        NOW,
    )
    assert store.get("dana") == saved


@pytest.mark.parametrize(
    ("approver", "error"),
    [("ivy", InvalidRequest), ("old-sup", InvalidRequest), ("nobody", InvalidRequest), ("ada", Forbidden)],
)
def test_the_approver_must_be_another_active_supervisor(
    store: MemoryPersonnelStore, approver: str, error: type
) -> None:
    with pytest.raises(error):
        save_person(store, "ada", "dana", change(approved_by=approver), NOW)


def test_no_one_approves_their_own_account(store: MemoryPersonnelStore) -> None:
    with pytest.raises(Forbidden):
        save_person(store, "ada", "sam", change(approved_by="sam", roles=[Group.SUPERVISOR]), NOW)


def test_replacing_an_account_keeps_its_status_and_history(store: MemoryPersonnelStore) -> None:
    store.set_status("ivy", Status.SUSPENDED, "inactive", NOW, by="access-gate")
    saved = save_person(store, "ada", "ivy", change(full_name="Ivy Investigator"), NOW)
    assert saved.status is Status.SUSPENDED
    assert saved.created_at == NOW - timedelta(days=5)


def test_training_defaults_to_the_refresher_period(store: MemoryPersonnelStore) -> None:
    updated = record_training(store, "ada", "ivy", TrainingRecord(completed=date(2026, 11, 1)), POLICY, NOW)
    assert updated.training_expires == date(2027, 11, 1)
    with pytest.raises(NotFound):
        record_training(store, "ada", "ghost", TrainingRecord(completed=date(2026, 11, 1)), POLICY, NOW)


def test_reactivation_needs_a_supervisor_and_restarts_the_inactivity_clock(
    store: MemoryPersonnelStore,
) -> None:
    store.set_status("ivy", Status.SUSPENDED, "unused 91 days", NOW, by="access-gate")
    with pytest.raises(InvalidRequest, match="approved_by"):
        change_status(store, "ada", "ivy", StatusChange(status=Status.ACTIVE, reason="back from leave"), NOW)
    active = change_status(
        store,
        "ada",
        "ivy",
        StatusChange(status=Status.ACTIVE, reason="back from leave", approved_by="sam"),
        NOW,
    )
    assert (active.status, active.last_active, active.approved_by) == (Status.ACTIVE, NOW, "sam")


def test_a_separated_account_is_never_reactivated(store: MemoryPersonnelStore) -> None:
    change_status(
        store, "ada", "ivy", StatusChange(status=Status.SEPARATED, reason="left the department"), NOW
    )
    with pytest.raises(Forbidden, match="separated"):
        change_status(
            store, "ada", "ivy", StatusChange(status=Status.ACTIVE, reason="rehired", approved_by="sam"), NOW
        )


def test_training_is_refreshed_every_year_by_default_and_never_less_often() -> None:
    # CJIS security awareness training is yearly: the default is a year, and a longer period is refused.
    assert StandingPolicy().refresher_days == 365
    StandingPolicy(refresher_days=180)
    with pytest.raises(ValidationError, match="365"):
        StandingPolicy(refresher_days=366)
