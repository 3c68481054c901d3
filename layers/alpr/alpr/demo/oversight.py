"""`make demo` steps for oversight (issue 21): an account the administrator proposes takes effect only
when the approver approves it, signed in; and a supervisor corrects a misread, which a search then
shows beside the plate as read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from alpr.client.http import AlprClient, ApiError
from alpr.demo.access import DEMO_PURPOSE
from alpr.domain.access import Purpose
from alpr.local.stack import LOCAL_ACCOUNT_APPROVER, LocalStack

# The correction: one of the tour's reads, the plate its image is said to show, and why.
MISREAD, SHOWN = "5KLM902", "5KLM802"
CORRECTION_REASON = "the crop shows an 8 where the reader saw a 9"
# The supervisor corrects while working the tour's case (a correction is a data access: it states one).
CORRECTING = Purpose(
    category=DEMO_PURPOSE.category,
    case_number=DEMO_PURPOSE.case_number,
    text="checking the sightings of the stolen Civic against their plate crops",
)


def _message(error: ApiError) -> str:
    return str(error.body.get("message") if isinstance(error.body, dict) else error.body)


def show_account_approval(console: Console, stack: LocalStack, username: str = "dana") -> None:
    """The administrator proposes an investigator's account; it is not in effect, the administrator
    may not approve it, the configured account approver does, and then it is."""
    console.rule("[bold]Account approval: the administrator proposes, the approver named decides, signed in")
    admin = AlprClient(stack.api_url, stack.token("admin"))
    approver = AlprClient(stack.api_url, stack.token(LOCAL_ACCOUNT_APPROVER))
    request = {
        "username": username,
        "kind": "account",
        "approver": LOCAL_ACCOUNT_APPROVER,
        "reason": "joins the burglary unit as a detective on Monday",
        "account": {
            "full_name": "Dana Detective",
            "job_title": "Detective",
            "organisation": "Local Police Department",
            "roles": ["investigator"],
            "training_completed": datetime.now(UTC).date().isoformat(),
        },
    }
    proposal = admin.call("POST", "/v1/personnel/proposals", json=request)
    proposal_id = proposal["proposal_id"]
    console.print(
        f"alpr personnel propose {username} --kind account --role investigator --approver "
        f"{LOCAL_ACCOUNT_APPROVER} (the administrator, admin) → proposal {proposal_id}: {proposal['status']}, "
        f"proposed by {proposal['proposed_by']} at {proposal['proposed_at']}, awaits {proposal['approver']} "
        f"(the ALPR administrator, a configured account approver); reason: {proposal['reason']}"
    )
    try:
        admin.call("GET", f"/v1/personnel/{username}")
    except ApiError as error:
        console.print(
            f"GET /v1/personnel/{username} → HTTP {error.status}: not in the registry until approved"
        )
    else:
        raise SystemExit(f"account approval: {username} is in the registry before anyone approved it")
    try:
        admin.call("POST", f"/v1/personnel/proposals/{proposal_id}/approve", json={})
    except ApiError as error:
        console.print(
            f"The administrator approves their own proposal → refused: HTTP {error.status}: {_message(error)}"
        )
    else:
        raise SystemExit("account approval: the administrator approved their own proposal")
    decided = approver.call(
        "POST", f"/v1/personnel/proposals/{proposal_id}/approve", json={"note": "training certificate seen"}
    )
    account = admin.call("GET", f"/v1/personnel/{username}")
    if (account["roles"], account["approved_by"]) != (["investigator"], LOCAL_ACCOUNT_APPROVER):
        raise SystemExit(f"account approval: the approved account is not as proposed: {account}")
    console.print(
        f"alpr personnel approve {proposal_id} ({decided['decided_by']}, signed in) → {decided['status']} at "
        f"{decided['decided_at']}; {username} is {account['status']} with roles {', '.join(account['roles'])}, "
        f"approved by {account['approved_by']} (proposal {account['proposal_id']} kept with the account)"
    )


def _corrected(read: dict[str, Any]) -> str:
    latest = read["corrections"][-1]
    return (
        f"read as {read['plate']} at {read['captured_at']}, corrected to {read['corrected_plate']} by "
        f"{latest['by']} ({latest['reason']})"
    )


def show_correction(console: Console, stack: LocalStack, investigator: AlprClient) -> None:
    """A supervisor marks the tour's read of MISREAD as showing SHOWN; a search for either plate
    finds the read with its correction beside the plate as read."""
    console.rule("[bold]Correcting a misread: the read is kept as read, the correction beside it")
    reads = investigator.wait_for_plate(MISREAD)
    if not reads:
        raise SystemExit(f"correction: no read of {MISREAD} to correct")
    read_id = reads[0]["read_id"]
    supervisor = AlprClient(stack.api_url, stack.token("supervisor"), purpose=CORRECTING)
    receipt = supervisor.correct_read(read_id, SHOWN, state="CA", reason=CORRECTION_REASON)
    correction = receipt["correction"]
    console.print(
        f"alpr reads correct {read_id} --plate {SHOWN} (the supervisor, for case {CORRECTING.case_number}) → "
        f"{correction['original_plate']} corrected to {correction['plate']} by {correction['by']} at "
        f"{correction['at']}; alerts closed as misread: {', '.join(receipt['alerts_closed']) or 'none'}"
    )
    for plate in (SHOWN, MISREAD):
        found = [r for r in investigator.search_plate(plate) if r["read_id"] == read_id]
        if not found or found[0]["corrected_plate"] != SHOWN:
            raise SystemExit(
                f"correction: a search for {plate} should show read {read_id} corrected to {SHOWN}"
            )
        console.print(f"The investigator searches {plate} → read {read_id}: {_corrected(found[0])}")
