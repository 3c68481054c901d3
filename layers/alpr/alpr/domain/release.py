"""Releasing ALPR data to another agency: the written request, the law, and its record.

Policy 439.7 and Civil Code § 1798.90.55(b) with the Attorney General's bulletin
2023-DLE-06: only California public law-enforcement or prosecutorial agencies may
receive ALPR data, on a written request naming the agency, the person requesting and
the intended purpose, approved by the commander or a designee; the request and the
decision stay on file. `assess` applies those rules before any person sees a request,
and every status change is kept in the request's history with who made it and why.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alpr.domain.errors import Forbidden, InvalidRequest
from alpr.domain.models import Latitude, Longitude, UtcDatetime
from alpr.domain.plates import plate_for_search
from alpr.names import Group

# The rules, as they are cited in the record.
RULE_WRITTEN_REQUEST = (
    "Policy 439.7: a release needs a written request naming the agency, the person requesting "
    "and the intended purpose"
)
RULE_SCOPE = (
    "Policy 439.7: the written request must say which data is asked for (plates or area, and a time window)"
)
RULE_PUBLIC_AGENCY = (
    "Civil Code § 1798.90.55(b); California Attorney General bulletin 2023-DLE-06: ALPR information may be "
    "shared only with California state or local public agencies, not out-of-state, federal or private entities"
)
RULE_RECORDS_RELEASE = (
    "Policy 439.7: requests from agencies that are not law-enforcement or prosecutorial go through the "
    "Records Maintenance and Release Policy"
)
RULE_ELIGIBLE = (
    "Civil Code § 1798.90.55(b); policy 439.7: a California public law-enforcement or prosecutorial agency; "
    "commander's approval required"
)
RULE_NO_DECISION = "Policy 439.7: no approval by the commander or designee within the time allowed"
RULE_LETTER_ON_FILE = (
    "Policy 439.7(a): the agency's written request must be on file before the release is approved"
)

MAX_WINDOW = timedelta(days=366)
MAX_PLATES = 50
MAX_RADIUS_M = 5_000.0


class AgencyType(StrEnum):
    LAW_ENFORCEMENT = "law_enforcement"
    PROSECUTORIAL = "prosecutorial"
    OTHER = "other"


class Jurisdiction(StrEnum):
    CALIFORNIA = "california_state_or_local"
    OTHER_STATE = "other_state"
    FEDERAL = "federal"
    PRIVATE = "private"


class ReleaseStatus(StrEnum):
    RECEIVED = "received"  # on file, not yet checked by the workflow
    REFUSED = "refused"  # the law or the policy forbids it; rule cited
    ROUTED_TO_RECORDS = "routed_to_records"  # not law enforcement: the records-release process
    PENDING = "pending"  # passed the rules; a commander decides
    AWAITING_COMMANDER = "awaiting_commander"
    AWAITING_DESIGNEE = "awaiting_designee"  # escalated: the commander did not decide in time
    APPROVED = "approved"
    DENIED = "denied"
    NO_DECISION = "no_decision"
    FULFILLED = "fulfilled"
    FAILED = "failed"  # a workflow step failed; the note says which and why


AWAITING = frozenset({ReleaseStatus.AWAITING_COMMANDER, ReleaseStatus.AWAITING_DESIGNEE})
FINAL = frozenset(
    {
        ReleaseStatus.REFUSED,
        ReleaseStatus.ROUTED_TO_RECORDS,
        ReleaseStatus.DENIED,
        ReleaseStatus.NO_DECISION,
        ReleaseStatus.FULFILLED,
    }
)

Round = Literal["commander", "designee"]
Decision = Literal["approve", "deny"]


def single_line(value: str) -> str:
    """A name, title or number as one line: control characters (a line break in an email header) refused."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must be one line of text, without control characters")
    return value.strip()


