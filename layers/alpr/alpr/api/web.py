"""Sign-in for the pages: who a page request is from (session cookie, or a bearer token the
function verifies itself, since page routes have no API Gateway authorizer), the redirect to
the hosted UI when nobody is signed in, and the OAuth callback and sign-out routes."""

from __future__ import annotations

import secrets
import time
from contextvars import ContextVar
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from alpr.domain.callers import caller_from_claims
from alpr.domain.errors import Unauthenticated
from alpr.domain.models import Caller
from alpr.services.container import container
from alpr.web.pages import render, security_headers
from alpr.web.session import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    Session,
    new_session,
    pkce_pair,
    read_cookie,
    seal,
    unseal,
)
from alpr.web.settings import CALLBACK_PATH, LOGOUT_PATH, SESSION_SECONDS, WebSettings
from alpr.web.tokens import exchange_code

router = Router()

SIGN_IN_SECONDS = 10 * 60
# The routes a browser reaches with its session cookie (no API Gateway authorizer on them).
PAGE_ROUTES = frozenset(
    {
        ("GET", "/v1/release-requests/{request_id}/decision"),
        ("POST", "/v1/release-requests/{request_id}/decision"),
    }
)

_session: ContextVar[Session | None] = ContextVar("alpr_page_session", default=None)


def web_settings() -> WebSettings:
    return container().config.web


def accepts(method: str, route_path: str) -> bool:
    return (method.upper(), route_path) in PAGE_ROUTES


def cookie(name: str, value: str, max_age: int) -> Cookie:
    """HttpOnly, SameSite=Lax, whole site, short-lived; Secure wherever the base URL is HTTPS."""
    return Cookie(
        name=name,
        value=value,
        path="/",
        max_age=max_age,
        http_only=True,
        secure=web_settings().secure_cookies,
        same_site=SameSite.LAX_MODE,
    )


def page_url(path: str) -> str:
    """An absolute URL of this API from the configured base (never from the request's Host)."""
    return web_settings().base_url + path


def _headers(event: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in (event.headers or {}).items()}


def has_bearer(event: Any) -> bool:
    """The request brought a bearer token (an API client): a bad one is answered 401, not a sign-in page."""
    return bool(_headers(event).get("authorization"))


def forget_session() -> None:
    _session.set(None)


def current_session() -> Session | None:
    """The session of the page request being handled (None when it came with a bearer token)."""
    return _session.get()


def page_caller(event: Any) -> Caller | None:
    """The caller of a page route: a verified bearer token (CLI), else a valid session cookie."""
    _session.set(None)
    headers = _headers(event)
    bearer = headers.get("authorization", "")
    if bearer:
        config = web_settings()
        claims = container().id_tokens.claims(
            bearer.removeprefix("Bearer ").strip(), {config.api_client_id, config.web_client_id}
        )
        try:
            return caller_from_claims(claims)
        except Unauthenticated:
            return None
    value = read_cookie(headers.get("cookie", ""), SESSION_COOKIE)
    payload = unseal(SESSION_COOKIE, value, container().session_key(), time.time()) if value else None
    session = Session.of(payload) if payload else None
    if session is None:
        return None
    _session.set(session)
    return Caller(username=session.username, groups=session.groups)


def html(
    title: str,
    template: str = "message.html",
    status: int = HTTPStatus.OK,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Response[str]:
    session = current_session()
    body = render(
        template,
        title=title,
        username=session.username if session else "",
        logout_url=web_settings().base_url + LOGOUT_PATH,
        **context,
    )
    return Response(status_code=status, headers=security_headers(), body=body, cookies=cookies or [])


def _redirect(location: str, cookies: list[Cookie] | None = None) -> Response[str]:
    headers = {**security_headers(), "Location": location}
    return Response(status_code=HTTPStatus.FOUND, headers=headers, body="", cookies=cookies or [])


def sign_in_redirect(event: Any) -> Response[str]:
    """Off to the hosted UI (authorization code + PKCE); the callback comes back to this very page."""
    config = web_settings()
    query = event.multi_value_query_string_parameters or {}
    back = event.path + (("?" + urlencode(query, doseq=True)) if query else "")
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    pending = seal(
        SIGN_IN_COOKIE,
        {"state": state, "verifier": verifier, "back": back, "exp": int(time.time()) + SIGN_IN_SECONDS},
        container().session_key(),
    )
    authorize = (
        config.auth_url
        + "/oauth2/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": config.web_client_id,
                "redirect_uri": config.callback_url,
                "scope": "openid email profile",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    return _redirect(authorize, [cookie(SIGN_IN_COOKIE, pending, SIGN_IN_SECONDS)])


@router.get(
    CALLBACK_PATH, summary="Where the hosted UI sends the browser back after sign-in", include_in_schema=False
)
def callback(
    code: Annotated[str, Query(min_length=1, max_length=2048)] = "",
    state: Annotated[str, Query(max_length=256)] = "",
) -> Response[str]:
    config = web_settings()
    value = read_cookie(_headers(router.current_event).get("cookie", ""), SIGN_IN_COOKIE)
    pending = unseal(SIGN_IN_COOKIE, value, container().session_key(), time.time()) if value else None
    if not pending or not code or not secrets.compare_digest(str(pending.get("state", "")), state):
        return html(
            "Sign-in failed",
            message="This sign-in is not valid or has expired; open the link again.",
            status=HTTPStatus.BAD_REQUEST,
        )
    back = str(pending.get("back", ""))
    if not back.startswith("/v1/") or "//" in back or "\\" in back:
        return html("Sign-in failed", message="Nowhere to go back to.", status=HTTPStatus.BAD_REQUEST)
    try:
        token = exchange_code(
            config.auth_url, config.web_client_id, code, config.callback_url, str(pending["verifier"])
        )
    except PermissionError as failed:
        return html("Sign-in failed", message=str(failed), status=HTTPStatus.UNAUTHORIZED)
    claims = container().id_tokens.claims(token, {config.web_client_id})
    try:
        caller = caller_from_claims(claims)
    except Unauthenticated:
        return html(
            "Sign-in failed", message="The sign-in could not be verified.", status=HTTPStatus.UNAUTHORIZED
        )
    session = new_session(caller.username, caller.groups, time.time(), SESSION_SECONDS)
    return _redirect(
        config.base_url + back,
        [
            cookie(
                SESSION_COOKIE,
                seal(SESSION_COOKIE, session.payload(), container().session_key()),
                SESSION_SECONDS,
            ),
            cookie(SIGN_IN_COOKIE, "", 0),
        ],
    )


@router.get(LOGOUT_PATH, summary="Sign out of the pages and of the hosted UI", include_in_schema=False)
def logout(done: Annotated[str, Query(max_length=1)] = "") -> Response[str]:
    config = web_settings()
    if done:
        return html("Signed out", message="You are signed out. Close this window.")
    target = (
        config.auth_url
        + "/logout?"
        + urlencode(
            {"client_id": config.web_client_id, "logout_uri": config.base_url + LOGOUT_PATH + "?done=1"}
        )
    )
    return _redirect(target, [cookie(SESSION_COOKIE, "", 0)])
