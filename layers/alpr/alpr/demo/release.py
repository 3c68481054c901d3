"""`make demo` step for issue 7: a written request from another agency, the commander's
email as it arrives, the approval through the signed link, and the bundle checked by hash."""

from __future__ import annotations

import io
import json
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from rich.console import Console
from rich.table import Table

from alpr.adapters.mail import ReceivedMail, local_mailbox
from alpr.cli.release import file_request, history_table, print_mail
from alpr.client.http import AlprClient
from alpr.domain.release_bundle import verify_bundle
from alpr.local.page_client import PageClient
from alpr.local.stack import LocalStack

SAMPLE = Path(__file__).resolve().parents[4] / "events" / "release" / "request_form.json"


def _wait(what: str, probe: Any, timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise SystemExit(f"release demo: {what} did not happen within {timeout_s:.0f} s")
        time.sleep(0.3)


def _mail(stack: LocalStack, to: str, request_id: str) -> ReceivedMail:
    def probe() -> ReceivedMail | None:
        found = [m for m in local_mailbox(stack.endpoint_url) if to in m.to and request_id in m.subject]
        return found[-1] if found else None

    mail: ReceivedMail = _wait(f"an email to {to}", probe)
    return mail


def _status(client: AlprClient, request_id: str, *statuses: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        request: dict[str, Any] = client.call("GET", f"/v1/release-requests/{request_id}")
        return request if request["status"] in statuses else None

    request: dict[str, Any] = _wait(f"request {request_id} reaching {statuses}", probe)
    return request


def sample_form(plate: str, now: datetime) -> dict[str, Any]:
    form: dict[str, Any] = json.loads(SAMPLE.read_text())
    form["scope"] = {
        "plates": [plate],
        "start": (now - timedelta(days=1)).isoformat().replace("+00:00", "Z"),
        "end": (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
    }
    return form


def show_release(console: Console, stack: LocalStack, plate: str = "7ABC123") -> None:
    """Request → the commander's email → approve by the link → bundle verified; and a refusal."""
    console.rule("[bold]Releasing data to another agency (policy 439.7, Civil Code § 1798.90.55(b))")
    records = AlprClient(stack.api_url, stack.token("records"))
    now = datetime.now(UTC)

    refused = file_request(
        records, {**sample_form(plate, now), "agency_name": "Reno PD", "jurisdiction": "other_state"}
    )
    refused = _status(records, refused["request_id"], "refused")
    console.print(f"An out-of-state request → [bold red]refused[/], rule cited: {refused['rule']}")

    filed = file_request(records, sample_form(plate, now), letter=b"%PDF-1.4 (the sheriff's signed letter)")
    request_id = filed["request_id"]
    console.print(f"Records staff filed {request_id} from the Contra Costa County Sheriff for {plate}")
    mail = _mail(stack, "commander@", request_id)
    console.print("[bold]The commander's mailbox (`alpr local mail`):[/]")
    print_mail(console, mail)

    # The commander clicks APPROVE in the mail client: the browser is sent to sign in (hosted UI,
    # locally its stand-in), comes back to the same link, and confirms on the page.
    browser = PageClient()
    sign_in = browser.open(mail.links["APPROVE"])
    console.print(
        f"The commander clicks APPROVE → sign-in page: [bold]{sign_in.title}[/] ({sign_in.url.split('?')[0]})"
    )
    state = stack.state()
    page = browser.submit(
        sign_in,
        {"username": "commander", "password": state.passwords["commander"], "code": state.totp("commander")},
    )
    if page.status != 200 or not page.forms:
        raise SystemExit(f"release demo: the decision page did not open (HTTP {page.status}): {page.title}")
    console.print(f"… signs in with password and authenticator code → the page: [bold]{page.title}[/]")
    decided = browser.submit(page)
    console.print(f"… presses Approve → [bold]{decided.title}[/] (HTTP {decided.status})")
    if decided.status != 200:
        raise SystemExit(f"release demo: the decision was not taken: {decided.text[:300]}")

    done = _status(records, request_id, "fulfilled", "failed")
    if done["status"] == "failed":
        raise SystemExit(f"release demo: the workflow failed: {done['history'][-1]['note']}")
    console.print(history_table(done))
    told = _mail(stack, "areyes@", request_id)
    url = next(line for line in told.text.splitlines() if line.startswith("http"))
    archive = zipfile.ZipFile(io.BytesIO(requests.get(url, timeout=30).content))
    files = {name: archive.read(name) for name in archive.namelist()}
    problems = verify_bundle(files)
    table = Table(title=f"Bundle for {request_id} (from the requester's expiring link)")
    for column in ("file", "bytes", "sha256"):
        table.add_column(column)
    for entry in json.loads(files["manifest.json"])["files"]:
        table.add_row(entry["path"], str(entry["bytes"]), entry["sha256"][:16] + "…")
    console.print(table)
    if problems:
        raise SystemExit(f"release demo: the bundle does not match its manifest: {problems}")
    console.print(
        f"{len(done['manifest']['read_ids'])} reads released; every file matches the manifest's SHA-256; "
        "the disclosure is in the access log"
    )
