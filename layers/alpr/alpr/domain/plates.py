"""The one plate normaliser."""

from __future__ import annotations

import re
import string

from alpr.domain.errors import InvalidRequest

PLATE_ALPHABET = frozenset(string.ascii_uppercase + string.digits)
MAX_PLATE_LENGTH = 8  # the longest US plates have 8 characters
_TYPED_PLATE = re.compile(r"^[A-Za-z0-9 \-.]+$")


def normalize_plate(text: str) -> str:
    """Upper-case letters and digits only, everything else dropped: the form every comparison uses."""
    return "".join(ch for ch in text.upper() if ch in PLATE_ALPHABET)


def is_plate(text: str) -> bool:
    """True for a normalised plate of plausible length."""
    return 1 <= len(text) <= MAX_PLATE_LENGTH and all(ch in PLATE_ALPHABET for ch in text)


def plate_for_search(text: str) -> str:
    """A plate typed by a user, normalised, or InvalidRequest saying why not."""
    plate = normalize_plate(text)
    # Refuse rather than drop other characters: '7AB*' must not quietly search for '7AB'.
    if not _TYPED_PLATE.match(text) or not is_plate(plate):
        raise InvalidRequest(
            f"'{text}' is not a plate: give 1 to {MAX_PLATE_LENGTH} letters or digits "
            "(use the pattern search for partial plates)"
        )
    return plate
