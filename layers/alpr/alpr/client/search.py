"""The investigator searches over HTTP (partial plate, canvass, one read), all pages followed.

Used by the CLI, the demo and the e2e tests, on top of `AlprClient` (token and purpose).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alpr.client.http import AlprClient


def _iso(at: datetime | str | None) -> str | None:
    if at is None or isinstance(at, str):
        return at
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _window(start: datetime | str | None, end: datetime | str | None) -> dict[str, str]:
    return {k: v for k, v in (("from", _iso(start)), ("to", _iso(end))) if v}


def _all_pages(
    client: AlprClient,
    method: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The first page's fields with every page's items."""
    first: dict[str, Any] | None = None
    items: list[dict[str, Any]] = []
    while True:
        page = client.call(method, path, params=params, json=body)
        first = first or page
        items.extend(page["items"])
        if not page.get("next"):
            return {**first, "items": items, "next": None}
        if body is not None:
            body = {**body, "next": page["next"]}
        else:
            params = {**(params or {}), "next": page["next"]}


def search_pattern(
    client: AlprClient,
    pattern: str,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    equivalents: bool = False,
) -> dict[str, Any]:
    """Reads of every plate a partial plate matches: `{"plates": [...], "items": [...], ...}`."""
    params = {"pattern": pattern, "equivalents": str(equivalents).lower(), **_window(start, end)}
    return _all_pages(client, "GET", "/v1/reads/search", params=params)


def canvass_circle(
    client: AlprClient,
    lat: float,
    lon: float,
    radius_m: float,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
) -> dict[str, Any]:
    """Every read within `radius_m` of (lat, lon) in the window (default: the last 24 hours)."""
    params = {"lat": repr(lat), "lon": repr(lon), "radius_m": repr(radius_m), **_window(start, end)}
    return _all_pages(client, "GET", "/v1/reads/canvass", params=params)


def canvass_polygon(
    client: AlprClient,
    area: dict[str, Any],
    start: datetime | str | None = None,
    end: datetime | str | None = None,
) -> dict[str, Any]:
    """Every read inside a GeoJSON polygon (or Feature) in the window."""
    return _all_pages(client, "POST", "/v1/reads/canvass", body={"area": area, **_window(start, end)})


def get_read(client: AlprClient, read_id: str) -> dict[str, Any]:
    """One read with short-lived links to its image and crop."""
    result: dict[str, Any] = client.call("GET", f"/v1/reads/{read_id}")
    return result


def as_geojson(result: dict[str, Any]) -> dict[str, Any]:
    """A canvass as a GeoJSON FeatureCollection for a map: the area, then one point per read."""
    area = result.get("area") or {}
    if area.get("type") == "circle":
        area_feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [area["lon"], area["lat"]]},
            "properties": {"role": "canvass area", "radius_m": area["radius_m"]},
        }
    else:
        area_feature = {"type": "Feature", "geometry": area, "properties": {"role": "canvass area"}}
    reads = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [read["lon"], read["lat"]]},
            "properties": {
                k: read.get(k)
                for k in (
                    "read_id",
                    "plate",
                    "state",
                    "confidence",
                    "captured_at",
                    "unit_id",
                    "hotlist_hits",
                    "disclaimer",
                )
            },
        }
        for read in result.get("items", [])
    ]
    return {"type": "FeatureCollection", "features": [area_feature, *reads]}


def hold_read(client: AlprClient, read_id: str) -> dict[str, Any]:
    """Hold a read for the client's purpose's case: no TTL, its image and crop locked."""
    state: dict[str, Any] = client.call("POST", f"/v1/reads/{read_id}/hold")
    return state


def release_hold(client: AlprClient, read_id: str) -> dict[str, Any]:
    """Release the hold of the client's purpose's case; the last one restores the retention."""
    state: dict[str, Any] = client.call("DELETE", f"/v1/reads/{read_id}/hold")
    return state


def approve_hold(client: AlprClient, hold_id: str) -> dict[str, Any]:
    """A supervisor (not the holder) approves a hold within 7 days of its placing, or it lapses."""
    view: dict[str, Any] = client.call("POST", f"/v1/holds/{hold_id}/approve")
    return view


def renew_hold(client: AlprClient, hold_id: str) -> dict[str, Any]:
    """The holder renews a hold for the client's purpose's case by its review date: a new one."""
    view: dict[str, Any] = client.call("POST", f"/v1/holds/{hold_id}/renew")
    return view


def export_evidence(client: AlprClient, read_ids: list[str]) -> dict[str, Any]:
    """Book reads into evidence for the client's purpose's case; the receipt with a link to the zip."""
    receipt: dict[str, Any] = client.call("POST", "/v1/exports", json={"read_ids": read_ids})
    return receipt
