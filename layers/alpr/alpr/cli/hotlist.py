"""`alpr hotlist`: import an extract (checked here first, then dropped in the hotlist bucket),
enter a local entry (plate or partial plate, with its earlier sightings), list, remove; alerts."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import boto3
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from alpr.cli.options import console, uses_api
from alpr.client.http import AlprClient
from alpr.domain.hotlist import DEFAULT_REFUSED, HotlistFileRejected, parse_hotlist_file
from alpr.names import HOTLIST_INCOMING_PREFIX, Output
from alpr.services.hotlist import report_key

app = typer.Typer(help="Hotlists: import extracts, enter partial plates, work alerts", no_args_is_help=True)


def check_file(path: Path, source: str | None) -> int:
    """Parse the whole file with a progress bar; the number of entries, or exit 1 with every bad line."""
    size = path.stat().st_size
    with Progress(
        TextColumn(f"checking {path.name}"), BarColumn(), DownloadColumn(), console=console, transient=True
    ) as progress:
        task = progress.add_task("check", total=size)

        def lines():
            with path.open(encoding="utf-8", errors="surrogateescape") as handle:
                for line in handle:
                    progress.advance(task, len(line.encode()))
                    yield line

        try:
            parsed = parse_hotlist_file(
                lines(), now=datetime.now(UTC), refused=DEFAULT_REFUSED, source=source, keep=lambda _: None
            )
        except HotlistFileRejected as rejected:
            progress.stop()
            console.print(f"[bold red]{path} is rejected whole; nothing is imported.[/]")
            for error in rejected.errors[:50]:
                console.print(f"  {error}")
            raise typer.Exit(1) from None
    console.print(
        f"{path.name}: {parsed.imported} entries of {parsed.source}, extracted {parsed.refreshed_at:%Y-%m-%d %H:%M}Z"
        f"; refused {parsed.refused or 'none'}; expired {parsed.expired}"
    )
    return parsed.imported


def upload(path: Path, source: str, bucket: str, endpoint_url: str | None) -> str:
    """Drop the file under incoming/<SOURCE>/ with a progress bar; its key."""
    key = f"{HOTLIST_INCOMING_PREFIX}{source}/{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{path.name}"
    s3 = boto3.client("s3", endpoint_url=endpoint_url)
    with Progress(
        TextColumn(f"uploading to s3://{bucket}/{key}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("upload", total=path.stat().st_size)
        s3.upload_file(str(path), bucket, key, Callback=lambda sent: progress.advance(task, sent))
    return key


def wait_for_report(
    bucket: str, key: str, endpoint_url: str | None, timeout_s: float = 600
) -> dict[str, Any]:
    """The import function's report on the file (reports/<key>.json)."""
    s3 = boto3.client("s3", endpoint_url=endpoint_url)
    deadline = time.monotonic() + timeout_s
    with console.status("waiting for the import function's report…"):
        while True:
            try:
                body = s3.get_object(Bucket=bucket, Key=report_key(key))["Body"].read()
                report: dict[str, Any] = json.loads(body)
                return report
            except s3.exceptions.NoSuchKey:
                if time.monotonic() > deadline:
                    raise typer.Exit(2) from None
                time.sleep(1)


def import_file(path: Path, source: str, bucket: str, endpoint_url: str | None) -> dict[str, Any]:
    """Check, upload, and wait for the report: what `alpr hotlist import` and the demo do."""
    check_file(path, source)
    key = upload(path, source, bucket, endpoint_url)
    return wait_for_report(bucket, key, endpoint_url)


def print_report(report: dict[str, Any]) -> None:
    if report.get("outcome") != "imported":
        console.print(f"[bold red]rejected[/]: {report.get('message')}")
        return
    console.print(
        f"[bold green]imported[/] {report['imported']} entries of {report['source']} as version {report['version']} "
        f"(replacing {report.get('previous_version') or 'nothing'}); refused by configuration: "
        f"{report['refused'] or 'none'}; already expired: {report['expired']}"
    )


