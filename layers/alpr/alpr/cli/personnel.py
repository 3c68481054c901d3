"""`alpr personnel …`: the Personnel registry; administrators propose, the named approver approves."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from alpr.cli.options import console, uses_api
from alpr.client.http import AlprClient, ApiError

app = typer.Typer(help="Accounts, roles, training and status (administrators)", no_args_is_help=True)


def _call(client: AlprClient, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    try:
        return client.call(method, path, json=body)
    except ApiError as error:
        message = error.body.get("message", error.body) if isinstance(error.body, dict) else error.body
        console.print(f"[red]HTTP {error.status}[/]: {message}")
        raise typer.Exit(1) from None


def personnel_table(people: list[dict[str, Any]]) -> Table:
    table = Table(title="Personnel")
    for column in (
        "username",
        "full_name",
        "job_title",
        "roles",
        "status",
        "training_expires",
        "last_active",
    ):
        table.add_column(column)
    for p in people:
        table.add_row(
            p["username"],
            p["full_name"],
            p["job_title"],
            ", ".join(p["roles"]),
            p["status"],
            str(p.get("training_expires") or p.get("training_completed") or "none"),
            str(p.get("last_active") or "never"),
        )
    return table


@app.command("list")
@uses_api()
def list_people(client: AlprClient) -> None:
    """Every account."""
    console.print(personnel_table(_call(client, "GET", "/v1/personnel")))


@app.command("show")
@uses_api()
def show(client: AlprClient, username: str) -> None:
    """One account, as JSON."""
    console.print_json(json.dumps(_call(client, "GET", f"/v1/personnel/{username}")))


@app.command("propose")
@uses_api()
def propose(
    client: AlprClient,
    username: str,
    kind: Annotated[str, typer.Option(help="account (new or changed), training, or reactivation")],
    approver: Annotated[
        str, typer.Option(help="The supervisor (or configured account approver) to approve it")
    ],
    reason: Annotated[str, typer.Option(help="Why, kept with the proposal")],
    full_name: Annotated[str | None, typer.Option(help="Full name (account)")] = None,
    job_title: Annotated[str | None, typer.Option(help="Job title (account)")] = None,
    organisation: Annotated[str | None, typer.Option(help="Organisation (account)")] = None,
    role: Annotated[list[str] | None, typer.Option(help="Role, repeat for several (account)")] = None,
    badge: Annotated[str | None, typer.Option(help="Badge number (account)")] = None,
    trained: Annotated[
        str | None, typer.Option(help="Training completed, YYYY-MM-DD (account, training)")
    ] = None,
    clets_authorised: Annotated[
        str | None, typer.Option(help="CLETS authorisation date, YYYY-MM-DD (account)")
    ] = None,
) -> None:
    """Propose a change that widens access; it takes effect when the approver approves it."""
    body: dict[str, Any] = {"username": username, "kind": kind, "approver": approver, "reason": reason}
    if kind == "account":
        body["account"] = {
            "full_name": full_name,
            "job_title": job_title,
            "organisation": organisation,
            "roles": role or [],
            "badge": badge,
            "training_completed": trained,
            "clets_authorised_on": clets_authorised,
        }
    elif kind == "training":
        body["training"] = {"completed": trained or date.today().isoformat()}
    proposal = _call(client, "POST", "/v1/personnel/proposals", body)
    console.print(
        f"Proposal [bold]{proposal['proposal_id']}[/] ({proposal['kind']} for {proposal['username']}) "
        f"awaits {proposal['approver']}: nothing changes until it is approved."
    )


@app.command("pending")
@uses_api()
def pending(client: AlprClient) -> None:
    """The proposals awaiting their approver."""
    table = Table(title="Proposals awaiting approval")
    for column in ("proposal_id", "kind", "username", "proposed_by", "proposed_at", "approver", "reason"):
        table.add_column(column)
    for p in _call(client, "GET", "/v1/personnel/proposals"):
        table.add_row(
            p["proposal_id"],
            p["kind"],
            p["username"],
            p["proposed_by"],
            p["proposed_at"],
            p["approver"],
            p["reason"],
        )
    console.print(table)


@app.command("approve")
@uses_api()
def approve(
    client: AlprClient,
    proposal_id: str,
    note: Annotated[str, typer.Option(help="A note kept with the decision")] = "",
) -> None:
    """Approve a proposal that names you: the change takes effect now."""
    decided = _call(client, "POST", f"/v1/personnel/proposals/{proposal_id}/approve", {"note": note})
    console.print(f"Approved: {decided['kind']} for {decided['username']} is in effect.")


@app.command("reject")
@uses_api()
def reject(
    client: AlprClient,
    proposal_id: str,
    note: Annotated[str, typer.Option(help="Why (at least three words)")],
) -> None:
    """Reject a proposal that names you: nothing changes."""
    decided = _call(client, "POST", f"/v1/personnel/proposals/{proposal_id}/reject", {"note": note})
    console.print(f"Rejected: {decided['kind']} for {decided['username']}; nothing changed.")


@app.command("training")
@uses_api()
def training(
    client: AlprClient,
    username: str,
    completed: Annotated[str, typer.Option(help="Completion date (YYYY-MM-DD)")] = date.today().isoformat(),
    expires: Annotated[
        str | None, typer.Option(help="Expiry (default: completion + the refresher period)")
    ] = None,
) -> None:
    """Record a refresher for current training (training that lets someone in is proposed)."""
    body = {"completed": completed, "expires": expires}
    console.print_json(json.dumps(_call(client, "POST", f"/v1/personnel/{username}/training", body)))


@app.command("status")
@uses_api()
def status(
    client: AlprClient,
    username: str,
    new_status: Annotated[str, typer.Argument(help="suspended or separated")],
    reason: Annotated[str, typer.Option(help="Why, kept on the record")],
) -> None:
    """Suspend or separate an account at once (a reactivation is proposed)."""
    body = {"status": new_status, "reason": reason}
    console.print_json(json.dumps(_call(client, "POST", f"/v1/personnel/{username}/status", body)))
