"""Cells a spreadsheet would run as a formula (CSV injection), kept as text.

A CSV the system writes (the audit export, an evidence bundle's reads.csv) is opened by auditors
and prosecutors in a spreadsheet, which runs a cell starting with `=`, `+`, `-` or `@` (and, in
some, a tab or carriage return) as a formula: `=HYPERLINK(...)` in a purpose text would send
data out. Such text is refused where it enters (the purpose check) and, for what is already
stored, prefixed with `'` (OWASP's advice) when written.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def starts_like_formula(text: str) -> bool:
    """True when a spreadsheet would take `text` for a formula (a plain number it takes for a number)."""
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text)


def neutralise(value: Any) -> Any:
    """`value` safe for a CSV cell: text a spreadsheet would run gets a leading `'`; anything
    else (numbers, plain text) is unchanged."""
    if isinstance(value, str) and starts_like_formula(value):
        return "'" + value
    return value
