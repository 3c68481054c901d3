"""Who may do what, for what purpose, and the record of every access.

ONE table of routes → actions and ONE table of roles → actions (policy 439.4(d)(e), 439.6,
439.8; Civil Code § 1798.90.52). The API's gate (`alpr.api.gate`) consults them on every
request; a route missing from `ROUTES` is refused (fail closed), and the authorization
matrix test walks every route of the OpenAPI document against them.

Pure domain: no boto3, no environment; the access log is a small protocol.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alpr.domain.errors import DomainError, Forbidden, InvalidRequest, Unauthenticated
from alpr.domain.models import Caller, UtcDatetime
from alpr.domain.personnel import PersonnelRecord, StandingPolicy, Status, inactive_since, standing_refusal
from alpr.domain.spreadsheet import starts_like_formula
from alpr.names import Group


class Action(StrEnum):
    """What a request does, in the department's words."""

    READS_SEARCH = "reads:search"  # reads of a plate or a partial plate
    READS_CANVASS = "reads:canvass"  # reads around a place in a time window
    READS_VIEW = "reads:view"  # one read
    READS_VIEW_IMAGE = "reads:view-image"  # a presigned link to a read's image
    READS_CORRECT = "reads:correct"  # record the plate a misread shows (Civil Code § 1798.90.51(b))
    HOTLIST_READ = "hotlist:read"
    HOTLIST_WRITE = "hotlist:write"
    ALERTS_READ = "alerts:read"
    ALERTS_DISPOSE = "alerts:dispose"
    HOLDS_WRITE = "holds:write"  # place, release or renew a legal hold
    HOLDS_APPROVE = "holds:approve"  # a supervisor approves another user's hold (issue 22)
    EVIDENCE_EXPORT = "evidence:export"
    RELEASE_REQUEST = "release:request"  # file a written request to share data (policy 439.7)
    RELEASE_READ = "release:read"
    RELEASE_DECIDE = "release:decide"  # the commander or designee approves or denies
    AUDIT_QUERY = "audit:query"
    AUDIT_REVIEW = "audit:review"  # record the weekly review of sampled accesses
    AUDIT_ACCOUNT_REVIEW = "audit:account-review"  # record the yearly review of every account (CJIS)
    PERSONNEL_READ = "personnel:read"
    PERSONNEL_ADMIN = "personnel:admin"  # propose account changes; suspend or separate at once
    PERSONNEL_APPROVE = "personnel:approve"  # decide a proposal that names the caller (or any, configured)
    UPLOADS_CREATE = "uploads:create"  # vehicle units


_INVESTIGATE = frozenset(
    {
        Action.READS_SEARCH,
        Action.READS_CANVASS,
        Action.READS_VIEW,
        Action.READS_VIEW_IMAGE,
        Action.HOTLIST_READ,
        Action.HOTLIST_WRITE,
        Action.ALERTS_READ,
        Action.ALERTS_DISPOSE,
        Action.HOLDS_WRITE,
        Action.EVIDENCE_EXPORT,
        Action.RELEASE_REQUEST,
        Action.RELEASE_READ,
    }
)

# Roles → actions: the one table (also in the README).
ROLE_ACTIONS: dict[Group, frozenset[Action]] = {
    Group.INVESTIGATOR: _INVESTIGATE,
    Group.SUPERVISOR: _INVESTIGATE
    | {
        Action.AUDIT_QUERY,
        Action.AUDIT_REVIEW,
        Action.PERSONNEL_READ,
        Action.PERSONNEL_APPROVE,
        Action.HOLDS_APPROVE,
        Action.READS_CORRECT,
    },
    # The Administrative Services Division commander administers the system (policy 439.3): decides
    # releases, approves account changes when configured as an account approver, reviews the accounts.
    Group.COMMANDER: frozenset(
        {
            Action.RELEASE_READ,
            Action.RELEASE_DECIDE,
            Action.AUDIT_QUERY,
            Action.AUDIT_ACCOUNT_REVIEW,
            Action.READS_VIEW,
            Action.READS_VIEW_IMAGE,
            Action.PERSONNEL_READ,
            Action.PERSONNEL_APPROVE,
        }
    ),
    # Auditors review the sharing-request log too (State Auditor 2019-118: a log of sharing requests).
    Group.AUDITOR: frozenset({Action.AUDIT_QUERY, Action.PERSONNEL_READ, Action.RELEASE_READ}),
    Group.ADMINISTRATOR: frozenset({Action.PERSONNEL_READ, Action.PERSONNEL_ADMIN}),
    Group.RECORDS: frozenset({Action.RELEASE_REQUEST, Action.RELEASE_READ}),
    Group.UNIT: frozenset({Action.UPLOADS_CREATE}),
}


