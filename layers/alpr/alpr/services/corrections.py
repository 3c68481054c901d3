"""Wiring of corrections: the domain's rules on the process's Reads table and alerts."""

from __future__ import annotations

from alpr.domain.corrections import (
    CorrectionReceipt,
    CorrectionRequest,
    close_alerts_as_misread,
    correction_of,
)
from alpr.domain.errors import NotFound
from alpr.domain.models import Caller
from alpr.domain.retention import is_expired
from alpr.services.container import container


def correct(caller: Caller, read_id: str, request: CorrectionRequest) -> CorrectionReceipt:
    """Record a supervisor's correction of a misread and close the read's alerts as misread."""
    store = container().read_store
    now = container().clock.now()
    read = store.get_read(read_id)
    if read is None or is_expired(read.expires_at, now):
        raise NotFound(f"no read '{read_id}'")
    correction = correction_of(read, request, by=caller.username, now=now)
    if store.add_correction(read_id, correction) is None:
        raise NotFound(f"no read '{read_id}'")
    closed = close_alerts_as_misread(container().alert_store, read, correction)
    return CorrectionReceipt(read_id=read_id, correction=correction, alerts_closed=closed)
