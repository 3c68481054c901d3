"""`alpr audit list|query|review|account-review`: the audit plan's named queries, run by DuckDB over
the local stack's access log (in the cloud the same queries are Athena named queries: docs/audit.md),
and the reviews recorded through the API."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import boto3
import typer
from botocore.exceptions import EndpointConnectionError
from rich.table import Table

from alpr.adapters.audit_duckdb import AuditResult, S3AuditSource, window_days
from alpr.cli.options import console, uses_api
from alpr.client.http import AlprClient, ApiError
from alpr.domain.account_reviews import AccountFinding
from alpr.domain.audit import NAMED_QUERIES, NamedQuery, named_query
from alpr.domain.errors import InvalidRequest
from alpr.domain.plates import plate_for_search
from alpr.domain.reviews import Finding
from alpr.domain.spreadsheet import neutralise
from alpr.names import ACCESS_LOG_PREFIX, Output

app = typer.Typer(help="The audit plan's named queries over the access log", no_args_is_help=True)

REVIEW_DAYS = 7  # the supervisor's weekly review
DAY_FORMATS = ["%Y-%m-%d"]


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def default_window(today: date) -> tuple[date, date]:
    """The last seven UTC days, today included."""
    return today - timedelta(days=REVIEW_DAYS - 1), today


def local_source(endpoint_url: str, bucket: str) -> S3AuditSource:
    """The access log of a local stack (its moto server takes any credentials)."""
    from alpr.local.stack import REGION

    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return S3AuditSource(bucket, lambda: client)


def arguments(query: NamedQuery, first: date, last: date, plate: str | None) -> dict[str, str]:
    """The query's parameters by name; BadParameter when one it needs is missing or not a plate."""
    values = {"from_day": first.isoformat(), "to_day": last.isoformat()}
    if "plate" in query.parameters:
        if not plate:
            raise typer.BadParameter(f"{query.name} needs --plate", param_hint="--plate")
        try:
            values["plate"] = plate_for_search(plate)
        except InvalidRequest as error:
            raise typer.BadParameter(str(error), param_hint="--plate") from None
    return values


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def result_table(query: NamedQuery, result: AuditResult, title: str, limit: int | None = None) -> Table:
    """One named query's answer as a table (its first `limit` rows when given)."""
    rows = result.rows if limit is None else result.rows[:limit]
    shown = f"{len(rows)} of {len(result.rows)}" if len(rows) < len(result.rows) else f"{len(rows)}"
    table = Table(title=title, caption=f"{shown} row(s) · {query.name}: {query.description}")
    for column in result.columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(value) for value in row))
    return table


def _print(query: NamedQuery, result: AuditResult, output: Format, title: str) -> None:
    if output is Format.TABLE:
        console.print(result_table(query, result, title))
    elif output is Format.CSV:
        writer = csv.writer(sys.stdout)
        writer.writerow([neutralise(c) for c in result.columns])
        writer.writerows([[neutralise(_cell(v)) for v in row] for row in result.rows])
    else:
        rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
        print(json.dumps(rows, indent=2, default=str))


@app.command("list")
def list_queries() -> None:
    """The named queries: name, parameters, what each is for."""
    table = Table(title="Audit named queries (Athena in the cloud, DuckDB locally)")
    for column in ("name", "parameters", "description"):
        table.add_column(column, overflow="fold")
    for query in NAMED_QUERIES:
        table.add_row(query.name, ", ".join(query.parameters), query.description)
    console.print(table)