class Requester(BaseModel):
    """The person at the other agency who asks, and how to reach them."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)

    @field_validator("name", "title", "phone")
    @classmethod
    def one_line(cls, value: str) -> str:
        return single_line(value)

    @field_validator("email")
    @classmethod
    def plausible_email(cls, value: str) -> str:
        value = value.strip()
        if value and (
            value.count("@") != 1 or "." not in value.split("@")[1] or any(c.isspace() for c in value)
        ):
            raise ValueError("not an email address")
        return value


class ScopeCircle(BaseModel):
    """A circle on the map."""

    model_config = ConfigDict(extra="forbid")

    lat: Latitude
    lon: Longitude
    radius_m: float = Field(gt=0, le=MAX_RADIUS_M)


class DataScope(BaseModel):
    """Exactly the data asked for: reads of these plates and/or in this area, within the window."""

    model_config = ConfigDict(extra="forbid")

    plates: list[str] = Field(default_factory=list, max_length=MAX_PLATES)
    area: ScopeCircle | None = None
    start: UtcDatetime
    end: UtcDatetime

    @field_validator("plates")
    @classmethod
    def whole_plates(cls, plates: list[str]) -> list[str]:
        # The one normaliser: the index is queried with, and reads compared to, the same form.
        try:
            return sorted({plate_for_search(p) for p in plates})
        except InvalidRequest as invalid:
            raise ValueError(invalid.message) from None

    @model_validator(mode="after")
    def window(self) -> DataScope:
        if self.end <= self.start:
            raise ValueError("the time window must end after it starts")
        if self.end - self.start > MAX_WINDOW:
            raise ValueError(f"the time window may be at most {MAX_WINDOW.days} days")
        return self


class RequestForm(BaseModel):
    """The written request as records staff or an investigator enter it.

    Agency, requester and purpose may be left empty here on purpose: such a request is
    kept on file and refused by the workflow with the rule cited, not lost at the door.
    """

    model_config = ConfigDict(extra="forbid")

    agency_name: str = Field(default="", max_length=200)
    agency_ori: str | None = Field(default=None, max_length=9, description="NCIC ORI, if the agency has one")
    agency_type: AgencyType
    jurisdiction: Jurisdiction
    requester: Requester = Field(default_factory=Requester)
    purpose: str = Field(default="", max_length=2000)
    case_number: str = Field(default="", max_length=64)
    scope: DataScope
    letter_key: str | None = Field(default=None, max_length=512, description="the uploaded request letter")

    @field_validator("agency_name", "agency_ori", "case_number")
    @classmethod
    def one_line(cls, value: str | None) -> str | None:
        return None if value is None else single_line(value)


class ReleaseStatusChange(BaseModel):
    status: ReleaseStatus
    at: UtcDatetime
    by: str  # a username, or "workflow"
    note: str = ""
    rule: str | None = None


class DecisionRecord(BaseModel):
    decision: Decision
    by: str
    at: UtcDatetime
    round: Round
    reason: str = ""


class LinkRound(BaseModel):
    """The current pair of signed links: who they went to, their nonces and their expiry."""

    round: Round
    recipient: str
    approve_nonce: str
    deny_nonce: str
    expires_at: int  # epoch seconds
    sent_at: UtcDatetime
    used: bool = False
    # The one user these links are for: the designee policy 439.3.1(e) names, on escalation.
    # Empty: any commander but the filer.
    decider: str = ""


class ManifestEntry(BaseModel):
    path: str
    sha256: str
    bytes: int


class Manifest(BaseModel):
    """What was released: every file of the bundle with its hash."""

    bucket: str
    prefix: str
    files: list[ManifestEntry]
    read_ids: list[str]
    created_at: UtcDatetime
    link_expires_at: UtcDatetime


class ReleaseRequest(BaseModel):
    """One release request as kept on file in the ReleaseRequests table."""

    request_id: str
    received_at: UtcDatetime
    received_by: str
    form: RequestForm
    status: ReleaseStatus
    rule: str | None = None
    history: list[ReleaseStatusChange]
    decision: DecisionRecord | None = None
    links: LinkRound | None = None
    manifest: Manifest | None = None
    execution_arn: str | None = None
    version: int = 0

    def change(
        self, status: ReleaseStatus, at: datetime, by: str, note: str = "", rule: str | None = None
    ) -> None:
        """Move to `status`, keeping the change in the history."""
        self.status = status
        if rule is not None:
            self.rule = rule
        self.history.append(ReleaseStatusChange(status=status, at=at, by=by, note=note, rule=rule))


class ReleaseView(BaseModel):
    """A release request as the API shows it (never the encrypted task token)."""

    request_id: str
    status: ReleaseStatus
    rule: str | None
    received_at: UtcDatetime
    received_by: str
    form: RequestForm
    history: list[ReleaseStatusChange]
    decision: DecisionRecord | None
    manifest: Manifest | None
    execution_arn: str | None = Field(default=None, description="the Step Functions execution that ran it")

    @classmethod
    def of(cls, request: ReleaseRequest) -> ReleaseView:
        return cls(
            request_id=request.request_id,
            status=request.status,
            rule=request.rule,
            received_at=request.received_at,
            received_by=request.received_by,
            form=request.form,
            history=request.history,
            decision=request.decision,
            manifest=request.manifest,
            execution_arn=request.execution_arn,
        )


class ReleaseSummary(BaseModel):
    """One line of the register of release requests (what an auditor scans first)."""

    request_id: str
    status: ReleaseStatus
    received_at: UtcDatetime
    agency_name: str
    jurisdiction: Jurisdiction
    case_number: str
    decision: Decision | None
    decided_by: str | None
    reads_released: int | None

    @classmethod
    def of(cls, request: ReleaseRequest) -> ReleaseSummary:
        return cls(
            request_id=request.request_id,
            status=request.status,
            received_at=request.received_at,
            agency_name=request.form.agency_name,
            jurisdiction=request.form.jurisdiction,
            case_number=request.form.case_number,
            decision=request.decision.decision if request.decision else None,
            decided_by=request.decision.by if request.decision else None,
            reads_released=len(request.manifest.read_ids) if request.manifest else None,
        )


class Assessment(BaseModel):
    status: ReleaseStatus
    rule: str
    reason: str


def assess(form: RequestForm) -> Assessment:
    """What the law and policy 439.7 say about a request, with the rule to cite."""
    missing = [
        label
        for label, value in (
            ("agency name", form.agency_name),
            ("requester's name", form.requester.name),
            ("requester's email or phone", form.requester.email or form.requester.phone),
            ("intended purpose", form.purpose),
        )
        if not value.strip()
    ]
    if missing:
        return Assessment(
            status=ReleaseStatus.REFUSED, rule=RULE_WRITTEN_REQUEST, reason=f"missing: {', '.join(missing)}"
        )
    if form.jurisdiction is not Jurisdiction.CALIFORNIA:
        who = {
            Jurisdiction.OTHER_STATE: "an out-of-state agency",
            Jurisdiction.FEDERAL: "a federal agency",
            Jurisdiction.PRIVATE: "a private entity",
        }[form.jurisdiction]
        return Assessment(
            status=ReleaseStatus.REFUSED, rule=RULE_PUBLIC_AGENCY, reason=f"the requester is {who}"
        )
    if form.agency_type is AgencyType.OTHER:
        return Assessment(
            status=ReleaseStatus.ROUTED_TO_RECORDS,
            rule=RULE_RECORDS_RELEASE,
            reason="not a law-enforcement or prosecutorial agency: no ALPR data is released by this process",
        )
    if not form.scope.plates and form.scope.area is None:
        return Assessment(status=ReleaseStatus.REFUSED, rule=RULE_SCOPE, reason="no plates and no area given")
    return Assessment(
        status=ReleaseStatus.PENDING, rule=RULE_ELIGIBLE, reason="eligible; awaiting the commander's decision"
    )


def require_decider(groups: frozenset[str], username: str) -> None:
    """Only a commander (the designee is a member of the commander group) decides a release."""
    if Group.COMMANDER.value not in groups:
        raise Forbidden(f"user '{username}' may not decide release requests: commander or designee only")


def require_named_decider(links: LinkRound, username: str) -> None:
    """A round sent to the named designee is decided by the designee, not by any commander."""
    if links.decider and username != links.decider:
        raise Forbidden(
            f"these links are for the designee '{links.decider}' (policy 439.3.1(e)); "
            f"user '{username}' may not use them"
        )


def require_not_filer(request: ReleaseRequest, username: str) -> None:
    """The person who filed a request may not decide it: a release takes two people."""
    if request.received_by == username:
        raise Forbidden(
            f"user '{username}' filed release request {request.request_id} and may not decide it: "
            "another commander or the designee must"
        )


def require_letter_to_approve(decision: Decision, letter_on_file: bool) -> None:
    """No approval until the written request is on file; a denial needs no letter."""
    if decision == "approve" and not letter_on_file:
        raise Forbidden(
            f"the request letter is not on file, so it cannot be approved ({RULE_LETTER_ON_FILE})"
        )


def require_awaiting(request: ReleaseRequest) -> None:
    if request.status not in AWAITING:
        raise InvalidRequest(
            f"release request {request.request_id} is {request.status.value}: it is not awaiting a decision"
        )


class ReleaseStore(Protocol):
    def create(self, request: ReleaseRequest) -> None:
        """Store a new request; InvalidRequest if its id exists."""
        ...

    def get(self, request_id: str) -> ReleaseRequest | None: ...

    def all(self, status: ReleaseStatus | None = None) -> list[ReleaseRequest]:
        """Every request on file (with `status`, if given), newest first."""
        ...

    def save(self, request: ReleaseRequest) -> ReleaseRequest:
        """Write the request if nobody changed it since it was read (its `version`); returns it, version +1.

        Raises StaleRequest when someone else wrote first.
        """
        ...

    def put_task_token(self, request_id: str, ciphertext: bytes) -> None: ...

    def task_token(self, request_id: str) -> bytes | None: ...


class StaleRequest(InvalidRequest):
    """Someone else changed the request first (a link used twice at once, a late timeout)."""


_LETTER_KINDS = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def letter_presentation(head: bytes) -> tuple[str, str]:
    """(content type, Content-Disposition) to serve a request letter with, from its first bytes.

    A PDF or an image opens in the browser; anything else (whatever its uploader declared)
    downloads as bytes, so an uploaded HTML or SVG file never renders."""
    for magic, content_type in _LETTER_KINDS:
        if head.startswith(magic):
            return content_type, "inline"
    return "application/octet-stream", 'attachment; filename="request-letter.bin"'
