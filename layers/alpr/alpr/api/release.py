"""/v1/release-requests: written requests from other agencies, and the commander's decision.

The gate has already checked sign-in, role, training and purpose, and logs the call;
these routes do the release's own work. The decision routes take the signed link from
the commander's email (`?link=` on the confirmation page, `link` in the POST body):
the link says which request and which decision; the signed-in user must be a
commander (or the designee, who is in the commander group).
"""

from __future__ import annotations

import html
import json
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from alpr.api import AUTHENTICATED
from alpr.api.access import note_access
from alpr.api.auth import current_caller
from alpr.domain.errors import InvalidRequest
from alpr.domain.links import LinkRefused
from alpr.domain.models import iso_utc
from alpr.domain.release import ReleaseSummary, ReleaseView, RequestForm, Status
from alpr.services import release as release_service

router = Router()

RequestId = Annotated[str, Path(min_length=26, max_length=26, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]


class FiledRequest(BaseModel):
    request: ReleaseView
    letter_upload: release_service.LetterTicket | None = Field(
        default=None, description="when no letter_key was given: upload the request letter here"
    )


class DecisionBody(BaseModel):
    link: str = Field(min_length=1, max_length=512, description="the token of the signed link from the email")
    reason: str = Field(default="", max_length=2000, description="required to deny; kept on file")


def links_base_url(event: Any) -> str:
    """The API's own address as the caller reached it (API Gateway's domain and stage)."""
    context = event.get("requestContext") or {}
    domain = context.get("domainName")
    if domain:
        stage = context.get("stage") or ""
        return f"https://{domain}/{stage}".rstrip("/")
    # The local shim puts the API at the root of 127.0.0.1:<port>.
    host = {k.lower(): v for k, v in (event.get("headers") or {}).items()}.get("host", "")
    if not host:
        raise InvalidRequest("cannot tell the API's address from this request")
    return f"http://{host}"


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
    filed = release_service.file_request(
        caller, form, links_base_url(router.current_event.raw_event), letter_ticketed=ticket is not None
    )
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
    status: Annotated[Status | None, Query(description="only requests with this status")] = None,
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
def get_request(request_id: RequestId) -> ReleaseView:
    view = release_service.get_request(request_id)
    note_access(query={"release_request": request_id}, returned_ids=[request_id])
    return view


def _page(title: str, body: str, status: int = 200) -> Response[str]:
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title></head><body style='font-family:sans-serif;max-width:44em'>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=page)


@router.get(
    "/v1/release-requests/<request_id>/decision",
    summary="The confirmation page a decision link opens (nothing is decided until POST)",
    security=AUTHENTICATED,
)
def confirm_page(
    request_id: RequestId, link: Annotated[str, Query(min_length=1, max_length=512)]
) -> Response[str]:
    caller = current_caller(router)
    try:
        pending = release_service.check_link(link, caller)
    except LinkRefused as refused:
        return _page(
            "This link cannot be used", f"<p>{html.escape(refused.message)}</p>", HTTPStatus.FORBIDDEN
        )
    if pending.link.request_id != request_id:
        return _page(
            "This link cannot be used", "<p>The link is for another request.</p>", HTTPStatus.FORBIDDEN
        )
    request = pending.request
    form = request.form
    verb = "Approve" if pending.link.decision == "approve" else "Deny"
    rows = [
        ("Request", request.request_id),
        ("Agency", f"{form.agency_name} ({form.agency_type.value}, {form.jurisdiction.value})"),
        ("Requester", f"{form.requester.name}, {form.requester.title}, {form.requester.email}"),
        ("Purpose", form.purpose),
        ("Case", form.case_number),
        ("Plates", ", ".join(form.scope.plates) or "-"),
        (
            "Area",
            f"{form.scope.area.radius_m:.0f} m around {form.scope.area.lat}, {form.scope.area.lon}"
            if form.scope.area
            else "-",
        ),
        ("Window", f"{iso_utc(form.scope.start)} to {iso_utc(form.scope.end)}"),
        ("Status", request.status.value),
    ]
    table = "".join(
        f"<tr><th align=left>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
    )
    letter = release_service.letter_link(request)
    letter_cell = (
        f"<a href='{html.escape(letter)}'>the request letter</a> (link valid 5 minutes)"
        if letter
        else "<strong>no letter uploaded</strong>"
    )
    table += f"<tr><th align=left>Letter</th><td>{letter_cell}</td></tr>"
    reason = (
        ""
        if verb == "Approve"
        else "<p><label>Reason (kept on file, told to the requester)<br><textarea name='reason' required rows=3 cols=60></textarea></label></p>"
    )
    body = (
        f"<table>{table}</table>"
        f"<form method='post'><input type='hidden' name='link' value='{html.escape(link)}'>{reason}"
        f"<p><button type='submit'>{verb} request {html.escape(request.request_id)} as {html.escape(caller.username)}</button></p></form>"
    )
    note_access(query={"release_request": request_id}, returned_ids=[request_id])
    return _page(f"{verb} release request?", body)


def _decision_body(event: Any) -> DecisionBody:
    raw = event.decoded_body or ""
    content_type = {k.lower(): v for k, v in (event.headers or {}).items()}.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields = {k: v[-1] for k, v in parse_qs(raw).items()}
    else:
        try:
            fields = json.loads(raw or "{}")
        except json.JSONDecodeError:
            raise InvalidRequest('the body must be JSON: {"link": "…", "reason": "…"}') from None
    return DecisionBody.model_validate(fields)


@router.post(
    "/v1/release-requests/<request_id>/decision",
    summary="Approve or deny, with the signed link from the email (commander or designee)",
    security=AUTHENTICATED,
)
def decide(request_id: RequestId) -> ReleaseView:
    caller = current_caller(router)
    body = _decision_body(router.current_event)
    if not body.link.startswith(f"{request_id}."):
        raise LinkRefused("this decision link is for another request")
    view = release_service.decide(body.link, caller, body.reason)
    note_access(query={"release_request": request_id}, returned_ids=[request_id])
    return view
