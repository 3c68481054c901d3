"""The authorization matrix: every route of the OpenAPI document, by every way to be refused.

The routes come from the code (`app.get_openapi_schema()` of every resolver), so a route
added tomorrow is in the matrix without anyone remembering it; a route missing from the
access table (`alpr.domain.access.ROUTES`) fails here. Token-level refusals (no, tampered,
expired or foreign token) are API Gateway's and are tested over HTTP in tests/e2e.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from alpr.domain.access import ROUTES, PurposeNeed, RouteRule, roles_for, rule_for
from alpr.domain.personnel import Status
from alpr.names import Group
from tests.integration.conftest import Stack, access_records
from tests.integration.gate_support import (
    GOOD_PURPOSE,
    VAGUE_PURPOSE,
    call,
    concrete,
    event,
    openapi_routes,
    person,
)

NOW = datetime.now(UTC)
TODAY = NOW.date()


@dataclass(frozen=True)
class Case:
    """One way to be refused: who calls (set up per route), with what purpose, and the status expected."""

    name: str
    status: int
    applies: Callable[[RouteRule], bool]
    setup: Callable[[str, Group, RouteRule], tuple[str | None, list[str]]]  # -> (username, token groups)
    purpose: object = GOOD_PURPOSE


def _account(**kwargs: object) -> Callable[[str, Group, RouteRule], tuple[str | None, list[str]]]:
    def setup(name: str, role: Group, rule: RouteRule) -> tuple[str | None, list[str]]:
        username = f"{name}-{role.value}"
        person(username, [role], NOW, **kwargs)  # type: ignore[arg-type]
        return username, [role.value]

    return setup


def _trained(name: str, role: Group, rule: RouteRule) -> tuple[str | None, list[str]]:
    return _account(trained=TODAY - timedelta(days=30))(name, role, rule)


def _wrong_role(name: str, role: Group, rule: RouteRule) -> tuple[str | None, list[str]]:
    assert rule.action is not None
    other = next(g for g in Group if g not in roles_for(rule.action))
    return _account(trained=TODAY - timedelta(days=30))(name, other, rule)


def _no_record(name: str, role: Group, rule: RouteRule) -> tuple[str | None, list[str]]:
    return f"{name}-{role.value}", [role.value]


def _always(rule: RouteRule) -> bool:
    return True


def _people(rule: RouteRule) -> bool:
    return rule.person  # devices (vehicle units) have no training to check


def _stated_purpose(rule: RouteRule) -> bool:
    return rule.purpose is PurposeNeed.REQUIRED


CASES = [
    Case("no-claims", 401, _always, lambda name, role, rule: (None, [])),
    Case("untrained", 403, _people, _account(trained=None)),
    Case(
        "training-expired",
        403,
        _people,
        _account(trained=TODAY - timedelta(days=400), expires=TODAY - timedelta(days=1)),
    ),
    Case("suspended", 403, _always, _account(trained=TODAY - timedelta(days=30), status=Status.SUSPENDED)),
    Case("separated", 403, _always, _account(trained=TODAY - timedelta(days=30), status=Status.SEPARATED)),
    Case(
        "inactive-90-days",
        403,
        _people,
        _account(trained=TODAY - timedelta(days=30), last_active=NOW - timedelta(days=91)),
    ),
    Case("no-personnel-record", 403, _people, _no_record),
    Case("wrong-role", 403, _always, _wrong_role),
    Case("no-purpose", 400, _stated_purpose, _trained, purpose=None),
    Case("vague-purpose", 400, _stated_purpose, _trained, purpose=VAGUE_PURPOSE),
]


def gated_routes() -> list[tuple[str, str, str, RouteRule]]:
    routes = []
    for function, method, path in openapi_routes():
        rule = rule_for(method, path)
        assert rule is not None
        if not rule.public:
            routes.append((function, method, path, rule))
    return routes


def test_every_route_of_the_openapi_document_has_an_access_rule(stack: Stack) -> None:
    missing = [(m, p) for _, m, p in openapi_routes() if rule_for(m, p) is None]
    assert not missing, f"routes without an entry in alpr.domain.access.ROUTES (they are refused): {missing}"


def test_only_declared_routes_are_public(stack: Stack) -> None:
    public = {(m, p) for _, m, p in openapi_routes() if (rule := rule_for(m, p)) and rule.public}
    assert public <= {key for key, rule in ROUTES.items() if rule.public}
    assert ("GET", "/health") in public


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_gated_route_refuses_and_logs(stack: Stack, case: Case) -> None:
    # Given every gated route of every function, and a caller set up for this way of failing
    routes = gated_routes()
    assert routes
    answers: dict[str, tuple[str, str, int, dict[str, object]]] = {}
    tried = 0
    for function, method, path, rule in routes:
        if not case.applies(rule):
            continue
        assert rule.action is not None
        role = sorted(roles_for(rule.action))[0]
        username, groups = case.setup(f"{case.name}-{tried}", role, rule)
        request = event(
            method,
            concrete(path),
            username=username,
            groups=groups,
            purpose=case.purpose,  # type: ignore[arg-type]
        )

        # When the route is called
        status, body = call(function, request)
        answers[request["requestContext"]["requestId"]] = (method, path, status, body)
        tried += 1

    # Then each is refused with the expected status, with a reason, and no data
    assert tried, f"case {case.name} applies to no route"
    wrong = {(m, p): (s, b) for m, p, s, b in answers.values() if s != case.status}
    assert not wrong, f"{case.name}: expected {case.status} from every route, got {wrong}"
    assert all(set(b) == {"statusCode", "message"} and b["message"] for *_, b in answers.values())

    # And each refusal is in the access log, with its route, status and the reason it was given
    logged = {r["request_id"]: r for r in access_records(stack)}
    for request_id, (method, path, status, body) in answers.items():
        record = logged.get(request_id)
        assert record is not None, f"{case.name}: refusal of {method} {path} not logged"
        assert (record["outcome"], record["status"], record["method"], record["route"]) == (
            "refused",
            status,
            method,
            path,
        )
        assert record["reason"] == body["message"]
