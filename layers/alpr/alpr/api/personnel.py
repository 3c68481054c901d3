"""/v1/personnel: the Personnel registry, kept by administrators; what widens access is proposed and
then decided by the approver the proposal names, signed in (`alpr.domain.account_proposals`).

The gate has already checked the caller's role (`personnel:read`, `personnel:admin` or
`personnel:approve`) and logs the call; these routes only do the registry's work.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from alpr.api import AUTHENTICATED
from alpr.api.access import note_access
from alpr.api.gate import access_policy, current_grant
from alpr.domain.account_proposals import Decision, Proposal, ProposalRequest, decide, propose
from alpr.domain.errors import NotFound, Unauthenticated
from alpr.domain.ids import new_ulid
from alpr.domain.personnel import (
    PersonnelRecord,
    StatusChange,
    TrainingRecord,
    change_status,
    record_training,
)
from alpr.services.container import container

router = Router()

Username = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._@+-]+$")]
ProposalId = Annotated[str, Path(min_length=26, max_length=26, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]


def _admin() -> str:
    """The signed-in caller (an administrator proposing, or the approver deciding)."""
    grant = current_grant()
    if grant is None:  # the gate always sets it on these routes
        raise Unauthenticated("authentication required")
    return grant.caller.username


@router.get("/v1/personnel", summary="Every account of the Personnel registry", security=AUTHENTICATED)
def list_personnel() -> list[PersonnelRecord]:
    people = container().personnel.all()
    note_access(returned_ids=[p.username for p in people])
    return people


@router.get("/v1/personnel/<username>", summary="One account", security=AUTHENTICATED)
def get_person(username: Username) -> PersonnelRecord:
    person = container().personnel.get(username)
    if person is None:
        raise NotFound(f"no account '{username}' in the Personnel registry")
    note_access(returned_ids=[username])
    return person


@router.post(
    "/v1/personnel/<username>/training",
    summary="Record a refresher for current training (training that would let someone in is proposed)",
    security=AUTHENTICATED,
)
def post_training(username: Username, training: Annotated[TrainingRecord, Body()]) -> PersonnelRecord:
    person = record_training(
        container().personnel, _admin(), username, training, access_policy().standing, container().clock.now()
    )
    note_access(query={"training_completed": str(person.training_completed)})
    return person


@router.post(
    "/v1/personnel/<username>/status",
    summary="Suspend or separate an account at once (a reactivation is proposed)",
    security=AUTHENTICATED,
)
def post_status(username: Username, change: Annotated[StatusChange, Body()]) -> PersonnelRecord:
    person = change_status(container().personnel, _admin(), username, change, container().clock.now())
    note_access(query={"status": person.status.value, "reason": change.reason})
    return person


@router.post(
    "/v1/personnel/proposals",
    summary="Propose an account change that widens access (new or changed account, training, reactivation); "
    "nothing changes until the approver it names approves it",
    security=AUTHENTICATED,
)
def post_proposal(request: Annotated[ProposalRequest, Body()]) -> Proposal:
    proposal = propose(
        container().personnel,
        container().account_proposals,
        _admin(),
        request,
        proposal_id=new_ulid(container().clock),
        configured_approvers=container().config.administration.account_approvers,
        policy=access_policy().standing,
        now=container().clock.now(),
    )
    note_access(query=_described(proposal), returned_ids=[proposal.proposal_id])
    return proposal


@router.get(
    "/v1/personnel/proposals", summary="The proposals awaiting their approver", security=AUTHENTICATED
)
def list_pending() -> list[Proposal]:
    pending = container().account_proposals.pending()
    note_access(returned_ids=[p.proposal_id for p in pending])
    return pending


@router.get("/v1/personnel/proposals/<proposal_id>", summary="One proposal", security=AUTHENTICATED)
def get_proposal(proposal_id: ProposalId) -> Proposal:
    proposal = _proposal(proposal_id)
    note_access(query=_described(proposal), returned_ids=[proposal_id])
    return proposal


@router.post(
    "/v1/personnel/proposals/<proposal_id>/approve",
    summary="Approve a proposal that names you (or any, as a configured account approver): it takes effect",
    security=AUTHENTICATED,
)
def approve(proposal_id: ProposalId, decision: Annotated[Decision, Body()]) -> Proposal:
    return _decide(proposal_id, decision, approve=True)


@router.post(
    "/v1/personnel/proposals/<proposal_id>/reject",
    summary="Reject a proposal that names you, with a note saying why: nothing changes",
    security=AUTHENTICATED,
)
def reject(proposal_id: ProposalId, decision: Annotated[Decision, Body()]) -> Proposal:
    return _decide(proposal_id, decision, approve=False)


def _decide(proposal_id: str, decision: Decision, *, approve: bool) -> Proposal:
    proposal = _proposal(proposal_id)
    note_access(query=_described(proposal), returned_ids=[proposal_id])  # a refusal is logged with it too
    decided, _ = decide(
        container().personnel,
        container().account_proposals,
        _admin(),
        proposal,
        approve=approve,
        decision=decision,
        configured_approvers=container().config.administration.account_approvers,
        policy=access_policy().standing,
        now=container().clock.now(),
    )
    note_access(query={"decision": decided.status.value})
    return decided


def _proposal(proposal_id: str) -> Proposal:
    proposal = container().account_proposals.get(proposal_id)
    if proposal is None:
        raise NotFound(f"no account proposal '{proposal_id}'")
    return proposal


def _described(proposal: Proposal) -> dict[str, object]:
    """What the access record keeps of a proposal: whose account, which change, who proposed and approves."""
    return {
        "proposal": proposal.proposal_id,
        "username": proposal.username,
        "kind": proposal.kind.value,
        "proposed_by": proposal.proposed_by,
        "approver": proposal.approver,
    }