@app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="the extract (README: file format)")
    ],
    source: Annotated[str, typer.Option(help="the list it replaces, e.g. NCIC; must match line 1")] = "NCIC",
    port: Annotated[int, typer.Option(help="a local stack on this port (alpr local up)")] = 8080,
    bucket: Annotated[str, typer.Option(help="the hotlist bucket (cloud); default: the local stack's")] = "",
) -> None:
    """Import an extract: checked here whole, then dropped in the hotlist bucket; prints the import report."""
    check_file(file, source.upper())  # before anything leaves this machine
    endpoint_url = None
    if not bucket:
        from alpr.local.stack import LocalState, state_file

        state = LocalState.load(state_file(port))
        bucket, endpoint_url = str(state.outputs[Output.HOTLIST_BUCKET.value]), state.endpoint_url
    report = wait_for_report(bucket, upload(file, source.upper(), bucket, endpoint_url), endpoint_url)
    print_report(report)
    if report.get("outcome") != "imported":
        raise typer.Exit(1)


def entry_request(plate: str, case: str, reason: str, days: int, state: str | None) -> dict[str, Any]:
    return {
        "plate": plate,
        "state": state,
        "case_number": case,
        "reason": reason,
        "expires_at": (datetime.now(UTC) + timedelta(days=days)).isoformat().replace("+00:00", "Z"),
    }


def sightings_table(created: dict[str, Any]) -> Table:
    entry = created["entry"]
    table = Table(
        title=f"Earlier sightings of {entry['plate']} ({entry.get('state') or 'any state'})",
        caption="An ALPR read is not an identification: confirm before acting.",
    )
    for column in ("captured_at", "plate", "state", "match", "unit", "position", "read_id"):
        table.add_column(column)
    for read in created["earlier_sightings"]:
        table.add_row(
            str(read["captured_at"]),
            str(read["plate"]),
            str(read.get("state") or "?"),
            created["match_kinds"].get(read["read_id"], ""),
            str(read["unit_id"]),
            f"{float(read['lat']):.5f}, {float(read['lon']):.5f}",
            str(read["read_id"]),
        )
    return table


@app.command("add")
@uses_api(purpose=True)
def add_command(
    client: AlprClient,
    plate: Annotated[str, typer.Argument(help="plate or partial plate: '?' one character, '*' any run")],
    state: Annotated[str | None, typer.Option(help="two-letter state, if known")] = None,
    days: Annotated[int, typer.Option(help="days until the entry expires (at most 30 by default)")] = 14,
    entry_reason: Annotated[str, typer.Option("--entry-reason", help="why the vehicle is sought")] = "",
) -> None:
    """Enter a local hotlist entry; prints the earlier sightings it matches (retro-match)."""
    stated = client.purpose
    assert stated is not None  # uses_api(purpose=True) asked for it
    body = entry_request(plate, stated.case_number, entry_reason or stated.text, days, state)
    created = client.call("POST", "/v1/hotlist/entries", json=body)
    console.print(
        f"entry {created['entry']['entry_id']}: {created['entry']['plate']} until {created['entry']['expires_at']}"
    )
    console.print(sightings_table(created))


def alert_text(alert: dict[str, Any]) -> str:
    """An alert as an officer reads it (the same words as the SNS message)."""
    from alpr.domain.alerts import Alert, officer_message

    subject, body = officer_message(Alert.model_validate(alert))
    return f"{subject}\n{body}"


@app.command("alerts")
@uses_api(purpose=True)
def alerts_command(
    client: AlprClient,
    status: Annotated[str, typer.Option(help="open or closed")] = "open",
) -> None:
    """Alerts, newest first, as an officer reads them."""
    for alert in client.call("GET", "/v1/alerts", params={"status": status})["items"]:
        console.rule(alert["alert_id"])
        console.print(alert_text(alert), markup=False)


@app.command("dispose")
@uses_api(purpose=True)
def dispose_command(
    client: AlprClient,
    alert_id: Annotated[str, typer.Argument(help="the alert to close")],
    disposition: Annotated[
        str,
        typer.Option(help="confirmed_clets, wrong_state, misread, vehicle_not_present or dismissed"),
    ],
    note: Annotated[str | None, typer.Option(help="what was found")] = None,
) -> None:
    """Close an alert with its disposition (your name and the time are recorded)."""
    closed = client.call(
        "POST", f"/v1/alerts/{alert_id}/disposition", json={"disposition": disposition, "note": note}
    )
    last = closed["dispositions"][-1]
    console.print(f"{alert_id}: {closed['status']} as {last['disposition']} by {last['by']} at {last['at']}")
