"""Characters an OCR engine (or a witness) confuses on plates: the one table of them.

Used by the partial-plate search (`equivalents=true`) and by hotlist matching, which folds
plates to an equivalence key so `8ABC0I2` and `BABCO12` meet.
"""

from __future__ import annotations

# Each string is one class of look-alike characters; its first character is the class's key.
CONFUSABLE_CLASSES: tuple[str, ...] = ("0ODQ", "1ILT", "2Z", "5S", "6G", "8B")

_CLASS_OF: dict[str, str] = {ch: cls for cls in CONFUSABLE_CLASSES for ch in cls}


def confusable_with(ch: str) -> str:
    """Every character `ch` may be read as (itself included), e.g. `'O'` → `'0ODQ'`."""
    upper = ch.upper()
    return _CLASS_OF.get(upper, upper)


def fold_char(ch: str) -> str:
    """The key of `ch`'s class (`'O'`, `'D'`, `'Q'` → `'0'`); other characters unchanged."""
    return confusable_with(ch)[0]


def ocr_key(plate: str) -> str:
    """The plate folded to its OCR-equivalence key: equal keys mean the plates may be misreads
    of each other (`ocr_key('8OL5') == ocr_key('B015') == '8015'`)."""
    return "".join(fold_char(ch) for ch in plate)


def are_equivalent(a: str, b: str) -> bool:
    """True when `a` and `b` differ only by confusable characters."""
    return len(a) == len(b) and ocr_key(a) == ocr_key(b)


# The same fold as a str.translate table, for hot paths (hotlist matching folds every read):
# `plate.translate(OCR_FOLD) == ocr_key(plate)` for upper-case plates and wildcard patterns.
OCR_FOLD = str.maketrans({ch: cls[0] for cls in CONFUSABLE_CLASSES for ch in cls[1:]})
