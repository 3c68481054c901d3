"""Matching reads against hotlists: a compiled list per source version, loaded from a packed snapshot.

How one read is matched (µs per read measured in bench/matching.py):
- the plate is folded to its OCR key (`alpr.domain.confusables`), and the key packed into an
  integer; plain entries sit in a sorted array of those integers, so a binary search finds every
  entry whose plate is the read or an OCR-equivalent of it. Equal text is `exact`, anything
  else `ocr_equivalent`;
- wildcard entries are grouped by where their first known characters are (up to three, counted
  from the start, or from the end when the pattern starts with '*'); the read's characters at
  those places are one dictionary lookup per group, and only the few entries found are checked
  against their whole pattern. A pattern with no known character at either end is checked one
  by one (they are rare: '*AB1*');
- an entry whose state differs from the read's (both known) is no hit, and expired entries are
  skipped.

A snapshot is a byte string: header, the sorted keys (uint64), block offsets (uint64), the
records (tab-separated fields, zlib-compressed in blocks of 32) and the wildcard records.
Loading it copies the key array only; a block is decompressed only for a hit, so 2,000,000
entries load in well under a second and stay compressed in memory.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from operator import itemgetter
from typing import Any

from alpr.domain.confusables import OCR_FOLD
from alpr.domain.hotlist import HotlistEntry, HotlistStore, ListVersion
from alpr.domain.models import iso_utc
from alpr.domain.patterns import ANY, ONE

MAGIC = b"ALPRHOT2"
BLOCK = 32  # records per compressed block
ANCHOR_CHARS = 4
FIXED_ANCHOR_CHARS = 3
# For each plate length, the fewest sets of three positions such that any pattern of that length
# with at most two unknown characters knows every position of one of them (found by exhaustive
# search; lengths 4 and 5 have none, and fall back to the ends-first rule).
FIXED_MENUS: dict[int, tuple[tuple[int, ...], ...]] = {
    6: ((0, 1, 2), (0, 1, 3), (0, 4, 5), (1, 4, 5), (2, 3, 4), (2, 3, 5)),
    7: ((0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3), (4, 5, 6)),
    8: ((0, 1, 2), (0, 1, 3), (2, 3, 4), (5, 6, 7)),
}
_FIELDS = (
    "entry_id",
    "plate",
    "state",
    "plate_type",
    "category",
    "vin",
    "vehicle_year",
    "make",
    "model",
    "style",
    "color",
    "nic",
    "ori",
    "case_number",
    "reason",
    "entered_by",
    "entered_at",
    "expires_at",
)
_EXPIRES = _FIELDS.index("expires_at")
_STATE = _FIELDS.index("state")
_PLATE = _FIELDS.index("plate")
_SEPARATOR = "\t"
_ESCAPES = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


class MatchKind(StrEnum):
    """How a read met an entry. Only `exact` says the characters are the listed ones."""

    EXACT = "exact"
    OCR_EQUIVALENT = "ocr_equivalent"
    WILDCARD = "wildcard"
    WILDCARD_OCR_EQUIVALENT = "wildcard_ocr_equivalent"
    # The read equals the listed plate but recognition marked it low-confidence: never a certainty.
    LOW_CONFIDENCE_READ = "low_confidence_read"


@dataclass(frozen=True)
class Hit:
    """A read met an entry of a list (the version the matcher held at the time)."""

    entry: HotlistEntry
    kind: MatchKind
    list: ListVersion


def plate_key(folded: str) -> int:
    """A folded plate (1-8 of 0-9A-Z) packed into one integer; the length keeps '0A' and 'A' apart."""
    return int(folded, 36) * 16 + len(folded)


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return str(int(value.timestamp())) if name == "expires_at" else iso_utc(value)
    if isinstance(value, StrEnum):
        return value.value
    return str(value).translate(_ESCAPES)


def _record(entry: Mapping[str, Any]) -> str:
    return _SEPARATOR.join(_text(name, entry.get(name)) for name in _FIELDS)


def _entry(source: str, record: str) -> HotlistEntry:
    values: dict[str, Any] = {
        name: value or None for name, value in zip(_FIELDS, record.split(_SEPARATOR), strict=True)
    }
    if values["expires_at"] is not None:
        values["expires_at"] = datetime.fromtimestamp(int(values["expires_at"]), UTC)
    return HotlistEntry(source=source, **values)


class SnapshotBuilder:
    """Collects entries as compact records (a national extract never lives as two million models)."""

    def __init__(self) -> None:
        self.plain: list[tuple[int, bytes]] = []
        self.patterns: list[str] = []

    def add(self, entry: HotlistEntry | Mapping[str, Any]) -> None:
        fields = entry.__dict__ if isinstance(entry, HotlistEntry) else entry
        text = fields["plate"]
        if ONE in text or ANY in text:
            self.patterns.append(_record(fields))
        else:
            self.plain.append((plate_key(text.translate(OCR_FOLD)), _record(fields).encode()))

    def build(self, version: ListVersion) -> bytes:
        """The snapshot: header, sorted keys, block offsets, compressed record blocks, wildcards."""
        plain = sorted(self.plain, key=itemgetter(0))
        keys = array("Q", (k for k, _ in plain))
        # Records in compressed blocks: a hit decompresses one block; a miss touches none.
        blocks = [
            zlib.compress(b"\n".join(r for _, r in plain[start : start + BLOCK]), 6)
            for start in range(0, len(plain), BLOCK)
        ]
        offsets = array("Q", [0])
        for block in blocks:
            offsets.append(offsets[-1] + len(block))
        header = json.dumps(
            {**version.model_dump(mode="json"), "entries": len(plain), "wildcards": len(self.patterns)}
        ).encode()
        wild = "\n".join(self.patterns).encode()
        head = struct.pack("<IQQ", len(header), len(plain), len(wild))
        return b"".join([MAGIC, head, header, keys.tobytes(), offsets.tobytes(), *blocks, wild])


def build_snapshot(version: ListVersion, entries: Iterable[HotlistEntry | Mapping[str, Any]]) -> bytes:
    """The compiled form of one list version (what the import stores and every matcher loads).

    Entries may also be given as mappings of HotlistEntry's fields (a bulk import skips the models).
    """
    builder = SnapshotBuilder()
    for entry in entries:
        builder.add(entry)
    return builder.build(version)


def _same(segment: str, text: str, start: int) -> bool:
    """`segment` ('?' = any one character) equals `text` at `start`."""
    return all(p in (ONE, c) for p, c in zip(segment, text[start : start + len(segment)], strict=True))


def fits(pattern: str, text: str) -> bool:
    """True when `text` fits the wildcard `pattern` ('?' one character, '*' any run, maybe empty).

    Segments between stars have fixed lengths, so taking each middle segment at its leftmost
    place is enough: a later place never leaves more room for the rest.
    """
    parts = pattern.split(ANY)
    if len(parts) == 1:
        return len(text) == len(pattern) and _same(pattern, text, 0)
    head, *middle, tail = parts
    end = len(text) - len(tail)
    if end < len(head) or not _same(head, text, 0) or not _same(tail, text, end):
        return False
    position = len(head)
    for segment in middle:
        while position + len(segment) <= end and not _same(segment, text, position):
            position += 1
        if position + len(segment) > end:
            return False
        position += len(segment)
    return True


def _anchor(folded: str) -> tuple[str, tuple[int, ...]] | None:
    """Where a pattern's lookup characters are: ('F', positions) for a fixed-length pattern, ('S',
    positions) for one with '*': up to four known characters from each end, those from the end
    as negative positions; None for a pattern known only in the middle ('*AB1*')."""
    if ANY not in folded:
        # Three known characters at one of a few fixed position sets: every pattern of that length
        # with at most two unknown characters has one, so a read makes one lookup per set.
        for positions in FIXED_MENUS.get(len(folded), ()):
            if all(folded[i] != ONE for i in positions):
                return "F", positions
        # Otherwise three taken from the ends inwards: still about one pattern in 27,000 per lookup.
        ends_first = sorted(range(len(folded)), key=lambda i: min(i, len(folded) - 1 - i))
        known = [i for i in ends_first if folded[i] != ONE][:FIXED_ANCHOR_CHARS]
        return ("F", tuple(sorted(known))) if known else None
    head = folded[: folded.index(ANY)]
    tail = folded[folded.rindex(ANY) + 1 :]
    known = [i for i, ch in enumerate(head) if ch != ONE][:ANCHOR_CHARS]
    known += [i - len(tail) for i, ch in enumerate(tail) if ch != ONE][-ANCHOR_CHARS:]
    return ("S", tuple(known)) if known else None


@dataclass
class _Group:
    kind: str
    length: int  # fixed-length patterns: the plate length; others: the shortest plate a getter can read
    getter: Callable[[str], Any]
    table: dict[Any, list[int]] = field(default_factory=dict)

    def applies(self, length: int) -> bool:
        return length == self.length if self.kind == "F" else length >= self.length


class CompiledList:
    """One list version, ready to match reads against."""

    def __init__(self, version: ListVersion, data: bytes) -> None:
        if data[: len(MAGIC)] != MAGIC:
            raise ValueError("not a hotlist snapshot")
        offset = len(MAGIC)
        header_len, count, wild_len = struct.unpack_from("<IQQ", data, offset)
        offset += struct.calcsize("<IQQ") + header_len
        view = memoryview(data)
        self.version = version
        self.keys = array("Q")
        self.keys.frombytes(view[offset : offset + 8 * count])
        self._count = count
        offset += 8 * count
        blocks = -(-count // BLOCK)
        self.offsets = array("Q")
        self.offsets.frombytes(view[offset : offset + 8 * (blocks + 1)])
        offset += 8 * (blocks + 1)
        # The compressed records stay in the snapshot's own bytes (no copy).
        self._data = data
        self._records_at = offset
        offset += self.offsets[-1]
        wild = bytes(view[offset : offset + wild_len]).decode()
        self._block: tuple[int, list[bytes]] = (-1, [])
        self.patterns: list[tuple[str, str, str]] = []  # (record, listed pattern, folded pattern)
        self._groups: dict[tuple[str, tuple[int, ...], int], _Group] = {}
        # Patterns known only in the middle: by the first characters of their longest known run,
        # found through the read's substrings of that length.
        self._inner: dict[int, dict[str, list[int]]] = {}
        for record in wild.split("\n") if wild else ():
            self._add_pattern(record)
        self._by_length: dict[int, list[tuple[Callable[[str], Any], Callable[[Any], list[int] | None]]]] = {}

    @classmethod
    def build(cls, version: ListVersion, entries: Iterable[HotlistEntry]) -> CompiledList:
        return cls(version, build_snapshot(version, entries))

    @staticmethod
    def header(data: bytes) -> dict[str, Any]:
        header_len = struct.unpack_from("<I", data, len(MAGIC))[0]
        start = len(MAGIC) + struct.calcsize("<IQQ")
        header: dict[str, Any] = json.loads(data[start : start + header_len])
        return header

    def __len__(self) -> int:
        return len(self.keys) + len(self.patterns)

    def _add_pattern(self, record: str) -> None:
        listed = record.split(_SEPARATOR)[_PLATE]
        folded = listed.translate(OCR_FOLD)
        index = len(self.patterns)
        self.patterns.append((record, listed, folded))
        anchor = _anchor(folded)
        if anchor is None:
            run = max(re.split(r"[?*]+", folded), key=len)[:ANCHOR_CHARS]
            self._inner.setdefault(len(run), {}).setdefault(run, []).append(index)
            return
        kind, positions = anchor
        # Others: the shortest plate the getter can read (past the last position counted from the
        # start, and the first counted from the end).
        length = len(folded) if kind == "F" else max(max(positions) + 1, -min(positions), 0)
        group = self._groups.get((kind, positions, length if kind == "F" else 0))
        if group is None:
            group = _Group(kind, length, itemgetter(*positions))
            self._groups[(kind, positions, length if kind == "F" else 0)] = group
        group.table.setdefault(group.getter(folded), []).append(index)

    def _record(self, index: int) -> str:
        number, within = divmod(index, BLOCK)
        if self._block[0] != number:
            start = self._records_at + self.offsets[number]
            end = self._records_at + self.offsets[number + 1]
            self._block = (number, zlib.decompress(self._data[start:end]).split(b"\n"))
        return self._block[1][within].decode()

    def _probes(self, length: int) -> list[tuple[Callable[[str], Any], Callable[[Any], list[int] | None]]]:
        """The lookups a read of `length` characters makes: (what to take from it, where to look)."""
        probes = self._by_length.get(length)
        if probes is None:
            probes = [(g.getter, g.table.get) for g in self._groups.values() if g.applies(length)]
            probes += [
                (itemgetter(slice(start, start + size)), table.get)
                for size, table in self._inner.items()
                for start in range(length - size + 1)
            ]
            self._by_length[length] = probes
        return probes

    def match(self, plate: str, state: str | None, now: float) -> list[tuple[HotlistEntry, MatchKind]]:
        """Entries of this list the plate meets; `now` in epoch seconds (expired entries skipped)."""
        # The hot path of every read: a miss costs one fold, one binary search and a few lookups.
        folded = plate.translate(OCR_FOLD)
        found: list[tuple[HotlistEntry, MatchKind]] = []
        keys = self.keys
        key = int(folded, 36) * 16 + len(folded)  # plate_key, inlined
        i = bisect_left(keys, key)
        while i < self._count and keys[i] == key:
            record = self._record(i)
            listed = record.split(_SEPARATOR, _PLATE + 1)[_PLATE]
            self._keep(
                found, record, state, now, MatchKind.EXACT if listed == plate else MatchKind.OCR_EQUIVALENT
            )
            i += 1
        probes = self._by_length.get(len(folded))
        if probes is None:
            probes = self._probes(len(folded))
        candidates: list[int] | None = None
        for take, look in probes:
            hit = look(take(folded))
            if hit:
                candidates = hit if candidates is None else candidates + hit
        if candidates:
            for index in dict.fromkeys(candidates):  # a run may occur twice in a plate
                record, listed, pattern = self.patterns[index]
                if fits(pattern, folded):
                    kind = MatchKind.WILDCARD if fits(listed, plate) else MatchKind.WILDCARD_OCR_EQUIVALENT
                    self._keep(found, record, state, now, kind)
        return found

    def _keep(
        self,
        found: list[tuple[HotlistEntry, MatchKind]],
        record: str,
        state: str | None,
        now: float,
        kind: MatchKind,
    ) -> None:
        values = record.split(_SEPARATOR)
        expires = values[_EXPIRES]
        if expires and int(expires) <= now:
            return
        listed_state = values[_STATE]
        if state and listed_state and state != listed_state:
            return  # a plate number matched across states is not a hit
        found.append((_entry(self.version.source, record), kind))


class Matcher:
    """Every current list, matched together."""

    def __init__(self, lists: Sequence[CompiledList] = ()) -> None:
        self.lists: dict[str, CompiledList] = {c.version.source: c for c in lists}

    def versions(self) -> dict[str, str]:
        return {source: c.version.version for source, c in self.lists.items()}

    def replace(self, compiled: CompiledList) -> None:
        """Swap in one source's new version (a read sees the old list or the new one, whole)."""
        self.lists[compiled.version.source] = compiled

    def drop(self, source: str) -> None:
        self.lists.pop(source, None)

    def match(self, plate: str, state: str | None, low_confidence: bool, now: datetime) -> list[Hit]:
        """Every hit of a read; a low-confidence read never yields an `exact` hit."""
        epoch = now.timestamp()
        hits: list[Hit] = []
        for compiled in list(self.lists.values()):
            for entry, kind in compiled.match(plate, state, epoch):
                if low_confidence and kind is MatchKind.EXACT:
                    kind = MatchKind.LOW_CONFIDENCE_READ
                hits.append(Hit(entry=entry, kind=kind, list=compiled.version))
        return hits