@app.command("query")
def query_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="a named query (alpr audit list)")],
    start: Annotated[
        datetime | None,
        typer.Option("--from", formats=DAY_FORMATS, help="first UTC day, YYYY-MM-DD (default: 6 days ago)"),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option("--to", formats=DAY_FORMATS, help="last UTC day, YYYY-MM-DD (default: today)"),
    ] = None,
    plate: Annotated[str | None, typer.Option(help="the plate (plate-lookups)")] = None,
    output: Annotated[Format, typer.Option("--format", help="table, csv or json")] = Format.TABLE,
    port: Annotated[int, typer.Option(help="a local stack on this port (alpr local up)")] = 8080,
) -> None:
    """Run one named query over the local stack's access log, for a window of UTC days."""
    try:
        query = named_query(name)
    except KeyError as error:
        raise typer.BadParameter(str(error.args[0]), param_hint="NAME") from None
    first, last = default_window(datetime.now(UTC).date())
    first, last = (start.date() if start else first), (end.date() if end else last)
    try:
        days = window_days(first, last)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--from/--to") from None
    values = arguments(query, first, last, plate)

    from alpr.local.stack import LocalState, state_file

    try:
        state = LocalState.load(state_file(port))
    except FileNotFoundError as error:
        console.print(f"[red]{error}[/] (or give the port of the running stack with --port)")
        raise typer.Exit(1) from None
    bucket = str(state.outputs[Output.ACCESS_LOG_BUCKET.value])
    try:
        database = local_source(state.endpoint_url, bucket).database(first, last, query.reads_back_days)
        loaded = database.loaded
    except EndpointConnectionError:
        console.print(
            f"[red]no local stack answers at {state.endpoint_url}: is `alpr local up --port {port}` running?[/]"
        )
        raise typer.Exit(1) from None
    result = database.run(query, values)
    title = (
        f"{query.name}, {first} to {last}: {loaded} record(s) from {len(days)} partition(s) of "
        f"s3://{bucket}/{ACCESS_LOG_PREFIX}"
    )
    _print(query, result, output, title)


# --- the weekly review -----------------------------------------------------------------

# Asks the reviewer about one sampled access (its row of review-sample): (finding, note).
Asker = Callable[[dict[str, Any]], tuple[Finding, str]]


def review_body(first: date, last: date, sample: AuditResult, ask: Asker) -> dict[str, Any]:
    """The body of `POST /v1/audit/reviews`: the window, the sample's event ids in order, and the
    reviewer's finding on each, asked one access at a time."""
    rows = [dict(zip(sample.columns, row, strict=True)) for row in sample.rows]
    findings = []
    for row in rows:
        finding, note = ask(row)
        findings.append({"event_id": row["event_id"], "finding": finding.value, "note": note})
    return {
        "from_day": first.isoformat(),
        "to_day": last.isoformat(),
        "sample": [row["event_id"] for row in rows],
        "findings": findings,
    }


def ask_in_terminal(row: dict[str, Any]) -> tuple[Finding, str]:
    """Show one sampled access and ask for the finding (and a note unless proper)."""
    console.print(
        f"\n[bold]{row['time']}[/] {row['username']} ({row['organisation']}) {row['action']} "
        f"plate [bold]{row['plate'] or '-'}[/]\n  purpose {row['purpose_category']} · case {row['case_number']} · "
        f"{row['purpose_text']}"
    )
    choices = "/".join(f.value for f in Finding)
    while True:
        choice = str(typer.prompt(f"  finding ({choices})", default=Finding.PROPER.value)).strip().lower()
        if choice in {f.value for f in Finding}:
            break
        console.print(f"  [red]one of {choices}[/]")
    finding = Finding(choice)
    if finding is Finding.PROPER:
        return finding, typer.prompt("  note (optional)", default="", show_default=False)
    while True:
        note = str(typer.prompt("  note (what is in question, at least three words)")).strip()
        if len(note.split()) >= 3:
            return finding, note


