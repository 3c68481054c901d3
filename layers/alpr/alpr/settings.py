"""Settings, validated once per process (cold start), from the environment."""

from __future__ import annotations

import json
import os
from functools import cache

from pydantic import BaseModel, Field, field_validator

from alpr.names import Env

MIN_RETENTION_DAYS = 365  # Gov. Code § 34090.6, policy 439.5


class Retention(BaseModel):
    days: int = Field(default=MIN_RETENTION_DAYS)

    @field_validator("days")
    @classmethod
    def at_least_one_year(cls, value: int) -> int:
        if value < MIN_RETENTION_DAYS:
            raise ValueError(
                f"retention of {value} days is below the legal minimum of {MIN_RETENTION_DAYS} days "
                "(Gov. Code § 34090.6, policy 439.5)"
            )
        return value


class Tables(BaseModel):
    reads: str
    plates: str
    # The Plates dictionary's trigram index (issue 5); unset: patterns scan the dictionary.
    plate_grams: str = ""
    hotlist: str = ""
    alerts: str = ""
    personnel: str = ""
    release_requests: str = ""


class Buckets(BaseModel):
    uploads: str
    quarantine: str
    evidence: str = ""
    access_log: str = ""


# California's bounding box (lon, lat), closed: the default service area of a department that has
# not set its own jurisdiction (`ALPR_SERVICE_AREA`).
CALIFORNIA: tuple[tuple[float, float], ...] = (
    (-124.6, 32.4),
    (-114.0, 32.4),
    (-114.0, 42.1),
    (-124.6, 42.1),
    (-124.6, 32.4),
)


class SearchLimits(BaseModel):
    """How far a canvass may reach (policy 439.4: the surroundings of an incident), and where:
    the service area (the department's jurisdiction), an exterior ring of (lon, lat) positions."""

    canvass_max_days: int = Field(default=7, ge=1)
    canvass_max_area_km2: float = Field(default=10.0, gt=0)
    image_url_seconds: int = Field(default=300, ge=1, le=3600)
    service_area: tuple[tuple[float, float], ...] = Field(default=CALIFORNIA, min_length=4)


def parse_service_area(text: str) -> tuple[tuple[float, float], ...]:
    """The service area from its setting: a bounding box `[west, south, east, north]`, or a GeoJSON
    Polygon (or a Feature holding one) whose exterior ring is kept; California when empty."""
    if not text.strip():
        return CALIFORNIA
    data = json.loads(text)
    if isinstance(data, list) and len(data) == 4 and all(isinstance(v, int | float) for v in data):
        west, south, east, north = (float(v) for v in data)
        if not (west < east and south < north):
            raise ValueError(f"service area box {data} is not [west, south, east, north]")
        return ((west, south), (east, south), (east, north), (west, north), (west, south))
    geometry = data.get("geometry") if isinstance(data, dict) and data.get("type") == "Feature" else data
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        raise ValueError("the service area must be [west, south, east, north] or a GeoJSON Polygon")
    return tuple((float(lon), float(lat)) for lon, lat in geometry["coordinates"][0])


class Settings(BaseModel):
    tables: Tables
    buckets: Buckets
    retention: Retention = Retention()
    upload_max_bytes: int = 8 * 1024 * 1024
    upload_url_seconds: int = 300
    upload_max_age_hours: float = Field(default=48, gt=0, description="how far back a capture may be dated")
    search: SearchLimits = SearchLimits()


def _env(name: Env, default: str = "") -> str:
    return os.environ.get(name.value, default)


@cache
def settings() -> Settings:
    """The process's settings; raises pydantic.ValidationError at cold start when invalid."""
    return Settings(
        tables=Tables(
            reads=_env(Env.READS_TABLE),
            plates=_env(Env.PLATES_TABLE),
            plate_grams=_env(Env.PLATE_GRAMS_TABLE),
            hotlist=_env(Env.HOTLIST_TABLE),
            alerts=_env(Env.ALERTS_TABLE),
            personnel=_env(Env.PERSONNEL_TABLE),
            release_requests=_env(Env.RELEASE_REQUESTS_TABLE),
        ),
        buckets=Buckets(
            uploads=_env(Env.UPLOADS_BUCKET),
            quarantine=_env(Env.QUARANTINE_BUCKET),
            evidence=_env(Env.EVIDENCE_BUCKET),
            access_log=_env(Env.ACCESS_LOG_BUCKET),
        ),
        retention=Retention(days=int(_env(Env.RETENTION_DAYS, str(MIN_RETENTION_DAYS)))),
        upload_max_age_hours=float(_env(Env.UPLOAD_MAX_AGE_HOURS, "48")),
        search=SearchLimits(
            canvass_max_days=int(_env(Env.CANVASS_MAX_DAYS, "7")),
            canvass_max_area_km2=float(_env(Env.CANVASS_MAX_AREA_KM2, "10")),
            service_area=parse_service_area(_env(Env.SERVICE_AREA)),
        ),
    )
