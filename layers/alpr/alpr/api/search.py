"""Investigator searches beyond one plate: partial plates, canvass (circle or polygon), one read.

Routes (method, path) for the access gate:
GET /v1/reads/search, GET /v1/reads/canvass, POST /v1/reads/canvass, GET /v1/reads/<read_id>,
GET /v1/reads/<read_id>/image.
Each notes what it queried by and returned (`note_access`) for the access log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field

from alpr.api import AUTHENTICATED
from alpr.api.access import note_access
from alpr.api.auth import current_caller
from alpr.api.clets import reads_shown
from alpr.api.gate import shown_to_case
from alpr.api.kept import for_this_case
from alpr.api.params import From, To, UlidPath
from alpr.api.reads import EARLIEST
from alpr.domain.canvass import Area, Circle, polygon_from_geojson
from alpr.domain.errors import NotFound
from alpr.domain.models import ReadResult, UtcDatetime, iso_utc
from alpr.domain.patterns import parse_pattern
from alpr.domain.search import CanvassPage, PatternPage, ReadDetail
from alpr.services import search as search_service
from alpr.services.container import container

router = Router()
metrics = Metrics()  # shares the handler's metric set; flushed by its @log_metrics

DEFAULT_CANVASS_HOURS = 24

Limit = Annotated[int, Query(ge=1, le=500)]
Next = Annotated[str | None, Query(description="token from the previous page")]


class CanvassRequest(BaseModel):
    """A canvass of a drawn area: a GeoJSON Polygon (or a Feature holding one) and a window."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    area: dict[str, Any] = Field(description="GeoJSON Polygon, [lon, lat] positions, or a Feature with one")
    start: UtcDatetime | None = Field(default=None, alias="from", description="default: 24 hours before 'to'")
    end: UtcDatetime | None = Field(default=None, alias="to", description="default: now")
    limit: int = Field(default=50, ge=1, le=500)
    next: str | None = None


def _returned(items: list[ReadResult], query: dict[str, Any]) -> None:
    items[:] = for_this_case(items)  # before the record: it names what is returned
    note_access(query=query, returned_ids=[read.read_id for read in items])
    metrics.add_metric(name="ReadsReturned", unit=MetricUnit.Count, value=len(items))


def _canvass_window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end_at = end or container().clock.now()
    return start or end_at - timedelta(hours=DEFAULT_CANVASS_HOURS), end_at


def _canvass(area: Area, start: datetime, end: datetime, limit: int, token: str | None) -> CanvassPage:
    page = search_service.canvass(current_caller(router), area, start, end, limit=limit, token=token)
    _returned(page.items, {"area": area.describe(), "from": iso_utc(start), "to": iso_utc(end)})
    return page.model_copy(update={"items": shown_to_case(reads_shown(page.items))})


@router.get("/v1/reads/search", summary="Reads of the plates a partial plate matches", security=AUTHENTICATED)
def search_pattern(
    pattern: Annotated[
        str, Query(min_length=1, max_length=24, description="'?' one character, '*' any run; 3+ known")
    ],
    start: From = None,
    end: To = None,
    equivalents: Annotated[bool, Query(description="also match OCR look-alikes (0/O/D/Q, 8/B …)")] = False,
    limit: Limit = 50,
    next: Next = None,
) -> PatternPage:
    caller = current_caller(router)
    parsed = parse_pattern(pattern, equivalents=equivalents)
    start_at = start or EARLIEST
    end_at = end or container().clock.now() + timedelta(days=1)
    page = search_service.find_pattern(caller, parsed, start_at, end_at, limit=limit, token=next or None)
    _returned(
        page.items,
        {
            "pattern": parsed.text,
            "equivalents": equivalents,
            "plates": page.plates,
            "from": iso_utc(start_at),
            "to": iso_utc(end_at),
        },
    )
    return page.model_copy(update={"items": shown_to_case(reads_shown(page.items))})


@router.get(
    "/v1/reads/canvass", summary="Reads within a radius of a point, in a window", security=AUTHENTICATED
)
def canvass_circle(
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    radius_m: Annotated[float, Query(gt=0, description="metres; a read on the circle counts as inside")],
    start: From = None,
    end: To = None,
    limit: Limit = 50,
    next: Next = None,
) -> CanvassPage:
    window = _canvass_window(start, end)
    return _canvass(Circle(lat, lon, radius_m), *window, limit, next or None)


@router.post(
    "/v1/reads/canvass", summary="Reads inside a GeoJSON polygon, in a window", security=AUTHENTICATED
)
def canvass_polygon(request: Annotated[CanvassRequest, Body()]) -> CanvassPage:
    area = polygon_from_geojson(request.area)
    return _canvass(area, *_canvass_window(request.start, request.end), request.limit, request.next or None)


@router.get(
    "/v1/reads/<read_id>",
    summary="One read, with short-lived links to its image and crop",
    security=AUTHENTICATED,
)
def get_read(read_id: UlidPath) -> ReadDetail:
    detail = _one_read(read_id)
    images = [key for key in (detail.image_key, detail.crop_key) if key]
    note_access(query={"read_id": read_id, "images": images}, returned_ids=[detail.read_id])
    metrics.add_metric(name="ReadsReturned", unit=MetricUnit.Count, value=1)
    (shown,) = shown_to_case(reads_shown([detail]))
    return shown


def _one_read(read_id: str) -> ReadDetail:
    detail = search_service.one_read(current_caller(router), read_id)
    if not for_this_case([detail]):
        raise NotFound(f"no read '{read_id}'")
    return detail


@router.get(
    "/v1/reads/<read_id>/image",
    summary="The read's image, or its plate crop: a redirect to a short-lived link, each one logged",
    security=AUTHENTICATED,
)
def get_read_image(
    read_id: UlidPath,
    crop: Annotated[bool, Query(description="the plate crop instead of the whole image")] = False,
) -> Response[str]:
    detail = _one_read(read_id)
    key, url = (detail.crop_key, detail.crop_url) if crop else (detail.image_key, detail.image_url)
    if not key or not url:
        raise NotFound(f"read '{read_id}' has no plate crop stored")
    note_access(query={"read_id": read_id, "images": [key]}, returned_ids=[read_id])
    return Response(status_code=307, headers={"Location": url}, body="")
