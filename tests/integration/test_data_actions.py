"""Every route whose answer carries ALPR data is a data access in the audit (issue 21, item 1).

The routes and their answers come from the code (every resolver's OpenAPI document), so a route
added tomorrow that returns reads, plates read, images, alerts or retro-match sightings fails here
until its action is in `alpr.domain.access.DATA_ACTIONS`, which the audit's data-access,
review-sample, user-summary and plate-lookups queries select.
"""

from __future__ import annotations

import json
from typing import Any

from alpr.domain.access import DATA_ACTIONS, rule_for
from alpr.domain.audit import DATA_ACTIONS as AUDITED
from tests.integration.conftest import Stack
from tests.integration.gate_support import FUNCTIONS, handler

# A schema is ALPR data when it names a read and carries what was read or when (an alert, a read,
# a sighting); a read's id alone (a hold's state, an export receipt's list) is not.
READ_ID = "read_id"
READ_DATA = frozenset({"plate", "plate_read", "captured_at", "image_url", "crop_url", "images"})


def _refs(node: Any) -> set[str]:
    """The component names a schema fragment refers to."""
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


def _carries_read_data(schema: dict[str, Any]) -> bool:
    properties = set(schema.get("properties", {}))
    return READ_ID in properties and bool(properties & READ_DATA)


def routes_returning_read_data() -> list[tuple[str, str, list[str]]]:
    """(METHOD, path, the ALPR-data schemas its answer holds) of every route whose 2xx answer holds one."""
    found = []
    for function in FUNCTIONS:
        document = json.loads(handler(function).app.get_openapi_json_schema())
        components = document.get("components", {}).get("schemas", {})
        for path, item in document.get("paths", {}).items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                answers = {k: v for k, v in operation["responses"].items() if str(k).startswith("2")}
                seen: set[str] = set()
                todo = _refs(answers)
                while todo:
                    name = todo.pop()
                    if name in seen or name not in components:
                        continue
                    seen.add(name)
                    todo |= _refs(components[name])
                data = sorted(name for name in seen if _carries_read_data(components[name]))
                if data:
                    found.append((method.upper(), path, data))
    return sorted(found)


def test_the_walk_finds_the_routes_everyone_agrees_return_reads(stack: Stack) -> None:
    # The detector itself: a plate search, a read, an alert and a new hotlist entry's sightings.
    routes = {(m, p) for m, p, _ in routes_returning_read_data()}
    assert {
        ("GET", "/v1/reads"),
        ("GET", "/v1/reads/{read_id}"),
        ("GET", "/v1/alerts"),
        ("GET", "/v1/alerts/{alert_id}"),
        ("POST", "/v1/hotlist/entries"),
    } <= routes


def test_every_route_that_returns_read_data_is_an_audited_data_access(stack: Stack) -> None:
    # Given every route whose answer holds reads, plates read, images, alerts or sightings
    missing = []
    for method, path, schemas in routes_returning_read_data():
        rule = rule_for(method, path)
        assert rule is not None and rule.action is not None, (method, path)
        # Then its action is a data access, and the audit's queries select it
        if rule.action not in DATA_ACTIONS or rule.action.value not in AUDITED:
            missing.append(f"{method} {path} ({rule.action.value}: returns {', '.join(schemas)})")
    assert not missing, f"actions returning ALPR data missing from alpr.domain.access.DATA_ACTIONS: {missing}"
