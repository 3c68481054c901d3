"""Legal holds in the domain: a change that races another is applied again to the fresh read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alpr.domain.errors import Conflict
from alpr.domain.holds import MAX_ATTEMPTS, place_hold
from alpr.domain.models import HoldEvent, LegalHold, Read
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
