"""The access gate through the real handlers on moto: ordering, fail-closed, the clock, devices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.api_gateway import Router

from alpr.api import AUTHENTICATED, resolver
from alpr.domain.clock import FixedClock
from alpr.domain.personnel import Status
from alpr.names import Env, Group
from alpr.services.container import container, use
from tests.integration.conftest import FakeContext, Stack, access_records
from tests.integration.gate_support import GOOD_PURPOSE, call, event, handler, person
from tests.integration.test_api_handler import a_read

NOW = datetime.now(UTC).replace(microsecond=0)


def search(username: str, groups: list[str], **kwargs: Any) -> tuple[int, dict[str, Any]]:
    query = {"plate": "7ABC123"}
    return call("api", event("GET", "/v1/reads", username=username, groups=groups, query=query, **kwargs))


def test_the_gate_runs_before_request_validation(stack: Stack) -> None:
    # Given a request with no user and none of the route's required parameters
    request = event("GET", "/v1/reads", username=None)

    # When it is handled
    status, body = call("api", request)

    # Then it is refused for the missing sign-in (not a 422 about parameters), and logged
    assert status == 401, body
    (record,) = access_records(stack)
    assert (record["outcome"], record["status"], record["username"]) == ("refused", 401, None)


def test_a_route_missing_from_the_access_table_is_refused_and_never_runs(stack: Stack) -> None:
    # Given a router with a route nobody added to alpr.domain.access.ROUTES
    router = Router()
    ran: list[bool] = []

    @router.get("/v1/unlisted", security=AUTHENTICATED)
    def unlisted() -> dict[str, str]:
        ran.append(True)
        return {"plate": "7ABC123"}

    app = resolver(router)

    # When a trained investigator with a purpose calls it
    request = event(
        "GET", "/v1/unlisted", username="investigator", groups=["investigator"], purpose=GOOD_PURPOSE
    )
    response = app.resolve(request, FakeContext())  # type: ignore[arg-type]

    # Then it is refused (fail closed), the route never ran, and the refusal is logged
    assert response["statusCode"] == 403
    assert "7ABC123" not in response["body"]
    assert not ran
    (record,) = access_records(stack)
    assert (record["route"], record["outcome"]) == ("/v1/unlisted", "refused")
    assert "no access rule" in record["reason"]


def test_an_allowed_search_records_last_active(stack: Stack) -> None:
    # Given a trained investigator who never used the system
    person("ivy", [Group.INVESTIGATOR], NOW, trained=NOW.date() - timedelta(days=10))
    container().clock = FixedClock(NOW)

    # When they search with a purpose
    status, _ = search("ivy", ["investigator"], purpose=GOOD_PURPOSE)

    # Then it is allowed and their last activity is now
    assert status == 200
    record = container().personnel.get("ivy")
    assert record is not None and record.last_active == NOW


def test_an_account_unused_for_90_days_is_suspended_and_stays_suspended(stack: Stack) -> None:
    # Given an investigator who searched today
    person("ivy", [Group.INVESTIGATOR], NOW, trained=NOW.date() - timedelta(days=10))
    container().clock = FixedClock(NOW)
    assert search("ivy", ["investigator"], purpose=GOOD_PURPOSE)[0] == 200

    # When they come back 91 days later
    container().clock = FixedClock(NOW + timedelta(days=91))
    status, body = search("ivy", ["investigator"], purpose=GOOD_PURPOSE)

    # Then they are refused for inactivity, and the suspension is on their record
    assert status == 403
    assert "unused since" in str(body["message"])
    record = container().personnel.get("ivy")
    assert record is not None
    assert (record.status, record.updated_by) == (Status.SUSPENDED, "access-gate")

    # And the next attempt is refused as suspended, even the same day
    status, body = search("ivy", ["investigator"], purpose=GOOD_PURPOSE)
    assert status == 403 and "suspended" in str(body["message"])


def test_89_days_unused_is_still_active(stack: Stack) -> None:
    person("ivy", [Group.INVESTIGATOR], NOW, trained=NOW.date(), last_active=NOW)
    container().clock = FixedClock(NOW + timedelta(days=89))
    assert search("ivy", ["investigator"], purpose=GOOD_PURPOSE)[0] == 200


def test_training_lapses_when_the_refresher_is_due(stack: Stack) -> None:
    # Given training completed 364 days ago (the refresher is due every 365 days)
    person("ivy", [Group.INVESTIGATOR], NOW, trained=NOW.date() - timedelta(days=364), last_active=NOW)
    container().clock = FixedClock(NOW)
    assert search("ivy", ["investigator"], purpose=GOOD_PURPOSE)[0] == 200

    # When two days pass
    container().clock = FixedClock(NOW + timedelta(days=2))
    status, body = search("ivy", ["investigator"], purpose=GOOD_PURPOSE)

    # Then the search is refused for lapsed training, and the account is not suspended
    assert status == 403
    assert "expired" in str(body["message"])
    record = container().personnel.get("ivy")
    assert record is not None and record.status is Status.ACTIVE


def test_a_role_counts_only_when_both_token_and_registry_grant_it(stack: Stack) -> None:
    # Given an auditor in the registry whose token claims the investigator group
    person("aud", [Group.AUDITOR], NOW, trained=NOW.date())

    # When they search
    status, body = search("aud", ["investigator"], purpose=GOOD_PURPOSE)

    # Then they are refused
    assert status == 403
    assert "may not reads:search" in str(body["message"])


def test_a_unit_without_a_record_gets_a_ticket_and_is_not_logged(stack: Stack) -> None:
    # Given the sample unit (no Personnel record: devices need none)
    body = {"captured_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(), "lat": 38.0, "lon": -122.1}
    request = event("POST", "/v1/uploads", username="unit-0042", groups=["unit"], body=body)

    # When it asks for a ticket
    status, ticket = call("uploads", request)

    # Then it gets one; an upload ticket is not an access to ALPR data
    assert status == 200, ticket
    assert access_records(stack) == []


def test_a_separated_unit_is_refused_and_logged(stack: Stack) -> None:
    # Given a unit whose record says it is separated (a decommissioned or stolen camera)
    person("unit-0042", [Group.UNIT], NOW, trained=None, status=Status.SEPARATED)
    body = {"captured_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(), "lat": 38.0, "lon": -122.1}

    # When it asks for a ticket
    status, _ = call(
        "uploads", event("POST", "/v1/uploads", username="unit-0042", groups=["unit"], body=body)
    )

    # Then it is refused, and the refusal is logged
    assert status == 403
    (record,) = access_records(stack)
    assert (record["username"], record["action"], record["outcome"]) == (
        "unit-0042",
        "uploads:create",
        "refused",
    )


def test_an_allowed_search_with_reads_returns_them(stack: Stack) -> None:
    # Given a read and the seeded investigator
    assert container().read_store.put_read(
        a_read("01JREAD000000000000000000A", "7ABC123", NOW - timedelta(hours=1))
    )

    # When they search with a purpose
    status, page = search("investigator", ["investigator"], purpose=GOOD_PURPOSE)

    # Then they get it
    assert status == 200
    assert [r["read_id"] for r in page["items"]] == ["01JREAD000000000000000000A"]


def test_the_openapi_document_states_access_rules_and_purpose_headers(stack: Stack) -> None:
    schema = handler("api").app.get_openapi_schema()
    search_op = schema.paths["/v1/reads"].get
    headers = {p.name: p for p in search_op.parameters if p.in_.value == "header"}
    assert set(headers) == {"X-Purpose-Category", "X-Case-Number", "X-Purpose-Text"}
    assert all(p.required for p in headers.values())
    assert "reads:search" in search_op.description
    personnel_op = schema.paths["/v1/personnel"].get
    assert not [p for p in personnel_op.parameters or [] if p.in_.value == "header"]
    assert "personnel:read" in personnel_op.description
    # The JSON document (what Swagger UI serves) carries them too.
    assert '"X-Purpose-Text"' in handler("api").app.get_openapi_json_schema()


def test_without_the_personnel_registry_nothing_is_decided_503_and_logged(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the registry's table is gone (a real DynamoDB failure: ResourceNotFoundException)
    monkeypatch.setenv(Env.PERSONNEL_TABLE, "personnel-that-does-not-exist")
    use(None)

    # When the investigator searches
    status, body = search("investigator", ["investigator"], purpose=GOOD_PURPOSE)

    # Then 503, no data, and the refusal is on record
    assert status == 503 and set(body) == {"statusCode", "message"}
    (record,) = access_records(stack)
    assert (record["username"], record["outcome"], record["status"]) == ("investigator", "refused", 503)


def test_every_http_function_is_gated(stack: Stack) -> None:
    # A handler that built its own resolver instead of alpr.api.resolver() would skip the gate.
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

    from alpr.api.gate import gate_once
    from tests.integration.conftest import ROOT, load_handler

    resolvers = {}
    for folder in sorted(p for p in (ROOT / "functions").iterdir() if (p / "handler.py").is_file()):
        app = getattr(load_handler(folder.name), "app", None)
        if isinstance(app, ApiGatewayResolver):
            resolvers[folder.name] = app
    assert {"api", "uploads"} <= set(resolvers)
    ungated = [name for name, app in resolvers.items() if gate_once not in app._router_middlewares]
    assert not ungated, f"functions whose resolver is not alpr.api.resolver(): {ungated}"
