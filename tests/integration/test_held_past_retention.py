"""Reads past retention kept only by a legal hold: returned only to callers working that case
(issue 22, policy 439.5: kept as evidence of a case, not as searchable history)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alpr.domain.models import HoldEvent, LegalHold, Read
from alpr.services.container import container
from tests.integration.conftest import Stack
from tests.integration.gate_support import GOOD_PURPOSE, call, event
from tests.unit.test_search import a_read

NOW = datetime.now(UTC).replace(microsecond=0)
HOLDING_CASE = "26-004512"
OTHER_CASE = "26-007731"


def held_past_retention(plate: str) -> Read:
    read = a_read(plate, NOW - timedelta(days=400))
    assert container().read_store.put_read(read)
    placed = LegalHold(
        case_number=HOLDING_CASE,
        category="homicide",
        reason="suspect vehicle seen near the scene",
        placed_by="investigator",
        organisation="PD",
        placed_at=NOW - timedelta(days=200),
    )
    event_ = HoldEvent(
        action="placed",
        case_number=HOLDING_CASE,
        reason=placed.reason,
        by="investigator",
        at=placed.placed_at,
    )
    assert container().read_store.save_holds(read, [placed], [event_], None, {})
    return read


def get(path: str, case: str, query: dict[str, str] | None = None) -> tuple[int, dict]:
    purpose = GOOD_PURPOSE.model_copy(update={"case_number": case})
    return call(
        "api",
        event("GET", path, username="investigator", groups=["investigator"], purpose=purpose, query=query),
    )


def test_a_read_kept_only_by_a_hold_is_returned_only_to_the_holding_case(stack: Stack) -> None:
    read = held_past_retention("5HLD404")
    # Searched for another case, the read past its retention is not there
    status, page = get("/v1/reads", OTHER_CASE, {"plate": "5HLD404"})
    assert status == 200 and page["items"] == []
    assert get(f"/v1/reads/{read.read_id}", OTHER_CASE)[0] == 404
    assert get(f"/v1/reads/{read.read_id}/image", OTHER_CASE)[0] == 404
    status, page = get("/v1/reads/search", OTHER_CASE, {"pattern": "5HLD40*"})
    assert status == 200 and read.read_id not in {r["read_id"] for r in page["items"]}
    # For the case that holds it, it is
    status, page = get("/v1/reads", HOLDING_CASE, {"plate": "5HLD404"})
    assert status == 200 and [r["read_id"] for r in page["items"]] == [read.read_id]
    assert get(f"/v1/reads/{read.read_id}", HOLDING_CASE)[0] == 200


def test_a_held_read_within_retention_is_returned_to_everyone(stack: Stack) -> None:
    read = a_read("5HLD405", NOW - timedelta(days=30))
    assert container().read_store.put_read(read)
    placed = LegalHold(
        case_number=HOLDING_CASE,
        category="homicide",
        reason="suspect vehicle",
        placed_by="investigator",
        organisation="PD",
        placed_at=NOW,
    )
    history = [
        HoldEvent(
            action="placed", case_number=HOLDING_CASE, reason="suspect vehicle", by="investigator", at=NOW
        )
    ]
    assert container().read_store.save_holds(read, [placed], history, None, {})
    status, page = get("/v1/reads", OTHER_CASE, {"plate": "5HLD405"})
    assert status == 200 and [r["read_id"] for r in page["items"]] == [read.read_id]
