"""`make demo` step for the investigator searches: a partial plate, a canvass, one read's links,
a legal hold on that read (approved by a supervisor, renewed by its holder), and its export into
evidence."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from rich.console import Console

from alpr.client.http import AlprClient, ApiError
from alpr.client.search import (
    approve_hold,
    as_geojson,
    canvass_circle,
    export_evidence,
    get_read,
    hold_read,
    release_hold,
    renew_hold,
    search_pattern,
)

# The demo's incident: a shooting near the first two sightings of the demo's unit (Concord).
INCIDENT = (38.01870, -122.13370)
CANVASS_RADIUS_M = 250.0


def show_searches(console: Console, investigator: AlprClient, supervisor: AlprClient) -> None:
    """Partial plate (with OCR equivalents), a refused broad pattern, a canvass and one read."""
    from alpr.cli.options import reads_table

    console.rule("[bold]Searches from indexes: a partial plate, a crime-scene canvass, one read")
    found = search_pattern(investigator, "7AB?12*")
    console.print(
        f"A witness saw '7AB?12*': the Plates dictionary, through its trigram index, gives {found['plates']}"
    )
    console.print(reads_table(found["items"], "Reads matching 7AB?12* (by_plate per matching plate)"))
    misread = search_pattern(investigator, "7A8C*", equivalents=True)
    console.print(f"'7A8C*' with OCR equivalents (8/B, 0/O …) also finds {misread['plates']}")
    try:
        search_pattern(investigator, "7A*")
    except ApiError as error:
        console.print(f"A broader pattern is refused: HTTP {error.status}: {error.body.get('message')}")

    lat, lon = INCIDENT
    canvass = canvass_circle(investigator, lat, lon, CANVASS_RADIUS_M)
    title = (
        f"Canvass: {len(canvass['items'])} read(s) within {CANVASS_RADIUS_M:g} m of {lat}, {lon} in the last "
        f"24 h ({canvass['cells']} geohash-{canvass['precision']} cell(s) by {canvass['days']} day(s))"
    )
    console.print(reads_table(canvass["items"], title))
    out = Path(tempfile.gettempdir()) / "alpr-demo-canvass.geojson"
    out.write_text(json.dumps(as_geojson(canvass), indent=2))
    console.print(f"The canvass as GeoJSON for a map: {out}")
    try:
        canvass_circle(investigator, lat, lon, 5000.0)
    except ApiError as error:
        console.print(f"A 5 km canvass is refused: HTTP {error.status}: {error.body.get('message')}")

    if canvass["items"]:
        detail = get_read(investigator, canvass["items"][0]["read_id"])
        console.print(
            f"GET /v1/reads/{detail['read_id']}: {detail['plate']} with links valid until "
            f"{detail['urls_expire_at']}: image {'yes' if detail['image_url'] else 'no'}, "
            f"crop {'yes' if detail.get('crop_url') else 'not stored'}"
        )
        show_hold(console, investigator, supervisor, detail["read_id"])


def show_hold(console: Console, investigator: AlprClient, supervisor: AlprClient, read_id: str) -> None:
    """The case holds the read past its retention, a supervisor approves the hold, the holder renews
    it; then the case lets it go."""
    held = hold_read(investigator, read_id)
    (hold,) = held["legal_holds"]
    console.print(
        f"POST /v1/reads/{read_id}/hold: held for case {hold['case_number']}; expires_at {held['expires_at']} "
        "(no TTL), image and crop under S3 Object Lock legal hold"
    )
    try:
        approve_hold(investigator, hold["hold_id"])
    except ApiError as error:
        console.print(f"The holder cannot approve their own hold: HTTP {error.status}")
    approved = approve_hold(supervisor, hold["hold_id"])
    console.print(
        f"POST /v1/holds/{hold['hold_id']}/approve: approved by {approved['approved_by']} (a supervisor, within "
        f"7 days of {approved['placed_at']}, or the daily hold review lapses it and logs the lapse)"
    )
    renewed = renew_hold(investigator, hold["hold_id"])
    console.print(
        f"POST /v1/holds/{hold['hold_id']}/renew: the holder renews it; next review date {renewed['review_at']} "
        "(not renewed by then, it lapses)"
    )
    receipt = export_evidence(investigator, [read_id])
    console.print(
        f"POST /v1/exports: booked into evidence as {receipt['prefix']} ({len(receipt['files'])} files: "
        "reads.json, reads.csv, the image, custody.json, manifest.json; every object under legal hold)"
    )
    released = release_hold(investigator, read_id)
    console.print(
        f"DELETE …/hold: released; back on its retention schedule (expires_at {released['expires_at']}), "
        f"{len(released['hold_history'])} events in its hold history"
    )
