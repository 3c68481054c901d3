"""The in-memory PersonnelStore and ProposalStore for unit tests: the ports of alpr.adapters.personnel, in dicts."""

from __future__ import annotations

from datetime import datetime

from alpr.domain.account_proposals import Proposal, ProposalStatus
from alpr.domain.errors import Conflict
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


class MemoryProposalStore:
    """The account proposals in memory; a decision writes its account to `personnel` as one step."""

    def __init__(self, personnel: MemoryPersonnelStore) -> None:
        self.personnel = personnel
        self.proposals: dict[str, Proposal] = {}

    def add(self, proposal: Proposal) -> None:
        assert proposal.proposal_id not in self.proposals
        self.proposals[proposal.proposal_id] = proposal

    def get(self, proposal_id: str) -> Proposal | None:
        return self.proposals.get(proposal_id)

    def pending(self) -> list[Proposal]:
        return sorted(
            (p for p in self.proposals.values() if p.status is ProposalStatus.PENDING),
            key=lambda p: p.proposal_id,
        )

    def decide(self, decided: Proposal, effect: PersonnelRecord | None) -> None:
        if self.proposals[decided.proposal_id].status is not ProposalStatus.PENDING:
            raise Conflict(f"proposal {decided.proposal_id} is already decided")
        self.proposals[decided.proposal_id] = decided
        if effect is not None:
            self.personnel.put(effect)
