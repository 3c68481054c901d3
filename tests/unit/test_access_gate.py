"""The gate middleware with in-memory fakes of its ports (no AWS): what it writes, when, and what it returns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.api_gateway import Router

from alpr.api import resolver
from alpr.api.access import note_access
from alpr.config import Config
from alpr.domain.clock import FixedClock
from alpr.services.container import Container, use
from tests.fakes.access_log import MemoryAccessLog
from tests.fakes.personnel import MemoryPersonnelStore
from tests.unit.personnel_records import NOW, investigator

PURPOSE = {
    "X-Purpose-Category": "homicide",
    "X-Case-Number": "26-001234",
    "X-Purpose-Text": "grey sedan seen leaving the shooting on Main St",
}

router = Router()
calls: list[str] = []


@router.get("/v1/reads")
def fake_search() -> dict[str, Any]:
    calls.append("search")
    note_access(query={"plate": "7ABC123"}, returned_ids=["01JREAD1", "01JREAD2"])
    return {"items": ["01JREAD1", "01JREAD2"]}


@router.post("/v1/uploads")
def fake_ticket() -> dict[str, str]:
    calls.append("ticket")
    return {"url": "https://example.invalid"}


APP = resolver(router)


class FakeContext:
    function_name = "test"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-west-2:123456789012:function:test"
    aws_request_id = "req"


@pytest.fixture
def fakes() -> Iterator[tuple[MemoryPersonnelStore, MemoryAccessLog]]:
    people = MemoryPersonnelStore(
        investigator(
            created_at=NOW - timedelta(days=3),
            updated_at=NOW - timedelta(days=3),
            last_active=NOW - timedelta(days=2),
        )
    )
    log = MemoryAccessLog()
    previous = use(Container(Config(), clock=FixedClock(NOW), personnel=people, access_log=log))
    calls.clear()
    yield people, log
    use(previous)


def request(
    method: str, path: str, user: str | None = "ivy", groups: str = "investigator", **headers: str
) -> dict:
    return {
        "resource": "/v1/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {"plate": "7abc123"},
        "multiValueQueryStringParameters": {"plate": ["7abc123"]},
        "pathParameters": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": "r-1",
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "test"},
            "authorizer": {"claims": {"cognito:username": user, "cognito:groups": groups}} if user else None,
        },
    }


def answer(event: dict) -> tuple[int, dict[str, Any]]:
    response = APP.resolve(event, FakeContext())  # type: ignore[arg-type]
    return response["statusCode"], json.loads(response["body"])


def test_allowed_the_record_holds_what_the_route_noted(
    fakes: tuple[MemoryPersonnelStore, MemoryAccessLog],
) -> None:
    people, log = fakes
    status, body = answer(request("GET", "/v1/reads", **PURPOSE))
    assert status == 200 and body["items"] == ["01JREAD1", "01JREAD2"]
    (record,) = log.records
    assert (record.outcome, record.returned_ids, record.returned_count) == (
        "allowed",
        ["01JREAD1", "01JREAD2"],
        2,
    )
    assert record.query == {"plate": "7ABC123"}  # the route's normalised plate wins over the raw parameter
    assert (record.source_ip, record.request_id, record.time) == ("203.0.113.9", "r-1", NOW)
    assert people.records["ivy"].last_active == NOW  # touched: the last activity was two days ago


def test_refused_the_route_never_runs_and_the_raw_query_is_recorded(
    fakes: tuple[MemoryPersonnelStore, MemoryAccessLog],
) -> None:
    _, log = fakes
    status, body = answer(request("GET", "/v1/reads"))
    assert status == 400 and "purpose is required" in body["message"]
    assert calls == []
    (record,) = log.records
    assert (record.outcome, record.query, record.returned_ids) == ("refused", {"plate": "7abc123"}, [])


def test_no_record_no_answer(fakes: tuple[MemoryPersonnelStore, MemoryAccessLog]) -> None:
    _, log = fakes
    log.fail = True
    status, body = answer(request("GET", "/v1/reads", **PURPOSE))
    assert status == 503
    assert "01JREAD1" not in json.dumps(body)


def test_an_allowed_upload_ticket_is_not_logged_a_refused_one_is(
    fakes: tuple[MemoryPersonnelStore, MemoryAccessLog],
) -> None:
    _, log = fakes
    assert answer(request("POST", "/v1/uploads", user="unit-09", groups="unit"))[0] == 200
    assert log.records == []
    assert answer(request("POST", "/v1/uploads", user="ivy", groups="investigator"))[0] == 403
    assert [r.outcome for r in log.records] == ["refused"]
