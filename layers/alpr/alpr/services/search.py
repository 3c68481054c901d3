"""Wiring of the investigator searches (issue 5): the domain searches on the process's store.

The seam for the access gate, like `reads.search_reads`: the API routes call these and
note what was queried and returned; nothing else reaches the indexes for a search.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from alpr.domain.canvass import Area
from alpr.domain.models import Caller
from alpr.domain.patterns import PlatePattern
from alpr.domain.search import (
    MAX_FANOUT,
    CanvassPage,
    PatternPage,
    ReadDetail,
    read_detail,
    search_canvass,
    search_pattern,
    threads,
)
from alpr.services.container import container

# boto3 clients are thread-safe: a search's batches of index queries run side by side.
threaded = threads(ThreadPoolExecutor(max_workers=MAX_FANOUT, thread_name_prefix="search"))


def find_pattern(
    caller: Caller, pattern: PlatePattern, start: datetime, end: datetime, *, limit: int, token: str | None
) -> PatternPage:
    """Reads of the plates a partial plate matches."""
    del caller  # any authenticated user; the access gate decides before the route runs
    return search_pattern(
        container().read_store,
        pattern,
        start,
        end,
        limit=limit,
        token=token,
        clock=container().clock,
        retention=container().config.retention,
        fanout=threaded,
    )


def canvass(
    caller: Caller, area: Area, start: datetime, end: datetime, *, limit: int, token: str | None
) -> CanvassPage:
    """Reads inside an area and window."""
    del caller
    return search_canvass(
        container().read_store,
        area,
        start,
        end,
        container().config.search_limits,
        limit=limit,
        token=token,
        clock=container().clock,
        fanout=threaded,
    )


def one_read(caller: Caller, read_id: str) -> ReadDetail:
    """One read with short-lived links to its image and crop."""
    del caller
    return read_detail(
        container().read_store,
        container().image_links,
        read_id,
        container().clock,
        container().config.search_limits,
    )
