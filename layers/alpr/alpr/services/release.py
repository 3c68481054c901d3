"""The release workflow: the steps the API and the workflow's handlers call, on the container's adapters.

The API files requests and takes decisions; the Step Functions tasks (`release_record`,
`release_notify`, `release_fulfil`) run the rest.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

from pydantic import BaseModel

from alpr.adapters import release_aws
from alpr.domain import release_flow
from alpr.domain.access import AccessLog
from alpr.domain.clock import Clock
from alpr.domain.errors import InvalidRequest
from alpr.domain.holds import held_version
from alpr.domain.ids import new_ulid
from alpr.domain.links import DecisionLink, LinkRefused, sign, verify
from alpr.domain.models import Caller, iso_utc
from alpr.domain.release import (
    Manifest,
    ReleaseRequest,
    ReleaseStatus,
    ReleaseSummary,
    ReleaseView,
    RequestForm,
    Round,
    StaleRequest,
    letter_presentation,
)
from alpr.domain.release_bundle import build_bundle, check_bundle_size, content_type, in_scope, zip_bundle
from alpr.domain.release_mail import Email, decision_email, requester_email
from alpr.names import RELEASE_BUNDLES_PREFIX, RELEASE_LETTERS_PREFIX
from alpr.services.container import container

BUNDLE_IO_THREADS = 8
BUNDLE_LINK_SECONDS = 24 * 3600  # the requesting agency's link to what was released
LETTER_MAX_BYTES = 10 * 1024 * 1024
LETTER_URL_SECONDS = 600


def links_base_url() -> str:
    """Where decision links point: the configured base URL (CDK context or the API's URL), never a
    request's Host header."""
    return container().granted("web_base_url").rstrip("/")


class Mailer(Protocol):
    def send(self, email: Email) -> str: ...


def clock() -> Clock:
    return container().clock


# ---- the API -------------------------------------------------------------------------


class LetterTicket(BaseModel):
    """A presigned POST for the request letter: send `fields` plus the file (as `file`, last) to `url`."""

    url: str
    fields: dict[str, str]
    key: str


def letter_ticket(caller: Caller, filename: str) -> LetterTicket:
    """Where to upload a request letter before filing the request (its key goes in `letter_key`)."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)[-100:] or "letter"
    key = f"{RELEASE_LETTERS_PREFIX}{new_ulid(clock())}/{safe}"
    post = container().release_bucket.letter_post(key, LETTER_MAX_BYTES, LETTER_URL_SECONDS)
    del caller
    return LetterTicket(url=post["url"], fields={k: str(v) for k, v in post["fields"].items()}, key=key)


def file_request(caller: Caller, form: RequestForm, *, letter_ticketed: bool = False) -> ReleaseView:
    """Keep the request on file and start its workflow; the rules are applied there.

    A `letter_key` must name an uploaded letter, unless the caller was just given the
    ticket to upload it (`letter_ticketed`).
    """
    letter = form.letter_key
    if (
        letter is not None
        and not letter_ticketed
        and (not letter.startswith(RELEASE_LETTERS_PREFIX) or not container().release_bucket.has(letter))
    ):
        raise InvalidRequest(f"no request letter at {letter!r}: leave letter_key out to get an upload ticket")
    request = release_flow.file_request(
        container().release_store, clock(), caller, form, container().workflow.execution_arn
    )
    try:
        _start_workflow(request.request_id)
    except Exception as error:
        # Kept on file either way: the request says why nothing happened next.
        release_flow.record_failure(
            container().release_store, clock(), request.request_id, f"workflow not started: {error}"
        )
        raise
    return ReleaseView.of(request)


def _start_workflow(request_id: str) -> None:
    container().workflow.start(
        request_id,
        {
            "request_id": request_id,
            "decision_timeout_seconds": container().config.release_decision_seconds,
            "links_base_url": links_base_url(),
        },
    )


def restart_workflows(why: str) -> list[str]:
    """Start a new execution for every request whose workflow was lost (`why`); their ids.

    Only the local stack needs this: its Step Functions executions do not survive a restart,
    the requests' records do (docs/decisions.md). The execution keeps its name, so its ARN on
    the request stays right."""
    restarted = []
    for request in container().release_store.all():
        if release_flow.restart(container().release_store, clock(), request.request_id, why):
            _start_workflow(request.request_id)
            restarted.append(request.request_id)
    return restarted


def list_requests(status: ReleaseStatus | None = None) -> list[ReleaseSummary]:
    """The register of release requests, newest first."""
    return [ReleaseSummary.of(r) for r in container().release_store.all(status)]


def get_request(request_id: str) -> ReleaseView:
    return ReleaseView.of(release_flow.load(container().release_store, request_id))


@dataclass(frozen=True)
class PendingDecision:
    """What the confirmation page shows before the commander confirms."""

    link: DecisionLink
    request: ReleaseRequest


def check_link(token: str, caller: Caller) -> PendingDecision:
    """Verify a link (signature, expiry, still current) for a caller allowed to decide."""
    from alpr.domain.links import check_current
    from alpr.domain.release import require_decider, require_named_decider, require_not_filer

    require_decider(caller.groups, caller.username)
    link = verify(token, container().link_key(), clock().now())
    request = release_flow.load(container().release_store, link.request_id)
    require_named_decider(check_current(request, link), caller.username)
    require_not_filer(request, caller.username)
    return PendingDecision(link=link, request=request)


def decide(token: str, caller: Caller, reason: str = "") -> ReleaseView:
    """Take the decision a link stands for and hand it to the waiting execution."""
    link = verify(token, container().link_key(), clock().now())
    request = release_flow.load(container().release_store, link.request_id)
    decided = release_flow.decide(
        container().release_store, clock(), link, caller, reason, letter_on_file=letter_on_file(request)
    )
    ciphertext = container().release_store.task_token(link.request_id)
    if ciphertext is None:
        release_flow.undo_decision(
            container().release_store, clock(), link.request_id, "no task token on file"
        )
        raise LinkRefused("this request's workflow is not waiting for a decision")
    task_token = container().token_vault.open(link.request_id, ciphertext)
    try:
        if link.decision == "approve":
            container().workflow.approve(task_token, {"decision": "approved", "by": caller.username})
        else:
            container().workflow.deny(task_token, reason)
    except release_aws.TaskGone as gone:
        release_flow.undo_decision(container().release_store, clock(), link.request_id, str(gone))
        raise LinkRefused(
            "the time for this decision has run out; the request was escalated or closed"
        ) from None
    return ReleaseView.of(decided)


# ---- the Step Functions tasks -----------------------------------------------------------


def letter_on_file(request: ReleaseRequest) -> bool:
    key = request.form.letter_key
    return key is not None and key.startswith(RELEASE_LETTERS_PREFIX) and container().release_bucket.has(key)


def letter_link(request: ReleaseRequest, seconds: int = 300) -> str | None:
    """A short-lived link to the request letter, for the commander's confirmation page."""
    if not letter_on_file(request):
        return None
    key = request.form.letter_key
    assert key is not None
    bucket = container().release_bucket
    content_type, disposition = letter_presentation(bucket.head_bytes(key))
    return bucket.served_link(key, seconds, content_type, disposition)


def validate(request_id: str) -> dict[str, Any]:
    assessment = release_flow.validate(container().release_store, clock(), request_id)
    return {"outcome": assessment.status.value, "rule": assessment.rule, "reason": assessment.reason}


def decision_url(base_url: str, request_id: str, token: str) -> str:
    """The link in the email: the confirmation page of the decision the token stands for."""
    return f"{base_url.rstrip('/')}/v1/release-requests/{request_id}/decision?{urlencode({'link': token})}"


def token_of(url: str) -> str:
    """The signed token a decision link carries."""
    tokens = parse_qs(urlsplit(url).query).get("link")
    if not tokens:
        raise LinkRefused("this is not a decision link")
    return tokens[-1]


def ask(
    request_id: str, round: Round, task_token: str, timeout_seconds: int, links_base_url: str
) -> dict[str, Any]:
    """Store the task token encrypted, then email fresh signed links to the commander or designee."""
    config = container().config
    recipient = config.release_commander_email if round == "commander" else config.release_designee_email
    if not recipient:
        raise RuntimeError(f"no email address configured for the {round}")
    container().release_store.put_task_token(request_id, container().token_vault.seal(request_id, task_token))
    for attempt in range(3):
        try:
            opened = release_flow.open_round(
                container().release_store,
                clock(),
                request_id,
                round,
                recipient,
                timeout_seconds,
                decider=config.designee_username if round == "designee" else "",
            )
            break
        except StaleRequest:
            # A late click on the previous round's link was being undone at this very moment.
            if attempt == 2:
                raise
    # The execution's input carries the configured base URL (file_request), never a request's Host.
    base_url = links_base_url.rstrip("/")
    key = container().link_key()
    email = decision_email(
        opened.request,
        round,
        recipient,
        decision_url(base_url, request_id, sign(opened.approve, key)),
        decision_url(base_url, request_id, sign(opened.deny, key)),
        opened.approve.expires_at,
        letter_on_file=letter_on_file(opened.request),
        base_url=base_url,
    )
    message_id = container().mailer.send(email)
    return {"sent_to": recipient, "message_id": message_id, "round": round}


def expire(request_id: str) -> dict[str, Any]:
    return {"status": release_flow.expire(container().release_store, clock(), request_id).status.value}


def record_failure(request_id: str, error: str) -> dict[str, Any]:
    return {
        "status": release_flow.record_failure(
            container().release_store, clock(), request_id, error
        ).status.value
    }


def tell_requester(request_id: str) -> dict[str, Any]:
    """Tell the requester the outcome: the bundle link, or why there is none."""
    request = release_flow.load(container().release_store, request_id)
    url = None
    if request.status is ReleaseStatus.FULFILLED and request.manifest is not None:
        seconds = int((request.manifest.link_expires_at - clock().now()).total_seconds())
        url = container().release_bucket.link(request.manifest.prefix + "bundle.zip", max(60, seconds))
    if not request.form.requester.email:
        return {"sent_to": None, "status": request.status.value}
    message_id = container().mailer.send(requester_email(request, url))
    return {"sent_to": request.form.requester.email, "message_id": message_id, "status": request.status.value}


def fulfil(request_id: str, access_log: AccessLog) -> dict[str, Any]:
    """Export exactly the data in scope as a bundle with a manifest, log it, keep the manifest on file."""
    request = release_flow.load(container().release_store, request_id)
    if request.status is ReleaseStatus.FULFILLED and request.manifest is not None:
        return {"status": request.status.value, "files": len(request.manifest.files)}
    now = clock().now()
    candidates = release_aws.ScopeReads(container().read_store)
    reads = {
        r.read_id: r
        for r in candidates.candidates(request.form.scope)
        if in_scope(r, request.form.scope, now)
    }
    check_bundle_size(len(reads))
    # S3 round trips dominate in AWS: fetch and store a bundle's objects a few at a time.
    with ThreadPoolExecutor(max_workers=BUNDLE_IO_THREADS) as pool:
        fetched = pool.map(
            lambda read: (
                read.image_key,
                release_aws.image_bytes(
                    container().s3, read.image_bucket, read.image_key, held_version(read, read.image_key)
                ),
            ),
            list(reads.values()),
        )
        images = {key: data for key, data in fetched if data is not None}
        files = build_bundle(request, reads.values(), images)
        prefix = f"{RELEASE_BUNDLES_PREFIX}{request_id}/"
        list(
            pool.map(
                lambda file: container().release_bucket.put(
                    prefix + file.path, file.data, content_type(file.path)
                ),
                files,
            )
        )
    container().release_bucket.put(prefix + "bundle.zip", zip_bundle(files), "application/zip")
    manifest = Manifest(
        bucket=container().granted("release_bucket"),
        prefix=prefix,
        files=[f.entry() for f in files],
        read_ids=sorted(reads),
        created_at=now,
        link_expires_at=now + timedelta(seconds=BUNDLE_LINK_SECONDS),
    )
    # Logged before the record says fulfilled: a release that is not in the access log did not happen.
    access_log.write(release_flow.disclosure_record(request, manifest, new_ulid(clock()), now))
    saved = release_flow.record_fulfilment(container().release_store, clock(), request_id, manifest)
    return {"status": saved.status.value, "reads": len(reads), "files": len(files), "at": iso_utc(now)}
