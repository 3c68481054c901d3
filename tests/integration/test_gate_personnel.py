"""/v1/personnel through the api handler on moto: administrators keep the registry, a supervisor approves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alpr.domain.clock import FixedClock
from alpr.domain.personnel import Status
from alpr.services.container import container
from tests.integration.conftest import Stack, access_records
from tests.integration.gate_support import GOOD_PURPOSE, call, event

NOW = datetime.now(UTC).replace(microsecond=0)
DANA = {
    "full_name": "Dana Detective",
    "badge": "1150",
    "job_title": "Detective",
    "organisation": "Local Police Department",
    "roles": ["investigator"],
    "approved_by": "supervisor",
}


def as_admin(method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return call("api", event(method, path, username="admin", groups=["administrator"], body=body))


def search_as(username: str) -> int:
    request = event(
        "GET",
        "/v1/reads",
        username=username,
        groups=["investigator"],
        purpose=GOOD_PURPOSE,
        query={"plate": "7ABC123"},
    )
    return call("api", request)[0]


def test_a_new_account_needs_training_before_it_may_search(stack: Stack) -> None:
    # Given an administrator creates an account approved by a supervisor, without training
    status, saved = as_admin("PUT", "/v1/personnel/dana", DANA)
    assert status == 200, saved
    assert (saved["status"], saved["approved_by"], saved["updated_by"]) == ("active", "supervisor", "admin")

    # Then the new detective may not search yet
    assert search_as("dana") == 403

    # When the training is recorded, they may
    status, trained = as_admin("POST", "/v1/personnel/dana/training", {"completed": NOW.date().isoformat()})
    assert status == 200, trained
    assert trained["training_expires"] == (NOW.date() + timedelta(days=365)).isoformat()
    assert search_as("dana") == 200


def test_the_approver_must_be_a_supervisor(stack: Stack) -> None:
    status, body = as_admin("PUT", "/v1/personnel/dana", {**DANA, "approved_by": "investigator"})
    assert status == 400
    assert "not an active supervisor" in body["message"]
    assert container().personnel.get("dana") is None


def test_only_administrators_change_accounts_and_every_change_is_logged(stack: Stack) -> None:
    # Given a supervisor (who may read the registry, not change it)
    request = event("PUT", "/v1/personnel/dana", username="supervisor", groups=["supervisor"], body=DANA)
    assert call("api", request)[0] == 403
    read = event("GET", "/v1/personnel/investigator", username="supervisor", groups=["supervisor"])
    assert call("api", read)[0] == 200

    # And an administrator's change
    assert as_admin("PUT", "/v1/personnel/dana", DANA)[0] == 200

    # Then all three are in the access log, with who and what
    records = access_records(stack)
    assert [(r["username"], r["method"], r["outcome"]) for r in records] == [
        ("supervisor", "PUT", "refused"),
        ("supervisor", "GET", "allowed"),
        ("admin", "PUT", "allowed"),
    ]
    assert records[2]["query"]["username"] == "dana" and records[2]["action"] == "personnel:admin"


def test_an_account_suspended_for_inactivity_is_reactivated_with_a_supervisors_approval(stack: Stack) -> None:
    # Given the seeded investigator comes back after 91 days and is suspended by the gate
    later = NOW + timedelta(days=91)
    container().clock = FixedClock(later)
    container().personnel.touch("admin", later)  # the administrator has been working meanwhile
    assert search_as("investigator") == 403
    record = container().personnel.get("investigator")
    assert record is not None and record.status is Status.SUSPENDED

    # When an administrator reactivates the account without, then with, a supervisor's approval
    change = {"status": "active", "reason": "back from leave, refresher done"}
    assert as_admin("POST", "/v1/personnel/investigator/status", change)[0] == 400
    status, body = as_admin(
        "POST", "/v1/personnel/investigator/status", {**change, "approved_by": "supervisor"}
    )

    # Then the account works again (the inactivity clock restarted)
    assert status == 200, body
    assert search_as("investigator") == 200


def test_separation_ends_access_at_once(stack: Stack) -> None:
    assert search_as("investigator") == 200
    status, _ = as_admin(
        "POST", "/v1/personnel/investigator/status", {"status": "separated", "reason": "resigned"}
    )
    assert status == 200
    assert search_as("investigator") == 403


def test_an_invalid_body_after_the_gate_is_422_and_logged_with_its_status(stack: Stack) -> None:
    status, _ = as_admin("PUT", "/v1/personnel/dana", {"full_name": "Dana"})
    assert status == 422
    (record,) = access_records(stack)
    assert (record["outcome"], record["status"], record["action"]) == ("allowed", 422, "personnel:admin")