@dataclass(frozen=True)
class Refresh:
    """What one check of the version pointers did."""

    loaded: tuple[str, ...]  # sources whose new version was loaded
    dropped: tuple[str, ...]
    versions: tuple[ListVersion, ...]  # every current version


class CurrentLists:
    """A matcher that follows the version pointers: `refresh()` costs one query when nothing changed.

    A changed source is loaded whole and then swapped in, so matching uses the old version or the
    new one, never a mix. Imported lists come from their compiled snapshot, local entries from
    the table.
    """

    def __init__(self, store: HotlistStore) -> None:
        self.store = store
        self.matcher = Matcher()
        self.checked = False

    def refresh(self) -> Refresh:
        versions = self.store.current_versions()
        self.checked = True
        held = self.matcher.versions()
        loaded: list[str] = []
        for version in versions:
            if held.get(version.source) == version.version:
                continue
            if version.snapshot_key:
                compiled = CompiledList(version, self.store.get_snapshot(version.snapshot_key))
            else:
                compiled = CompiledList.build(version, self.store.local_entries())
            self.matcher.replace(compiled)
            loaded.append(version.source)
        current = {v.source for v in versions}
        dropped = [source for source in held if source not in current]
        for source in dropped:
            self.matcher.drop(source)
        return Refresh(loaded=tuple(loaded), dropped=tuple(dropped), versions=tuple(versions))
