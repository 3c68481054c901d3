"""Hotlists and alerts: what the handlers call, on the container's adapters.

- `recognize`: `refresh_hotlists()` once per batch (one query when no list changed), then
  `match_reads(reads)` after the reads are stored: every hit becomes an alert and an SNS message.
- `hotlist_import`: `import_object(bucket, key)` for an extract dropped under `incoming/<SOURCE>/`.
- the API: local entries (with retro-match), alerts and their dispositions, list health.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, Field

from alpr.domain.alerts import (
    Alert,
    AlertPage,
    AlertStatus,
    DispositionRequest,
    dispose,
    hit_summary,
    raise_alerts,
)
from alpr.domain.errors import InvalidRequest
from alpr.domain.hotlist import (
    LOCAL_SOURCE,
    HotlistEntry,
    HotlistFileRejected,
    ImportReport,
    ListVersion,
    LocalEntryRequest,
    import_list,
    local_entry,
    local_version,
    parse_hotlist_file,
    remove_local_entry,
)
from alpr.domain.ids import new_ulid
from alpr.domain.matching import CompiledList, Matcher, Refresh, SnapshotBuilder
from alpr.domain.models import Caller, PlateQuery, Read, ReadResult, iso_utc
from alpr.domain.paging import decode_page, encode_page
from alpr.domain.patterns import parse_pattern
from alpr.domain.personnel import PersonnelRecord
from alpr.domain.reads import search_by_plate
from alpr.domain.retention import is_expired
from alpr.domain.search import matching_plates
from alpr.names import HOTLIST_INCOMING_PREFIX, HOTLIST_REPORT_PREFIX, Group
from alpr.services.container import container

logger = Logger(child=True)
metrics = Metrics()  # shares the handler's metric set; flushed by its @log_metrics

ALERT_LIST = "alerts"  # the scope of the alert list's paging tokens
RETRO_MATCH_LIMIT = 200  # earlier sightings listed with a new entry, newest first


# --- recognize -------------------------------------------------------------------------------


def refresh_hotlists() -> Refresh:
    """Check the version pointers (one query) and load what changed; say how long it took."""
    if not container().config.hotlist_table:
        return Refresh(loaded=(), dropped=(), versions=())  # a deployment without hotlists
    started = time.perf_counter()
    refresh = container().current_lists.refresh()
    elapsed_ms = (time.perf_counter() - started) * 1000
    now = container().clock.now()
    config = container().config
    stale = [v.source for v in refresh.versions if v.stale(now, config.hotlist_max_age)]
    metrics.add_metric(
        name="HotlistLoadMs" if refresh.loaded else "HotlistCheckMs",
        unit=MetricUnit.Milliseconds,
        value=elapsed_ms,
    )
    # The health metric: any imported list past its age makes it non-zero (an alarm watches it).
    metrics.add_metric(name="HotlistStaleLists", unit=MetricUnit.Count, value=len(stale))
    imported = [v for v in refresh.versions if v.source != LOCAL_SOURCE]
    if imported:
        oldest = max(v.age(now) for v in imported)
        metrics.add_metric(name="HotlistAgeHours", unit=MetricUnit.Count, value=oldest.total_seconds() / 3600)
    if refresh.loaded or refresh.dropped or stale:
        logger.info(
            "hotlists",
            extra={
                "loaded": refresh.loaded,
                "dropped": refresh.dropped,
                "stale": stale,
                "ms": round(elapsed_ms, 1),
                "versions": {v.source: v.version for v in refresh.versions},
            },
        )
    return refresh


def match_reads(reads: Iterable[Read]) -> list[Alert]:
    """Match stored reads against the current lists; every hit is stored and sent as an alert."""
    if not container().config.hotlist_table:
        return []  # a deployment without hotlists
    if not container().current_lists.checked:
        refresh_hotlists()  # a caller that did not check per batch (the handler does)
    matcher = container().current_lists.matcher
    now = container().clock.now()
    config = container().config
    sent: list[Alert] = []
    for read in reads:
        hits = matcher.match(read.plate, read.state, read.low_confidence, now)
        if hits:
            sent += raise_alerts(
                container().alert_store,
                container().notifier,
                read,
                hits,
                now=now,
                max_age=config.hotlist_max_age,
                access_log=container().access_log,
                base_url=config.web.base_url,
            )
            container().read_hits.note_hits(read.read_id, [hit_summary(read, hit) for hit in hits])
    if sent:
        metrics.add_metric(name="AlertsRaised", unit=MetricUnit.Count, value=len(sent))
        logger.info("alerts raised", extra={"alerts": [a.alert_id for a in sent]})
    return sent


# --- imports ---------------------------------------------------------------------------------


def import_lines(lines: Iterable[str], *, source: str | None = None) -> ImportReport:
    """Import one extract: parsed whole (or HotlistFileRejected), stored as a new version, flipped in."""
    config = container().config
    clock = container().clock
    builder = SnapshotBuilder()  # compiled as the lines stream in
    parsed = parse_hotlist_file(
        lines, now=clock.now(), refused=config.refused_hotlist_categories, source=source, keep=builder.add
    )
    version_id = new_ulid(clock)
    version = ListVersion(
        source=parsed.source,
        version=version_id,
        refreshed_at=parsed.refreshed_at,
        imported_at=clock.now(),
        entries=parsed.imported,
    )
    snapshot = builder.build(version)
    report = import_list(
        container().hotlist_store, parsed, snapshot=snapshot, version=version_id, clock=clock
    )
    metrics.add_metric(name="HotlistEntriesImported", unit=MetricUnit.Count, value=report.imported)
    return report


def source_of(key: str) -> str:
    """`incoming/<SOURCE>/<file>` -> SOURCE (InvalidRequest for any other key)."""
    parts = key.split("/")
    if len(parts) < 3 or f"{parts[0]}/" != HOTLIST_INCOMING_PREFIX or not parts[1]:
        raise InvalidRequest(f"'{key}' is not under {HOTLIST_INCOMING_PREFIX}<SOURCE>/")
    return parts[1].upper()


def report_key(key: str) -> str:
    return f"{HOTLIST_REPORT_PREFIX}{key}.json"


def import_object(bucket: str, key: str) -> dict[str, object]:
    """Import an extract dropped in the hotlist bucket; the outcome is also written to reports/<key>.json."""
    outcome: dict[str, object]
    try:
        source = source_of(key)
        body = container().s3().get_object(Bucket=bucket, Key=key)["Body"]
        # Streamed line by line; a line that is not UTF-8 is a bad line like any other (the parser
        # finds the undecodable bytes kept as surrogates and names the line).
        lines = (line.decode("utf-8", "surrogateescape") for line in body.iter_lines())
        report = import_lines(lines, source=source)
        outcome = {"outcome": "imported", **report.model_dump(mode="json")}
    except HotlistFileRejected as rejected:
        outcome = {"outcome": "rejected", "errors": rejected.errors[:1000], "message": rejected.message}
    except InvalidRequest as problem:
        outcome = {"outcome": "rejected", "errors": [str(problem)], "message": str(problem)}
    outcome |= {"key": key, "at": iso_utc(container().clock.now())}
    container().s3().put_object(
        Bucket=bucket,
        Key=report_key(key),
        Body=json.dumps(outcome, indent=2).encode(),
        ContentType="application/json",
    )
    logger.info("hotlist import", extra={k: v for k, v in outcome.items() if k not in ("errors", "message")})
    return outcome


# --- the API ---------------------------------------------------------------------------------


class EntryCreated(BaseModel):
    """A new local entry and the earlier sightings it matches (retro-match), newest first."""

    entry: HotlistEntry
    earlier_sightings: list[ReadResult]
    sightings_truncated: bool = False
    match_kinds: dict[str, str] = Field(description="read_id -> how the read met the entry")


def retro_plates(entry: HotlistEntry) -> list[str]:
    """The plates of the dictionary, seen within retention, that the entry may match (OCR
    look-alikes included), through the trigram index like a partial-plate search; InvalidRequest
    when they are more than such a search may return (an entry is no way round its limit)."""
    now = container().clock.now()
    start = container().config.retention.horizon(now)
    try:
        pattern = parse_pattern(entry.plate, equivalents=True)
    except InvalidRequest:  # a plain plate shorter than a pattern may be: only itself
        return [entry.plate]
    return matching_plates(container().read_store, pattern, start, now)


def retro_match(entry: HotlistEntry, plates: list[str]) -> tuple[list[ReadResult], dict[str, str], bool]:
    """Stored reads within retention that the entry matches, among the reads of `plates` (from
    `retro_plates`): the `by_plate` index gives their reads; the Reads table is never scanned."""
    clock = container().clock
    now = clock.now()
    retention = container().config.retention
    start = retention.horizon(now)
    version = ListVersion(source=entry.source, version="retro", refreshed_at=now, imported_at=now, entries=1)
    matcher = Matcher([CompiledList.build(version, [entry])])
    store = container().read_store
    found: list[ReadResult] = []
    kinds: dict[str, str] = {}
    for plate in plates:
        page = search_by_plate(
            store, PlateQuery(plate=plate, start=start, end=now, limit=RETRO_MATCH_LIMIT), clock
        )
        for read in page.items:
            hits = matcher.match(read.plate, read.state, read.low_confidence, now)
            if hits and not is_expired(read.expires_at, now):
                found.append(read)
                kinds[read.read_id] = hits[0].kind.value
    found.sort(key=lambda r: r.captured_key, reverse=True)
    return found[:RETRO_MATCH_LIMIT], kinds, len(found) > RETRO_MATCH_LIMIT


def add_entry(caller: Caller, request: LocalEntryRequest) -> EntryCreated:
    config = container().config
    clock = container().clock
    entry = local_entry(
        request,
        entered_by=caller.username,
        clock=clock,
        max_days=config.hotlist_entry_max_days,
        refused=config.refused_hotlist_categories,
    )
    plates = retro_plates(entry)  # before the entry is stored: a too-broad one is refused whole
    store = container().hotlist_store
    store.put_local_entry(entry, local_version(store, clock, 1))
    sightings, kinds, truncated = retro_match(entry, plates)
    metrics.add_metric(name="HotlistRetroMatches", unit=MetricUnit.Count, value=len(sightings))
    return EntryCreated(
        entry=entry,
        earlier_sightings=sightings,
        sightings_truncated=truncated,
        match_kinds={r.read_id: kinds[r.read_id] for r in sightings},
    )


def list_entries(include_expired: bool = False) -> list[HotlistEntry]:
    now = container().clock.now()
    entries = [e for e in container().hotlist_store.local_entries() if include_expired or not e.expired(now)]
    return sorted(entries, key=lambda e: e.entry_id, reverse=True)


def delete_entry(caller: Caller, person: PersonnelRecord | None, entry_id: str) -> HotlistEntry:
    """Remove a local entry (its creator, or a supervisor); the entry returned says who removed it."""
    supervisor = person is not None and Group.SUPERVISOR in person.roles
    return remove_local_entry(
        container().hotlist_store, entry_id, container().clock, by=caller.username, supervisor=supervisor
    )


def list_sources() -> list[dict[str, object]]:
    """Every list's current version, age and whether it is stale (the hotlist health)."""
    now = container().clock.now()
    config = container().config
    return [
        {
            **v.model_dump(mode="json"),
            "age_hours": round(v.age(now).total_seconds() / 3600, 1),
            "stale": v.stale(now, config.hotlist_max_age),
            "max_age_hours": config.hotlist_max_age_hours,
        }
        for v in container().hotlist_store.current_versions()
    ]


def list_alerts(status: AlertStatus, limit: int, token: str | None) -> AlertPage:
    """A page of alerts, newest first; `token` continues the list where the last page ended."""
    refusal = "the 'next' token is not valid for this list"
    start = decode_page(ALERT_LIST, token, refusal=refusal)[1] if token else None
    alerts, last = container().alert_store.list_alerts(status, limit, start)
    return AlertPage(items=alerts, next=encode_page(ALERT_LIST, last) if last else None)


def dispose_alert(caller: Caller, alert_id: str, request: DispositionRequest) -> Alert:
    closed = dispose(
        container().alert_store, alert_id, request, by=caller.username, now=container().clock.now()
    )
    metrics.add_metric(name=f"Alerts_{request.disposition.value}", unit=MetricUnit.Count, value=1)
    return closed
