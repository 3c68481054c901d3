"""GET /health and GET /v1/reads through the api handler, against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alpr.domain.models import BoundingBox, Read
from alpr.domain.reads import cell_day, time_key
from alpr.domain.retention import Retention, expires_at
from alpr.services.container import container
from tests.integration.conftest import FakeContext, Stack, load_event, load_handler

NOW = datetime.now(UTC).replace(microsecond=0)


def a_read(read_id: str, plate: str, captured_at: datetime, *, expires: int | None = None) -> Read:
    return Read(
        read_id=read_id,
        plate=plate,
        state="CA",
        confidence=0.97,
        char_confidences=[0.99, 0.95, 0.97],
        low_confidence=False,
        captured_at=captured_at,
        captured_key=time_key(captured_at, read_id),
        unit_id="unit-0042",
        lat=38.58,
        lon=-121.49,
        heading=None,
        cell_day=cell_day(38.58, -121.49, captured_at),
        image_bucket="alpr-uploads",
        image_key=f"raw/unit-0042/x/{read_id}.jpg",
        box=BoundingBox(x=1, y=2, w=30, h=10),
        model_version="test",
        expires_at=expires if expires is not None else expires_at(captured_at, Retention()),
        ingested_at=captured_at,
    )


def store(*reads: Read) -> None:
    for read in reads:
        assert container().read_store.put_read(read)


def call(event: dict[str, Any], context: FakeContext) -> tuple[int, dict[str, Any]]:
    response = load_handler("api").lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def get_reads(context: FakeContext, **query: str) -> tuple[int, dict[str, Any]]:
    event = load_event("api/get_reads.json")
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return call(event, context)


def test_health(stack: Stack, context: FakeContext) -> None:
    assert call(load_event("api/get_health.json"), context) == (200, {"status": "ok"})


def test_search_without_claims_is_401(stack: Stack, context: FakeContext) -> None:
    store(a_read("01JREAD000000000000000000A", "7ABC123", NOW - timedelta(hours=1)))
    status, body = call(load_event("api/get_reads_unauthenticated.json"), context)
    assert status == 401
    assert "items" not in body


def test_reads_newest_first_in_window_only_for_that_plate(stack: Stack, context: FakeContext) -> None:
    # Given reads of two plates at different times
    store(
        a_read("01JREAD000000000000000000A", "7ABC123", NOW - timedelta(days=3)),
        a_read("01JREAD000000000000000000B", "7ABC123", NOW - timedelta(days=1)),
        a_read("01JREAD000000000000000000C", "7ABC123", NOW - timedelta(days=10)),
        a_read("01JREAD000000000000000000D", "8XYZ999", NOW - timedelta(days=1)),
    )
    start = (NOW - timedelta(days=5)).isoformat()

    # When searching one plate from five days ago (typed loosely)
    status, page = get_reads(context, plate="7abc 123", **{"from": start})

    # Then only its reads in the window, newest first, each with the disclaimer
    assert status == 200, page
    assert [r["read_id"] for r in page["items"]] == [
        "01JREAD000000000000000000B",
        "01JREAD000000000000000000A",
    ]
    assert all(r["disclaimer"].startswith("An ALPR read is not an identification") for r in page["items"])
    assert page["next"] is None


def test_read_past_retention_is_never_returned(stack: Stack, context: FakeContext) -> None:
    # Given one live read and one whose retention ran out (TTL has not swept it yet)
    store(
        a_read("01JREAD000000000000000000A", "7ABC123", NOW - timedelta(days=2)),
        a_read(
            "01JREAD000000000000000000B",
            "7ABC123",
            NOW - timedelta(days=1),
            expires=int(NOW.timestamp()) - 60,
        ),
    )
    status, page = get_reads(context, plate="7ABC123")
    assert status == 200
    assert [r["read_id"] for r in page["items"]] == ["01JREAD000000000000000000A"]


def test_pages_follow_the_next_token(stack: Stack, context: FakeContext) -> None:
    # Given five reads
    ids = [f"01JREAD00000000000000000{n:02d}" for n in range(5)]
    store(*(a_read(read_id, "7ABC123", NOW - timedelta(hours=n + 1)) for n, read_id in enumerate(ids)))

    # When paging two at a time
    seen: list[str] = []
    token: str | None = None
    for _ in range(5):
        query = {"plate": "7ABC123", "limit": "2", **({"next": token} if token else {})}
        status, page = get_reads(context, **query)
        assert status == 200
        seen += [r["read_id"] for r in page["items"]]
        token = page["next"]
        if token is None:
            break

    # Then every read comes once, newest first
    assert seen == ids


def test_token_for_another_plate_is_refused(stack: Stack, context: FakeContext) -> None:
    store(
        *(
            a_read(f"01JREAD00000000000000000{n:02d}", "7ABC123", NOW - timedelta(hours=n + 1))
            for n in range(3)
        )
    )
    _, page = get_reads(context, plate="7ABC123", limit="1")
    status, body = get_reads(context, plate="8XYZ999", next=page["next"])
    assert status == 400
    assert "next" in body["message"]


@pytest.mark.parametrize("when", ["yesterday", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z"])
def test_a_window_end_that_is_not_a_zoned_date_time_is_422(
    stack: Stack, context: FakeContext, when: str
) -> None:
    # Typed in the OpenAPI document as a date-time: refused by validation, as other bad parameters
    status, body = get_reads(context, plate="7ABC123", **{"from": when})
    assert status == 422, body


@pytest.mark.parametrize(
    "query",
    [
        {"plate": "7AB*"},
        {"plate": "7ABC123", "from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        {"plate": "7ABC123", "next": "not-a-token"},
    ],
    ids=["wildcard", "inverted-window", "bad-token"],
)
def test_bad_queries_are_400(stack: Stack, context: FakeContext, query: dict[str, str]) -> None:
    status, body = get_reads(context, **query)
    assert status == 400, body


def test_limit_out_of_range_is_422(stack: Stack, context: FakeContext) -> None:
    status, _ = get_reads(context, plate="7ABC123", limit="0")
    assert status == 422


def test_openapi_document_lists_the_routes(stack: Stack) -> None:
    schema = load_handler("api").app.get_openapi_json_schema()
    document = json.loads(schema)
    assert {"/health", "/v1/reads"} <= set(document["paths"])
    parameters = {p["name"] for p in document["paths"]["/v1/reads"]["get"]["parameters"]}
    assert {"plate", "from", "to", "limit", "next"} <= parameters
    assert document["paths"]["/v1/reads"]["get"]["security"] == [{"cognito": []}]
    assert "security" not in document["paths"]["/health"]["get"]
