"""The in-memory HotlistStore for unit tests: the port of alpr.adapters.hotlist, in dicts."""

from __future__ import annotations

from collections.abc import Sequence

from alpr.adapters.hotlist import snapshot_key
from alpr.domain.hotlist import LOCAL_SOURCE, HotlistEntry, ListVersion, VersionConflict
from alpr.names import (
    HOTLIST_SNAPSHOT_PREFIX,
)

ENTRY_PREFIX = "entry#"
REMOVED_PREFIX = "removed#"  # a removed local entry, kept with who removed it (not matched, not listed)


class MemoryHotlistStore:
    """The same port in dicts, for unit tests and the benchmark."""

    def __init__(self) -> None:
        self.versions: dict[str, ListVersion] = {}
        self.snapshots: dict[str, bytes] = {}
        self.entries: dict[str, HotlistEntry] = {}
        self.removed: dict[str, HotlistEntry] = {}
        self.version_checks = 0

    def current_versions(self) -> list[ListVersion]:
        self.version_checks += 1
        return list(self.versions.values())

    def current_version(self, source: str) -> ListVersion | None:
        return self.versions.get(source)

    def put_snapshot(self, source: str, version: str, data: bytes) -> str:
        key = snapshot_key(source, version)
        self.snapshots[key] = data
        return key

    def get_snapshot(self, key: str) -> bytes:
        return self.snapshots[key]

    def delete_snapshots(self, source: str, keep: Sequence[str]) -> int:
        keep_keys = {snapshot_key(source, v) for v in keep}
        stale = [
            k
            for k in self.snapshots
            if k.startswith(f"{HOTLIST_SNAPSHOT_PREFIX}{source}/") and k not in keep_keys
        ]
        for key in stale:
            del self.snapshots[key]
        return len(stale)

    def flip(self, new: ListVersion, expected: str | None) -> None:
        current = self.versions.get(new.source)
        if (current.version if current else None) != expected:
            raise VersionConflict(f"another import of {new.source} finished first; import the file again")
        self.versions[new.source] = new

    def _move(self, version: ListVersion, change: int) -> None:
        current = self.versions.get(LOCAL_SOURCE)
        self.versions[LOCAL_SOURCE] = version.model_copy(
            update={"entries": (current.entries if current else 0) + change}
        )

    def put_local_entry(self, entry: HotlistEntry, version: ListVersion) -> None:
        self.entries[entry.entry_id] = entry
        self._move(version, 1)

    def delete_local_entry(
        self, entry_id: str, version: ListVersion, removed: HotlistEntry
    ) -> HotlistEntry | None:
        gone = self.entries.pop(entry_id, None)
        if gone is not None:
            self._move(version, -1)
            self.removed[entry_id] = removed
        return gone

    def removed_entries(self) -> list[HotlistEntry]:
        return list(self.removed.values())

    def local_entries(self) -> list[HotlistEntry]:
        return list(self.entries.values())
