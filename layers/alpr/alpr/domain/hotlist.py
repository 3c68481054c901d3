"""Hotlists: the entries, the NCIC-style extract they are imported from, versions and local entries.

An imported list (NCIC, the state stolen-vehicle system) is replaced whole: the import writes
a new version and then flips the source's current-version pointer in one conditional write,
so a read is matched against the old list or the new one, never half of each. Local entries
(partial plates from major crimes, entered through the API) form the list `LOCAL`, whose
version moves with every entry added or removed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, Field

from alpr.domain.clock import Clock
from alpr.domain.errors import DomainError, Forbidden, InvalidRequest, NotFound
from alpr.domain.ids import new_ulid
from alpr.domain.models import UtcDatetime
from alpr.domain.patterns import ANY, ONE, parse_pattern
from alpr.domain.plates import is_plate, normalize_plate, plate_for_search

LOCAL_SOURCE = "LOCAL"
FILE_MAGIC = "ALPR-HOTLIST"
FILE_VERSION = "1"
MAX_ERRORS_REPORTED = 50
CLOCK_SKEW = timedelta(minutes=5)
_SOURCE = re.compile(r"^[A-Z][A-Z0-9_-]{1,31}$")
_STATE = re.compile(r"^[A-Z]{2}$")


class Category(StrEnum):
    """What the entry is for (the NCIC file the record comes from)."""

    STOLEN_VEHICLE = "stolen_vehicle"
    STOLEN_PLATE = "stolen_plate"
    FELONY_VEHICLE = "felony_vehicle"
    WANTED_PERSON = "wanted_person"
    MISSING_PERSON = "missing_person"
    AMBER_ALERT = "amber_alert"
    PROTECTION_ORDER = "protection_order"
    IMMIGRATION_VIOLATOR = "immigration_violator"
    MAJOR_CRIME = "major_crime"  # local entries: partial plates and suspects of major crimes


# The FILE column of the extract: one code per category.
FILE_CODES: dict[str, Category] = {
    "V": Category.STOLEN_VEHICLE,
    "L": Category.STOLEN_PLATE,
    "F": Category.FELONY_VEHICLE,
    "W": Category.WANTED_PERSON,
    "M": Category.MISSING_PERSON,
    "A": Category.AMBER_ALERT,
    "P": Category.PROTECTION_ORDER,
    "I": Category.IMMIGRATION_VIOLATOR,
}

# California Values Act (Gov. Code § 7284.6): no resources for immigration enforcement.
DEFAULT_REFUSED = frozenset({Category.IMMIGRATION_VIOLATOR})


class HotlistEntry(BaseModel):
    """One vehicle of interest: a plate (or, for local entries, a wildcard pattern) and why."""

    entry_id: str
    source: str
    plate: str = Field(description="normalised plate, or a pattern with '?' (one) and '*' (any run)")
    state: str | None = None
    plate_type: str | None = None
    category: Category
    vin: str | None = None
    vehicle_year: str | None = None
    make: str | None = None
    model: str | None = None
    style: str | None = None
    color: str | None = None
    nic: str | None = None
    ori: str | None = None
    case_number: str | None = Field(default=None, description="OCA: the originating agency's case number")
    reason: str | None = None
    entered_by: str | None = None
    entered_at: UtcDatetime | None = None
    expires_at: UtcDatetime | None = None
    removed_by: str | None = Field(
        default=None, description="who removed a local entry (its creator or a supervisor)"
    )
    removed_at: UtcDatetime | None = None

    @property
    def is_pattern(self) -> bool:
        return ONE in self.plate or ANY in self.plate

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class ListVersion(BaseModel):
    """The current version of one source's list: what the matcher loads."""

    source: str
    version: str
    refreshed_at: UtcDatetime = Field(description="when the list's data was extracted at its source")
    imported_at: UtcDatetime
    entries: int
    wildcards: int = 0
    snapshot_key: str | None = Field(default=None, description="S3 key of the compiled list (imports)")

    def age(self, now: datetime) -> timedelta:
        return now - self.refreshed_at

    def stale(self, now: datetime, max_age: timedelta) -> bool:
        """Past `max_age` an imported list may hold recovered cars; local lists never go stale."""
        return self.source != LOCAL_SOURCE and self.age(now) > max_age


class ImportReport(BaseModel):
    """What an import did: the new version, and every line accounted for."""

    source: str
    version: str
    previous_version: str | None
    refreshed_at: UtcDatetime
    lines: int
    imported: int
    refused: dict[str, int] = Field(description="entries not imported, by category refused by configuration")
    expired: int = Field(description="entries already past their expiry date, not imported")


