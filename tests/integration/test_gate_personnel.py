"""/v1/personnel through the api handler on moto: administrators propose, the named approver decides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alpr.config import ApiConfig
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
}


def proposal(username: str = "dana", kind: str = "account", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": username,
        "kind": kind,
        "approver": "supervisor",
        "reason": "joins the unit",
    }
    if kind == "account":
        body["account"] = DANA
    return {**body, **fields}


def as_supervisor(method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return call("api", event(method, path, username="supervisor", groups=["supervisor"], body=body))


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


def test_a_new_account_exists_once_approved_and_needs_approved_training_before_it_may_search(
    stack: Stack,
) -> None:
    # Given an administrator proposes an account, without training, naming a supervisor
    status, proposed = as_admin("POST", "/v1/personnel/proposals", proposal())
    assert status == 200, proposed
    assert (proposed["status"], proposed["proposed_by"], proposed["approver"]) == (
        "pending",
        "admin",
        "supervisor",
    )
    assert container().personnel.get("dana") is None  # nothing yet

    # When the supervisor approves it, signed in
    status, decided = as_supervisor("POST", f"/v1/personnel/proposals/{proposed['proposal_id']}/approve", {})
    assert status == 200, decided
    saved = container().personnel.get("dana")
    assert saved is not None and (saved.approved_by, saved.updated_by, saved.proposal_id) == (
        "supervisor",
        "admin",
        proposed["proposal_id"],
    )

    # Then the new detective may not search yet; training cannot be recorded directly
    assert search_as("dana") == 403
    training = {"completed": NOW.date().isoformat()}
    assert as_admin("POST", "/v1/personnel/dana/training", training)[0] == 403

    # When the training is proposed and approved, they may
    status, proposed = as_admin(
        "POST", "/v1/personnel/proposals", proposal(kind="training", training=training)
    )
    assert status == 200, proposed
    assert search_as("dana") == 403
    assert as_supervisor("POST", f"/v1/personnel/proposals/{proposed['proposal_id']}/approve", {})[0] == 200
    trained = container().personnel.get("dana")
    assert trained is not None and trained.training_expires == NOW.date() + timedelta(days=365)
    assert search_as("dana") == 200


def test_the_approver_must_be_a_supervisor(stack: Stack) -> None:
    status, body = as_admin("POST", "/v1/personnel/proposals", proposal(approver="investigator"))
    assert status == 400
    assert "neither a supervisor nor a configured account approver" in body["message"]
    assert container().account_proposals.pending() == []


def test_only_the_named_approver_decides_and_never_the_proposer(stack: Stack, monkeypatch: Any) -> None:
    _, proposed = as_admin("POST", "/v1/personnel/proposals", proposal())
    path = f"/v1/personnel/proposals/{proposed['proposal_id']}/approve"
    # the administrator role may not approve at all; a commander not configured as approver is refused
    assert as_admin("POST", path, {})[0] == 403
    commander = event("POST", path, username="commander", groups=["commander"], body={})
    assert call("api", commander)[0] == 403
    assert container().personnel.get("dana") is None
    # the commander configured as the ALPR administrator (policy 439.3.1(e)) may
    monkeypatch.setenv("ALPR_ADMINISTRATOR_USERNAME", "commander")
    container().config = ApiConfig()
    assert call("api", commander)[0] == 200
    saved = container().personnel.get("dana")
    assert saved is not None and saved.approved_by == "commander"


def test_a_rejected_proposal_changes_nothing(stack: Stack) -> None:
    before = container().personnel.get("investigator")
    changed = {**DANA, "full_name": "Ivy Investigator", "roles": ["investigator", "supervisor"]}
    _, proposed = as_admin("POST", "/v1/personnel/proposals", proposal("investigator", account=changed))
    reject = f"/v1/personnel/proposals/{proposed['proposal_id']}/reject"
    assert as_supervisor("POST", reject, {"note": "no"})[0] == 400  # a rejection says why
    status, decided = as_supervisor("POST", reject, {"note": "not promoted to sergeant"})
    assert status == 200 and decided["status"] == "rejected"
    assert container().personnel.get("investigator") == before
    approve = f"/v1/personnel/proposals/{proposed['proposal_id']}/approve"
    assert as_supervisor("POST", approve, {})[0] == 409  # decided once
    assert container().personnel.get("investigator") == before


def test_pending_proposals_are_listed_and_every_step_is_logged(stack: Stack) -> None:
    # Given a supervisor (who may read the registry and approve, not propose)
    assert as_supervisor("POST", "/v1/personnel/proposals", proposal())[0] == 403
    _, proposed = as_admin("POST", "/v1/personnel/proposals", proposal())
    status, pending = as_supervisor("GET", "/v1/personnel/proposals")
    assert status == 200 and [p["proposal_id"] for p in pending] == [proposed["proposal_id"]]
    as_supervisor("POST", f"/v1/personnel/proposals/{proposed['proposal_id']}/approve", {"note": "checked"})
    assert as_supervisor("GET", "/v1/personnel/proposals")[1] == []

    # Then every call is in the access log, with who and what
    records = access_records(stack)
    assert [(r["username"], r["method"], r["outcome"], r["action"]) for r in records] == [
        ("supervisor", "POST", "refused", "personnel:admin"),
        ("admin", "POST", "allowed", "personnel:admin"),
        ("supervisor", "GET", "allowed", "personnel:read"),
        ("supervisor", "POST", "allowed", "personnel:approve"),
        ("supervisor", "GET", "allowed", "personnel:read"),
    ]
    query = records[1]["query"]
    assert (query["username"], query["kind"], query["approver"]) == ("dana", "account", "supervisor")
    assert records[3]["query"]["decision"] == "approved"


def test_an_account_suspended_for_inactivity_is_reactivated_on_a_supervisors_approval(stack: Stack) -> None:
    # Given the seeded investigator comes back after 91 days and is suspended by the gate
    later = NOW + timedelta(days=91)
    container().clock = FixedClock(later)
    for worker in ("admin", "supervisor"):
        container().personnel.touch(worker, later)  # they have been working meanwhile
    assert search_as("investigator") == 403
    record = container().personnel.get("investigator")
    assert record is not None and record.status is Status.SUSPENDED

    # When an administrator reactivates the account directly, it is refused: it is proposed
    change = {"status": "active", "reason": "back from leave, refresher done"}
    assert as_admin("POST", "/v1/personnel/investigator/status", change)[0] == 403
    _, proposed = as_admin(
        "POST",
        "/v1/personnel/proposals",
        proposal("investigator", kind="reactivation", reason=change["reason"]),
    )
    assert search_as("investigator") == 403
    status, body = as_supervisor("POST", f"/v1/personnel/proposals/{proposed['proposal_id']}/approve", {})

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
    status, _ = as_admin("POST", "/v1/personnel/proposals", {"username": "dana", "kind": "account"})
    assert status == 422
    (record,) = access_records(stack)
    assert (record["outcome"], record["status"], record["action"]) == ("allowed", 422, "personnel:admin")
