"""/v1/release-requests: written requests from other agencies, and the commander's decision.

The gate has already checked sign-in, role, training and purpose, and logs the call;
these routes do the release's own work. The decision routes take the signed link from
the commander's email (`?link=` on the confirmation page, `link` in the POST body):
the link says which request and which decision; the signed-in user must be a
commander (or the designee, who is in the commander group).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from alpr.api import AUTHENTICATED, web
from alpr.api.access import note_access, note_refusal
from alpr.api.auth import current_caller
from alpr.api.gate import current_grant
from alpr.api.params import UlidPath
from alpr.domain.errors import Forbidden, InvalidRequest
from alpr.domain.links import LinkRefused
from alpr.domain.models import Caller, iso_utc
from alpr.domain.release import ReleaseStatus, ReleaseSummary, ReleaseView, RequestForm
from alpr.services import release as release_service
from alpr.web.session import csrf_matches

router = Router()

LETTER_LINK_SECONDS = 300


class FiledRequest(BaseModel):
    request: ReleaseView
    letter_upload: release_service.LetterTicket | None = Field(
        default=None, description="when no letter_key was given: upload the request letter here"
    )


class DecisionBody(BaseModel):
    link: str = Field(min_length=1, max_length=512, description="the token of the signed link from the email")
    reason: str = Field(default="", max_length=2000, description="required to deny; kept on file")


@router.post(
    "/v1/release-requests",
    summary="File a written request for ALPR data from another agency (policy 439.7)",
    security=AUTHENTICATED,
)
def file_request(form: RequestForm) -> Response[FiledRequest]:
    caller = current_caller(router)
    ticket = None
    if form.letter_key is None:
        ticket = release_service.letter_ticket(caller, "letter")
        form = form.model_copy(update={"letter_key": ticket.key})
    filed = release_service.file_request(caller, form, letter_ticketed=ticket is not None)
    note_access(query={"release_request": filed.request_id}, returned_ids=[filed.request_id])
    body = FiledRequest(request=filed, letter_upload=ticket)
    return Response(
        status_code=HTTPStatus.CREATED,
        content_type=content_types.APPLICATION_JSON,
        body=body,
    )


@router.get(
    "/v1/release-requests", summary="The register of release requests, newest first", security=AUTHENTICATED
)
def list_requests(
    status: Annotated[ReleaseStatus | None, Query(description="only requests with this status")] = None,
) -> list[ReleaseSummary]:
    found = release_service.list_requests(status)
    note_access(
        query={"release_status": status.value if status else "any"},
        returned_ids=[r.request_id for r in found],
    )
    return found


@router.get(
    "/v1/release-requests/<request_id>",
    summary="One release request, as kept on file",
    security=AUTHENTICATED,
)
def get_request(request_id: UlidPath) -> ReleaseView:
    view = release_service.get_request(request_id)
    note_access(query={"release_request": request_id}, returned_ids=[request_id])
    return view


def _caller() -> Caller:
    """The gate's caller: from the authorizer's claims, or on a page from its session or bearer token."""
    grant = current_grant()
    return grant.caller if grant is not None else current_caller(router)


def _refused(message: str) -> Response[str]:
    note_refusal(message)  # logged `refused` with its reason: it reaches the audit's refusals query
    return web.html("This link cannot be used", message=message, status=HTTPStatus.FORBIDDEN)


@router.get(
    "/v1/release-requests/<request_id>/decision",
    summary="The confirmation page a decision link opens (nothing is decided until POST)",
    security=AUTHENTICATED,
)
def confirm_page(
    request_id: UlidPath, link: Annotated[str, Query(min_length=1, max_length=512)]
) -> Response[str]:
    caller = _caller()
    try:
        pending = release_service.check_link(link, caller)
        if pending.link.request_id != request_id:
            raise LinkRefused("this decision link is for another request")
    except Forbidden as refused:
        return _refused(refused.message)
    request = pending.request
    letter = release_service.letter_link(request, LETTER_LINK_SECONDS)
    session = web.current_session()
    note_access(query={"release_request": request_id}, returned_ids=[request_id])
    verb = "Approve" if pending.link.decision == "approve" else "Deny"
    return web.html(
        f"{verb} release request {request.request_id}?",
        template="decision.html",
        request=request,
        form=request.form,
        scope={"start": iso_utc(request.form.scope.start), "end": iso_utc(request.form.scope.end)},
        letter_url=letter,
        letter_minutes=LETTER_LINK_SECONDS // 60,
        decision=pending.link.decision,
        link=link,
        csrf=session.csrf if session else "",
        action=web.page_url(router.current_event.path),
    )


def _decision_fields(event: Any) -> dict[str, Any]:
    raw = event.decoded_body or ""
    content_type = {k.lower(): v for k, v in (event.headers or {}).items()}.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return {k: v[-1] for k, v in parse_qs(raw).items()}
    try:
        fields = json.loads(raw or "{}")
    except json.JSONDecodeError:
        raise InvalidRequest('the body must be JSON: {"link": "…", "reason": "…"}') from None
    if not isinstance(fields, dict):
        raise InvalidRequest('the body must be JSON: {"link": "…", "reason": "…"}')
    return fields


@router.post(
    "/v1/release-requests/<request_id>/decision",
    summary="Approve or deny, with the signed link from the email (commander or designee)",
    security=AUTHENTICATED,
)
def decide(request_id: UlidPath) -> Response[Any]:
    caller = _caller()
    fields = _decision_fields(router.current_event)
    session = web.current_session()
    if session is None:  # an API call with a bearer token (the CLI): JSON in, JSON out
        body = DecisionBody.model_validate(fields)
        if not body.link.startswith(f"{request_id}."):
            raise LinkRefused("this decision link is for another request")
        view = release_service.decide(body.link, caller, body.reason)
        note_access(query={"release_request": request_id}, returned_ids=[request_id])
        return Response(status_code=HTTPStatus.OK, content_type=content_types.APPLICATION_JSON, body=view)
    # The page's form, with the session cookie: the CSRF token must match the session's.
    if not csrf_matches(session, str(fields.get("csrf", ""))):
        return _refused(
            "the form is not from this session (CSRF token missing or wrong); open the link again"
        )
    link, reason = str(fields.get("link", "")), str(fields.get("reason", ""))
    try:
        if not link.startswith(f"{request_id}."):
            raise LinkRefused("this decision link is for another request")
        view = release_service.decide(link, caller, reason)
    except Forbidden as refused:
        return _refused(refused.message)
    except InvalidRequest as invalid:
        return web.html("The decision was not taken", message=invalid.message, status=HTTPStatus.BAD_REQUEST)
    note_access(query={"release_request": request_id}, returned_ids=[request_id])
    verb = "approved" if view.status is not ReleaseStatus.DENIED else "denied"
    return web.html(
        f"Release request {verb}",
        message=f"You {verb} release request {view.request_id}; the decision is on file.",
        request_id=view.request_id,
        status_text=view.status.value,
        status=HTTPStatus.OK,
    )