# Actions whose answer carries ALPR data: plates read, reads, images, alerts (the read beside the
# listing) and a new hotlist entry's earlier sightings (retro-match, a plate search in effect).
# Each is a data access in the audit catalogue (`alpr.domain.audit`: data-access, review-sample,
# plate-lookups, user-summary); tests/integration/test_data_actions.py walks every route's answer
# and fails when one that returns read data has an action missing here.
DATA_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.READS_SEARCH,
        Action.READS_CANVASS,
        Action.READS_VIEW,
        Action.READS_VIEW_IMAGE,
        Action.READS_CORRECT,  # answers with the read's plates
        Action.EVIDENCE_EXPORT,
        Action.HOTLIST_WRITE,
        Action.ALERTS_READ,
        Action.ALERTS_DISPOSE,
    }
)


class PurposeNeed(StrEnum):
    REQUIRED = "required"  # X-Purpose-Category, X-Case-Number and X-Purpose-Text
    IMPLIED = "implied"  # the request itself is the purpose (a decision on a release request)
    NONE = "none"  # no ALPR data is touched (account administration, a unit's upload ticket)


@dataclass(frozen=True)
class RouteRule:
    """How the gate treats one route."""

    action: Action | None  # None: public, no sign-in
    purpose: PurposeNeed = PurposeNeed.REQUIRED
    person: bool = True  # a trained, active Personnel account is required (False: devices)
    log_allowed: bool = True  # allowed requests are logged (refusals always are)
    implied_category: str = ""  # the purpose category recorded for PurposeNeed.IMPLIED
    implied_case_parameter: str = ""  # the path parameter recorded as the case number

    @property
    def public(self) -> bool:
        return self.action is None


PUBLIC = RouteRule(action=None, purpose=PurposeNeed.NONE, person=False, log_allowed=False)


def _data(action: Action) -> RouteRule:
    return RouteRule(action=action)


def _decision(action: Action = Action.RELEASE_DECIDE, category: str = "release-decision") -> RouteRule:
    # The commander opens the emailed link signed in; deciding (or reviewing) that release
    # request is the purpose, and its id is recorded as the case number.
    return RouteRule(
        action=action,
        purpose=PurposeNeed.IMPLIED,
        implied_category=category,
        implied_case_parameter="request_id",
    )


def _admin(action: Action) -> RouteRule:
    # No ALPR data in the answer (accounts, lists of requests): no purpose, but every call is logged.
    return RouteRule(action=action, purpose=PurposeNeed.NONE)


