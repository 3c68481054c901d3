"""GET /v1/reads/search, GET|POST /v1/reads/canvass and GET /v1/reads/{id} through the api handler, on moto."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alpr.names import PLATE_GRAM, READS_BY_CELL7_DAY_INDEX, READS_CELL7_DAY_KEY, READS_TIME_KEY, Env
from alpr.services.container import container, use
from tests.integration.conftest import FakeContext, Stack, access_records, load_event, load_handler
from tests.unit.test_canvass import CENTRE, destination
from tests.unit.test_search import a_read

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def reads(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The moto stack with what the CDK app adds for searches: the fine canvass index
    (by_cell7_day) and the Plates dictionary's trigram index (PlateGrams)."""
    grams_table = f"{stack.plates_table}-grams"
    stack.dynamodb.create_table(
        TableName=grams_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": PLATE_GRAM, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": PLATE_GRAM, "KeyType": "HASH"}],
    )
    monkeypatch.setenv(Env.PLATE_GRAMS_TABLE, grams_table)
    use(None)
    stack.dynamodb.update_table(
        TableName=stack.reads_table,
        AttributeDefinitions=[
            {"AttributeName": READS_CELL7_DAY_KEY, "AttributeType": "S"},
            {"AttributeName": READS_TIME_KEY, "AttributeType": "S"},
        ],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": READS_BY_CELL7_DAY_INDEX,
                    "KeySchema": [
                        {"AttributeName": READS_CELL7_DAY_KEY, "KeyType": "HASH"},
                        {"AttributeName": READS_TIME_KEY, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )
    yield stack


def store(*items: Any) -> None:
    for read in items:
        assert container().read_store.put_read(read)


def call(
    context: FakeContext, method: str, path: str, query: dict[str, str] | None = None, body: Any = None
) -> tuple[int, dict[str, Any]]:
    event = load_event("api/get_reads.json")
    event["httpMethod"] = method
    event["path"] = path
    event["resource"] = "/v1/{proxy+}"
    event["pathParameters"] = {"proxy": path.removeprefix("/v1/")}
    event["queryStringParameters"] = query or None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in (query or {}).items()} or None
    event["body"] = json.dumps(body) if body is not None else None
    response = load_handler("api").lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def test_partial_plate_search(reads: Stack, context: FakeContext) -> None:
    # Given reads of three plates, two of which fit the pattern
    store(
        a_read("7ABC123", NOW - timedelta(hours=1)),
        a_read("7ABD123", NOW - timedelta(hours=2)),
        a_read("7XYZ123", NOW - timedelta(hours=2)),
    )
    # When an investigator searches 7AB?123
    status, page = call(context, "GET", "/v1/reads/search", {"pattern": "7ab?123"})
    # Then both plates' reads come back, each with the disclaimer and the hotlist field
    assert status == 200, page
    assert page["plates"] == ["7ABC123", "7ABD123"]
    assert [r["plate"] for r in page["items"]] == ["7ABC123", "7ABD123"]
    assert all(
        r["disclaimer"].startswith("An ALPR read is not") and r["hotlist_hits"] == [] for r in page["items"]
    )


def test_partial_plate_reads_the_trigram_index(reads: Stack, context: FakeContext) -> None:
    # Given reads stored through the store (which lists new plates under their folded trigrams)
    store(a_read("7ABC123", NOW - timedelta(hours=1)), a_read("8XYZ999", NOW - timedelta(hours=1)))
    grams = reads.dynamodb.get_item(TableName=f"{reads.plates_table}-grams", Key={PLATE_GRAM: {"S": "A8C"}})
    assert grams["Item"]["plates"]["SS"] == ["7ABC123"]  # 'ABC' folded: B and 8 are one class
    # When a pattern pins three characters in a row, with equivalents
    status, page = call(context, "GET", "/v1/reads/search", {"pattern": "*A8C*", "equivalents": "true"})
    # Then the plate is found through the index
    assert status == 200 and page["plates"] == ["7ABC123"]


def test_partial_plate_with_equivalents_and_paging(reads: Stack, context: FakeContext) -> None:
    store(*(a_read("8ABC0I2", NOW - timedelta(minutes=m)) for m in range(1, 4)))
    status, page = call(context, "GET", "/v1/reads/search", {"pattern": "BAB*O12", "limit": "2"})
    assert (status, page["items"]) == (200, [])
    status, page = call(
        context, "GET", "/v1/reads/search", {"pattern": "BAB*O12", "equivalents": "true", "limit": "2"}
    )
    assert status == 200 and len(page["items"]) == 2 and page["next"]
    query = {"pattern": "BAB*O12", "equivalents": "true", "limit": "2", "next": page["next"]}
    status, rest = call(context, "GET", "/v1/reads/search", query)
    assert status == 200 and len(rest["items"]) == 1 and rest["next"] is None


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"pattern": "7A*"}, "at least 3 known characters"),
        ({"pattern": "7AB%"}, "not on plates"),
        ({"pattern": "7AB?123", "next": "bogus"}, "'next' token"),
    ],
)
def test_bad_patterns_are_400_with_the_reason(
    reads: Stack, context: FakeContext, query: dict, reason: str
) -> None:
    status, body = call(context, "GET", "/v1/reads/search", query)
    assert status == 400 and reason in body["message"]


