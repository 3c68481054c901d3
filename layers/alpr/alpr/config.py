"""The process's configuration: the only reader of the environment.

Every variable is `ALPR_<FIELD>` (the names the CDK app sets, `alpr.names.Env`). `Config` knows
them all, each optional; each function has its own subclass that makes required exactly what
that function uses, so a function deployed without a grant fails its cold start with every
missing or invalid variable named at once, not its first request. The domain's value objects
(`Retention`, `SearchLimits`, `AccessPolicy`, ...) are built here from the fields; the domain
itself reads no environment.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from alpr.domain.access import (
    DEFAULT_CASE_NUMBER_EXAMPLE,
    DEFAULT_CASE_NUMBER_PATTERN,
    DEFAULT_CATEGORIES,
    AccessPolicy,
    PurposeRules,
)
from alpr.domain.canvass import SearchLimits, parse_service_area
from alpr.domain.holds import DEFAULT_HOLD_REVIEW_DAYS
from alpr.domain.hotlist import DEFAULT_REFUSED, Category
from alpr.domain.personnel import (
    DEFAULT_INACTIVITY_DAYS,
    DEFAULT_REFRESHER_DAYS,
    MAX_REFRESHER_DAYS,
    StandingPolicy,
)
from alpr.domain.public_policy import CUSTODIAN as DEFAULT_ADMINISTRATOR_TITLE
from alpr.domain.public_policy import Administration
from alpr.domain.retention import MIN_RETENTION_DAYS, Retention
from alpr.web.settings import WebSettings

DEFAULT_DECISION_SECONDS = 3 * 24 * 3600  # three days for the commander, three more for the designee
DEFAULT_HOTLIST_MAX_AGE_HOURS = 24  # NCIC refreshes about twice a day
DEFAULT_HOTLIST_ENTRY_MAX_DAYS = 30  # stale personal hotlists caused wrongful stops

CommaList = Annotated[tuple[str, ...], NoDecode]


def _split(value: object) -> object:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return value


class Config(BaseSettings):
    """Everything any part of the system may be configured with; absent means not granted."""

    model_config = SettingsConfigDict(env_prefix="ALPR_", frozen=True, extra="ignore")

    # Tables
    reads_table: str | None = None
    plates_table: str | None = None
    plate_grams_table: str | None = None  # unset: partial plates scan the Plates dictionary
    hotlist_table: str | None = None
    alerts_table: str | None = None
    personnel_table: str | None = None
    account_proposals_table: str | None = None
    release_requests_table: str | None = None
    holds_table: str | None = None
    # Buckets
    uploads_bucket: str | None = None
    quarantine_bucket: str | None = None
    evidence_bucket: str | None = None
    access_log_bucket: str | None = None
    release_bucket: str | None = None
    hotlist_bucket: str | None = None
    # Retention and searches
    retention_days: int = Field(default=MIN_RETENTION_DAYS)
    # A legal hold's review date: this many days after it is placed or renewed (issue 22); reviewed
    # at least yearly
    hold_review_days: int = Field(default=DEFAULT_HOLD_REVIEW_DAYS, ge=1, le=DEFAULT_HOLD_REVIEW_DAYS)
    canvass_max_days: int = Field(default=7, ge=1)
    canvass_max_area_km2: float = Field(default=10.0, gt=0)
    upload_max_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    upload_url_seconds: int = Field(default=300, ge=1, le=3600)
    upload_max_age_hours: float = Field(default=48, gt=0)  # how far back a unit may date a capture
    capture_signing_secret: str | None = None  # Secrets Manager ARN of the capture metadata's HMAC key
    # The department's jurisdiction: [west, south, east, north] or a GeoJSON Polygon (California's
    # bounding box when unset); a canvass outside it is refused before any work
    service_area: str = ""
    # Recognition
    models_dir: Path | None = None
    ort_threads: int = Field(default=1, ge=1)
    # The detector's score (with the verifier's) below which a reading is not reported; unset: the
    # engine's own (0.1, the readings between it and the threshold flagged). The threshold (0.5)
    # reports nothing the detector is unsure of (docs/recognition.md, steps 35, 36 and 38: the costs).
    plate_support_score: float | None = Field(default=None, ge=0.0, le=1.0)
    # The access gate (policy 439.4-439.6)
    purpose_categories: CommaList = DEFAULT_CATEGORIES
    case_number_pattern: str = DEFAULT_CASE_NUMBER_PATTERN
    case_number_example: str = DEFAULT_CASE_NUMBER_EXAMPLE
    inactivity_days: int = Field(default=DEFAULT_INACTIVITY_DAYS, ge=1)
    training_refresher_days: int = Field(default=DEFAULT_REFRESHER_DAYS, ge=1, le=MAX_REFRESHER_DAYS)
    # The ALPR administrator and the current designee (policy 439.3, 439.3.1(e)), as posted
    administrator_title: str = Field(default=DEFAULT_ADMINISTRATOR_TITLE, min_length=1, max_length=120)
    administrator_name: str = Field(default="", max_length=120)
    designee_title: str = Field(default="", max_length=120)
    designee_name: str = Field(default="", max_length=120)
    # ... and their usernames: they approve account changes beside the supervisor each names
    administrator_username: str = Field(default="", max_length=128)
    designee_username: str = Field(default="", max_length=128)
    # Release to other agencies (policy 439.7)
    release_state_machine: str | None = None
    release_link_secret: str | None = None  # Secrets Manager ARN of the decision links' HMAC key
    release_token_key: str | None = None  # KMS key that encrypts stored task tokens
    release_mail_from: str | None = None
    release_commander_email: str = ""
    release_designee_email: str = ""
    release_decision_seconds: int = Field(default=DEFAULT_DECISION_SECONDS, ge=1)
    # Hotlists and alerts
    alerts_topic: str | None = None
    hotlist_max_age_hours: float = Field(default=DEFAULT_HOTLIST_MAX_AGE_HOURS, gt=0)
    hotlist_entry_max_days: int = Field(default=DEFAULT_HOTLIST_ENTRY_MAX_DAYS, ge=1, le=365)
    hotlist_refused_categories: CommaList = tuple(sorted(DEFAULT_REFUSED))
    # Pages for people (the commander's decision page) and their sign-in
    web_base_url: str | None = None  # every link and redirect is built from it, never from a Host header
    web_auth_url: str = ""  # the hosted UI
    web_client_id: str = ""
    api_client_id: str = ""
    user_pool_id: str = ""
    web_session_secret: str = ""  # Secrets Manager ARN of the session cookies' signing key
    # AWS's own variables (no ALPR_ prefix): the region, and the local stack's embedded AWS
    aws_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    aws_endpoint_url: str = Field(default="", validation_alias="AWS_ENDPOINT_URL")

    @field_validator("purpose_categories", "hotlist_refused_categories", mode="before")
    @classmethod
    def comma_separated(cls, value: object) -> object:
        return _split(value) or None

    @field_validator("purpose_categories", mode="after")
    @classmethod
    def some_purpose(cls, value: tuple[str, ...] | None) -> tuple[str, ...]:
        return value or DEFAULT_CATEGORIES

    @field_validator("hotlist_refused_categories", mode="after")
    @classmethod
    def known_categories(cls, value: tuple[str, ...] | None) -> tuple[str, ...]:
        names = value or ()
        unknown = [n for n in names if n not in Category.__members__.values()]
        if unknown:
            raise ValueError(
                f"unknown hotlist categories {unknown}; known: {', '.join(c.value for c in Category)}"
            )
        return names

    @property
    def retention(self) -> Retention:
        return Retention(days=self.retention_days)

    @property
    def search_limits(self) -> SearchLimits:
        return SearchLimits(
            canvass_max_days=self.canvass_max_days,
            canvass_max_area_km2=self.canvass_max_area_km2,
            service_area=parse_service_area(self.service_area),
        )

    @property
    def access_policy(self) -> AccessPolicy:
        return AccessPolicy(
            purpose=PurposeRules(
                categories=self.purpose_categories,
                case_number_pattern=self.case_number_pattern,
                case_number_example=self.case_number_example,
            ),
            standing=StandingPolicy(
                inactivity_days=self.inactivity_days, refresher_days=self.training_refresher_days
            ),
        )

    @property
    def hotlist_max_age(self) -> timedelta:
        return timedelta(hours=self.hotlist_max_age_hours)

    @property
    def administration(self) -> Administration:
        """The ALPR administrator and the current designee, as the posted policy names them."""
        return Administration(
            administrator_title=self.administrator_title,
            administrator_name=self.administrator_name,
            designee_title=self.designee_title,
            designee_name=self.designee_name,
            administrator_username=self.administrator_username,
            designee_username=self.designee_username,
        )

    @property
    def refused_hotlist_categories(self) -> frozenset[str]:
        return frozenset(self.hotlist_refused_categories)

    @property
    def web(self) -> WebSettings:
        return WebSettings(
            base_url=(self.web_base_url or "").rstrip("/"),
            auth_url=self.web_auth_url.rstrip("/"),
            web_client_id=self.web_client_id,
            api_client_id=self.api_client_id,
            user_pool_id=self.user_pool_id,
            region=self.aws_region,
            session_secret_id=self.web_session_secret,
            aws_endpoint_url=self.aws_endpoint_url,
        )

    @field_validator("service_area")
    @classmethod
    def a_jurisdiction(cls, value: str) -> str:
        parse_service_area(value)  # a malformed area fails the cold start
        return value

    @field_validator("retention_days")
    @classmethod
    def at_least_one_year(cls, value: int) -> int:
        Retention(days=value)  # the domain's rule: never under the legal minimum
        return value


# One model per function: exactly what it uses is required (mypy accepts the narrowed types).


class _Gate(Config):
    """What the access gate needs in every function that serves people."""

    personnel_table: str
    access_log_bucket: str


class UploadsConfig(_Gate):
    uploads_bucket: str
    capture_signing_secret: str  # signs each ticket's capture fields


class ApiConfig(_Gate):
    account_proposals_table: str
    reads_table: str
    plates_table: str
    holds_table: str
    plate_grams_table: str
    hotlist_table: str
    alerts_table: str
    release_requests_table: str
    uploads_bucket: str
    evidence_bucket: str
    release_bucket: str
    release_state_machine: str


class RecognizeConfig(Config):
    access_log_bucket: str  # a delivery record per alert notification
    web_base_url: str  # the link to the alert in a notification
    reads_table: str
    plates_table: str
    plate_grams_table: str
    hotlist_table: str
    alerts_table: str
    uploads_bucket: str
    quarantine_bucket: str
    hotlist_bucket: str
    alerts_topic: str
    capture_signing_secret: str  # checks each upload's capture fields before reading it


class HotlistImportConfig(Config):
    hotlist_table: str
    hotlist_bucket: str


class AuditWatchConfig(Config):
    access_log_bucket: str


class ReleaseNotifyConfig(Config):
    release_requests_table: str
    release_link_secret: str
    release_token_key: str
    release_mail_from: str


class ReleaseRecordConfig(Config):
    release_requests_table: str


class ReleaseFulfilConfig(Config):
    reads_table: str
    release_requests_table: str
    release_bucket: str
    uploads_bucket: str
    access_log_bucket: str


class RetentionReportConfig(Config):
    reads_table: str
    access_log_bucket: str


class HoldReviewConfig(Config):
    reads_table: str
    plates_table: str
    holds_table: str
    access_log_bucket: str  # a record of every lapse


class PlateGramsPruneConfig(Config):
    plates_table: str
    plate_grams_table: str
