"""Holds under review (issue 22, item 4): a supervisor other than the holder approves a hold within 7
days, the holder renews it by its review date, and a hold that misses either lapses (recorded first)
and gives its read back to the retention schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from alpr.config import Config
from alpr.domain.access import AccessPolicy
from alpr.domain.errors import Conflict, Forbidden, NotFound
from alpr.domain.holds import (
    APPROVAL_DAYS,
    LAPSE_ACTION,
    HoldView,
    Lapse,
    approve_hold,
    due_at,
    lapse_due_holds,
    lapse_record,
    place_hold,
    renew_hold,
)
from alpr.domain.models import HoldEvent, LegalHold, Read
from alpr.domain.public_policy import usage_and_privacy_policy
from alpr.domain.retention import Retention, expires_at
from tests.unit.test_holds import Locks, PlainStore
from tests.unit.test_search import a_read

PLACED = datetime(2026, 11, 2, 9, tzinfo=UTC)
CASE = "26-004512"


class RegisteredStore(PlainStore):
    """One read and the register of its holds (every hold it has carried, as the Holds table has)."""

    def __init__(self, read: Read) -> None:
        super().__init__(read)
        self.ever: set[str] = set()

    def save_holds(
        self,
        read: Read,
        holds: list[LegalHold],
        history: list[HoldEvent],
        expires: int | None,
        versions: dict[str, str],
    ) -> bool:
        self.ever |= {h.hold_id for h in holds}
        return super().save_holds(read, holds, history, expires, versions)

    def find_hold(self, hold_id: str) -> str | None:
        return self.read.read_id if hold_id in self.ever else None

    def due_holds(self, now: datetime) -> list[str]:
        return [h.hold_id for h in self.read.legal_holds if (due := due_at(h)) is not None and due <= now]


def _placed(
    by: str = "ivy", case: str = CASE, store: RegisteredStore | None = None, locks: Locks | None = None
) -> tuple[RegisteredStore, Locks, str]:
    store = store or RegisteredStore(a_read("7ABC123", PLACED - timedelta(days=30)))
    locks = locks or Locks()
    state = place_hold(
        store,
        locks,
        store.read.read_id,
        case_number=case,
        category="homicide",
        reason="seen near the scene, kept for trial",
        by=by,
        organisation="PD",
        now=PLACED,
        review_days=365,
    )
    (hold,) = [h for h in state.legal_holds if h.case_number == case]
    return store, locks, hold.hold_id


def _approve(
    store: RegisteredStore,
    hold_id: str,
    by: str = "sam",
    *,
    at: datetime,
    supervisor: bool = True,
    org: str = "PD",
) -> HoldView:
    return approve_hold(store, store, hold_id, by=by, organisation=org, supervisor=supervisor, now=at)


def _renew(
    store: RegisteredStore, hold_id: str, by: str = "ivy", *, at: datetime, case: str = CASE
) -> HoldView:
    return renew_hold(
        store,
        store,
        hold_id,
        case_number=case,
        reason="trial set for next spring",
        by=by,
        now=at,
        review_days=365,
    )


def _lapse(store: RegisteredStore, locks: Locks, at: datetime, log: list[Lapse] | None = None) -> list[Lapse]:
    record = log.append if log is not None else lambda lapse: None
    return lapse_due_holds(store, store, locks, now=at, retention=Retention(), record=record)


def test_a_new_hold_awaits_approval_and_has_a_review_date_a_year_away() -> None:
    store, locks, hold_id = _placed()
    (hold,) = store.read.legal_holds
    assert hold.hold_id == hold_id and hold.approved_by is None
    assert hold.review_at == PLACED + timedelta(days=365)
    # Until approved it protects the read like any hold: no expiry, objects locked
    assert store.read.expires_at is None and locks.on


def test_a_supervisor_other_than_the_holder_approves_it_and_the_approval_is_kept_with_the_read() -> None:
    store, _, hold_id = _placed()
    view = _approve(store, hold_id, at=PLACED + timedelta(days=6))
    assert (view.state, view.approved_by, view.read_id) == ("approved", "sam", store.read.read_id)
    approved = store.read.hold_history[-1]
    assert (approved.action, approved.by, approved.hold_id) == ("approved", "sam", hold_id)
    # Again: nothing changes
    _approve(store, hold_id, at=PLACED + timedelta(days=6, hours=1))
    assert [e.action for e in store.read.hold_history] == ["placed", "approved"]


def test_the_holder_cannot_approve_their_own_hold_even_as_a_supervisor() -> None:
    store, _, hold_id = _placed(by="sam")
    with pytest.raises(Forbidden, match="other than the user who placed it"):
        _approve(store, hold_id, by="sam", at=PLACED + timedelta(days=1))
    assert store.read.legal_holds[0].approved_by is None


@pytest.mark.parametrize(("by", "supervisor", "org"), [("olga", False, "PD"), ("sam", True, "Sheriff")])
def test_only_a_supervisor_of_the_holds_organisation_approves_it(by: str, supervisor: bool, org: str) -> None:
    store, _, hold_id = _placed()
    with pytest.raises(Forbidden):
        _approve(store, hold_id, by=by, supervisor=supervisor, org=org, at=PLACED + timedelta(days=1))
    assert store.read.legal_holds[0].approved_by is None


def test_an_unknown_hold_is_not_found() -> None:
    store, _, _ = _placed()
    with pytest.raises(NotFound):
        _approve(store, "01JAAAAAAAAAAAAAAAAAAAAAAA", at=PLACED)


def test_an_unapproved_hold_keeps_the_read_for_7_days_then_lapses_and_the_read_returns_to_its_schedule() -> (
    None
):
    store, locks, hold_id = _placed()
    # Six days on nothing is due: the read is kept
    assert _lapse(store, locks, PLACED + timedelta(days=6, hours=23)) == []
    assert store.read.legal_holds and store.read.expires_at is None
    # After 7 days without approval it lapses, recorded first
    log: list[Lapse] = []
    (lapse,) = _lapse(store, locks, PLACED + timedelta(days=APPROVAL_DAYS), log)
    assert log == [lapse]
    assert (lapse.hold_id, lapse.read_id, lapse.placed_by, lapse.case_number) == (
        hold_id,
        store.read.read_id,
        "ivy",
        CASE,
    )
    assert "not approved by a supervisor within 7 days" in lapse.reason
    # And the read is back on its schedule (capture + retention), its objects unlocked
    assert store.read.legal_holds == [] and not locks.on
    assert store.read.expires_at == expires_at(store.read.captured_at, Retention())
    lapsed = store.read.hold_history[-1]
    assert (lapsed.action, lapsed.hold_id, lapsed.reason) == ("lapsed", hold_id, lapse.reason)
    # And it cannot be approved any more
    with pytest.raises(Conflict, match="no longer in force"):
        _approve(store, hold_id, at=PLACED + timedelta(days=8))


def test_a_hold_cannot_be_approved_once_its_7_days_are_over_even_before_the_review_runs() -> None:
    store, _, hold_id = _placed()
    with pytest.raises(Conflict, match="can no longer be approved"):
        _approve(store, hold_id, at=PLACED + timedelta(days=APPROVAL_DAYS))


def test_an_approved_hold_lapses_at_its_review_date_unless_its_holder_renews_it() -> None:
    store, locks, hold_id = _placed()
    _approve(store, hold_id, at=PLACED + timedelta(days=2))
    # Approved: no lapse after 7 days, nor the day before its review date
    assert _lapse(store, locks, PLACED + timedelta(days=364)) == []
    # Renewed on day 300: the next review date is a year from the renewal
    renewed = _renew(store, hold_id, at=PLACED + timedelta(days=300))
    assert renewed.review_at == PLACED + timedelta(days=300 + 365)
    assert store.read.hold_history[-1].action == "renewed"
    assert _lapse(store, locks, PLACED + timedelta(days=366)) == []
    # Not renewed again: it lapses at the new review date
    (lapse,) = _lapse(store, locks, PLACED + timedelta(days=665))
    assert "not renewed by its review date" in lapse.reason and lapse.approved_by == "sam"
    assert store.read.legal_holds == [] and store.read.expires_at is not None


def test_only_the_holder_renews_and_for_the_holds_own_case() -> None:
    store, _, hold_id = _placed()
    _approve(store, hold_id, at=PLACED + timedelta(days=1))
    with pytest.raises(Forbidden):
        _renew(store, hold_id, by="mallory", at=PLACED + timedelta(days=10))
    with pytest.raises(Forbidden):
        _renew(store, hold_id, case="26-000001", at=PLACED + timedelta(days=10))
    assert store.read.legal_holds[0].review_at == PLACED + timedelta(days=365)


def test_a_hold_awaiting_approval_or_past_its_review_date_is_not_renewed() -> None:
    store, _, hold_id = _placed()
    with pytest.raises(Conflict, match="awaits a supervisor's approval"):
        _renew(store, hold_id, at=PLACED + timedelta(days=1))
    _approve(store, hold_id, at=PLACED + timedelta(days=1))
    with pytest.raises(Conflict, match="can no longer be renewed"):
        _renew(store, hold_id, at=PLACED + timedelta(days=365))


def test_when_the_lapse_cannot_be_recorded_the_hold_stays() -> None:
    store, locks, _ = _placed()

    def unavailable(lapse: Lapse) -> None:
        raise RuntimeError("access log unavailable")

    with pytest.raises(RuntimeError):
        lapse_due_holds(
            store, store, locks, now=PLACED + timedelta(days=8), retention=Retention(), record=unavailable
        )
    assert store.read.legal_holds and store.read.expires_at is None and locks.on


def test_one_of_two_holds_lapsing_keeps_the_read_for_the_other() -> None:
    store, locks, first = _placed()
    _, _, second = _placed(by="olga", case="26-007731", store=store, locks=locks)
    _approve(store, second, at=PLACED + timedelta(days=1))
    (lapse,) = _lapse(store, locks, PLACED + timedelta(days=8))
    assert lapse.hold_id == first
    assert [h.hold_id for h in store.read.legal_holds] == [second]
    assert store.read.expires_at is None and locks.on


def test_the_lapse_record_names_who_held_which_read_for_which_case_and_why_it_lapsed() -> None:
    store, locks, hold_id = _placed()
    (lapse,) = _lapse(store, locks, PLACED + timedelta(days=8))
    record = lapse_record(lapse)
    assert record.action == LAPSE_ACTION and record.case_number == CASE
    assert record.query["held_by"] == "ivy" and record.query["read_id"] == store.read.read_id
    assert hold_id in record.reason and "within 7 days" in record.reason


def test_the_review_period_defaults_to_a_year_and_is_never_longer() -> None:
    assert Config().hold_review_days == 365
    assert Config(hold_review_days=90).hold_review_days == 90
    with pytest.raises(ValidationError):
        Config(hold_review_days=400)


def test_the_posted_policy_states_the_approval_and_the_configured_review_period() -> None:
    policy = usage_and_privacy_policy(
        retention_days=365, access=AccessPolicy(), refused_hotlist_categories=[], hold_review_days=180
    )
    (text,) = [s.text for s in policy.sections if s.title == "Retention and destruction"]
    assert "supervisor other than the member who placed it within 7 days" in text
    assert "every 180 days" in text and "lapses" in text
