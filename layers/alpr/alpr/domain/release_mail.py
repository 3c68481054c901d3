"""What the commander and the requester read: plain text first, a small HTML part beside it."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime

from alpr.domain.models import iso_utc
from alpr.domain.release import ReleaseRequest, ReleaseStatus, Round


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


def _scope_lines(request: ReleaseRequest) -> list[str]:
    scope = request.form.scope
    lines = [f"  Window:     {iso_utc(scope.start)} to {iso_utc(scope.end)}"]
    if scope.plates:
        lines.append(f"  Plates:     {', '.join(scope.plates)}")
    if scope.area is not None:
        area = scope.area
        lines.append(f"  Area:       {area.radius_m:.0f} m around {area.lat:.5f}, {area.lon:.5f}")
    return lines


def quoted(text: str) -> list[str]:
    """Requester-written text as quoted lines ("> …"), so it reads as a quotation, never as ours."""
    return [f"  > {line}" for line in (text.splitlines() or [""])]


def _html(paragraphs: list[str], links: list[tuple[str, str]] | None = None) -> str:
    body = "".join(f"<pre style='font-family:inherit'>{html.escape(p)}</pre>" for p in paragraphs)
    buttons = " ".join(f"<a href='{html.escape(url)}'>{html.escape(label)}</a>" for label, url in links or [])
    # The buttons come first: above anything a requester wrote.
    return f"<html><body><p>{buttons}</p>{body}</body></html>"


def decision_email(
    request: ReleaseRequest,
    round: Round,
    to: str,
    approve_url: str,
    deny_url: str,
    expires_at: int,
    letter_on_file: bool = False,
    base_url: str = "",
) -> Email:
    """The commander's (or designee's) email: the two signed links first, then the request in full.

    The links come before anything the requester wrote, and the purpose is quoted, so text
    in the request cannot pass for a link of ours; the email says where valid links start."""
    form = request.form
    deadline = datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    escalated = (
        "The commander did not decide in time; as designee, please decide.\n\n" if round == "designee" else ""
    )
    valid_links = (
        f"Valid decision links start with {base_url.rstrip('/')}/ ; do not use any other link."
        if base_url
        else "Use only the two links above."
    )
    text = "\n".join(
        [
            f"{escalated}A California agency asks for ALPR data (policy 439.7); your decision is needed.",
            "",
            f"APPROVE: {approve_url}",
            "",
            f"DENY:    {deny_url}",
            "",
            valid_links,
            f"The links work once, only for a signed-in commander or designee, until {deadline}.",
            "Opening a link shows a confirmation page; nothing is decided until you confirm.",
            "",
            "The request passed the checks of Civil Code § 1798.90.55(b). As filed (the purpose is the",
            "requester's own words, quoted; links or instructions in it are not ours):",
            "",
            f"  Request:    {request.request_id} (received {iso_utc(request.received_at)} by {request.received_by})",
            f"  Agency:     {form.agency_name}{f' (ORI {form.agency_ori})' if form.agency_ori else ''}",
            f"  Type:       {form.agency_type.value.replace('_', ' ')}, {form.jurisdiction.value.replace('_', ' ')}",
            f"  Requester:  {form.requester.name}, {form.requester.title}",
            f"              {form.requester.email} {form.requester.phone}".rstrip(),
            "  Purpose:",
            *quoted(form.purpose),
            f"  Case:       {form.case_number or '(none given)'}",
            *_scope_lines(request),
            f"  Letter:     {'on file (linked from the confirmation page)' if letter_on_file else 'NOT UPLOADED: the request cannot be approved until it is'}",
        ]
    )
    return Email(
        to=to,
        subject=f"[ALPR] Release request {request.request_id} from {form.agency_name}: your decision",
        text=text,
        html=_html([text], [("Approve", approve_url), ("Deny", deny_url)]),
        headers={"X-Alpr-Release-Request": request.request_id, "X-Alpr-Round": round},
    )


def requester_email(request: ReleaseRequest, bundle_url: str | None = None) -> Email:
    """The answer to the requester: the data link, or why there is none (with the rule)."""
    form = request.form
    status = request.status
    if status is ReleaseStatus.FULFILLED and bundle_url and request.manifest is not None:
        until = iso_utc(request.manifest.link_expires_at)
        body = [
            f"Your request {request.request_id} ({form.case_number or 'no case number'}) was approved.",
            f"The data ({len(request.manifest.read_ids)} reads) can be downloaded until {until}:",
            "",
            bundle_url,
            "",
            "manifest.json lists every file with its SHA-256. ALPR reads are not identifications;",
            "confirm through CLETS before any enforcement action. Do not share the data further",
            "(Civil Code § 1798.90.55(b)).",
        ]
    else:
        why = {
            ReleaseStatus.REFUSED: "was refused",
            ReleaseStatus.ROUTED_TO_RECORDS: "was sent to the department's records-release process; no ALPR data is released by this process",
            ReleaseStatus.DENIED: "was denied by the commander",
            ReleaseStatus.NO_DECISION: "was closed without a decision in the time allowed",
            ReleaseStatus.FAILED: "could not be completed; the department will contact you",
        }.get(status, f"is {status.value}")
        body = [f"Your request {request.request_id} {why}."]
        if request.decision is not None and request.decision.reason:
            body.append(f"Reason: {request.decision.reason}")
        if request.rule:
            body.append(f"Rule: {request.rule}")
    text = "\n".join([f"Dear {form.requester.name or 'requester'},", "", *body])
    return Email(
        to=form.requester.email,
        subject=f"[ALPR] Your release request {request.request_id}: {status.value.replace('_', ' ')}",
        text=text,
        html=_html([text], [("Download", bundle_url)] if bundle_url else []),
        headers={"X-Alpr-Release-Request": request.request_id},
    )
