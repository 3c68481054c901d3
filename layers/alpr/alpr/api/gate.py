"""The access gate: one Powertools middleware in front of every route of every resolver.

`alpr.api.resolver()` installs it, so no route can skip it. For each request it identifies
the caller, loads the Personnel record, checks status, inactivity and training, the role's
permission for the route's action and the stated purpose (`alpr.domain.access`), lets the
route run, and writes the access record **before** the response leaves. A refusal is
written too, before it is returned. When the record cannot be written the answer is 503
and carries no data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import Operation, Parameter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import ValidationError

from alpr.api import web
from alpr.api.access import begin_access, current_access, note_access
from alpr.api.errors import STATUS, error_response
from alpr.domain.access import (
    CASE_NUMBER_HEADER,
    PURPOSE_CATEGORY_HEADER,
    PURPOSE_TEXT_HEADER,
    AccessLogUnavailable,
    AccessPolicy,
    AccessRecord,
    Decision,
    Purpose,
    PurposeNeed,
    RouteRule,
    decide,
    roles_for,
    rule_for,
)
from alpr.domain.callers import caller_from_claims
from alpr.domain.errors import DomainError, Unauthenticated
from alpr.domain.holds import Shown, holds_for_case
from alpr.domain.ids import new_ulid
from alpr.domain.models import Caller
from alpr.domain.personnel import (
    PersonnelRecord,
    Status,
)
from alpr.services.container import container

logger = Logger(child=True)
Next = Callable[[APIGatewayRestResolver], Response]

GATE_ACTOR = "access-gate"  # who the registry says suspended an inactive account
TOUCH_EVERY = timedelta(hours=1)  # last_active is a day-scale fact: one write an hour is plenty
LOG_UNAVAILABLE = (
    "the access could not be recorded, so nothing is returned (Civil Code § 1798.90.52); try again shortly"
)
REGISTRY_UNAVAILABLE = "the Personnel registry cannot be read, so access cannot be decided; try again shortly"
# Query parameters that are not data elements: an opaque paging position, and the signed
# single-use decision link of a release request (a secret, never written to the log).
NOT_DATA_ELEMENTS = frozenset({"next", "link"})


def access_policy() -> AccessPolicy:
    """The gate's configuration (purposes, case numbers, standing rules), from the process's config."""
    return container().config.access_policy


@dataclass(frozen=True)
class Grant:
    """Who was let through, in what role, for what purpose (for routes that need it)."""

    caller: Caller
    person: PersonnelRecord | None
    role: str
    purpose: Purpose | None


_grant: ContextVar[Grant | None] = ContextVar("alpr_access_grant", default=None)
_request: ContextVar[_Request | None] = ContextVar("alpr_access_request", default=None)
PENDING = "pending: the export's objects are about to be written"


def current_grant() -> Grant | None:
    """The gate's grant for the request being handled (None on public routes)."""
    return _grant.get()


def record_pending(query: dict[str, Any], returned_ids: list[str]) -> None:
    """Write an access record saying what the request is about to write that cannot be undone
    (objects under legal hold), before it writes them; AccessLogUnavailable when it cannot be
    written, so nothing is."""
    request = _request.get()
    if request is None:  # the gate sets it on every gated route
        raise AccessLogUnavailable("no access request to record")
    note_access(query=query)
    note = current_access()
    assert note is not None  # note_access begins one
    # The ids go on this record only: the route notes what it returned for the final one.
    note.returned_ids, note.returned_count = list(returned_ids), len(returned_ids)
    written = request.write("allowed", HTTPStatus.ACCEPTED, PENDING)
    note.returned_ids, note.returned_count = [], 0
    if not written:
        raise AccessLogUnavailable("the pending access record could not be written")


def shown_to_case(reads: list[Shown]) -> list[Shown]:
    """The reads as the request's case may see them: its holds named, the others only counted."""
    grant = _grant.get()
    case = grant.purpose.case_number if grant and grant.purpose else None
    return [holds_for_case(read, case) for read in reads]


