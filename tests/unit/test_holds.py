"""Legal holds in the domain: a change that races another is applied again to the fresh read."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from alpr.domain.errors import Conflict, Forbidden
from alpr.domain.holds import MAX_ATTEMPTS, HoldState, holds_for_case, place_hold, release_hold
from alpr.domain.models import HoldEvent, LegalHold, Read, ReadResult
from alpr.domain.retention import Retention
from tests.unit.test_search import a_read

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


class RacingStore:
    """A Reads table where another case's hold lands between our read and our write, `races` times."""

    def __init__(self, read: Read, races: int) -> None:
        self.read = read
        self.races = races

    def get_read(self, read_id: str) -> Read | None:
        return self.read

    def save_holds(
        self,
        read: Read,
        holds: list[LegalHold],
        history: list[HoldEvent],
        expires: int | None,
        versions: dict[str, str],
    ) -> bool:
        if len(read.hold_history) != len(self.read.hold_history):
            return False  # the condition: someone else wrote since `read` was taken
        if self.races:
            self.races -= 1
            other = LegalHold(
                case_number="26-009999",
                category="arson",
                reason="held by another case at the same moment",
                placed_by="supervisor",
                organisation="PD",
                placed_at=NOW,
            )
            event = HoldEvent(action="placed", case_number=other.case_number, reason="r", by="s", at=NOW)
            self.read = self.read.model_copy(
                update={
                    "legal_holds": [*self.read.legal_holds, other],
                    "hold_history": [*self.read.hold_history, event],
                }
            )
            return False
        self.read = self.read.model_copy(
            update={
                "legal_holds": holds,
                "hold_history": history,
                "expires_at": expires,
                "held_versions": versions,
            }
        )
        return True


class Locks:
    def __init__(self) -> None:
        self.on: set[str] = set()

    def lock(self, bucket: str, key: str) -> str:
        self.on.add(key)
        return f"v-{key}"

    def lock_version(self, bucket: str, key: str, version_id: str) -> None:
        self.on.add(key)

    def unlock(self, bucket: str, key: str, version_id: str) -> None:
        self.on.discard(key)


def _hold(store: RacingStore, locks: Locks) -> list[str]:
    state = place_hold(
        store,
        locks,
        store.read.read_id,
        case_number="26-004512",
        category="stolen-vehicle",
        reason="grey sedan seen leaving the scene, kept for trial",
        by="investigator",
        organisation="PD",
        now=NOW,
    )
    return [h.case_number for h in state.legal_holds]


def test_a_hold_that_races_another_is_applied_again_to_the_fresh_read() -> None:
    store = RacingStore(a_read("7ABC123", NOW - timedelta(days=3)), races=1)
    locks = Locks()
    assert _hold(store, locks) == ["26-009999", "26-004512"]
    assert store.read.expires_at is None
    assert locks.on == {store.read.image_key, store.read.crop_key}


def test_a_hold_that_keeps_racing_is_refused_with_conflict_and_the_read_keeps_the_others() -> None:
    store = RacingStore(a_read("7ABC123", NOW - timedelta(days=3)), races=MAX_ATTEMPTS)
    with pytest.raises(Conflict):
        _hold(store, Locks())
    assert {h.case_number for h in store.read.legal_holds} == {"26-009999"}


# --- issue 19, item 1: who may release a hold, and who sees its case ----------------------------


class PlainStore:
    """A Reads table of one read, no races."""

    def __init__(self, read: Read) -> None:
        self.read = read

    def get_read(self, read_id: str) -> Read | None:
        return self.read

    def save_holds(
        self,
        read: Read,
        holds: list[LegalHold],
        history: list[HoldEvent],
        expires: int | None,
        versions: dict[str, str],
    ) -> bool:
        self.read = self.read.model_copy(
            update={
                "legal_holds": holds,
                "hold_history": history,
                "expires_at": expires,
                "held_versions": versions,
            }
        )
        return True


def _held_by_ivy() -> tuple[PlainStore, Locks]:
    store, locks = PlainStore(a_read("7ABC123", NOW - timedelta(days=3))), Locks()
    place_hold(
        store,
        locks,
        store.read.read_id,
        case_number="26-004512",
        category="homicide",
        reason="seen near the scene, kept for trial",
        by="ivy",
        organisation="PD",
        now=NOW,
    )
    return store, locks


def _release(
    store: PlainStore, locks: Locks, by: str, *, supervisor: bool = False, organisation: str = "PD"
) -> HoldState:
    return release_hold(
        store,
        locks,
        store.read.read_id,
        case_number="26-004512",
        reason="case closed, no longer needed",
        by=by,
        organisation=organisation,
        supervisor=supervisor,
        now=NOW,
        retention=Retention(),
    )


def test_another_investigator_working_the_case_number_cannot_release_a_hold_they_did_not_place() -> None:
    # Given Ivy's hold
    store, locks = _held_by_ivy()
    # When Mallory, who only knows the case number, releases it
    with pytest.raises(Forbidden):
        _release(store, locks, "mallory")
    # Then the read stays held and its objects locked
    assert [h.placed_by for h in store.read.legal_holds] == ["ivy"]
    assert store.read.expires_at is None and locks.on


def test_a_supervisor_of_another_organisation_cannot_release_it() -> None:
    store, locks = _held_by_ivy()
    with pytest.raises(Forbidden):
        _release(store, locks, "sam", supervisor=True, organisation="Sheriff")
    assert store.read.legal_holds


def test_a_supervisor_of_the_holds_organisation_may_release_it_and_is_recorded_as_approving() -> None:
    store, locks = _held_by_ivy()
    state = _release(store, locks, "sam", supervisor=True)
    assert state.legal_holds == [] and not locks.on
    released = state.hold_history[-1]
    assert (released.action, released.by, released.approved_by) == ("released", "sam", "sam")
    assert released.reason == "case closed, no longer needed"