# (method, OpenAPI path) → rule. A route that is not here is refused (fail closed).
ROUTES: dict[tuple[str, str], RouteRule] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/v1/policy"): PUBLIC,
    ("GET", "/v1/transparency"): PUBLIC,
    # Browser sign-in (issue 20): the hosted UI's callback and sign-out; no data, the page they
    # lead back to is gated like any other route.
    ("GET", "/auth/callback"): PUBLIC,
    ("GET", "/auth/logout"): PUBLIC,
    # Vehicle units are devices: the unit role, no purpose, no training; a ticket is not an
    # access to ALPR data (the read it leads to records its unit), so only refusals are logged.
    ("POST", "/v1/uploads"): RouteRule(
        action=Action.UPLOADS_CREATE, purpose=PurposeNeed.NONE, person=False, log_allowed=False
    ),
    # Reads (issues 2 and 5).
    ("GET", "/v1/reads"): _data(Action.READS_SEARCH),
    ("GET", "/v1/reads/search"): _data(Action.READS_SEARCH),
    ("GET", "/v1/reads/canvass"): _data(Action.READS_CANVASS),  # a radius around a point
    ("POST", "/v1/reads/canvass"): _data(Action.READS_CANVASS),  # a GeoJSON polygon
    ("GET", "/v1/reads/{read_id}"): _data(Action.READS_VIEW),
    ("GET", "/v1/reads/{read_id}/image"): _data(Action.READS_VIEW_IMAGE),
    ("POST", "/v1/reads/{read_id}/hold"): _data(Action.HOLDS_WRITE),
    ("POST", "/v1/reads/{read_id}/corrections"): _data(Action.READS_CORRECT),  # supervisors (issue 21)
    ("DELETE", "/v1/reads/{read_id}/hold"): _data(Action.HOLDS_WRITE),
    # Oversight of holds (issue 22): approving a hold is its own purpose (its id is recorded as the
    # case number); the holder renews it stating its case and why it is still needed.
    ("POST", "/v1/holds/{hold_id}/approve"): RouteRule(
        action=Action.HOLDS_APPROVE,
        purpose=PurposeNeed.IMPLIED,
        implied_category="hold-approval",
        implied_case_parameter="hold_id",
    ),
    ("POST", "/v1/holds/{hold_id}/renew"): _data(Action.HOLDS_WRITE),
    ("POST", "/v1/exports"): _data(Action.EVIDENCE_EXPORT),
    # Hotlists and alerts (issue 6).
    ("GET", "/v1/hotlist/entries"): _data(Action.HOTLIST_READ),
    ("POST", "/v1/hotlist/entries"): _data(Action.HOTLIST_WRITE),
    ("GET", "/v1/hotlist/entries/{entry_id}"): _data(Action.HOTLIST_READ),
    ("DELETE", "/v1/hotlist/entries/{entry_id}"): _data(Action.HOTLIST_WRITE),
    ("GET", "/v1/alerts"): _data(Action.ALERTS_READ),
    ("GET", "/v1/alerts/{alert_id}"): _data(Action.ALERTS_READ),
    ("POST", "/v1/alerts/{alert_id}/disposition"): _data(Action.ALERTS_DISPOSE),
    # Data release (issue 7). The commander's decision: the commander signs in (Cognito) and
    # the request being decided is the purpose; its id is recorded as the case number.
    # Filing returns no ALPR data and the written request carries its own purpose and case
    # number (checked by the release rules); reading one is implied by its id.
    ("POST", "/v1/release-requests"): RouteRule(action=Action.RELEASE_REQUEST, purpose=PurposeNeed.NONE),
    ("GET", "/v1/release-requests"): _admin(Action.RELEASE_READ),
    ("GET", "/v1/release-requests/{request_id}"): _decision(Action.RELEASE_READ, "release-review"),
    ("GET", "/v1/release-requests/{request_id}/decision"): _decision(),  # the confirmation page
    ("POST", "/v1/release-requests/{request_id}/decision"): _decision(),
    # The supervisor's weekly review (issue 21): findings on sampled accesses, no ALPR data back.
    ("POST", "/v1/audit/reviews"): _admin(Action.AUDIT_REVIEW),
    # The yearly account review (issue 21, CJIS): a finding per account, no ALPR data back.
    ("POST", "/v1/audit/account-reviews"): _admin(Action.AUDIT_ACCOUNT_REVIEW),
    # Personnel administration (issue 4). What widens access is proposed by an administrator and
    # decided by the approver it names, signed in (issue 21); what narrows it is done at once.
    ("GET", "/v1/personnel"): _admin(Action.PERSONNEL_READ),
    ("GET", "/v1/personnel/{username}"): _admin(Action.PERSONNEL_READ),
    ("GET", "/v1/personnel/proposals"): _admin(Action.PERSONNEL_READ),
    ("GET", "/v1/personnel/proposals/{proposal_id}"): _admin(Action.PERSONNEL_READ),
    ("POST", "/v1/personnel/proposals"): _admin(Action.PERSONNEL_ADMIN),
    ("POST", "/v1/personnel/proposals/{proposal_id}/approve"): _admin(Action.PERSONNEL_APPROVE),
    ("POST", "/v1/personnel/proposals/{proposal_id}/reject"): _admin(Action.PERSONNEL_APPROVE),
    ("POST", "/v1/personnel/{username}/training"): _admin(Action.PERSONNEL_ADMIN),
    ("POST", "/v1/personnel/{username}/status"): _admin(Action.PERSONNEL_ADMIN),
}