def install(app: APIGatewayRestResolver) -> None:
    """Put the gate in front of every route of `app`, ahead of request validation.

    Powertools runs its request validation before router middlewares; the gate must come
    first, so that a request without a token or a purpose is refused (401/400) and logged
    whatever its parameters. So the gate wraps the validation middleware when there is one.
    """
    access_policy()  # a bad configuration fails the cold start
    _document(app)
    # The router middleware covers every route, even one that turns validation off; it
    # passes through when the gate already ran ahead of validation for this event.
    app.use(middlewares=[gate_once])
    validation = getattr(app, "_request_validation_middleware", None)
    if validation is not None:

        def gate_then_validate(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
            return gate(app, lambda inner: validation(inner, next_middleware))

        setattr(app, "_request_validation_middleware", gate_then_validate)  # noqa: B010 (Powertools' own slot)


_gated: ContextVar[object | None] = ContextVar("alpr_gated_event", default=None)


def _document(app: APIGatewayRestResolver) -> None:
    """The OpenAPI document states, per operation, its action, the roles allowed and the purpose headers."""
    generate = app.get_openapi_schema

    def documented(*args: Any, **kwargs: Any) -> Any:
        schema = generate(*args, **kwargs)
        for path, item in (schema.paths or {}).items():
            for method in ("get", "put", "post", "delete", "patch"):
                operation = getattr(item, method, None)
                if operation is not None:
                    describe_access(operation, rule_for(method, path))
        return schema

    app.get_openapi_schema = documented  # type: ignore[method-assign]


def describe_access(operation: Operation, rule: RouteRule | None) -> None:
    """Add the access rule and, where a purpose is required, the three purpose headers to an operation."""
    if rule is None:
        note = "No access rule: every request is refused (403)."
    elif rule.action is None:
        note = "Public: no sign-in."
    else:
        roles = ", ".join(sorted(roles_for(rule.action)))
        note = f"Access: action `{rule.action.value}`, roles {roles}; purpose {rule.purpose.value}; every call is logged."
    operation.description = f"{operation.description or ''}\n\n{note}".strip()
    if rule is None or rule.purpose is not PurposeNeed.REQUIRED:
        return
    rules = access_policy().purpose
    headers = (
        (PURPOSE_CATEGORY_HEADER, f"offense or reason category: {', '.join(rules.categories)}"),
        (CASE_NUMBER_HEADER, f"case or incident number, e.g. {rules.case_number_example}"),
        (
            PURPOSE_TEXT_HEADER,
            "what is sought and why, in words (vague text such as 'investigation' is refused)",
        ),
    )
    operation.parameters = [
        *(operation.parameters or []),
        *(
            Parameter.model_validate(
                {
                    "name": name,
                    "in": "header",
                    "required": True,
                    "description": text,
                    "schema": {"type": "string"},
                }
            )
            for name, text in headers
        ),
    ]


def gate_once(app: APIGatewayRestResolver, next_middleware: Next) -> Response:
    """The gate, unless it already ran for this event."""
    if _gated.get() is app.current_event:
        return next_middleware(app)
    return gate(app, next_middleware)


def gate(app: APIGatewayRestResolver, next_middleware: Next) -> Response:
    """The middleware: decide, log, and only then answer."""
    event = app.current_event
    _gated.set(event)
    resolved = app.request
    route_path = resolved.route or event.path
    rule = rule_for(event.http_method, route_path)
    _grant.set(None)
    web.forget_session()  # a warm Lambda keeps context variables from the previous request
    if rule is not None and rule.public:
        return next_middleware(app)
    begin_access()
    route_args: dict[str, str] = {k: str(v) for k, v in resolved.path_parameters.items()}
    caller = _caller(event)
    if caller is None and web.accepts(event.http_method, route_path):
        # A page (no API Gateway authorizer): the session cookie, or a bearer token checked here.
        caller = web.page_caller(event)
        if caller is None and event.http_method == "GET" and not web.has_bearer(event):
            return web.sign_in_redirect(event)
    try:
        person = container().personnel.get(caller.username) if caller else None
    except Exception:  # no registry, no decision: refuse, on record
        logger.exception("Personnel registry unavailable: request refused")
        unknown = _Request(event, rule, route_path, route_args, caller, None, Decision(error=None))
        unknown.write("refused", HTTPStatus.SERVICE_UNAVAILABLE, REGISTRY_UNAVAILABLE)
        return error_response(HTTPStatus.SERVICE_UNAVAILABLE, REGISTRY_UNAVAILABLE)
    now = container().clock.now()
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    decision = decide(rule, caller, person, headers, route_args, access_policy(), now)
    request = _Request(event, rule, route_path, route_args, caller, person, decision)
    if decision.error is not None:
        if decision.suspend and person is not None:
            _suspend(person, decision.error.message, now)
        status = _status_of(decision.error)
        if not request.write("refused", status, decision.error.message):
            return error_response(HTTPStatus.SERVICE_UNAVAILABLE, LOG_UNAVAILABLE)
        if web.current_session() is not None:  # a person in a browser reads a page, not JSON
            return web.html("You may not do this", message=decision.error.message, status=status)
        raise decision.error
    assert caller is not None and rule is not None
    _grant.set(Grant(caller=caller, person=person, role=decision.role, purpose=decision.purpose))
    _request.set(request)
    try:
        response = next_middleware(app)
    except Exception as error:
        status = _status_of(error)
        reason = error.message if isinstance(error, DomainError) else type(error).__name__
        outcome = "refused" if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN) else "allowed"
        if not request.write(outcome, status, reason):
            return error_response(HTTPStatus.SERVICE_UNAVAILABLE, LOG_UNAVAILABLE)
        raise
    note = current_access()
    if note is not None and note.refusal:
        # The route refused on its own (a page answering a forged or spent link with 403).
        if not request.write("refused", response.status_code, note.refusal):
            return error_response(HTTPStatus.SERVICE_UNAVAILABLE, LOG_UNAVAILABLE)
    elif (rule.log_allowed or response.status_code >= HTTPStatus.BAD_REQUEST) and not request.write(
        "allowed", response.status_code, ""
    ):
        return error_response(HTTPStatus.SERVICE_UNAVAILABLE, LOG_UNAVAILABLE)
    _touch(person, now)
    return response


