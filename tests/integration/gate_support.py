"""Events and accounts for the access-gate tests: any route, any caller, any purpose."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime
from functools import cache
from types import ModuleType
from typing import Any

from alpr.domain.access import Purpose
from alpr.domain.personnel import PersonnelRecord, Status
from alpr.names import Group
from alpr.services.container import container
from tests.integration.conftest import FakeContext, load_event, load_handler

GOOD_PURPOSE = Purpose(
    category="stolen-vehicle",
    case_number="26-004512",
    text="grey Honda Civic reported stolen from Alhambra Ave on 27 Nov",
)
VAGUE_PURPOSE = Purpose(category="stolen-vehicle", case_number="26-004512", text="investigation")
FUNCTIONS = ("api", "uploads")  # every function whose handler is a resolver()
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@cache
def handler(function: str) -> ModuleType:
    """The function's handler module, loaded once per test session (its app has no per-test state)."""
    return load_handler(function)


def openapi_routes() -> list[tuple[str, str, str]]:
    """(function, METHOD, OpenAPI path) of every route of every resolver, from the generated document."""
    routes = []
    for function in FUNCTIONS:
        schema = handler(function).app.get_openapi_schema()
        for path, item in (schema.paths or {}).items():
            for method in HTTP_METHODS:
                if getattr(item, method, None) is not None:
                    routes.append((function, method.upper(), path))
    return sorted(routes)


def concrete(path: str) -> str:
    """An OpenAPI path with its parameters filled in."""
    return re.sub(r"\{[^}]+\}", "x1", path)


def event(
    method: str,
    path: str,
    *,
    username: str | None,
    groups: list[str] | tuple[str, ...] = (),
    purpose: Purpose | None = None,
    query: dict[str, str] | None = None,
    body: Any = None,
) -> dict[str, Any]:
    """A REST API proxy event for `method path`, as API Gateway would send it after its authorizer."""
    base = load_event("api/get_reads.json")
    headers = {k: v for k, v in base["headers"].items() if not k.lower().startswith("x-purpose")}
    headers.pop("X-Case-Number", None)
    if purpose is not None:
        headers.update(purpose.headers())
    if body is not None:
        headers["Content-Type"] = "application/json"
    base.update(
        resource="/v1/{proxy+}",
        path=path,
        httpMethod=method,
        headers=headers,
        multiValueHeaders={k: [v] for k, v in headers.items()},
        queryStringParameters=query or None,
        multiValueQueryStringParameters={k: [v] for k, v in query.items()} if query else None,
        body=json.dumps(body) if body is not None else None,
    )
    context = base["requestContext"]
    context.update(httpMethod=method, resourcePath="/v1/{proxy+}", path=f"/prod{path}")
    context["requestId"] = str(uuid.uuid4())
    if username is None:
        context["authorizer"] = None
    else:
        context["authorizer"]["claims"].update(
            {"cognito:username": username, "cognito:groups": ",".join(groups)}
        )
    return base


def call(function: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = handler(function).lambda_handler(request, FakeContext(aws_request_id=str(uuid.uuid4())))
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else {}


def person(
    username: str,
    roles: list[Group],
    now: datetime,
    *,
    trained: date | None,
    expires: date | None = None,
    status: Status = Status.ACTIVE,
    last_active: datetime | None = None,
) -> PersonnelRecord:
    """Write an account to the registry and return it."""
    record = PersonnelRecord(
        username=username,
        full_name=f"Test {username}",
        badge="4242",
        job_title="Detective",
        organisation="Test Police Department",
        roles=roles,
        training_completed=trained,
        training_expires=expires,
        status=status,
        status_reason="test" if status is not Status.ACTIVE else "",
        last_active=last_active,
        approved_by="supervisor",
        created_at=now,
        updated_at=now,
    )
    container().personnel.put(record)
    return record
