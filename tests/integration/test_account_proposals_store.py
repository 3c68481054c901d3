"""The account proposals in DynamoDB (moto): pending until decided, and a decision written with its account
in one transaction, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alpr.adapters.personnel import DynamoProposalStore
from alpr.domain.account_proposals import Proposal, ProposalKind, ProposalStatus
from alpr.domain.errors import Conflict
from alpr.domain.personnel import Account, PersonnelRecord
from alpr.names import Group
from alpr.services.container import container
from tests.integration.conftest import Stack

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def pending(proposal_id: str, username: str = "dana") -> Proposal:
    return Proposal(
        proposal_id=proposal_id,
        username=username,
        kind=ProposalKind.ACCOUNT,
        approver="supervisor",
        reason="joins the burglary unit",
        account=Account(
            full_name="Dana D.", job_title="Detective", organisation="PD", roles=[Group.INVESTIGATOR]
        ),
        proposed_by="admin",
        proposed_at=NOW,
    )


def account(proposal: Proposal) -> PersonnelRecord:
    assert proposal.account is not None
    return PersonnelRecord(
        username=proposal.username,
        **proposal.account.model_dump(),
        approved_by="supervisor",
        approved_at=NOW,
        proposal_id=proposal.proposal_id,
        created_at=NOW,
        updated_at=NOW,
        updated_by="admin",
    )


@pytest.fixture
def store(stack: Stack) -> DynamoProposalStore:  # the stack fixture seeds the registry
    return container().account_proposals


def test_a_proposal_is_stored_pending_and_listed_oldest_first(store: DynamoProposalStore) -> None:
    second, first = pending("01KPROPOSAL000000000000002"), pending("01KPROPOSAL000000000000001", "eli")
    store.add(second)
    store.add(first)
    assert store.get(first.proposal_id) == first
    assert [p.proposal_id for p in store.pending()] == [first.proposal_id, second.proposal_id]
    with pytest.raises(Exception, match="ConditionalCheckFailed"):
        store.add(second)  # never over another


def test_an_approval_writes_the_decision_and_the_account_together_and_only_once(
    store: DynamoProposalStore,
) -> None:
    proposal = pending("01KPROPOSAL000000000000003")
    store.add(proposal)
    approved = proposal.model_copy(
        update={"status": ProposalStatus.APPROVED, "decided_by": "supervisor", "decided_at": NOW}
    )
    store.decide(approved, account(proposal))
    assert store.get(proposal.proposal_id) == approved
    assert container().personnel.get("dana") == account(proposal)
    assert store.pending() == []

    # A second decision (a stale copy, a double click) is refused and changes nothing
    later = account(proposal).model_copy(
        update={"full_name": "Someone Else", "updated_at": NOW + timedelta(hours=1)}
    )
    with pytest.raises(Conflict, match="decided meanwhile"):
        store.decide(approved.model_copy(update={"decided_by": "commander"}), later)
    assert container().personnel.get("dana") == account(proposal)
    assert store.get(proposal.proposal_id) == approved


def test_a_rejection_touches_no_account(store: DynamoProposalStore) -> None:
    proposal = pending("01KPROPOSAL000000000000004", "investigator")
    before = container().personnel.get("investigator")
    store.add(proposal)
    store.decide(
        proposal.model_copy(update={"status": ProposalStatus.REJECTED, "decided_by": "supervisor"}), None
    )
    assert container().personnel.get("investigator") == before
    assert store.get(proposal.proposal_id).status is ProposalStatus.REJECTED  # type: ignore[union-attr]
