"""Account changes that widen access: an administrator proposes, the named approver decides.

Policy 439.4(d) and the State Auditor (report 2019-118) ask for accounts a supervisor approves; CJIS
asks that accounts be authorised by someone other than who keeps them. So a new account (or a
changed one: roles, titles, CLETS authorisation), training that lets a lapsed or untrained account
in, and a reactivation are *proposals*: stored pending with who proposed them, when, what and the
approver they name. Nothing changes in the registry until the named supervisor, or one of the
configured account approvers (the ALPR administrator and the current designee, policy 439.3.1(e)),
approves it with their own signed-in call; then the change and the decision are written together.
Nobody proposes or approves a change to their own account, and the proposer never approves their
own proposal. What narrows access (suspension, separation) is done at once (`alpr.domain.personnel`).

Pure domain: the stores are small protocols, the clock and the ids are passed in.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alpr.domain.errors import Conflict, Forbidden, InvalidRequest
from alpr.domain.models import UtcDatetime
from alpr.domain.personnel import (
    Account,
    PersonnelRecord,
    PersonnelStore,
    StandingPolicy,
    Status,
    TrainingRecord,
    existing_account,
    inactive_since,
    not_own_record,
)
from alpr.names import Group

USERNAME_PATTERN = r"^[A-Za-z0-9._@+-]+$"


class ProposalKind(StrEnum):
    ACCOUNT = "account"  # create an account, or change one (roles, titles, CLETS authorisation)
    TRAINING = "training"  # training on an account without current training: it lets them in
    REACTIVATION = "reactivation"  # a suspended (or unused too long) account made active again


class ProposalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ProposalRequest(BaseModel):
    """`POST /v1/personnel/proposals`: what the administrator proposes, and who is to approve it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str = Field(min_length=1, max_length=128, pattern=USERNAME_PATTERN)
    kind: ProposalKind
    approver: str = Field(
        min_length=1,
        max_length=128,
        description="the supervisor named to approve (an active supervisor of the registry, or a "
        "configured account approver: the ALPR administrator or the current designee)",
    )
    reason: str = Field(min_length=3, max_length=500, description="why, kept with the proposal")
    account: Account | None = Field(default=None, description="the account as it is to be (kind 'account')")
    training: TrainingRecord | None = Field(default=None, description="the training (kind 'training')")

    @model_validator(mode="after")
    def one_change(self) -> ProposalRequest:
        wanted = {ProposalKind.ACCOUNT: "account", ProposalKind.TRAINING: "training"}.get(self.kind)
        given = [name for name in ("account", "training") if getattr(self, name) is not None]
        if given != ([wanted] if wanted else []):
            expected = f"'{wanted}' and nothing else" if wanted else "neither 'account' nor 'training'"
            raise ValueError(f"a '{self.kind.value}' proposal carries {expected}")
        completed, expires = (
            (self.account.training_completed, self.account.training_expires) if self.account else (None, None)
        )
        if completed and expires and expires < completed:
            raise ValueError("training_expires is before training_completed")
        return self


class Proposal(ProposalRequest):
    """A proposal as stored (the AccountProposals table): pending until its approver decides."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    proposal_id: str
    proposed_by: str
    proposed_at: UtcDatetime
    status: ProposalStatus = ProposalStatus.PENDING
    decided_by: str | None = None
    decided_at: UtcDatetime | None = None
    decision_note: str = ""


class Decision(BaseModel):
    """`POST /v1/personnel/proposals/{id}/approve|reject`: a note (required to reject)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    note: str = Field(default="", max_length=500)


class ProposalStore(Protocol):
    def add(self, proposal: Proposal) -> None:
        """Store a new proposal (never over another)."""
        ...

    def get(self, proposal_id: str) -> Proposal | None: ...

    def pending(self) -> list[Proposal]:
        """The proposals nobody has decided yet, oldest first."""
        ...

    def decide(self, decided: Proposal, effect: PersonnelRecord | None) -> None:
        """Record the decision, only if the proposal is still pending (Conflict otherwise), and in the
        same transaction the account it approves (`effect`; None for a rejection)."""
        ...


def may_approve(store: PersonnelStore, username: str, configured_approvers: frozenset[str]) -> str | None:
    """Why `username` may not approve account changes (None when they may): an active supervisor of
    the registry, or one of the configured account approvers with an active account (the gate has
    checked their training when they sign in to decide)."""
    person = store.get(username)
    if person is None or person.status is not Status.ACTIVE:
        return f"'{username}' has no active account in the Personnel registry"
    if username not in configured_approvers and Group.SUPERVISOR not in person.roles:
        return f"'{username}' is neither a supervisor nor a configured account approver"
    return None