def test_the_placer_releases_their_own_hold_without_approval() -> None:
    store, locks = _held_by_ivy()
    state = _release(store, locks, "ivy")
    assert state.legal_holds == [] and state.hold_history[-1].approved_by is None


def test_a_read_shows_only_the_callers_case_holds_and_that_others_exist() -> None:
    # Given a read held by two cases
    store, locks = _held_by_ivy()
    place_hold(
        store,
        locks,
        store.read.read_id,
        case_number="26-007731",
        category="robbery",
        reason="other case",
        by="olga",
        organisation="PD",
        now=NOW,
    )
    # When a caller working case 26-007731 sees it
    seen = holds_for_case(ReadResult.model_validate(store.read.model_dump()), "26-007731")
    # Then only that case's hold and history are named; the other is only counted
    assert [h.case_number for h in seen.legal_holds] == ["26-007731"]
    assert {e.case_number for e in seen.hold_history} == {"26-007731"}
    assert seen.other_holds == 1 and seen.held
    # And a caller of neither case sees that the read is held, by whom not
    blind = holds_for_case(ReadResult.model_validate(store.read.model_dump()), "26-000001")
    assert blind.legal_holds == [] and blind.hold_history == [] and blind.other_holds == 2 and blind.held
    assert "26-004512" not in blind.model_dump_json()


# --- issue 19, item 5: a placing and a release that interleave leave the objects locked ----------


class GuardedStore:
    """A Reads table whose save is conditional on the history seen (as DynamoDB's), thread-safe;
    `after_save(by)` runs once a save by `by` is applied, `before_save(by)` before it is tried."""

    def __init__(self, read: Read) -> None:
        self.read = read
        self.mutex = threading.Lock()
        self.before_save: Callable[[str], None] = lambda by: None
        self.after_save: Callable[[str], None] = lambda by: None

    def get_read(self, read_id: str) -> Read | None:
        with self.mutex:
            return self.read

    def save_holds(
        self,
        read: Read,
        holds: list[LegalHold],
        history: list[HoldEvent],
        expires: int | None,
        versions: dict[str, str],
    ) -> bool:
        by = history[-1].by
        self.before_save(by)
        with self.mutex:
            if len(read.hold_history) != len(self.read.hold_history):
                return False
            self.read = self.read.model_copy(
                update={
                    "legal_holds": holds,
                    "hold_history": history,
                    "expires_at": expires,
                    "held_versions": versions,
                }
            )
        self.after_save(by)
        return True


class VersionLocks(Locks):
    """Legal holds per object; `before_unlock` runs before an unlock takes effect."""

    def __init__(self) -> None:
        super().__init__()
        self.locked_once = threading.Event()
        self.before_unlock: Callable[[], None] = lambda: None

    def lock(self, bucket: str, key: str) -> str:
        version = super().lock(bucket, key)
        self.locked_once.set()
        return version

    def unlock(self, bucket: str, key: str, version_id: str) -> None:
        self.before_unlock()
        super().unlock(bucket, key, version_id)


def _place(store: GuardedStore, locks: Locks, case: str, by: str) -> None:
    place_hold(
        store,
        locks,
        store.read.read_id,
        case_number=case,
        category="homicide",
        reason="kept for trial",
        by=by,
        organisation="PD",
        now=NOW,
    )


def _release_ivy(store: GuardedStore, locks: Locks) -> None:
    release_hold(
        store,
        locks,
        store.read.read_id,
        case_number="26-004512",
        reason="case closed",
        by="ivy",
        now=NOW,
        retention=Retention(),
    )


def _held_by_ivy_guarded() -> tuple[GuardedStore, VersionLocks]:
    store, locks = GuardedStore(a_read("7ABC123", NOW - timedelta(days=3))), VersionLocks()
    _place(store, locks, "26-004512", "ivy")
    locks.locked_once.clear()
    return store, locks


@pytest.mark.timeout(10)
def test_a_hold_placed_while_the_last_one_is_released_keeps_its_objects_locked() -> None:
    # Given Ivy's hold, released while Olga places another case's hold between the release's
    # save and its unlocking (Olga sees no hold, locks the objects and saves first)
    store, locks = _held_by_ivy_guarded()
    done = []

    def olga_places_in_between() -> None:
        if not done:
            done.append(True)
            _place(store, locks, "26-007731", "olga")

    locks.before_unlock = olga_places_in_between
    _release_ivy(store, locks)
    # Then the table says held by Olga's case, and the objects are locked
    assert [h.case_number for h in store.read.legal_holds] == ["26-007731"]
    assert locks.on == {store.read.image_key, store.read.crop_key}


@pytest.mark.timeout(10)
def test_a_hold_saved_after_the_release_has_unlocked_keeps_its_objects_locked() -> None:
    # Given Olga's placing that locks before the release unlocks but saves after the release ends
    store, locks = _held_by_ivy_guarded()
    release_done = threading.Event()
    olga: list[threading.Thread] = []

    def start_olga_after_ivys_save(by: str) -> None:
        if by == "ivy" and not olga:
            olga.append(threading.Thread(target=_place, args=(store, locks, "26-007731", "olga")))
            olga[0].start()

    store.after_save = start_olga_after_ivys_save
    store.before_save = lambda by: release_done.wait(5) if by == "olga" else None
    locks.before_unlock = lambda: locks.locked_once.wait(5) and None
    _release_ivy(store, locks)
    release_done.set()
    olga[0].join(5)
    # Then the table says held by Olga's case, and the objects are locked
    assert [h.case_number for h in store.read.legal_holds] == ["26-007731"]
    assert locks.on == {store.read.image_key, store.read.crop_key}