def _caller(event: APIGatewayProxyEvent | Any) -> Caller | None:
    claims = event.request_context.authorizer.claims if isinstance(event, APIGatewayProxyEvent) else None
    try:
        return caller_from_claims(claims)
    except Unauthenticated:
        return None


def _status_of(error: BaseException) -> int:
    if isinstance(error, ServiceError):
        return int(error.status_code)
    if isinstance(error, DomainError):
        for cls in type(error).__mro__:
            if cls in STATUS:
                return int(STATUS[cls])
        return int(HTTPStatus.BAD_REQUEST)
    if isinstance(error, RequestValidationError | ValidationError):
        return int(HTTPStatus.UNPROCESSABLE_ENTITY)
    if isinstance(error, AccessLogUnavailable):
        return int(HTTPStatus.SERVICE_UNAVAILABLE)
    if isinstance(error, UnicodeDecodeError):  # a body that is not UTF-8 (alpr.api.errors)
        return int(HTTPStatus.BAD_REQUEST)
    return int(HTTPStatus.INTERNAL_SERVER_ERROR)


def _suspend(person: PersonnelRecord, reason: str, now: Any) -> None:
    try:
        container().personnel.set_status(person.username, Status.SUSPENDED, reason, now, by=GATE_ACTOR)
    except Exception:  # the refusal stands; the next request finds the account idle again
        logger.exception("inactive account not marked suspended", extra={"username": person.username})


def _touch(person: PersonnelRecord | None, now: Any) -> None:
    if person is None or person.is_device:
        return
    if person.last_active is not None and now - person.last_active < TOUCH_EVERY:
        return
    try:
        container().personnel.touch(person.username, now)
    except Exception:  # the answer and its record are out already; a late touch is harmless
        logger.warning("last_active not updated", extra={"username": person.username})


@dataclass(frozen=True)
class _Request:
    """What the gate knows about one request, to write its access record."""

    event: APIGatewayProxyEvent
    rule: RouteRule | None
    route_path: str
    route_args: Mapping[str, str]
    caller: Caller | None
    person: PersonnelRecord | None
    decision: Decision

    def data_elements(self) -> dict[str, Any]:
        """What the request queried by: path parameters, query string, then what the route noted."""
        params = self.event.query_string_parameters or {}
        elements: dict[str, Any] = {k: v for k, v in params.items() if k not in NOT_DATA_ELEMENTS}
        elements.update(self.route_args)
        note = current_access()
        if note is not None:
            elements.update(note.query)
        return elements

    def record(self, outcome: str, status: int, reason: str) -> AccessRecord:
        note = current_access()
        purpose = self.decision.purpose
        headers = {k.lower(): v for k, v in (self.event.headers or {}).items()}
        context = self.event.request_context
        returned_ids = list(note.returned_ids) if note and outcome == "allowed" else []
        return AccessRecord(
            event_id=new_ulid(container().clock),
            time=container().clock.now(),
            username=self.caller.username if self.caller else None,
            full_name=self.person.full_name if self.person else None,
            organisation=self.person.organisation if self.person else None,
            badge=self.person.badge if self.person else None,
            role=self.decision.role or None,
            roles=sorted(self.caller.groups) if self.caller else [],
            action=self.rule.action.value if self.rule and self.rule.action else None,
            method=self.event.http_method,
            route=self.route_path,
            query=self.data_elements(),
            returned_ids=returned_ids,
            returned_count=(note.returned_count if note and outcome == "allowed" else 0),
            # A refused purpose is recorded as stated, so an audit sees what was tried.
            purpose_category=purpose.category if purpose else headers.get("x-purpose-category"),
            case_number=purpose.case_number if purpose else headers.get("x-case-number"),
            purpose_text=purpose.text if purpose else headers.get("x-purpose-text"),
            outcome="allowed" if outcome == "allowed" else "refused",
            reason=reason,
            status=int(status),
            source_ip=context.identity.source_ip,
            request_id=context.request_id,
            user_agent=context.identity.user_agent,
        )

    def write(self, outcome: str, status: int, reason: str) -> bool:
        """Write the access record; False (and an error log) when it could not be written."""
        record = self.record(outcome, status, reason)
        try:
            container().access_log.write(record)
        except AccessLogUnavailable as error:
            logger.error("access record not written: request answered 503", extra={"error": str(error)})
            return False
        return True
