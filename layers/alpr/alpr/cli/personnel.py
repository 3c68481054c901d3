"""`alpr personnel …`: the Personnel registry, through the admin endpoints (administrators)."""

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


@app.command("put")
@uses_api()
def put(
    client: AlprClient,
    username: str,
    full_name: Annotated[str, typer.Option(help="Full name")],
    job_title: Annotated[str, typer.Option(help="Job title")],
    organisation: Annotated[str, typer.Option(help="Organisation")],
    role: Annotated[list[str], typer.Option(help="Role (repeat for several)")],
    approved_by: Annotated[str, typer.Option(help="The supervisor who approved the account")],
    badge: Annotated[str | None, typer.Option(help="Badge number")] = None,
    trained: Annotated[str | None, typer.Option(help="Training completed (YYYY-MM-DD)")] = None,
) -> None:
    """Create or replace an account."""
    body = {
        "full_name": full_name,
        "job_title": job_title,
        "organisation": organisation,
        "roles": role,
        "approved_by": approved_by,
        "badge": badge,
        "training_completed": trained,
    }
    console.print_json(json.dumps(_call(client, "PUT", f"/v1/personnel/{username}", body)))


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
    """Record completed ALPR training."""
    body = {"completed": completed, "expires": expires}
    console.print_json(json.dumps(_call(client, "POST", f"/v1/personnel/{username}/training", body)))


@app.command("status")
@uses_api()
def status(
    client: AlprClient,
    username: str,
    new_status: Annotated[str, typer.Argument(help="active, suspended or separated")],
    reason: Annotated[str, typer.Option(help="Why, kept on the record")],
    approved_by: Annotated[str | None, typer.Option(help="Supervisor approving a reactivation")] = None,
) -> None:
    """Suspend, separate or reactivate an account."""
    body = {"status": new_status, "reason": reason, "approved_by": approved_by}
    console.print_json(json.dumps(_call(client, "POST", f"/v1/personnel/{username}/status", body)))