def propose(
    store: PersonnelStore,
    proposals: ProposalStore,
    admin: str,
    request: ProposalRequest,
    *,
    proposal_id: str,
    configured_approvers: frozenset[str],
    policy: StandingPolicy,
    now: datetime,
) -> Proposal:
    """Store a pending proposal; the registry is not touched. Refused when it could never be approved."""
    not_own_record(admin, request.username)
    if request.approver in (admin, request.username):
        raise Forbidden("the approver must be someone other than the administrator and the account holder")
    refusal = may_approve(store, request.approver, configured_approvers)
    if refusal:
        raise InvalidRequest(f"approver {refusal}")
    proposal = Proposal(**request.model_dump(), proposal_id=proposal_id, proposed_by=admin, proposed_at=now)
    approved_change(store, proposal, approver=request.approver, policy=policy, now=now)  # valid now?
    proposals.add(proposal)
    return proposal


def decide(
    store: PersonnelStore,
    proposals: ProposalStore,
    decider: str,
    proposal: Proposal,
    *,
    approve: bool,
    decision: Decision,
    configured_approvers: frozenset[str],
    policy: StandingPolicy,
    now: datetime,
) -> tuple[Proposal, PersonnelRecord | None]:
    """Approve (the change takes effect, with the decision, at once) or reject (nothing changes).

    Only the named approver or a configured account approver decides; never the proposer, never the
    account holder; a decided proposal is not decided again."""
    if proposal.status is not ProposalStatus.PENDING:
        raise Conflict(f"proposal {proposal.proposal_id} is already {proposal.status.value}")
    if decider == proposal.proposed_by:
        raise Forbidden("the administrator who proposed a change may not decide it")
    not_own_record(decider, proposal.username)
    if decider != proposal.approver and decider not in configured_approvers:
        raise Forbidden(
            f"proposal {proposal.proposal_id} names '{proposal.approver}' as approver; only they or a "
            "configured account approver may decide it"
        )
    refusal = may_approve(store, decider, configured_approvers)
    if refusal:
        raise Forbidden(refusal)
    if not approve and len(decision.note.split()) < 3:
        raise InvalidRequest("a rejection needs a note of at least three words saying why")
    effect = approved_change(store, proposal, approver=decider, policy=policy, now=now) if approve else None
    decided = proposal.model_copy(
        update={
            "status": ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED,
            "decided_by": decider,
            "decided_at": now,
            "decision_note": decision.note,
        }
    )
    proposals.decide(decided, effect)
    return decided, effect


def approved_change(
    store: PersonnelStore, proposal: Proposal, *, approver: str, policy: StandingPolicy, now: datetime
) -> PersonnelRecord:
    """The account as it is once the proposal is approved by `approver` now (the registry unchanged);
    refused when the account's state no longer allows it."""
    approval = {
        "approved_by": approver,
        "approved_at": now,
        "proposal_id": proposal.proposal_id,
        "updated_at": now,
        "updated_by": proposal.proposed_by,
    }
    existing = store.get(proposal.username)
    if existing is not None and existing.status is Status.SEPARATED:
        raise Forbidden(f"account '{proposal.username}' is separated: propose a new account instead")
    if proposal.kind is ProposalKind.ACCOUNT:
        assert proposal.account is not None  # the request's validator
        return PersonnelRecord(
            username=proposal.username,
            **proposal.account.model_dump(),
            status=existing.status if existing else Status.ACTIVE,
            status_reason=existing.status_reason if existing else "",
            last_active=existing.last_active if existing else None,
            created_at=existing.created_at if existing else now,
            **approval,
        )
    person = existing_account(store, proposal.username)
    if proposal.kind is ProposalKind.TRAINING:
        assert proposal.training is not None
        expires = proposal.training.expiry(policy)
        return person.model_copy(
            update={
                "training_completed": proposal.training.completed,
                "training_expires": expires,
                **approval,
            }
        )
    if person.status is Status.ACTIVE and inactive_since(person, policy, now) is None:
        raise InvalidRequest(f"account '{proposal.username}' is active: there is nothing to reactivate")
    # Reactivating restarts the inactivity clock, or the account would be suspended again at once.
    return person.model_copy(
        update={
            "status": Status.ACTIVE,
            "status_reason": f"reactivated: {proposal.reason}",
            "last_active": now,
            **approval,
        }
    )
