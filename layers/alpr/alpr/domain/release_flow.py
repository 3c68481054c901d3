"""The steps of a release request's life, each one a recorded status change.

Pure over a `ReleaseStore` and a `Clock`: the Step Functions tasks and the API call
these; who calls which step is the state machine's business (statemachines/).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from alpr.domain.access import AccessRecord
from alpr.domain.clock import Clock
from alpr.domain.errors import InvalidRequest, NotFound
from alpr.domain.ids import new_ulid
from alpr.domain.links import DecisionLink, check_current, new_nonce
from alpr.domain.models import Caller
from alpr.domain.release import (
    AWAITING,
    FINAL,
    RULE_NO_DECISION,
    Assessment,
    DecisionRecord,
    LinkRound,
    Manifest,
    ReleaseRequest,
    ReleaseStatus,
    ReleaseStore,
    RequestForm,
    Round,
    assess,
    require_awaiting,
    require_decider,
    require_letter_to_approve,
    require_named_decider,
    require_not_filer,
)

WORKFLOW = "workflow"


def load(store: ReleaseStore, request_id: str) -> ReleaseRequest:
    request = store.get(request_id)
    if request is None:
        raise NotFound(f"no release request {request_id}")
    return request


def file_request(
    store: ReleaseStore,
    clock: Clock,
    caller: Caller,
    form: RequestForm,
    execution_arn: Callable[[str], str] | None = None,
) -> ReleaseRequest:
    """Keep the written request on file (status `received`); the workflow checks it next.

    The execution that will run it is named on the request from the start (`execution_arn`
    maps a request id to it): a second write after the start would race the workflow's own."""
    now = clock.now()
    request_id = new_ulid(clock)
    request = ReleaseRequest(
        request_id=request_id,
        received_at=now,
        received_by=caller.username,
        form=form,
        status=ReleaseStatus.RECEIVED,
        history=[],
        execution_arn=execution_arn(request_id) if execution_arn else None,
    )
    request.change(ReleaseStatus.RECEIVED, now, caller.username, note="written request filed")
    store.create(request)
    return request


def validate(store: ReleaseStore, clock: Clock, request_id: str) -> Assessment:
    """Apply the rules to a received request and record the outcome with the rule cited."""
    request = load(store, request_id)
    assessment = assess(request.form)
    if request.status is not ReleaseStatus.RECEIVED:
        # A retried task: the outcome is already on file.
        return Assessment(
            status=request.status, rule=request.rule or assessment.rule, reason="already assessed"
        )
    request.change(assessment.status, clock.now(), WORKFLOW, note=assessment.reason, rule=assessment.rule)
    store.save(request)
    return assessment


@dataclass(frozen=True)
class OpenedRound:
    request: ReleaseRequest
    approve: DecisionLink
    deny: DecisionLink


def open_round(
    store: ReleaseStore,
    clock: Clock,
    request_id: str,
    round: Round,
    recipient: str,
    timeout_seconds: int,
    *,
    decider: str = "",
) -> OpenedRound:
    """Fresh links for the commander (or, on escalation, the designee); older links stop working.

    `decider` names the one user the links are for (the configured designee); empty: any commander."""
    if timeout_seconds <= 0:
        raise InvalidRequest("the decision time limit must be positive")
    request = load(store, request_id)
    if request.status not in {ReleaseStatus.PENDING, *AWAITING}:
        raise InvalidRequest(f"release request {request_id} is {request.status.value}: no decision is asked")
    now = clock.now()
    expires_at = int((now + timedelta(seconds=timeout_seconds)).timestamp())
    links = LinkRound(
        round=round,
        recipient=recipient,
        approve_nonce=new_nonce(),
        deny_nonce=new_nonce(),
        expires_at=expires_at,
        sent_at=now,
        decider=decider,
    )
    request.links = links
    status = ReleaseStatus.AWAITING_COMMANDER if round == "commander" else ReleaseStatus.AWAITING_DESIGNEE
    note = f"decision links sent to the {round} ({recipient})"
    if decider:
        note = f"{note}, for {decider} alone"
    if round == "designee":
        note = f"no decision by the commander in time: escalated; {note}"
    request.change(status, now, WORKFLOW, note=note)
    saved = store.save(request)
    return OpenedRound(
        request=saved,
        approve=DecisionLink(request_id, "approve", expires_at, links.approve_nonce),
        deny=DecisionLink(request_id, "deny", expires_at, links.deny_nonce),
    )


