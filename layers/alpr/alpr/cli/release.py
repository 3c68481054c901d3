"""`alpr release …` (file a request, follow it, decide from a link) and `alpr local mail`
(the local stack's mailbox: what SES sent, as a mail client shows it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import requests
import typer
from rich.console import Console
from rich.table import Table

from alpr.adapters.mail import ReceivedMail, local_mailbox
from alpr.cli.options import Port, console, uses_api
from alpr.client.http import AlprClient, ApiError

app = typer.Typer(help="Releasing ALPR data to other agencies (policy 439.7)", no_args_is_help=True)

# ---- what the API is asked --------------------------------------------------------------


def file_request(client: AlprClient, form: dict[str, Any], letter: bytes | None = None) -> dict[str, Any]:
    """POST the written request; upload the letter to the ticket it returns. The request as filed."""
    filed: dict[str, Any] = client.call("POST", "/v1/release-requests", json=form)
    ticket = filed.get("letter_upload")
    if letter is not None and ticket:
        response = requests.post(
            ticket["url"],
            data={**ticket["fields"], "Content-Type": "application/pdf"},
            files={"file": ("letter.pdf", letter, "application/pdf")},
            timeout=client.timeout_s,
        )
        if response.status_code not in (200, 201, 204):
            raise ApiError(response.status_code, response.text)
    request: dict[str, Any] = filed["request"]
    return request


class ForeignLink(ValueError):
    """A decision link that does not point at the API this CLI signs in to."""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(scheme)
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port


def require_same_origin(client: AlprClient, link_url: str) -> None:
    """Refuse a link whose scheme, host or port differ from the API's: the token would go to them."""
    if _origin(link_url) != _origin(client.base_url) or not urlsplit(link_url).path.startswith(
        urlsplit(client.base_url).path.rstrip("/") + "/v1/"
    ):
        raise ForeignLink(
            f"this link does not point at the API ({client.base_url}); your token is not sent to it: {link_url}"
        )


def confirmation_page(client: AlprClient, link_url: str) -> str:
    """GET the page a decision link opens (signed in); raises ApiError when the link is refused."""
    require_same_origin(client, link_url)
    response = client.session.get(
        link_url, headers=client._headers(), timeout=client.timeout_s, allow_redirects=False
    )
    if not response.ok:
        raise ApiError(response.status_code, response.text)
    return response.text


def decide(client: AlprClient, link_url: str, reason: str = "") -> dict[str, Any]:
    """POST the decision a link stands for; the request as decided."""
    from alpr.services.release import token_of

    require_same_origin(client, link_url)
    path = link_url.split("?", 1)[0].split("/v1/", 1)[1]
    result: dict[str, Any] = client.call(
        "POST", f"/v1/{path}", json={"link": token_of(link_url), "reason": reason}
    )
    return result


# ---- commands ------------------------------------------------------------------------------


def history_table(request: dict[str, Any]) -> Table:
    table = Table(title=f"Release request {request['request_id']}: {request['status']}")
    for column in ("at", "status", "by", "note", "rule"):
        table.add_column(column, overflow="fold")
    for change in request["history"]:
        table.add_row(
            change["at"], change["status"], change["by"], change.get("note", ""), change.get("rule") or ""
        )
    return table


@app.command("request")
@uses_api(local_user=True)
def request_command(
    client: AlprClient,
    form: Annotated[
        Path, typer.Argument(help="The written request as JSON (see events/release/request_form.json)")
    ],
    letter: Annotated[Path | None, typer.Option(help="The request letter (PDF or image) to upload")] = None,
) -> None:
    """File a written request from another agency; the workflow checks it against the law next."""
    request = file_request(client, json.loads(form.read_text()), letter.read_bytes() if letter else None)
    console.print(
        f"filed {request['request_id']} ({request['status']}); follow it with `alpr release status`"
    )


@app.command("status")
@uses_api(local_user=True)
def status_command(client: AlprClient, request_id: str) -> None:
    """A request as kept on file: status, rule cited, every change, the decision and the manifest."""
    request = client.call("GET", f"/v1/release-requests/{request_id}")
    console.print(history_table(request))
    if request.get("manifest"):
        console.print(
            f"released {len(request['manifest']['read_ids'])} reads, {len(request['manifest']['files'])} files"
        )


@app.command("list")
@uses_api(local_user=True)
def list_command(
    client: AlprClient,
    status: Annotated[
        str, typer.Option(help="Only requests with this status (e.g. awaiting_commander)")
    ] = "",
) -> None:
    """The register of release requests, newest first."""
    params = {"status": status} if status else None
    found = client.call("GET", "/v1/release-requests", params=params)
    table = Table(title="Release requests")
    for column in ("received_at", "request_id", "status", "agency", "case", "decision", "reads"):
        table.add_column(column)
    for r in found:
        decision = f"{r['decision']} by {r['decided_by']}" if r["decision"] else ""
        reads = "" if r["reads_released"] is None else str(r["reads_released"])
        table.add_row(
            r["received_at"],
            r["request_id"],
            r["status"],
            r["agency_name"],
            r["case_number"],
            decision,
            reads,
        )
    console.print(table)


@app.command("decide")
@uses_api(local_user=True)
def decide_command(
    client: AlprClient,
    link: Annotated[str, typer.Argument(help="The APPROVE or DENY link from the email")],
    reason: Annotated[str, typer.Option(help="Why (required to deny)")] = "",
) -> None:
    """Open a decision link signed in, then confirm it (what the confirmation page's button does)."""
    try:
        confirmation_page(client, link)
        request = decide(client, link, reason)
    except ForeignLink as foreign:
        console.print(f"[red]refused[/]: {foreign}")
        raise typer.Exit(2) from None
    except ApiError as error:
        console.print(f"[red]refused[/] (HTTP {error.status}): {error.body}")
        raise typer.Exit(1) from None
    console.print(history_table(request))


def print_mail(out: Console, mail: ReceivedMail) -> None:
    """One message the way a mail client shows it: headers, the text, then its links."""
    out.print(f"[bold]From:[/]    {mail.sender}")
    out.print(f"[bold]To:[/]      {mail.to}")
    out.print(f"[bold]Date:[/]    {mail.date}")
    out.print(f"[bold]Subject:[/] {mail.subject}")
    out.print()
    out.print(mail.text, markup=False, highlight=False, soft_wrap=True)
    for label, url in mail.links.items():
        out.print(f"[bold]{label.lower()} link:[/] {url}", soft_wrap=True)


def mail_command(
    show: Annotated[
        int | None, typer.Option(help="Print message N of the list (default: the latest)")
    ] = None,
    to: Annotated[str, typer.Option(help="Only messages to this address (substring)")] = "",
    port: Port = 8080,
) -> None:
    """The local stack's mailbox: every email SES sent, and one printed as a mail client shows it."""
    from alpr.local.stack import LocalState, state_file

    mails = [m for m in local_mailbox(LocalState.load(state_file(port)).endpoint_url) if to in m.to]
    if not mails:
        console.print("no mail sent yet")
        return
    table = Table(title="Local mailbox (SES)")
    for column in ("#", "to", "subject", "date"):
        table.add_column(column)
    for number, mail in enumerate(mails, 1):
        table.add_row(str(number), mail.to, mail.subject, mail.date)
    console.print(table)
    index = (show or len(mails)) - 1
    if not 0 <= index < len(mails):
        raise typer.BadParameter(f"there are {len(mails)} messages")
    console.rule(f"message {index + 1}")
    print_mail(console, mails[index])
