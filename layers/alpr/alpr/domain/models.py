"""The records the back office keeps and the messages it exchanges (pydantic).

Timestamps are timezone-aware UTC and always written the same way (`iso_utc`):
fixed-width ISO 8601 with milliseconds, so their text sorts in time order and can be
part of DynamoDB sort keys.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

READ_DISCLAIMER = (
    "An ALPR read is not an identification: it records that a camera read these characters "
    "at this time and place. Confirm the plate, state and any hotlist hit (through CLETS) "
    "before any enforcement action."
)

ContentType = Literal["image/jpeg", "image/png"]


def as_utc(value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is refused because its zone would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a timestamp must carry a timezone (use UTC, e.g. 2026-01-31T12:00:00Z)")
    return value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """Fixed-width ISO 8601 in UTC with milliseconds, e.g. `2026-01-31T12:00:00.000Z`."""
    utc = as_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_iso_utc(text: str) -> datetime:
    """An ISO 8601 timestamp with a zone (`Z` or an offset), as UTC."""
    return as_utc(datetime.fromisoformat(text.strip()))


UtcDatetime = Annotated[datetime, AfterValidator(as_utc), PlainSerializer(iso_utc, return_type=str)]
Latitude = Annotated[float, Field(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0)]
Heading = Annotated[float, Field(ge=0.0, lt=360.0, description="degrees clockwise from north")]


class BoundingBox(BaseModel):
    """Where the plate is in the image, in pixels."""

    x: int
    y: int
    w: int
    h: int


class UploadRequest(BaseModel):
    """What a vehicle unit says about an image before it uploads it."""

    model_config = ConfigDict(extra="forbid")

    captured_at: UtcDatetime
    lat: Latitude
    lon: Longitude
    heading: Heading | None = None
    content_type: ContentType = "image/jpeg"
    upload_id: UUID | None = Field(
        default=None,
        description=(
            "the unit's own id for this image (e.g. its outbox entry): a retry with the same id "
            "gets the same key, so an upload sent twice is read once"
        ),
    )


class UploadTicket(BaseModel):
    """A presigned POST: send `fields` plus the file (as `file`, last) to `url`."""

    url: str
    fields: dict[str, str]
    key: str
    expires_at: UtcDatetime


class Capture(BaseModel):
    """Where, when and by whom an uploaded image was taken (from the object's metadata)."""

    unit_id: str
    captured_at: UtcDatetime
    lat: Latitude
    lon: Longitude
    heading: Heading | None = None


class LegalHold(BaseModel):
    """A case's hold on a read: while any is on it, the read and its images are kept past their
    retention (no TTL, S3 Object Lock legal hold). A supervisor other than the holder approves it
    within 7 days, and the holder renews it by its review date; otherwise it lapses (issue 22)."""

    hold_id: str = Field(
        default="", description="the hold's id (empty for holds placed before holds had ids)"
    )
    case_number: str
    category: str = Field(description="the purpose category the hold was placed under")
    reason: str
    placed_by: str
    organisation: str
    placed_at: UtcDatetime
    approved_by: str | None = Field(default=None, description="the supervisor who approved the hold")
    approved_at: UtcDatetime | None = None
    review_at: UtcDatetime | None = Field(
        default=None, description="the review date: the holder renews the hold by then, or it lapses"
    )


class HoldEvent(BaseModel):
    """One placing, approval, renewal, release or lapse of a hold, kept with the read (chain of custody)."""

    action: Literal["placed", "approved", "renewed", "released", "lapsed"]
    hold_id: str = ""
    case_number: str
    reason: str
    by: str
    at: UtcDatetime
    approved_by: str | None = Field(
        default=None,
        description="the supervisor (of the hold's organisation) who released a hold another user placed",
    )


class Correction(BaseModel):
    """A supervisor's correction of a misread (Civil Code § 1798.90.51(b)): the read stays as it was
    read, this annotation says what the image shows, who says so, when and why."""

    plate: str
    state: str | None = None
    reason: str
    by: str
    at: UtcDatetime
    original_plate: str = Field(description="the plate as recognition read it (unchanged on the read)")


class Read(BaseModel):
    """One plate read from one image: the record kept in the Reads table."""

    read_id: str
    plate: str
    state: str | None = None
    confidence: float
    char_confidences: list[float]
    low_confidence: bool
    captured_at: UtcDatetime
    captured_key: str
    unit_id: str
    lat: Latitude
    lon: Longitude
    heading: Heading | None = None
    cell_day: str
    cell7_day: str | None = Field(
        default=None, description="`<geohash-7>#<YYYY-MM-DD>`: the fine canvass index's key (issue 5)"
    )
    image_bucket: str
    image_key: str
    crop_key: str | None = Field(default=None, description="the plate crop in the image bucket, if stored")
    hotlist_hits: list[dict[str, Any]] = Field(
        default_factory=list,
        description="hotlist entries this read matched (set by recognize after matching): alert id, "
        "source, entry, category, match kind",
    )
    box: BoundingBox
    model_version: str
    expires_at: int | None = Field(
        default=None,
        description="epoch seconds (DynamoDB TTL): capture + retention; null while a legal hold keeps the read",
    )
    ingested_at: UtcDatetime
    legal_holds: list[LegalHold] = Field(default_factory=list, description="the cases holding the read")
    hold_history: list[HoldEvent] = Field(default_factory=list, description="every hold placed and released")
    held_versions: dict[str, str] = Field(
        default_factory=dict,
        description="object key -> the version under legal hold while the read is held (the bucket's "
        "lifecycle may put a delete marker over a held image; the locked version stays readable)",
    )
    corrected_plate: str | None = Field(
        default=None,
        description="the plate a supervisor recorded for a misread (the latest correction); `plate` "
        "stays as recognition read it",
    )
    corrections: list[Correction] = Field(
        default_factory=list, description="every correction of a misread, oldest first"
    )


class ReadResult(Read):
    """A read as an investigator receives it (with its `hotlist_hits`, if any). Its holds are
    those of the caller's case; the others are only counted (`other_holds`)."""

    held: bool = Field(default=False, description="whether any case holds the read")
    other_holds: int = Field(default=0, description="holds of cases other than the caller's (not named)")
    disclaimer: str = READ_DISCLAIMER


class ReadPage(BaseModel):
    """One page of reads, newest first; pass `next` back to get the following page."""

    items: list[ReadResult]
    next: str | None = None
    disclaimer: str = READ_DISCLAIMER


class PlateQuery(BaseModel):
    """Reads of one plate in a time window."""

    plate: str
    start: UtcDatetime
    end: UtcDatetime
    limit: int = Field(default=50, ge=1, le=500)
    next: str | None = None
    state: str | None = Field(
        default=None, description="only reads of this state, and those whose state could not be read"
    )


class Caller(BaseModel):
    """The authenticated user behind a request (from the Cognito authorizer's claims)."""

    model_config = ConfigDict(frozen=True)

    username: str
    groups: frozenset[str] = frozenset()


class QuarantineRecord(BaseModel):
    """Why an upload was set aside instead of read (kept beside it as `<key>.reason.json`)."""

    reason: str
    detail: str = ""
    source_bucket: str
    source_key: str
    etag: str
    quarantined_at: UtcDatetime
