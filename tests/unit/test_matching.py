"""Matching a read against compiled hotlists: exact, state, OCR look-alikes, wildcards, expiry."""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpr.domain.confusables import CONFUSABLE_CLASSES
from alpr.domain.hotlist import Category, HotlistEntry, ListVersion
from alpr.domain.matching import CompiledList, Matcher, MatchKind, fits

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def entry(
    plate: str, state: str | None = None, expires: datetime | None = None, entry_id: str = "E1"
) -> HotlistEntry:
    return HotlistEntry(
        entry_id=entry_id,
        source="NCIC",
        plate=plate,
        state=state,
        category=Category.STOLEN_VEHICLE,
        nic=entry_id,
        ori="CA0340000",
        case_number="26-000001",
        expires_at=expires,
    )


def matcher(*entries: HotlistEntry) -> Matcher:
    version = ListVersion(
        source="NCIC", version="v1", refreshed_at=NOW, imported_at=NOW, entries=len(entries)
    )
    return Matcher([CompiledList.build(version, entries)])


def kinds(m: Matcher, plate: str, state: str | None = None, low_confidence: bool = False) -> list[str]:
    return [h.kind.value for h in m.match(plate, state, low_confidence, NOW)]


def test_exact_plate_is_an_exact_hit_carrying_the_entry():
    hits = matcher(entry("7ABC123", "CA")).match("7ABC123", "CA", False, NOW)
    assert [(h.kind, h.entry.plate, h.entry.state, h.list.source) for h in hits] == [
        (MatchKind.EXACT, "7ABC123", "CA", "NCIC")
    ]


def test_other_plates_are_no_hit():
    assert kinds(matcher(entry("7ABC123")), "7ABC124") == []
    assert kinds(matcher(entry("7ABC123")), "7ABC12") == []


def test_state_mismatch_is_not_a_hit_when_both_sides_carry_a_state():
    m = matcher(entry("7ABC123", "CA"))
    assert kinds(m, "7ABC123", "NV") == []


@pytest.mark.parametrize(("listed", "read"), [("7ABC123", None), ("7ABC123", "CA")])
def test_a_missing_state_on_either_side_still_hits(listed, read):
    # The read has no state, or the entry has none: the hit stands (the alert shows both).
    m = matcher(entry("7ABC123", None if read else "CA"))
    assert kinds(m, "7ABC123", read) == ["exact"]


@pytest.mark.parametrize("cls", CONFUSABLE_CLASSES)
def test_each_confusable_class_gives_an_ocr_equivalent_hit_never_exact(cls):
    # Given an entry holding the first character of the class in the middle of the plate
    m = matcher(entry(f"7A{cls[0]}C12"))
    for other in cls[1:]:
        # When a read differs from it only by another member of the class
        # Then it is an OCR-equivalent hit, not an exact one
        assert kinds(m, f"7A{other}C12") == ["ocr_equivalent"], other


def test_characters_outside_a_class_are_not_equivalent():
    assert kinds(matcher(entry("7ABC123")), "7AEC123") == []  # B and E are not confusable here


@pytest.mark.parametrize(
    ("pattern", "plate", "kind"),
    [
        ("7AB*", "7ABC123", "wildcard"),
        ("7AB*", "7AB", "wildcard"),  # '*' may be empty
        ("*C123", "7ABC123", "wildcard"),
        ("7A*23", "7ABC123", "wildcard"),
        ("?XYZ12?", "1XYZ123", "wildcard"),
        ("*BC12*", "7ABC123", "wildcard"),
        ("7?B*2?", "7ABC123", "wildcard"),
        ("7AB*", "7A8C123", "wildcard_ocr_equivalent"),
        ("?XYZ12?", "1XYZ1Z3", "wildcard_ocr_equivalent"),
    ],
)
def test_wildcard_forms(pattern, plate, kind):
    assert kinds(matcher(entry(pattern)), plate) == [kind]


@pytest.mark.parametrize(
    ("pattern", "plate"),
    [
        ("7AB*", "6ABC123"),
        ("?XYZ12?", "1XYZ12"),
        ("?XYZ12?", "1XYZ1234"),
        ("*C123", "7ABC124"),
        ("*BC12*", "7AXC123"),
    ],
)
def test_wildcards_that_do_not_fit_are_no_hit(pattern, plate):
    assert kinds(matcher(entry(pattern)), plate) == []


def test_expired_entries_are_ignored():
    m = matcher(
        entry("7ABC123", expires=NOW - timedelta(seconds=1), entry_id="OLD"),
        entry("7AB*", expires=NOW - timedelta(days=1), entry_id="OLDPATTERN"),
        entry("7ABC123", expires=NOW + timedelta(days=1), entry_id="CURRENT"),
    )
    assert [h.entry.entry_id for h in m.match("7ABC123", None, False, NOW)] == ["CURRENT"]


def test_a_low_confidence_read_never_yields_an_exact_hit():
    hits = matcher(entry("7ABC123")).match("7ABC123", None, True, NOW)
    assert [h.kind for h in hits] == [MatchKind.LOW_CONFIDENCE_READ]


def test_several_entries_for_one_key_all_hit():
    m = matcher(entry("8OB", entry_id="A"), entry("B0B", entry_id="B"), entry("808", entry_id="C"))
    hits = {h.entry.entry_id: h.kind.value for h in m.match("8OB", None, False, NOW)}
    assert hits == {"A": "exact", "B": "ocr_equivalent", "C": "ocr_equivalent"}


def test_a_new_version_replaces_the_old_whole():
    # Given a matcher holding version 1 of a source
    old = matcher(entry("7ABC123", entry_id="OLD"))
    version = ListVersion(source="NCIC", version="v2", refreshed_at=NOW, imported_at=NOW, entries=1)
    # When version 2 is swapped in
    old.replace(CompiledList.build(version, [entry("8XYZ456", entry_id="NEW")]))
    # Then only version 2's entries hit
    assert kinds(old, "7ABC123") == []
    assert [(h.entry.entry_id, h.list.version) for h in old.match("8XYZ456", None, False, NOW)] == [
        ("NEW", "v2")
    ]


def test_the_snapshot_keeps_every_field_of_an_entry():
    original = entry("7ABC123", "CA", expires=NOW + timedelta(days=3)).model_copy(
        update={
            "vin": "1HGCM82633A004352",
            "make": "HOND",
            "entered_at": NOW - timedelta(days=2),
            "reason": "a\ttab",
        }
    )
    (hit,) = matcher(original).match("7ABC123", "CA", False, NOW)
    assert hit.entry == original.model_copy(
        update={"reason": "a tab"}
    )  # separators never survive into records


plates = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8)
patterns = st.text(alphabet="01AB8O?*", min_size=1, max_size=8)


@given(pattern=patterns, plate=plates)
def test_fits_agrees_with_shell_globbing(pattern, plate):
    assert fits(pattern, plate) == fnmatch.fnmatchcase(plate, pattern)


@given(
    pattern=st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ?*", min_size=3, max_size=8), plate=plates
)
def test_the_compiled_wildcard_index_finds_exactly_what_globbing_finds(pattern, plate):
    # Whatever anchor a pattern gets indexed by, lookups find it exactly when it fits (after folding).
    from alpr.domain.confusables import ocr_key

    if pattern.replace("*", "").replace("?", "") == "":
        return
    hits = matcher(entry(pattern)).match(plate, None, False, NOW)
    assert bool(hits) == fnmatch.fnmatchcase(ocr_key(plate), ocr_key(pattern))