class HotlistFileRejected(DomainError):
    """The file is malformed: nothing from it was imported. `errors` name the lines."""

    def __init__(self, errors: Sequence[str]) -> None:
        shown = list(errors[:MAX_ERRORS_REPORTED])
        more = len(errors) - len(shown)
        super().__init__(
            "hotlist file rejected, nothing imported: "
            + "; ".join(shown)
            + (f"; and {more} more error(s)" if more else "")
        )
        self.errors = list(errors)


class VersionConflict(DomainError):
    """Another import of the same source flipped the pointer first."""


# --- The file format -------------------------------------------------------------------------

REQUIRED_COLUMNS = ("FILE", "LIC", "NIC", "ORI", "DOE")
OPTIONAL_COLUMNS = ("LIS", "LIT", "LIY", "VIN", "VYR", "VMA", "VMO", "VST", "VCO", "OCA", "EXP")
_COLUMN_FIELDS = {
    "LIS": "state",
    "LIT": "plate_type",
    "VIN": "vin",
    "VYR": "vehicle_year",
    "VMA": "make",
    "VMO": "model",
    "VST": "style",
    "VCO": "color",
    "NIC": "nic",
    "ORI": "ori",
    "OCA": "case_number",
}


class ParsedList(BaseModel):
    source: str
    refreshed_at: UtcDatetime
    lines: int
    imported: int
    entries: list[HotlistEntry] = Field(description="the entries, unless they were handed to `keep`")
    refused: dict[str, int]
    expired: int


def _utf8(line: str) -> None:
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("not UTF-8 text (save the file as UTF-8)") from None


def _date(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC)


def _header(line: str) -> tuple[str, datetime]:
    parts = line.split("|")
    if len(parts) != 4 or parts[0] != FILE_MAGIC or parts[1] != FILE_VERSION:
        raise ValueError(
            f"line 1 must be '{FILE_MAGIC}|{FILE_VERSION}|<SOURCE>|<extracted at, ISO 8601 UTC>', "
            f"got '{line[:80]}'"
        )
    source = parts[2].strip().upper()
    if not _SOURCE.match(source) or source == LOCAL_SOURCE:
        raise ValueError(f"line 1: '{parts[2]}' is not a source name (2-32 of A-Z, 0-9, '_', '-'; not LOCAL)")
    try:
        extracted = datetime.fromisoformat(parts[3].strip())
    except ValueError:
        raise ValueError(f"line 1: extraction time '{parts[3]}' is not ISO 8601") from None
    if extracted.tzinfo is None:
        raise ValueError(f"line 1: extraction time '{parts[3]}' has no zone (use Z)")
    return source, extracted.astimezone(UTC)


def _columns(line: str) -> list[str]:
    columns = [c.strip().upper() for c in line.split("|")]
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    problems = [f"unknown column '{c}'" for c in columns if c not in known]
    problems += [f"column '{c}' appears twice" for c, n in Counter(columns).items() if n > 1]
    problems += [f"required column '{c}' is missing" for c in REQUIRED_COLUMNS if c not in columns]
    if problems:
        raise ValueError("line 2 (the column line): " + ", ".join(problems))
    return columns


def _entry(source: str, values: dict[str, str]) -> HotlistEntry:
    """One data line as an entry; ValueError naming the field when a value is not acceptable."""
    code = values["FILE"].upper()
    if code not in FILE_CODES:
        raise ValueError(f"FILE '{values['FILE']}' is not one of {', '.join(FILE_CODES)}")
    plate = normalize_plate(values["LIC"])
    if values["LIC"].replace(" ", "").replace("-", "").upper() != plate or not is_plate(plate):
        raise ValueError(f"LIC '{values['LIC']}' is not a plate (1-8 letters or digits)")
    if not values["NIC"]:
        raise ValueError("NIC is empty")
    if not values["ORI"]:
        raise ValueError("ORI is empty")
    state = values.get("LIS", "").upper() or None
    if state is not None and not _STATE.match(state):
        raise ValueError(f"LIS '{values['LIS']}' is not a two-letter state or province code")
    try:
        entered = _date(values["DOE"])
    except ValueError:
        raise ValueError(f"DOE '{values['DOE']}' is not a date YYYYMMDD") from None
    expires = None
    if values.get("EXP"):
        try:
            # An entry is good through its expiry date, so it expires at the end of that day.
            expires = _date(values["EXP"]) + timedelta(days=1)
        except ValueError:
            raise ValueError(f"EXP '{values['EXP']}' is not a date YYYYMMDD") from None
    fields = {field: values[column] or None for column, field in _COLUMN_FIELDS.items() if column in values}
    fields["state"] = state
    return HotlistEntry(
        entry_id=values["NIC"],
        source=source,
        plate=plate,
        category=FILE_CODES[code],
        entered_at=entered,
        expires_at=expires,
        **fields,
    )