def rule_for(method: str, path: str) -> RouteRule | None:
    """The rule of a route (its OpenAPI path, e.g. `/v1/reads/{read_id}`), or None: refuse."""
    return ROUTES.get((method.upper(), path))


def roles_for(action: Action) -> frozenset[Group]:
    """The roles that may perform `action`."""
    return frozenset(role for role, actions in ROLE_ACTIONS.items() if action in actions)


# --- purpose -------------------------------------------------------------------------

PURPOSE_CATEGORY_HEADER = "X-Purpose-Category"
CASE_NUMBER_HEADER = "X-Case-Number"
PURPOSE_TEXT_HEADER = "X-Purpose-Text"

DEFAULT_CATEGORIES = (
    "stolen-vehicle",
    "homicide",
    "robbery",
    "burglary",
    "assault",
    "sexual-assault",
    "kidnapping",
    "shooting",
    "carjacking",
    "hit-and-run",
    "missing-person",
    "amber-alert",
    "warrant-service",
    "narcotics",
    "human-trafficking",
    "fraud",
    "arson",
    "major-incident",
    "hotlist-alert",
    "audit",
)
DEFAULT_CASE_NUMBER_PATTERN = r"[0-9]{2}-[0-9]{4,7}"  # year-sequence, e.g. 26-004512
DEFAULT_CASE_NUMBER_EXAMPLE = "26-004512"

# Words that say nothing about why the data is needed ("investigation", "test", "n/a"...).
VAGUE_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "for",
        "to",
        "and",
        "or",
        "on",
        "in",
        "at",
        "by",
        "with",
        "re",
        "per",
        "is",
        "it",
        "this",
        "that",
        "my",
        "our",
        "as",
        "see",
        "same",
        "above",
        "case",
        "cases",
        "investigation",
        "investigations",
        "investigative",
        "investigate",
        "investigating",
        "inv",
        "test",
        "tests",
        "testing",
        "tst",
        "n/a",
        "na",
        "n",
        "none",
        "nothing",
        "nil",
        "null",
        "other",
        "others",
        "misc",
        "miscellaneous",
        "general",
        "follow",
        "followup",
        "follow-up",
        "up",
        "ongoing",
        "open",
        "active",
        "criminal",
        "crime",
        "police",
        "business",
        "official",
        "law",
        "enforcement",
        "le",
        "search",
        "searching",
        "searched",
        "lookup",
        "look",
        "looking",
        "check",
        "checking",
        "checked",
        "info",
        "information",
        "query",
        "plate",
        "plates",
        "record",
        "records",
        "request",
        "requested",
        "work",
        "routine",
        "purpose",
        "reason",
        "needed",
        "need",
        "tbd",
        "xxx",
        "asdf",
        "qwerty",
        "etc",
        "ok",
        "yes",
        "no",
        "unknown",
        "various",
        "stuff",
        "lead",
        "leads",
        "training",
        "demo",
    ]
)
MIN_PURPOSE_WORDS = 3
MIN_INFORMATIVE_WORDS = 2
MAX_PURPOSE_TEXT = 500
_WORD = re.compile(r"[a-z0-9]+(?:[/'-][a-z0-9]+)*")


