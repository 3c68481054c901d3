"""The Plates dictionary forgets (issue 22): its TTL follows the newest read of the plate and never
falls short of a held one; an expired plate leaves its trigrams' lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alpr.adapters.dynamo import DynamoReadStore, from_item, to_item
from alpr.domain.models import HoldEvent, LegalHold, Read, iso_utc
from alpr.domain.plate_grams import grams_of
from alpr.names import PLATE, PLATE_GRAM, TTL_ATTRIBUTE
from tests.integration.conftest import Stack
from tests.unit.test_search import a_read

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(stack: Stack) -> DynamoReadStore:
    grams = f"{stack.plates_table}-grams"
    stack.dynamodb.create_table(
        TableName=grams,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": PLATE_GRAM, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": PLATE_GRAM, "KeyType": "HASH"}],
    )
    client: Callable[[], Any] = lambda: stack.dynamodb  # noqa: E731
    return DynamoReadStore(stack.reads_table, stack.plates_table, client, grams)


def plate_item(store: DynamoReadStore, plate: str) -> dict[str, Any] | None:
    item = store._client().get_item(TableName=store.plates_table, Key=to_item({PLATE: plate})).get("Item")
    return from_item(item) if item else None


def gram_plates(store: DynamoReadStore, plate: str) -> dict[str, set[str]]:
    found = {}
    for gram in grams_of(plate):
        item = (
            store._client().get_item(TableName=store.grams_table, Key=to_item({PLATE_GRAM: gram})).get("Item")
        )
        found[gram] = set(from_item(item).get("plates", ())) if item else set()
    return found


def hold(store: DynamoReadStore, read: Read) -> None:
    placed = LegalHold(
        case_number="26-004512",
        category="homicide",
        reason="suspect vehicle",
        placed_by="ivy",
        organisation="PD",
        placed_at=NOW,
    )
    event = HoldEvent(action="placed", case_number="26-004512", reason="suspect vehicle", by="ivy", at=NOW)
    assert store.save_holds(read, [placed], [event], None, {})


def release(store: DynamoReadStore, read: Read) -> None:
    held = store.get_read(read.read_id)
    assert held is not None
    event = HoldEvent(action="released", case_number="26-004512", reason="case closed", by="ivy", at=NOW)
    assert store.save_holds(held, [], [*held.hold_history, event], read.expires_at, {})


def test_a_plates_expiry_follows_its_newest_read_and_is_never_shortened(store: DynamoReadStore) -> None:
    # Given a plate read twice, the second read newer
    older, newer = a_read("8XYZ456", NOW - timedelta(days=30)), a_read("8XYZ456", NOW - timedelta(days=2))
    store.put_read(older)
    first = plate_item(store, "8XYZ456")
    assert first is not None and first[TTL_ATTRIBUTE] == older.expires_at
    store.put_read(newer)
    # When a late upload of an even older read arrives
    store.put_read(a_read("8XYZ456", NOW - timedelta(days=60)))
    # Then the dictionary entry expires with the newest read
    entry = plate_item(store, "8XYZ456")
    assert entry is not None and entry[TTL_ATTRIBUTE] == newer.expires_at


def test_a_held_read_keeps_its_plate_until_the_hold_is_released(store: DynamoReadStore) -> None:
    read = a_read("8XYZ456", NOW - timedelta(days=30))
    store.put_read(read)
    hold(store, read)
    entry = plate_item(store, "8XYZ456")
    assert entry is not None and TTL_ATTRIBUTE not in entry  # held: no expiry while the read has none
    # A new read of a held plate does not bring the expiry back
    store.put_read(a_read("8XYZ456", NOW - timedelta(days=1)))
    entry = plate_item(store, "8XYZ456")
    assert entry is not None and TTL_ATTRIBUTE not in entry
    # The release restores the expiry of the newest read
    release(store, read)
    entry = plate_item(store, "8XYZ456")
    assert entry is not None and entry[TTL_ATTRIBUTE] == a_read("8XYZ456", NOW - timedelta(days=1)).expires_at


def test_an_expired_plate_leaves_its_trigrams_and_an_empty_trigram_goes(store: DynamoReadStore) -> None:
    # Given two plates sharing trigrams
    store.put_read(a_read("8XYZ456", NOW - timedelta(days=400)))
    store.put_read(a_read("8XYZ457", NOW - timedelta(days=1)))
    # When the first expires (TTL deletes its dictionary entry) and is pruned
    store._client().delete_item(TableName=store.plates_table, Key=to_item({PLATE: "8XYZ456"}))
    assert store.prune_grams("8XYZ456")
    # Then no trigram lists it; shared ones still list the other; its own trigram is gone
    remaining = gram_plates(store, "8XYZ456")
    assert all("8XYZ456" not in plates for plates in remaining.values())
    shared, own = grams_of("8XYZ456") & grams_of("8XYZ457"), grams_of("8XYZ456") - grams_of("8XYZ457")
    assert shared and own
    assert all(remaining[gram] == {"8XYZ457"} for gram in shared)
    for gram in own:
        assert "Item" not in store._client().get_item(
            TableName=store.grams_table, Key=to_item({PLATE_GRAM: gram})
        )


def test_a_plate_read_again_before_its_prune_is_not_pruned(store: DynamoReadStore) -> None:
    store.put_read(a_read("8XYZ456", NOW - timedelta(days=1)))
    assert not store.prune_grams("8XYZ456")
    assert all("8XYZ456" in plates for plates in gram_plates(store, "8XYZ456").values())


def plate_updates_outside_transactions(store: DynamoReadStore) -> list[str]:
    """The plates the Plates table is sent UpdateItems for, from now on."""
    sent: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        if params["TableName"] == store.plates_table:
            sent.append(params["Key"][PLATE]["S"])

    store._client().meta.events.register("provide-client-params.dynamodb.UpdateItem", record)
    return sent


def test_a_read_changes_its_plates_entry_in_its_own_transaction(store: DynamoReadStore) -> None:
    # Issue 23: the entry's first and last seen and its expiry were four more writes per read.
    sent = plate_updates_outside_transactions(store)
    older, newer = a_read("8XYZ456", NOW - timedelta(days=30)), a_read("8XYZ456", NOW - timedelta(days=2))
    late = a_read("8XYZ456", NOW - timedelta(days=60))
    for read in (older, newer, late):  # a new plate, a later read, a late upload of an earlier one
        assert store.put_read(read)
    assert sent == []
    entry = plate_item(store, "8XYZ456")
    assert entry is not None
    assert (entry["first_seen"], entry["last_seen"], entry["count"]) == (
        iso_utc(late.captured_at),
        iso_utc(newer.captured_at),
        3,
    )
    assert entry["newest_expiry"] == entry[TTL_ATTRIBUTE] == newer.expires_at


def test_an_entry_changed_since_it_was_read_ends_as_the_reads_make_it(store: DynamoReadStore) -> None:
    # Given a read of a new plate, and another read of it stored between the entry's read and the
    # first read's transaction (another recognize instance)
    first, meanwhile = a_read("8XYZ456", NOW - timedelta(days=30)), a_read("8XYZ456", NOW - timedelta(days=2))
    interleaved: list[Read] = []

    def store_meanwhile(**_: Any) -> None:
        if not interleaved:
            interleaved.append(meanwhile)
            assert store.put_read(meanwhile)

    store._client().meta.events.register("before-call.dynamodb.TransactWriteItems", store_meanwhile)
    # When the first read is stored
    assert store.put_read(first)
    # Then the entry spans both reads, counts both, and expires with the newer one
    assert interleaved == [meanwhile]
    entry = plate_item(store, "8XYZ456")
    assert entry is not None
    assert (entry["first_seen"], entry["last_seen"], entry["count"]) == (
        iso_utc(first.captured_at),
        iso_utc(meanwhile.captured_at),
        2,
    )
    assert entry["newest_expiry"] == entry[TTL_ATTRIBUTE] == meanwhile.expires_at
    assert all("8XYZ456" in plates for plates in gram_plates(store, "8XYZ456").values())


def test_a_held_plate_gets_no_expiry_from_a_read_stored_as_the_hold_is_placed(store: DynamoReadStore) -> None:
    # Given a read, and a hold placed on it between a new read's look at the entry and its transaction
    held, new = a_read("8XYZ456", NOW - timedelta(days=30)), a_read("8XYZ456", NOW - timedelta(days=2))
    store.put_read(held)
    placed: list[Read] = []

    def hold_meanwhile(**_: Any) -> None:
        if not placed:
            placed.append(held)
            hold(store, held)

    store._client().meta.events.register("before-call.dynamodb.TransactWriteItems", hold_meanwhile)
    # When the new read is stored
    assert store.put_read(new)
    # Then the entry has no TTL (a read of the plate is held), but knows the newest read's expiry
    assert placed == [held]
    entry = plate_item(store, "8XYZ456")
    assert entry is not None and TTL_ATTRIBUTE not in entry
    assert entry["newest_expiry"] == new.expires_at and entry["last_seen"] == iso_utc(new.captured_at)
