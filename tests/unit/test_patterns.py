"""Partial plates: what a pattern matches, what is refused, and the confusable classes."""

from fnmatch import fnmatchcase

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpr.domain.confusables import CONFUSABLE_CLASSES, are_equivalent, confusable_with, ocr_key
from alpr.domain.errors import InvalidRequest
from alpr.domain.patterns import MIN_KNOWN, parse_pattern

plates = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8)
pattern_chars = st.sampled_from(list("AB7C12?*"))


@pytest.mark.parametrize(
    ("pattern", "plate", "expected"),
    [
        ("7AB?123", "7ABC123", True),
        ("7AB?123", "7AB123", False),  # '?' is exactly one character
        ("7AB*", "7ABC123", True),
        ("*C12*", "7ABC123", True),
        ("*C12", "7ABC123", False),
        ("7 ab-c?23", "7ABC123", True),  # typed loosely
    ],
)
def test_pattern_matches(pattern: str, plate: str, expected: bool) -> None:
    assert parse_pattern(pattern).matches(plate) is expected


@given(plates, st.lists(pattern_chars, min_size=1, max_size=9).map("".join))
def test_matching_agrees_with_shell_wildcards(plate: str, pattern: str) -> None:
    # Given any pattern that pins enough characters, the matcher says what fnmatch says
    try:
        parsed = parse_pattern(pattern)
    except InvalidRequest:
        return
    assert parsed.matches(plate) is fnmatchcase(plate, parsed.text)


@pytest.mark.parametrize("pattern", ["7A*", "??????", "*", "7?*?B", "", "**AB**"])
def test_too_broad_patterns_are_refused_with_the_reason(pattern: str) -> None:
    with pytest.raises(InvalidRequest, match=f"at least {MIN_KNOWN} known characters"):
        parse_pattern(pattern)


@pytest.mark.parametrize("pattern", ["7AB%", "7AB_12", "7ÄB123"])
def test_foreign_characters_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidRequest, match="not on plates"):
        parse_pattern(pattern)


def test_longer_than_any_plate_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="more than any plate"):
        parse_pattern("7ABC12345")


def test_runs_of_stars_collapse_and_literal_runs_are_longest_first() -> None:
    parsed = parse_pattern("7A**BC1?3")
    assert parsed.text == "7A*BC1?3"
    assert parsed.literal_runs == ["BC1", "7A", "3"]


def test_equivalents_match_confusable_characters_only_when_asked() -> None:
    # Given a witness's '8O1' that the camera may have read as 'B0I'
    assert not parse_pattern("*8O1*").matches("7B0I234")
    assert parse_pattern("*8O1*", equivalents=True).matches("7B0I234")
    assert not parse_pattern("*8O1*", equivalents=True).matches("7C0I234")


@given(plates)
def test_a_plate_matches_its_own_equivalence_class_pattern(plate: str) -> None:
    if len(plate) < MIN_KNOWN:
        return
    folded = ocr_key(plate)
    assert parse_pattern(folded, equivalents=True).matches(plate)
    assert are_equivalent(plate, folded)


def test_confusable_classes_are_disjoint_and_keyed_by_their_first_character() -> None:
    chars = "".join(CONFUSABLE_CLASSES)
    assert len(chars) == len(set(chars))
    assert confusable_with("q") == "0ODQ"
    assert confusable_with("A") == "A"
    assert ocr_key("B0LT5") == "80115"


def test_trigrams_are_folded_so_one_index_serves_equivalents() -> None:
    from alpr.domain.plate_grams import grams_of, pattern_grams

    assert grams_of("8OB1") == {"808", "081"}
    assert pattern_grams(parse_pattern("*B0B*")) == grams_of("8O8")
    assert pattern_grams(parse_pattern("7A?C?23")) == set()  # no three known in a row


@given(plates, st.lists(pattern_chars, min_size=1, max_size=9).map("".join), st.booleans())
def test_a_matching_plate_has_every_trigram_of_its_pattern(
    plate: str, pattern: str, equivalents: bool
) -> None:
    from alpr.domain.plate_grams import grams_of, pattern_grams

    try:
        parsed = parse_pattern(pattern, equivalents=equivalents)
    except InvalidRequest:
        return
    if parsed.matches(plate):
        assert pattern_grams(parsed) <= grams_of(plate)