class PurposeRules(BaseModel):
    """The department's purpose list and case-number format (configuration)."""

    model_config = ConfigDict(frozen=True)

    categories: tuple[str, ...] = Field(default=DEFAULT_CATEGORIES, min_length=1)
    case_number_pattern: str = DEFAULT_CASE_NUMBER_PATTERN
    case_number_example: str = DEFAULT_CASE_NUMBER_EXAMPLE

    @field_validator("case_number_pattern")
    @classmethod
    def compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(
                f"case number pattern {pattern!r} is not a regular expression: {error}"
            ) from None
        return pattern

    @model_validator(mode="after")
    def example_matches(self) -> PurposeRules:
        if not re.fullmatch(self.case_number_pattern, self.case_number_example):
            raise ValueError(
                f"the example case number {self.case_number_example!r} does not match {self.case_number_pattern!r}"
            )
        return self


class AccessPolicy(BaseModel):
    """Everything the gate is configured with."""

    model_config = ConfigDict(frozen=True)

    purpose: PurposeRules = PurposeRules()
    standing: StandingPolicy = StandingPolicy()


class Purpose(BaseModel):
    """Why a request is made: category, case or incident number, and words of explanation."""

    model_config = ConfigDict(frozen=True)

    category: str
    case_number: str
    text: str

    def headers(self) -> dict[str, str]:
        """The purpose as the request headers the API reads."""
        return {
            PURPOSE_CATEGORY_HEADER: self.category,
            CASE_NUMBER_HEADER: self.case_number,
            PURPOSE_TEXT_HEADER: self.text,
        }


def vague_text_reason(text: str) -> str | None:
    """Why a purpose text says too little, or None when it is specific enough."""
    words = _WORD.findall(text.lower())
    # Informative: distinct words of three letters or more that are not in the vague list.
    informative = {w for w in words if len(w) >= 3 and w not in VAGUE_WORDS and not w.isdigit()}
    if len(text.split()) < MIN_PURPOSE_WORDS or len(words) < MIN_PURPOSE_WORDS:
        return f"say in at least {MIN_PURPOSE_WORDS} words what is sought and why"
    if len(informative) < MIN_INFORMATIVE_WORDS:
        return "it is too vague: say what is sought and why (e.g. 'grey sedan seen leaving the shooting on Main St')"
    return None


def purpose_from_headers(headers: Mapping[str, str], rules: PurposeRules) -> Purpose:
    """The stated purpose; InvalidRequest (400) when missing, malformed or vague.

    `headers` must have lower-case names.
    """
    category = headers.get(PURPOSE_CATEGORY_HEADER.lower(), "").strip()
    case_number = headers.get(CASE_NUMBER_HEADER.lower(), "").strip()
    raw_text = headers.get(PURPOSE_TEXT_HEADER.lower(), "")
    text = " ".join(raw_text.split())
    missing = [
        name
        for name, value in (
            (PURPOSE_CATEGORY_HEADER, category),
            (CASE_NUMBER_HEADER, case_number),
            (PURPOSE_TEXT_HEADER, text),
        )
        if not value
    ]
    if missing:
        raise InvalidRequest(
            f"a purpose is required: missing {', '.join(missing)} "
            "(category, case or incident number, and words saying what is sought and why)"
        )
    if category not in rules.categories:
        raise InvalidRequest(
            f"purpose category '{category}' is not one of the department's: {', '.join(rules.categories)}"
        )
    if not re.fullmatch(rules.case_number_pattern, case_number):
        raise InvalidRequest(
            f"case number '{case_number}' is not in the department's format "
            f"(e.g. {rules.case_number_example})"
        )
    if len(text) > MAX_PURPOSE_TEXT:
        raise InvalidRequest(f"purpose text is longer than {MAX_PURPOSE_TEXT} characters")
    if starts_like_formula(raw_text) or starts_like_formula(text):
        # The purpose lands in the audit's CSV exports, where a spreadsheet would run it.
        raise InvalidRequest(
            "purpose text may not start with = + - @, a tab or a carriage return "
            "(a spreadsheet would run it as a formula): start with words"
        )
    vague = vague_text_reason(text)
    if vague:
        raise InvalidRequest(f"purpose text '{text}' refused: {vague}")
    return Purpose(category=category, case_number=case_number, text=text)


