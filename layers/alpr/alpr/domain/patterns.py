"""Partial plates as witnesses give them: `?` one character, `*` any run of characters.

A pattern must pin at least `MIN_KNOWN` characters; broader ones would return a large
share of the city's plates and are refused with the reason (policy 439.4: partial plates
from major crimes, not fishing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alpr.domain.confusables import confusable_with
from alpr.domain.errors import InvalidRequest
from alpr.domain.plates import MAX_PLATE_LENGTH, PLATE_ALPHABET

MIN_KNOWN = 3
ONE = "?"
ANY = "*"
_IGNORED = frozenset(" -.")  # what people type between plate characters


@dataclass(frozen=True)
class PlatePattern:
    """A validated pattern; `text` is its normal form (upper case, runs of `*` collapsed)."""

    text: str
    equivalents: bool
    regex: re.Pattern[str]

    @property
    def known(self) -> int:
        """How many characters the pattern pins."""
        return sum(1 for ch in self.text if ch in PLATE_ALPHABET)

    @property
    def literal_runs(self) -> list[str]:
        """The runs of known characters, longest first (used to narrow a dictionary scan)."""
        runs = re.split(r"[?*]+", self.text)
        return sorted((r for r in runs if r), key=len, reverse=True)

    def matches(self, plate: str) -> bool:
        """True when `plate` (normalised) fits the pattern."""
        return self.regex.fullmatch(plate) is not None


def _char_class(ch: str, equivalents: bool) -> str:
    if not equivalents:
        return re.escape(ch)
    chars = confusable_with(ch)
    return f"[{chars}]" if len(chars) > 1 else chars


def parse_pattern(text: str, *, equivalents: bool = False) -> PlatePattern:
    """The pattern, or InvalidRequest saying what is wrong with it."""
    cleaned = "".join(ch for ch in text.upper() if ch not in _IGNORED)
    bad = sorted({ch for ch in cleaned if ch not in PLATE_ALPHABET and ch not in (ONE, ANY)})
    if bad:
        raise InvalidRequest(
            f"pattern '{text}' has characters that are not on plates: {' '.join(bad)} "
            "(use letters, digits, '?' for one unknown character and '*' for any run)"
        )
    normal = re.sub(r"\*+", ANY, cleaned)
    known = sum(1 for ch in normal if ch in PLATE_ALPHABET)
    if known < MIN_KNOWN:
        raise InvalidRequest(
            f"pattern '{text}' pins {known} character(s); give at least {MIN_KNOWN} known characters "
            "so the search stays a search for a vehicle, not a sweep of the city's plates"
        )
    fixed = len(normal.replace(ANY, ""))
    if fixed > MAX_PLATE_LENGTH:
        raise InvalidRequest(
            f"pattern '{text}' needs {fixed} characters, more than any plate has ({MAX_PLATE_LENGTH})"
        )
    parts = []
    for ch in normal:
        if ch == ONE:
            parts.append(".")
        elif ch == ANY:
            parts.append(".*")
        else:
            parts.append(_char_class(ch, equivalents))
    return PlatePattern(text=normal, equivalents=equivalents, regex=re.compile("".join(parts)))
