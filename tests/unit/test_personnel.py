"""The Personnel registry, pure: standing (status, inactivity, training) and administration."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from alpr.domain.errors import Forbidden, NotFound
from alpr.domain.personnel import (
    StandingPolicy,
    Status,
    StatusChange,
    TrainingRecord,
    change_status,
    record_training,
    standing_refusal,
    training_expiry,
)
from alpr.names import Group
from tests.fakes.personnel import MemoryPersonnelStore
from tests.unit.personnel_records import account as record

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
POLICY = StandingPolicy()


@pytest.fixture
def store() -> MemoryPersonnelStore:
    return MemoryPersonnelStore(
        record("sam", [Group.SUPERVISOR]),
        record("ada", [Group.ADMINISTRATOR]),
        record("ivy", [Group.INVESTIGATOR]),
        record("old-sup", [Group.SUPERVISOR], status=Status.SUSPENDED),
    )


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


def test_a_refresher_for_current_training_is_recorded_directly(store: MemoryPersonnelStore) -> None:
    updated = record_training(store, "ada", "ivy", TrainingRecord(completed=date(2026, 11, 1)), POLICY, NOW)
    assert updated.training_expires == date(2027, 11, 1)
    with pytest.raises(NotFound):
        record_training(store, "ada", "ghost", TrainingRecord(completed=date(2026, 11, 1)), POLICY, NOW)


def test_training_that_would_let_someone_in_is_not_recorded_directly(store: MemoryPersonnelStore) -> None:
    store.put(record("uma", [Group.INVESTIGATOR], training_completed=None))
    with pytest.raises(Forbidden, match="propose it"):
        record_training(store, "ada", "uma", TrainingRecord(completed=date(2026, 11, 1)), POLICY, NOW)
    assert store.get("uma").training_completed is None  # type: ignore[union-attr]


def test_suspension_and_separation_are_direct_but_reactivation_is_not(store: MemoryPersonnelStore) -> None:
    suspended = change_status(
        store, "ada", "ivy", StatusChange(status=Status.SUSPENDED, reason="on leave"), NOW
    )
    assert (suspended.status, suspended.updated_by) == (Status.SUSPENDED, "ada")
    with pytest.raises(Forbidden, match="propose it"):
        change_status(store, "ada", "ivy", StatusChange(status=Status.ACTIVE, reason="back from leave"), NOW)
    assert store.get("ivy").status is Status.SUSPENDED  # type: ignore[union-attr]
    with pytest.raises(ValidationError):
        StatusChange.model_validate({"status": "active", "reason": "back", "approved_by": "sam"})


def test_a_separated_account_stays_separated(store: MemoryPersonnelStore) -> None:
    change_status(
        store, "ada", "ivy", StatusChange(status=Status.SEPARATED, reason="left the department"), NOW
    )
    with pytest.raises(Forbidden, match="separated"):
        change_status(store, "ada", "ivy", StatusChange(status=Status.SUSPENDED, reason="rehired"), NOW)


def test_nobody_changes_their_own_record(store: MemoryPersonnelStore) -> None:
    store.put(record("ada", [Group.ADMINISTRATOR], training_expires=date(2026, 12, 31)))
    with pytest.raises(Forbidden, match="their own account"):
        record_training(store, "ada", "ada", TrainingRecord(completed=date(2026, 11, 1)), POLICY, NOW)
    with pytest.raises(Forbidden, match="their own account"):
        change_status(store, "ada", "ada", StatusChange(status=Status.SUSPENDED, reason="testing it"), NOW)


def test_training_is_refreshed_every_year_by_default_and_never_less_often() -> None:
    # CJIS security awareness training is yearly: the default is a year, and a longer period is refused.
    assert StandingPolicy().refresher_days == 365
    StandingPolicy(refresher_days=180)
    with pytest.raises(ValidationError, match="365"):
        StandingPolicy(refresher_days=366)
