"""Domain errors to HTTP statuses, in one place for every resolver."""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from pydantic import ValidationError

from alpr.domain.access import AccessLogUnavailable
from alpr.domain.errors import Conflict, DomainError, Forbidden, InvalidRequest, NotFound, Unauthenticated

STATUS: dict[type[DomainError], HTTPStatus] = {
    InvalidRequest: HTTPStatus.BAD_REQUEST,
    Unauthenticated: HTTPStatus.UNAUTHORIZED,
    Forbidden: HTTPStatus.FORBIDDEN,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
}

logger = Logger(child=True)


def _status(error: DomainError) -> HTTPStatus:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return HTTPStatus.BAD_REQUEST


def error_response(status: HTTPStatus, message: str, **extra: object) -> Response:
    body = {"statusCode": int(status), "message": message, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == HTTPStatus.UNAUTHORIZED else None
    return Response(
        status_code=int(status), content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


BODY_NOT_UTF8 = "the request body is not UTF-8 text (send JSON encoded as UTF-8)"


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    """Install the mapping on a resolver."""

    @app.exception_handler(DomainError)
    def domain_error(error: DomainError) -> Response:
        status = _status(error)
        logger.info("request refused", extra={"status": int(status), "reason": error.message})
        return error_response(status, error.message)

    @app.exception_handler(UnicodeDecodeError)
    def body_not_utf8(error: UnicodeDecodeError) -> Response:
        # API Gateway passes any body on (base64 when not text): one that is not UTF-8 is refused.
        return error_response(HTTPStatus.BAD_REQUEST, BODY_NOT_UTF8)

    @app.exception_handler(AccessLogUnavailable)
    def log_unavailable(error: AccessLogUnavailable) -> Response:
        # A record the route had to keep (a weekly review) could not be stored: nothing was done.
        logger.error("audit record not written", extra={"reason": str(error)})
        return error_response(
            HTTPStatus.SERVICE_UNAVAILABLE, "the audit record could not be stored; try again"
        )

    @app.exception_handler(ValidationError)
    def invalid_model(error: ValidationError) -> Response:
        details = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()]
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid request", detail=details)
