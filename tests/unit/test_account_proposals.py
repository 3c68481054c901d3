"""Account changes that widen access, pure: proposed by an administrator, decided by the named approver."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from alpr.domain.account_proposals import (
    Decision,
    Proposal,
    ProposalKind,
    ProposalRequest,
    ProposalStatus,
    decide,
    propose,
)
from alpr.domain.errors import Conflict, Forbidden, InvalidRequest
from alpr.domain.personnel import Account, PersonnelRecord, StandingPolicy, Status, TrainingRecord
from alpr.names import Group
from tests.fakes.personnel import MemoryPersonnelStore, MemoryProposalStore
from tests.unit.personnel_records import account as record

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
POLICY = StandingPolicy()
CONFIGURED = frozenset({"casey"})  # the ALPR administrator named in configuration (a commander)


@pytest.fixture
def people() -> MemoryPersonnelStore:
    return MemoryPersonnelStore(
        record("sam", [Group.SUPERVISOR]),
        record("sue", [Group.SUPERVISOR]),
        record("casey", [Group.COMMANDER]),
        record("ada", [Group.ADMINISTRATOR]),
        record("abe", [Group.ADMINISTRATOR, Group.SUPERVISOR]),
        record("ivy", [Group.INVESTIGATOR]),
        record("old-sup", [Group.SUPERVISOR], status=Status.SUSPENDED),
        record("uma", [Group.INVESTIGATOR], training_completed=None),
        record("gone", [Group.INVESTIGATOR], status=Status.SEPARATED),
    )


@pytest.fixture
def proposals(people: MemoryPersonnelStore) -> MemoryProposalStore:
    return MemoryProposalStore(people)


DANA = Account(
    full_name="Dana Detective",
    job_title="Detective",
    organisation="PD",
    roles=[Group.INVESTIGATOR],
    training_completed=date(2026, 10, 1),
)


def request(username: str = "dana", **changes: object) -> ProposalRequest:
    fields: dict[str, object] = {
        "username": username,
        "kind": ProposalKind.ACCOUNT,
        "approver": "sam",
        "reason": "new detective in the burglary unit",
        "account": DANA,
    }
    return ProposalRequest.model_validate({**fields, **changes})


def proposed(
    people: MemoryPersonnelStore, proposals: MemoryProposalStore, req: ProposalRequest, admin: str = "ada"
) -> Proposal:
    return propose(
        people,
        proposals,
        admin,
        req,
        proposal_id=f"P{len(proposals.proposals):03d}",
        configured_approvers=CONFIGURED,
        policy=POLICY,
        now=NOW,
    )


def decided(
    people: MemoryPersonnelStore,
    proposals: MemoryProposalStore,
    decider: str,
    proposal: Proposal,
    approve: bool = True,
    note: str = "",
) -> tuple[Proposal, PersonnelRecord | None]:
    return decide(
        people,
        proposals,
        decider,
        proposals.get(proposal.proposal_id) or proposal,
        approve=approve,
        decision=Decision(note=note),
        configured_approvers=CONFIGURED,
        policy=POLICY,
        now=LATER,
    )


def test_a_proposed_account_does_not_exist_until_the_named_supervisor_approves_it(
    people: MemoryPersonnelStore, proposals: MemoryProposalStore
) -> None:
    proposal = proposed(people, proposals, request())
    assert (proposal.status, proposal.proposed_by, proposal.approver) == (
        ProposalStatus.PENDING,
        "ada",
        "sam",
    )
    assert people.get("dana") is None
    assert proposals.pending() == [proposal]

    approved, account = decided(people, proposals, "sam", proposal)

    assert approved.status is ProposalStatus.APPROVED and approved.decided_by == "sam"
    assert account is not None and people.get("dana") == account
    assert (account.approved_by, account.approved_at, account.updated_by, account.proposal_id) == (
        "sam",
        LATER,
        "ada",
        proposal.proposal_id,
    )
    assert proposals.pending() == []


def test_a_rejected_proposal_changes_nothing_and_needs_a_reason(
    people: MemoryPersonnelStore, proposals: MemoryProposalStore
) -> None:
    before = people.get("ivy")
    proposal = proposed(
        people, proposals, request("ivy", account=DANA.model_copy(update={"roles": [Group.SUPERVISOR]}))
    )
    with pytest.raises(InvalidRequest, match="three words"):
        decided(people, proposals, "sam", proposal, approve=False, note="no")
    rejected, effect = decided(people, proposals, "sam", proposal, approve=False, note="not a supervisor yet")
    assert (rejected.status, effect, people.get("ivy")) == (ProposalStatus.REJECTED, None, before)
    with pytest.raises(Conflict, match="already rejected"):
        decided(people, proposals, "sam", rejected)
    assert people.get("ivy") == before


def test_the_proposer_never_approves_their_own_proposal(
    people: MemoryPersonnelStore, proposals: MemoryProposalStore
) -> None:
    # abe is both administrator and supervisor: he may propose, naming another approver, but not decide it
    proposal = proposed(people, proposals, request(approver="sam"), admin="abe")
    with pytest.raises(Forbidden, match="proposed a change may not decide it"):
        decided(people, proposals, "abe", proposal)
    with pytest.raises(Forbidden, match="other than the administrator"):
        proposed(people, proposals, request("dan", approver="abe"), admin="abe")
    assert people.get("dana") is None and people.get("dan") is None


def test_nobody_proposes_or_approves_a_change_to_their_own_account(
    people: MemoryPersonnelStore, proposals: MemoryProposalStore
) -> None:
    with pytest.raises(Forbidden, match="their own account"):
        proposed(
            people, proposals, request("ada", account=DANA.model_copy(update={"roles": [Group.COMMANDER]}))
        )
    with pytest.raises(Forbidden, match="other than the administrator and the account holder"):
        proposed(people, proposals, request("sam", approver="sam"))
    # the configured approver may decide proposals naming others, but not one about their own account
    own = proposed(
        people,
        proposals,
        request("casey", kind="training", account=None, training={"completed": "2026-11-01"}),
    )
    with pytest.raises(Forbidden, match="their own account"):
        decided(people, proposals, "casey", own)
    assert people.get("casey").training_completed == date(2026, 1, 1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("approver", "words"),
    [
        ("ivy", "neither a supervisor nor a configured account approver"),
        ("old-sup", "no active account"),
        ("nobody", "no active account"),
    ],
)
def test_the_named_approver_is_an_active_supervisor_or_configured(
    people: MemoryPersonnelStore, proposals: MemoryProposalStore, approver: str, words: str
) -> None:
    with pytest.raises(InvalidRequest, match=words):
        proposed(people, proposals, request(approver=approver))
    assert proposals.proposals == {}
    assert proposed(people, proposals, request(approver="casey")).approver == "casey"  # configured


def test_only_the_named_approver_or_a_configured_approver_decides(
    people: MemoryPersonnelStore, proposals: MemoryProposalStore
) -> None:
    first = proposed(people, proposals, request())
    with pytest.raises(Forbidden, match="names 'sam' as approver"):
        decided(people, proposals, "sue", first)  # another supervisor, not the one named
    assert people.get("dana") is None
    _, account = decided(people, proposals, "casey", first)  # the ALPR administrator (configured)
    assert account is not None and account.approved_by == "casey"


def test_training_proposal_lets_an_untrained_member_in_once_approved(
    people: MemoryPersonnelStore, proposals: MemoryProposalStore
) -> None:
    proposal = proposed(
        people,
        proposals,
        request("uma", kind="training", account=None, training=TrainingRecord(completed=date(2026, 11, 20))),
    )
    assert people.get("uma").training_completed is None  # type: ignore[union-attr]
    _, account = decided(people, proposals, "sam", proposal)
    assert account is not None
    assert (account.training_completed, account.training_expires) == (date(2026, 11, 20), date(2027, 11, 20))


def test_reactivation_is_approved_and_restarts_the_inactivity_clock(
    people: MemoryPersonnelStore, proposals: MemoryProposalStore
) -> None:
    with pytest.raises(InvalidRequest, match="nothing to reactivate"):
        proposed(people, proposals, request("ivy", kind="reactivation", account=None))
    people.set_status("ivy", Status.SUSPENDED, "unused 91 days", NOW, by="access-gate")
    proposal = proposed(
        people, proposals, request("ivy", kind="reactivation", account=None, reason="back from leave")
    )
    assert people.get("ivy").status is Status.SUSPENDED  # type: ignore[union-attr]
    _, account = decided(people, proposals, "sam", proposal)
    assert account is not None
    assert (account.status, account.last_active, account.status_reason) == (
        Status.ACTIVE,
        LATER,
        "reactivated: back from leave",
    )


def test_a_separated_account_is_never_reactivated_nor_replaced(
    people: MemoryPersonnelStore, proposals: MemoryProposalStore
) -> None:
    with pytest.raises(Forbidden, match="separated"):
        proposed(people, proposals, request("gone", kind="reactivation", account=None))
    with pytest.raises(Forbidden, match="separated"):
        proposed(people, proposals, request("gone"))


def test_an_account_separated_while_its_proposal_waits_is_not_revived(
    people: MemoryPersonnelStore, proposals: MemoryProposalStore
) -> None:
    proposal = proposed(
        people, proposals, request("ivy", account=DANA.model_copy(update={"full_name": "Ivy I."}))
    )
    people.set_status("ivy", Status.SEPARATED, "resigned", NOW, by="ada")
    with pytest.raises(Forbidden, match="separated"):
        decided(people, proposals, "sam", proposal)
    assert proposals.pending() == [proposal] and people.get("ivy").status is Status.SEPARATED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "training"},  # an account where training is expected
        {"kind": "reactivation"},  # a reactivation carries nothing
        {"training": {"completed": "2026-11-01"}},  # both
        {"account": {**DANA.model_dump(mode="json"), "training_expires": "2026-01-01"}},  # before completion
        {"approved_by": "sam"},  # the approver is a signed-in call now, never a typed name
    ],
)
def test_a_malformed_proposal_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        request("dana", **changes)