def parse_hotlist_file(
    lines: Iterable[str],
    *,
    now: datetime,
    refused: frozenset[str] = DEFAULT_REFUSED,
    source: str | None = None,
    keep: Callable[[HotlistEntry], None] | None = None,
) -> ParsedList:
    """Every entry of an extract, or HotlistFileRejected listing each bad line (nothing is kept).

    Entries of a refused category and entries already expired are left out and counted.
    `source`, when given, must be the one the file names. With `keep`, each entry is handed to it
    as it is read instead of being collected (a national extract is compiled as it streams in;
    whatever `keep` built is discarded if the file is rejected).
    """
    errors: list[str] = []
    entries: list[HotlistEntry] = []
    refused_counts: Counter[str] = Counter()
    expired = imported = 0
    header: tuple[str, datetime] | None = None
    columns: list[str] | None = None
    seen: dict[str, int] = {}
    number = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        try:
            if not line.isascii():
                _utf8(line)
            if header is None:
                header = _header(line.lstrip("\ufeff"))
                if source is not None and header[0] != source.upper():
                    raise ValueError(f"line 1 names source '{header[0]}', but the import is for '{source}'")
                if header[1] > now + CLOCK_SKEW:
                    # Its age would read as fresh for hours: a wrong clock or a wrong file.
                    raise ValueError(f"line 1: the extraction time {header[1].isoformat()} is in the future")
                continue
            if columns is None:
                columns = _columns(line)
                continue
            if not line.strip() or line.startswith("#"):
                continue
            cells = [c.strip() for c in line.split("|")]
            if len(cells) != len(columns):
                raise ValueError(f"{len(cells)} fields, the column line has {len(columns)}")
            entry = _entry(header[0], dict(zip(columns, cells, strict=True)))
            if entry.entry_id in seen:
                raise ValueError(f"NIC '{entry.entry_id}' already on line {seen[entry.entry_id]}")
            seen[entry.entry_id] = number
        except ValueError as problem:
            errors.append(str(problem) if number <= 2 and columns is None else f"line {number}: {problem}")
            if columns is None:
                break  # without the header lines the rest cannot be read
            continue
        if entry.category in refused:
            refused_counts[entry.category.value] += 1
        elif entry.expired(now):
            expired += 1
        else:
            imported += 1
            if keep is None:
                entries.append(entry)
            else:
                keep(entry)
    if header is None or (columns is None and not errors):
        errors.append("the file is empty or has no column line")
    if errors:
        raise HotlistFileRejected(errors)
    assert header is not None
    return ParsedList(
        source=header[0],
        refreshed_at=header[1],
        lines=number,
        imported=imported,
        entries=entries,
        refused=dict(refused_counts),
        expired=expired,
    )


# --- Storage and the operations on it --------------------------------------------------------


class HotlistStore(Protocol):
    def current_versions(self) -> list[ListVersion]:
        """The current version of every source (one cheap query: the matcher checks it per batch)."""
        ...

    def current_version(self, source: str) -> ListVersion | None: ...

    def put_snapshot(self, source: str, version: str, data: bytes) -> str:
        """Store a compiled list; its key."""
        ...

    def get_snapshot(self, key: str) -> bytes: ...

    def delete_snapshots(self, source: str, keep: Sequence[str]) -> int:
        """Delete the source's snapshots except the versions in `keep`; how many were deleted."""
        ...

    def flip(self, new: ListVersion, expected: str | None) -> None:
        """Make `new` the current version if the current one is still `expected`, else VersionConflict."""
        ...

    def put_local_entry(self, entry: HotlistEntry, version: ListVersion) -> None:
        """Store a local entry and move the LOCAL version, in one transaction."""
        ...

    def delete_local_entry(
        self, entry_id: str, version: ListVersion, removed: HotlistEntry
    ) -> HotlistEntry | None:
        """Remove a local entry, keep `removed` (it, saying who removed it and when) on file and move
        the LOCAL version; None when there was no such entry."""
        ...

    def local_entries(self) -> list[HotlistEntry]: ...