def test_canvass_circle_boundary_and_midnight(reads: Stack, context: FakeContext) -> None:
    # Given a read exactly on a 200 m circle before midnight, one inside after it, one just outside
    midnight = (NOW - timedelta(days=1)).replace(hour=0, minute=0, second=0)
    edge = a_read("1EDG111", midnight - timedelta(minutes=10), *destination(*CENTRE, 77.0, 200.0))
    inside = a_read("2INS222", midnight + timedelta(minutes=10), *destination(*CENTRE, 180.0, 50.0))
    outside = a_read("3OUT333", midnight, *destination(*CENTRE, 77.0, 201.0))
    store(edge, inside, outside)
    query = {
        "lat": str(CENTRE[0]),
        "lon": str(CENTRE[1]),
        "radius_m": "200",
        "from": iso(midnight - timedelta(hours=1)),
        "to": iso(midnight + timedelta(hours=1)),
    }
    status, page = call(context, "GET", "/v1/reads/canvass", query)
    assert status == 200, page
    assert [r["plate"] for r in page["items"]] == ["2INS222", "1EDG111"]
    assert (page["days"], page["precision"]) == (2, 7)


def test_canvass_polygon(reads: Stack, context: FakeContext) -> None:
    store(
        a_read("1AAA111", NOW - timedelta(hours=1), 37.805, -122.27),
        a_read("2BBB222", NOW - timedelta(hours=1), 37.811, -122.27),
    )
    ring = [[-122.275, 37.80], [-122.265, 37.80], [-122.265, 37.81], [-122.275, 37.81], [-122.275, 37.80]]
    body = {"area": {"type": "Polygon", "coordinates": [ring]}, "from": iso(NOW - timedelta(hours=3))}
    status, page = call(context, "POST", "/v1/reads/canvass", body=body)
    assert status == 200, page
    assert [r["plate"] for r in page["items"]] == ["1AAA111"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"radius_m": "100", "from": iso(NOW - timedelta(days=8))}, "at most 7 days"),
        ({"radius_m": "5000"}, "km²"),
    ],
)
def test_too_broad_canvass_is_400_with_the_reason(
    reads: Stack, context: FakeContext, query: dict, reason: str
) -> None:
    status, body = call(context, "GET", "/v1/reads/canvass", {"lat": "37.8", "lon": "-122.27", **query})
    assert status == 400 and reason in body["message"]


def test_canvass_with_nothing_there_is_empty(reads: Stack, context: FakeContext) -> None:
    status, page = call(
        context, "GET", "/v1/reads/canvass", {"lat": "37.0", "lon": "-120.0", "radius_m": "300"}
    )
    assert status == 200 and page["items"] == [] and page["next"] is None


def test_one_read_with_image_links(reads: Stack, context: FakeContext) -> None:
    read = a_read("7ABC123", NOW - timedelta(hours=1))
    store(read)
    status, detail = call(context, "GET", f"/v1/reads/{read.read_id}")
    assert status == 200, detail
    assert detail["plate"] == "7ABC123"
    assert read.image_key in detail["image_url"] and "X-Amz-Expires=300" in detail["image_url"]
    assert detail["crop_url"] and "crops/" in detail["crop_url"]


def test_the_image_route_redirects_to_a_short_lived_link_and_logs_it(
    reads: Stack, context: FakeContext
) -> None:
    read = a_read("7ABC123", NOW - timedelta(hours=1))
    store(read)
    event = load_event("api/get_reads.json")
    event["path"] = f"/v1/reads/{read.read_id}/image"
    event["pathParameters"] = {"proxy": f"reads/{read.read_id}/image"}
    event["resource"] = "/v1/{proxy+}"
    handler = load_handler("api")
    for query, key in ((None, read.image_key), ({"crop": "true"}, read.crop_key)):
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in (query or {}).items()} or None
        response = handler.lambda_handler(event, context)
        assert response["statusCode"] == 307, response["body"]
        (location,) = response["multiValueHeaders"]["Location"]
        assert key and key in location and "X-Amz-Expires=300" in location
    logged = [r for r in access_records(reads) if r["route"].endswith("/image")]
    assert [r["query"]["images"] for r in logged] == [[read.image_key], [read.crop_key]]