def decide(
    store: ReleaseStore,
    clock: Clock,
    link: DecisionLink,
    caller: Caller,
    reason: str = "",
    *,
    letter_on_file: bool = False,
) -> ReleaseRequest:
    """Record the commander's decision from a verified link; the link is spent in the same write.

    Approval needs the written request on file (`letter_on_file`); the filer never decides."""
    require_decider(caller.groups, caller.username)
    request = load(store, link.request_id)
    current = check_current(request, link)
    require_awaiting(request)
    require_named_decider(current, caller.username)
    require_not_filer(request, caller.username)
    require_letter_to_approve(link.decision, letter_on_file)
    if link.decision == "deny" and not reason.strip():
        raise InvalidRequest("a denial needs a reason; it is kept on file and told to the requester")
    now = clock.now()
    request.links = current.model_copy(update={"used": True})
    request.decision = DecisionRecord(
        decision=link.decision, by=caller.username, at=now, round=current.round, reason=reason.strip()
    )
    status = ReleaseStatus.APPROVED if link.decision == "approve" else ReleaseStatus.DENIED
    request.change(
        status, now, caller.username, note=reason.strip() or f"{link.decision}d by the {current.round}"
    )
    return store.save(request)


def undo_decision(store: ReleaseStore, clock: Clock, request_id: str, why: str) -> ReleaseRequest:
    """The workflow did not take the decision (it timed out meanwhile): put the request back as it was."""
    request = load(store, request_id)
    if request.decision is None or request.links is None:
        return request
    back = (
        ReleaseStatus.AWAITING_COMMANDER
        if request.links.round == "commander"
        else ReleaseStatus.AWAITING_DESIGNEE
    )
    request.decision = None
    request.links = request.links.model_copy(update={"used": False})
    request.change(back, clock.now(), WORKFLOW, note=f"decision not delivered: {why}")
    return store.save(request)


def expire(store: ReleaseStore, clock: Clock, request_id: str) -> ReleaseRequest:
    """Nobody decided in time, commander nor designee: close as `no_decision`."""
    request = load(store, request_id)
    if request.status in FINAL:
        return request
    if request.links is not None:
        request.links = request.links.model_copy(update={"used": True})
    request.change(
        ReleaseStatus.NO_DECISION, clock.now(), WORKFLOW, note="no decision in time", rule=RULE_NO_DECISION
    )
    return store.save(request)


def restart(store: ReleaseStore, clock: Clock, request_id: str, why: str) -> bool:
    """Prepare a request whose workflow execution was lost for a new one; True if it needs one.

    A request not yet checked starts over as it is. One waiting for a decision goes back to
    `pending` (the rules were applied) without links, so the links of the lost round stop working
    and the new execution asks the commander afresh. An approved request lost its fulfilment
    midway: it is recorded as failed, with why, rather than released twice or half.
    """
    request = load(store, request_id)
    if request.status is ReleaseStatus.RECEIVED:
        return True
    if request.status in {ReleaseStatus.PENDING, *AWAITING}:
        request.links = None
        request.change(ReleaseStatus.PENDING, clock.now(), WORKFLOW, note=f"asked again: {why}")
        store.save(request)
        return True
    if request.status is ReleaseStatus.APPROVED:
        record_failure(
            store, clock, request_id, f"approved, but {why} before it was fulfilled: file it again"
        )
    return False


def record_fulfilment(
    store: ReleaseStore, clock: Clock, request_id: str, manifest: Manifest
) -> ReleaseRequest:
    request = load(store, request_id)
    if request.status is ReleaseStatus.FULFILLED:
        return request
    if request.status is not ReleaseStatus.APPROVED:
        raise InvalidRequest(
            f"release request {request_id} is {request.status.value}: only an approved one is fulfilled"
        )
    request.manifest = manifest
    request.change(
        ReleaseStatus.FULFILLED,
        clock.now(),
        WORKFLOW,
        note=f"bundle of {len(manifest.read_ids)} reads, {len(manifest.files)} files released",
    )
    return store.save(request)


def record_failure(store: ReleaseStore, clock: Clock, request_id: str, error: str) -> ReleaseRequest:
    request = load(store, request_id)
    request.change(ReleaseStatus.FAILED, clock.now(), WORKFLOW, note=error[:500])
    return store.save(request)


def disclosure_record(
    request: ReleaseRequest, manifest: Manifest, event_id: str, at: datetime
) -> AccessRecord:
    """The access-log entry of a release: who received what, under which request, approved by whom."""
    form = request.form
    approver = request.decision.by if request.decision else None
    return AccessRecord(
        event_id=event_id,
        time=at,
        username=approver,
        full_name=None,
        organisation=None,
        role="commander",
        roles=["commander"],
        action="release:disclose",
        method="WORKFLOW",
        route="release_fulfil",
        query={
            "release_request": request.request_id,
            "recipient_agency": form.agency_name,
            "recipient_ori": form.agency_ori,
            "recipient": f"{form.requester.name} <{form.requester.email}>",
            "scope": form.scope.model_dump(mode="json"),
            "bundle": f"s3://{manifest.bucket}/{manifest.prefix}",
        },
        returned_ids=manifest.read_ids,
        returned_count=len(manifest.read_ids),
        purpose_category="release",
        case_number=form.case_number or None,
        purpose_text=form.purpose,
        outcome="allowed",
        reason=f"disclosure to {form.agency_name} under release request {request.request_id} (policy 439.7)",
        status=200,
        source_ip=None,
        request_id=request.request_id,
    )
