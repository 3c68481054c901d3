"""A trigram index of the Plates dictionary, so a partial plate never scans the dictionary.

Each distinct plate is listed under every three-character run of its OCR-folded form
(`alpr.domain.confusables.ocr_key`), so the same index answers a pattern as typed and
with `equivalents=true`: the folded runs of the pattern select candidates, the pattern
itself then decides. A pattern without three known characters in a row cannot use the
index and falls back to the dictionary scan.
"""

from __future__ import annotations

from alpr.domain.confusables import ocr_key
from alpr.domain.patterns import PlatePattern

GRAM = 3


def grams_of(text: str) -> set[str]:
    """The trigrams of `text` folded to its OCR-equivalence key."""
    folded = ocr_key(text)
    return {folded[i : i + GRAM] for i in range(len(folded) - GRAM + 1)}


def pattern_grams(pattern: PlatePattern) -> set[str]:
    """Trigrams every plate matching the pattern must contain (empty: the index cannot help)."""
    return {gram for run in pattern.literal_runs if len(run) >= GRAM for gram in grams_of(run)}