def test_missing_or_expired_read_is_404(reads: Stack, context: FakeContext) -> None:
    expired = a_read("7ABC123", NOW - timedelta(hours=1), expired=True)
    store(expired)
    assert call(context, "GET", f"/v1/reads/{expired.read_id}")[0] == 404
    assert call(context, "GET", "/v1/reads/01ARZ3NDEKTSV4RRFFQ69G5FAV")[0] == 404
    assert call(context, "GET", "/v1/reads/not-a-read")[0] == 422  # not a ULID: refused by the path type


def test_plate_search_by_state_keeps_that_state_and_unknown_states(
    reads: Stack, context: FakeContext
) -> None:
    # Given reads of one plate read as CA, as NV and with no state
    ca, nv, unknown = (
        a_read("7ABC123", NOW - timedelta(hours=h)).model_copy(update={"state": state})
        for h, state in ((1, "CA"), (2, "NV"), (3, None))
    )
    store(ca, nv, unknown)
    # When searching the plate in California (typed in lower case)
    status, page = call(context, "GET", "/v1/reads", {"plate": "7ABC123", "state": "ca"})
    # Then the Nevada read is left out, the unreadable state is kept for the investigator to judge
    assert status == 200, page
    assert [r["read_id"] for r in page["items"]] == [ca.read_id, unknown.read_id]
    assert call(context, "GET", "/v1/reads", {"plate": "7ABC123", "state": "California"})[0] == 422


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("lat", "lon", "radius"), [("-90", "-180", "1"), ("89.9999", "0", "1000")])
def test_a_canvass_outside_the_service_area_is_400_at_once(
    reads: Stack, context: FakeContext, lat: str, lon: str, radius: str
) -> None:
    # Issue 19 item 3: these covered 262,144 cells (or never finished) before any query
    status, body = call(context, "GET", "/v1/reads/canvass", {"lat": lat, "lon": lon, "radius_m": radius})
    assert status == 400 and "service area" in body["message"]


def test_a_configured_service_area_bounds_the_canvass(
    reads: Stack, context: FakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a department whose jurisdiction is a box around Oakland (the CDK context's setting)
    monkeypatch.setenv(Env.SERVICE_AREA, "[-122.35, 37.70, -122.15, 37.88]")
    use(None)
    try:
        outside = call(
            context, "GET", "/v1/reads/canvass", {"lat": "37.0", "lon": "-120.0", "radius_m": "300"}
        )
        inside = call(
            context, "GET", "/v1/reads/canvass", {"lat": "37.8", "lon": "-122.27", "radius_m": "300"}
        )
    finally:
        use(None)
    assert outside[0] == 400 and "service area" in outside[1]["message"]
    assert inside[0] == 200, inside[1]


def test_a_bow_tie_polygon_is_400(reads: Stack, context: FakeContext) -> None:
    bow_tie = [[-122.35, 37.70], [-122.15, 37.88], [-122.15, 37.70], [-122.35, 37.88], [-122.35, 37.70]]
    status, body = call(
        context, "POST", "/v1/reads/canvass", body={"area": {"type": "Polygon", "coordinates": [bow_tie]}}
    )
    assert status == 400 and "cross" in body["message"]


def test_a_body_that_is_not_utf8_json_is_a_client_error(reads: Stack, context: FakeContext) -> None:
    # Found by the API fuzz run: API Gateway passes a non-UTF-8 body base64-encoded; the handler
    # crashed decoding it (502) instead of refusing the request.
    event = load_event("api/get_reads.json")
    event.update(
        httpMethod="POST",
        path="/v1/reads/canvass",
        resource="/v1/{proxy+}",
        pathParameters={"proxy": "reads/canvass"},
        queryStringParameters=None,
        multiValueQueryStringParameters=None,
        body=base64.b64encode(b"\xa0\xff{").decode(),
        isBase64Encoded=True,
    )
    event["headers"]["Content-Type"] = "application/json"
    response = load_handler("api").lambda_handler(event, context)
    assert response["statusCode"] in (400, 422), response["body"]
