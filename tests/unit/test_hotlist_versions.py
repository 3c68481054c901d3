"""Versions: an import replaces a source whole, the matcher follows the pointer, old versions go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alpr.domain.clock import FixedClock
from alpr.domain.errors import Forbidden
from alpr.domain.hotlist import (
    LOCAL_SOURCE,
    HotlistFileRejected,
    ListVersion,
    LocalEntryRequest,
    VersionConflict,
    import_list,
    local_entry,
    local_version,
    parse_hotlist_file,
    remove_local_entry,
)
from alpr.domain.matching import CurrentLists, build_snapshot
from tests.fakes.hotlist import MemoryHotlistStore

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
CLOCK = FixedClock(NOW)


def extract(*plates: str, extracted: str = "2026-11-29T06:00:00Z") -> list[str]:
    lines = [f"ALPR-HOTLIST|1|NCIC|{extracted}", "FILE|LIC|LIS|NIC|ORI|DOE"]
    lines += [f"V|{plate}|CA|N{plate}|CA0340000|20261101" for plate in plates]
    return lines


def run_import(store: MemoryHotlistStore, lines: list[str], version: str):
    parsed = parse_hotlist_file(lines, now=NOW)
    snapshot = build_snapshot(
        ListVersion(source=parsed.source, version=version, refreshed_at=NOW, imported_at=NOW, entries=0),
        parsed.entries,
    )
    return import_list(store, parsed, snapshot=snapshot, version=version, clock=CLOCK)


def listed(lists: CurrentLists, plate: str) -> list[str]:
    return [h.entry.entry_id for h in lists.matcher.match(plate, "CA", False, NOW)]


def test_a_new_import_replaces_the_source_whole_and_the_matcher_follows():
    # Given version 1 of NCIC, loaded by a container
    store = MemoryHotlistStore()
    report = run_import(store, extract("7ABC123", "8XYZ456"), "v1")
    assert (report.version, report.previous_version, report.imported) == ("v1", None, 2)
    lists = CurrentLists(store)
    assert lists.refresh().loaded == ("NCIC",)
    assert listed(lists, "7ABC123") == ["N7ABC123"]
    # When version 2 (8XYZ456 recovered, 5KLM902 new) is imported
    report = run_import(store, extract("7ABC123", "5KLM902"), "v2")
    assert report.previous_version == "v1"
    # Then before the container's next check it still matches version 1 whole ...
    assert listed(lists, "8XYZ456") == ["N8XYZ456"] and listed(lists, "5KLM902") == []
    # ... and after it, version 2 whole
    assert lists.refresh().loaded == ("NCIC",)
    assert listed(lists, "8XYZ456") == [] and listed(lists, "5KLM902") == ["N5KLM902"]


def test_a_check_with_no_change_loads_nothing():
    store = MemoryHotlistStore()
    run_import(store, extract("7ABC123"), "v1")
    lists = CurrentLists(store)
    lists.refresh()
    assert lists.refresh().loaded == ()
    assert store.version_checks == 2


def test_old_versions_are_deleted_after_the_flip_but_the_previous_one_stays():
    store = MemoryHotlistStore()
    for version in ("v1", "v2", "v3"):
        run_import(store, extract("7ABC123"), version)
    assert sorted(store.snapshots) == ["snapshots/NCIC/v2.snapshot", "snapshots/NCIC/v3.snapshot"]
    assert store.versions["NCIC"].version == "v3"


def test_a_rejected_file_leaves_the_current_version_in_place():
    store = MemoryHotlistStore()
    run_import(store, extract("7ABC123"), "v1")
    with pytest.raises(HotlistFileRejected):
        run_import(store, [*extract("8XYZ456"), "V|NOT A PLATE!|CA|N1|CA0340000|20261101"], "v2")
    assert store.versions["NCIC"].version == "v1"
    assert list(store.snapshots) == ["snapshots/NCIC/v1.snapshot"]


def test_two_imports_racing_cannot_both_flip():
    store = MemoryHotlistStore()
    run_import(store, extract("7ABC123"), "v1")
    new = store.versions["NCIC"].model_copy(update={"version": "v3"})
    with pytest.raises(VersionConflict):
        store.flip(new, expected="v0")  # it read v0 as current, but v1 is


def test_stale_lists_are_seen_by_their_extraction_time():
    store = MemoryHotlistStore()
    run_import(store, extract("7ABC123", extracted="2026-11-28T06:00:00Z"), "v1")
    (version,) = CurrentLists(store).refresh().versions
    assert version.stale(NOW, timedelta(hours=24))  # 30 h old
    assert not version.stale(NOW, timedelta(hours=36))


def test_local_entries_move_the_local_version_and_are_matched_after_a_refresh():
    store = MemoryHotlistStore()
    lists = CurrentLists(store)
    request = LocalEntryRequest(
        plate="7AB*",
        case_number="26-004512",
        reason="shooting at 5th and Main, partial plate from a witness",
        expires_at=NOW + timedelta(days=3),
    )
    entry = local_entry(request, entered_by="investigator", clock=CLOCK, max_days=30)
    store.put_local_entry(entry, local_version(store, CLOCK, 1))
    assert lists.refresh().loaded == (LOCAL_SOURCE,)
    assert listed(lists, "7ABC999") == [entry.entry_id]
    remove_local_entry(store, entry.entry_id, FixedClock(NOW + timedelta(seconds=1)), by="investigator")
    assert lists.refresh().loaded == (LOCAL_SOURCE,)
    assert listed(lists, "7ABC999") == []
    assert store.versions[LOCAL_SOURCE].entries == 0


# --- issue 19, item 9: only the entry's creator, or a supervisor, removes it; it says who did ------


def _entered_by_ivy(store: MemoryHotlistStore):
    request = LocalEntryRequest(
        plate="7AB*",
        case_number="26-004512",
        reason="shooting at 5th and Main, partial plate from a witness",
        expires_at=NOW + timedelta(days=3),
    )
    entry = local_entry(request, entered_by="ivy", clock=CLOCK, max_days=30)
    store.put_local_entry(entry, local_version(store, CLOCK, 1))
    return entry


def test_another_investigator_cannot_remove_an_entry_they_did_not_enter():
    store = MemoryHotlistStore()
    entry = _entered_by_ivy(store)
    with pytest.raises(Forbidden):
        remove_local_entry(store, entry.entry_id, CLOCK, by="mallory")
    assert [e.entry_id for e in store.local_entries()] == [entry.entry_id]


def test_the_creator_or_a_supervisor_removes_it_and_the_entry_keeps_who_did():
    store = MemoryHotlistStore()
    entry = _entered_by_ivy(store)
    later = FixedClock(NOW + timedelta(minutes=5))
    removed = remove_local_entry(store, entry.entry_id, later, by="sam", supervisor=True)
    assert (removed.removed_by, removed.removed_at) == ("sam", NOW + timedelta(minutes=5))
    assert store.local_entries() == []
    assert store.removed_entries() == [removed]
    again = _entered_by_ivy(store)
    assert remove_local_entry(store, again.entry_id, later, by="ivy").removed_by == "ivy"