@app.command("review")
def review_command(
    start: Annotated[
        datetime | None,
        typer.Option("--from", formats=DAY_FORMATS, help="first UTC day, YYYY-MM-DD (default: 6 days ago)"),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option("--to", formats=DAY_FORMATS, help="last UTC day, YYYY-MM-DD (default: today)"),
    ] = None,
    token: Annotated[str, typer.Option(envvar="ALPR_TOKEN", help="Bearer token of a supervisor")] = "",
    port: Annotated[int, typer.Option(help="a local stack on this port (alpr local up)")] = 8080,
) -> None:
    """The weekly review: walk through the window's review-sample, give a finding on each access
    (proper, question, improper, with a note), and record it (POST /v1/audit/reviews)."""
    first, last = default_window(datetime.now(UTC).date())
    first, last = (start.date() if start else first), (end.date() if end else last)
    try:
        window_days(first, last)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--from/--to") from None
    from alpr.local.stack import LocalState, state_file

    try:
        state = LocalState.load(state_file(port))
    except FileNotFoundError as error:
        console.print(f"[red]{error}[/] (or give the port of the running stack with --port)")
        raise typer.Exit(1) from None
    bucket = str(state.outputs[Output.ACCESS_LOG_BUCKET.value])
    query = named_query("review-sample")
    sample = (
        local_source(state.endpoint_url, bucket)
        .database(first, last)
        .run(query, arguments(query, first, last, plate=None))
    )
    console.print(f"Weekly review {first} to {last}: {len(sample.rows)} sampled data access(es)")
    body = review_body(first, last, sample, ask_in_terminal)
    try:
        receipt = AlprClient(state.api_url, token).call("POST", "/v1/audit/reviews", json=body)
    except ApiError as error:
        message = error.body.get("message", error.body) if isinstance(error.body, dict) else error.body
        console.print(f"[red]HTTP {error.status}[/]: {message}")
        raise typer.Exit(1) from None
    console.print(
        f"Review {receipt['review_id']} recorded: {receipt['findings'] or 'nothing sampled'}; "
        f"kept at {receipt['key']} (see `alpr audit query reviews`)"
    )


# Asks the reviewer about one account (its Personnel record as JSON): (finding, note).
AccountAsker = Callable[[dict[str, Any]], tuple[AccountFinding, str]]


def account_review_body(accounts: list[dict[str, Any]], ask: AccountAsker) -> dict[str, Any]:
    """The body of `POST /v1/audit/account-reviews`: a finding for every account, asked one at a time."""
    findings = []
    for account in accounts:
        finding, note = ask(account)
        findings.append({"username": account["username"], "finding": finding.value, "note": note})
    return {"findings": findings}


def ask_about_account(account: dict[str, Any]) -> tuple[AccountFinding, str]:
    """Show one account (roles, status, last activity, training, approver) and ask for the finding."""
    console.print(
        f"\n[bold]{account['username']}[/] {account['full_name']}, {account['job_title']} · "
        f"roles {', '.join(account['roles'])} · {account['status']}\n  last active "
        f"{account.get('last_active') or 'never'} · training {account.get('training_completed') or 'none'} "
        f"(expires {account.get('training_expires') or '-'}) · approved by {account.get('approved_by') or '-'}"
    )
    choices = "/".join(f.value for f in AccountFinding)
    while True:
        choice = (
            str(typer.prompt(f"  finding ({choices})", default=AccountFinding.KEEP.value)).strip().lower()
        )
        if choice in {f.value for f in AccountFinding}:
            break
        console.print(f"  [red]one of {choices}[/]")
    finding = AccountFinding(choice)
    if finding is AccountFinding.KEEP:
        return finding, typer.prompt("  note (optional)", default="", show_default=False)
    while True:
        note = str(typer.prompt("  note (what is to change, at least three words)")).strip()
        if len(note.split()) >= 3:
            return finding, note


@app.command("account-review")
@uses_api()
def account_review_command(client: AlprClient) -> None:
    """The yearly account review (CJIS): walk through every account of the registry, give a finding
    on each (keep, change, disable, with a note), and record it (POST /v1/audit/account-reviews)."""
    try:
        accounts = client.call("GET", "/v1/personnel")
        console.print(f"Account review: {len(accounts)} account(s) in the Personnel registry")
        body = account_review_body(accounts, ask_about_account)
        receipt = client.call("POST", "/v1/audit/account-reviews", json=body)
    except ApiError as error:
        message = error.body.get("message", error.body) if isinstance(error.body, dict) else error.body
        console.print(f"[red]HTTP {error.status}[/]: {message}")
        raise typer.Exit(1) from None
    console.print(
        f"Account review {receipt['review_id']} recorded: {receipt['findings']}; kept at {receipt['key']} "
        "(see `alpr audit query account-reviews`)"
    )