# --- the decision --------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What the gate decided about one request."""

    error: DomainError | None  # the refusal (its status and words), None when allowed
    role: str = ""  # the role that grants the action
    purpose: Purpose | None = None
    suspend: bool = False  # the account just crossed the inactivity limit: persist the suspension

    @property
    def allowed(self) -> bool:
        return self.error is None


def decide(
    rule: RouteRule | None,
    caller: Caller | None,
    person: PersonnelRecord | None,
    headers: Mapping[str, str],
    path_parameters: Mapping[str, str],
    policy: AccessPolicy,
    now: datetime,
) -> Decision:
    """Allow or refuse one request. Order: sign-in (401), route known, account, role (403), purpose (400).

    A role counts only when both the sign-in token (Cognito group) and the Personnel record
    grant it, so removing it in either place removes the access at once.
    """
    if rule is not None and rule.public:
        return Decision(error=None)
    if caller is None:
        return Decision(error=Unauthenticated("authentication required"))
    if rule is None or rule.action is None:
        return Decision(error=Forbidden("no access rule covers this route: refused (fail closed)"))
    allowed_roles = roles_for(rule.action)
    suspend = False
    if person is None:
        if rule.person:
            return Decision(
                error=Forbidden(f"no Personnel record for '{caller.username}': ask an administrator")
            )
        held = {g for g in Group if g.value in caller.groups}
    else:
        refusal = standing_refusal(person, policy.standing, now)
        if refusal:
            suspend = (
                person.status is Status.ACTIVE
                and not person.is_device
                and inactive_since(person, policy.standing, now) is not None
            )
            return Decision(error=Forbidden(refusal), suspend=suspend)
        held = set(person.roles) & {g for g in Group if g.value in caller.groups}
    granting = sorted(held & allowed_roles)
    if not granting:
        return Decision(
            error=Forbidden(
                f"'{caller.username}' (roles: {', '.join(sorted(held)) or 'none'}) may not {rule.action.value}; "
                f"allowed to: {', '.join(sorted(allowed_roles))}"
            )
        )
    role = granting[0].value
    if rule.purpose is PurposeNeed.NONE:
        return Decision(error=None, role=role)
    if rule.purpose is PurposeNeed.IMPLIED:
        case = path_parameters.get(rule.implied_case_parameter, "")
        implied = Purpose(
            category=rule.implied_category,
            case_number=case,
            text=f"{rule.action.value} on {rule.implied_case_parameter} {case}",
        )
        return Decision(error=None, role=role, purpose=implied)
    try:
        purpose = purpose_from_headers(headers, policy.purpose)
    except InvalidRequest as refused:
        return Decision(error=refused, role=role)
    return Decision(error=None, role=role, purpose=purpose)


# --- the access log ------------------------------------------------------------------


class AccessRecord(BaseModel):
    """One access (Civil Code § 1798.90.52; policy 439.6(a)), one JSON line in the access log."""

    event_id: str
    time: UtcDatetime
    username: str | None
    full_name: str | None
    organisation: str | None
    badge: str | None = None
    role: str | None
    roles: list[str] = Field(default_factory=list)
    action: str | None
    method: str
    route: str
    query: dict[str, Any] = Field(
        description="the data elements used to query (plate, pattern, area, window)"
    )
    returned_ids: list[str] = Field(default_factory=list)
    returned_count: int = 0
    purpose_category: str | None
    case_number: str | None
    purpose_text: str | None
    outcome: Literal["allowed", "refused"]
    reason: str = ""
    status: int
    source_ip: str | None
    request_id: str | None
    user_agent: str | None = None


class AccessLogUnavailable(Exception):
    """The access record could not be written: nothing may be returned (503)."""


class AccessLog(Protocol):
    def write(self, record: AccessRecord) -> None:
        """Store the record durably before returning; AccessLogUnavailable when it cannot."""
        ...
