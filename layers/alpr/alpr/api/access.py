"""What a request touched, as its route notes it for the access log.

A route that reads ALPR data calls `note_access(...)` with the data elements it queried
by and what it returned; the access gate reads `current_access()` when it writes the
access record (Civil Code § 1798.90.52), before the response leaves.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AccessNote:
    """The data elements used to query (plate, pattern, area, window) and what came back."""

    query: dict[str, Any] = field(default_factory=dict)
    returned_ids: list[str] = field(default_factory=list)
    returned_count: int = 0
    refusal: str = ""  # set when the route itself refused (a page answering 403): logged `refused`


_current: ContextVar[AccessNote | None] = ContextVar("alpr_access_note", default=None)


def begin_access() -> AccessNote:
    """Start a fresh note for the request being handled."""
    note = AccessNote()
    _current.set(note)
    return note


def current_access() -> AccessNote | None:
    return _current.get()


def note_access(
    query: dict[str, Any] | None = None,
    returned_ids: list[str] | None = None,
    returned_count: int | None = None,
) -> None:
    """Record what this request queried by and returned (ids, or a count when ids do not apply)."""
    note = _current.get()
    if note is None:
        note = begin_access()
    if query:
        note.query.update(query)
    if returned_ids:
        note.returned_ids.extend(returned_ids)
    note.returned_count += returned_count if returned_count is not None else len(returned_ids or [])


def note_refusal(reason: str) -> None:
    """The route refused the request itself (e.g. a page that answers 403): log it `refused`, with why."""
    note = _current.get()
    if note is None:
        note = begin_access()
    note.refusal = reason
