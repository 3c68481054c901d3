"""The in-memory PersonnelStore for unit tests: the port of alpr.adapters.personnel, in dicts."""

from __future__ import annotations

from datetime import datetime

from alpr.domain.personnel import PersonnelRecord, Status


class MemoryPersonnelStore:
    """The same port in memory (unit tests)."""

    def __init__(self, *records: PersonnelRecord) -> None:
        self.records = {r.username: r for r in records}

    def get(self, username: str) -> PersonnelRecord | None:
        return self.records.get(username)

    def put(self, record: PersonnelRecord) -> None:
        self.records[record.username] = record

    def all(self) -> list[PersonnelRecord]:
        return [self.records[k] for k in sorted(self.records)]

    def touch(self, username: str, at: datetime) -> None:
        self.records[username] = self.records[username].model_copy(update={"last_active": at})

    def set_status(self, username: str, status: Status, reason: str, at: datetime, by: str) -> None:
        self.records[username] = self.records[username].model_copy(
            update={"status": status, "status_reason": reason, "updated_at": at, "updated_by": by}
        )