def import_list(
    store: HotlistStore,
    parsed: ParsedList,
    *,
    snapshot: bytes,
    version: str,
    clock: Clock,
    wildcards: int = 0,
) -> ImportReport:
    """Store the compiled list as a new version, flip the pointer to it, then drop older versions.

    The version before stays (a container may be loading it as the pointer flips); older ones go.
    """
    previous = store.current_version(parsed.source)
    key = store.put_snapshot(parsed.source, version, snapshot)
    new = ListVersion(
        source=parsed.source,
        version=version,
        refreshed_at=parsed.refreshed_at,
        imported_at=clock.now(),
        entries=parsed.imported - wildcards,
        wildcards=wildcards,
        snapshot_key=key,
    )
    store.flip(new, previous.version if previous else None)
    store.delete_snapshots(parsed.source, keep=[v for v in (version, previous and previous.version) if v])
    return ImportReport(
        source=parsed.source,
        version=version,
        previous_version=previous.version if previous else None,
        refreshed_at=parsed.refreshed_at,
        lines=parsed.lines,
        imported=parsed.imported,
        refused=parsed.refused,
        expired=parsed.expired,
    )


class LocalEntryRequest(BaseModel):
    """A local entry as an investigator enters it (partial plates from major crimes)."""

    plate: str = Field(min_length=1, max_length=16, description="plate or pattern: '?' one, '*' any run")
    state: str | None = Field(default=None, description="two-letter code, if known")
    category: Category = Category.MAJOR_CRIME
    case_number: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=10, max_length=500)
    expires_at: UtcDatetime
    vehicle: str | None = Field(default=None, max_length=200, description="make, model, colour as reported")


def local_entry(
    request: LocalEntryRequest,
    *,
    entered_by: str,
    clock: Clock,
    max_days: int,
    refused: frozenset[str] = DEFAULT_REFUSED,
) -> HotlistEntry:
    """A validated local entry, or InvalidRequest saying what is wrong."""
    now = clock.now()
    if request.category in refused:
        raise InvalidRequest(f"category '{request.category.value}' is refused by configuration")
    if request.expires_at <= now:
        raise InvalidRequest("'expires_at' must be in the future")
    if request.expires_at > now + timedelta(days=max_days):
        raise InvalidRequest(
            f"'expires_at' is more than {max_days} days away: local entries expire within {max_days} days "
            "(stale personal hotlists cause wrongful stops); enter it again if it is still needed"
        )
    state = request.state.strip().upper() if request.state else None
    if state is not None and not _STATE.match(state):
        raise InvalidRequest(f"state '{request.state}' is not a two-letter code")
    text = request.plate.strip().upper()
    plate = parse_pattern(text).text if ONE in text or ANY in text else plate_for_search(text)
    return HotlistEntry(
        entry_id=new_ulid(clock),
        source=LOCAL_SOURCE,
        plate=plate,
        state=state,
        category=request.category,
        case_number=request.case_number.strip(),
        reason=request.reason.strip(),
        make=request.vehicle,
        entered_by=entered_by,
        entered_at=now,
        expires_at=request.expires_at,
    )


def local_version(store: HotlistStore, clock: Clock, change: int) -> ListVersion:
    """The LOCAL list's next version (`change` is +1 for an entry added, -1 for one removed)."""
    current = store.current_version(LOCAL_SOURCE)
    now = clock.now()
    return ListVersion(
        source=LOCAL_SOURCE,
        version=new_ulid(clock),
        refreshed_at=now,
        imported_at=now,
        entries=max(0, (current.entries if current else 0) + change),
    )


def remove_local_entry(
    store: HotlistStore, entry_id: str, clock: Clock, *, by: str, supervisor: bool = False
) -> HotlistEntry:
    """Delete a local entry (by the user who entered it, or a supervisor); the entry kept on file
    says who removed it. NotFound when there is none with that id, Forbidden for anyone else."""
    entry = next((e for e in store.local_entries() if e.entry_id == entry_id), None)
    if entry is None:
        raise NotFound(f"no local hotlist entry '{entry_id}'")
    if entry.entered_by != by and not supervisor:
        raise Forbidden(
            f"local hotlist entry '{entry_id}' was entered by another user: only they, or a supervisor, may remove it"
        )
    removal = entry.model_copy(update={"removed_by": by, "removed_at": clock.now()})
    removed = store.delete_local_entry(entry_id, local_version(store, clock, -1), removal)
    if removed is None:
        raise NotFound(f"no local hotlist entry '{entry_id}'")
    return removal
