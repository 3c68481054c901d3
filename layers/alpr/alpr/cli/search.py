"""`alpr search pattern|canvass|read|hold|export`: the investigator searches beyond one plate, as
tables, legal holds on reads and evidence export.

Registered on the `search` sub-app of `alpr.cli.main` (next to `alpr search plate`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from alpr.cli.options import console, reads_table, uses_api
from alpr.client.http import AlprClient
from alpr.client.search import (
    approve_hold,
    as_geojson,
    canvass_circle,
    canvass_polygon,
    export_evidence,
    get_read,
    hold_read,
    release_hold,
    renew_hold,
    search_pattern,
)

From = Annotated[str | None, typer.Option("--from", help="ISO 8601 UTC, e.g. 2026-11-28T21:00:00Z")]
To = Annotated[str | None, typer.Option("--to", help="ISO 8601 UTC (default: now)")]


def _show_hold(view: dict[str, Any]) -> None:
    approval = (
        f"approved by {view['approved_by']}"
        if view["approved_by"]
        else f"awaits approval until {view['approval_due']}"
    )
    console.print(
        f"hold {view['hold_id']} on read {view['read_id']} for case {view['case_number']}: {approval}; "
        f"review date {view['review_at']}"
    )


def _show(reads: list[dict[str, Any]], title: str) -> None:
    console.print(reads_table(reads, title))
    hits = [r for r in reads if r.get("hotlist_hits")]
    if hits:
        console.print(
            f"[bold red]{len(hits)} read(s) matched a hotlist: confirm through CLETS before acting[/]"
        )


def register(search_app: typer.Typer) -> None:
    """Add the commands to `alpr search`."""

    @search_app.command("pattern")
    @uses_api(purpose=True)
    def pattern(
        client: AlprClient,
        text: Annotated[
            str, typer.Argument(metavar="PATTERN", help="'?' one character, '*' any run, e.g. 7AB?12*")
        ],
        start: From = None,
        end: To = None,
        equivalents: Annotated[
            bool, typer.Option(help="also match OCR look-alikes (0/O/D/Q, 8/B …)")
        ] = False,
    ) -> None:
        """Reads of every plate a partial plate matches (from the plates dictionary)."""
        result = search_pattern(client, text, start, end, equivalents)
        plates = ", ".join(result["plates"]) or "none"
        _show(result["items"], f"Reads matching {result['pattern']} (plates: {plates})")

    @search_app.command("canvass")
    @uses_api(purpose=True)
    def canvass(
        client: AlprClient,
        lat: Annotated[float | None, typer.Option(help="centre latitude")] = None,
        lon: Annotated[float | None, typer.Option(help="centre longitude")] = None,
        radius_m: Annotated[float | None, typer.Option("--radius-m", help="radius in metres")] = None,
        polygon: Annotated[
            Path | None, typer.Option(help="a GeoJSON file with a Polygon (or a Feature)")
        ] = None,
        start: From = None,
        end: To = None,
        geojson: Annotated[
            Path | None, typer.Option("--geojson", help="also write the result as GeoJSON")
        ] = None,
    ) -> None:
        """Every read inside a circle (--lat --lon --radius-m) or a polygon (--polygon) in a window."""
        if polygon is not None:
            result = canvass_polygon(client, json.loads(polygon.read_text()), start, end)
            title = f"Canvass of {polygon.name}"
        elif lat is not None and lon is not None and radius_m is not None:
            result = canvass_circle(client, lat, lon, radius_m, start, end)
            title = f"Canvass within {radius_m:g} m of {lat:.5f}, {lon:.5f}"
        else:
            raise typer.BadParameter("give --lat, --lon and --radius-m, or --polygon FILE")
        _show(result["items"], f"{title}: {len(result['items'])} read(s)")
        if geojson is not None:
            geojson.write_text(json.dumps(as_geojson(result), indent=2))
            console.print(f"GeoJSON written to {geojson}")

    @search_app.command("read")
    @uses_api(purpose=True)
    def read(
        client: AlprClient,
        read_id: str,
    ) -> None:
        """One read with short-lived links to its image and plate crop."""
        detail = get_read(client, read_id)
        _show([detail], f"Read {read_id}")
        console.print(f"image: {detail['image_url']}")
        console.print(f"crop:  {detail.get('crop_url') or 'none stored'}")
        console.print(f"links expire at {detail['urls_expire_at']}")

    @search_app.command("hold")
    @uses_api(purpose=True)
    def hold(
        client: AlprClient,
        read_id: str,
        release: Annotated[bool, typer.Option("--release", help="release the case's hold instead")] = False,
    ) -> None:
        """Hold a read for the case (kept past its retention, image and crop locked), or release it."""
        state = release_hold(client, read_id) if release else hold_read(client, read_id)
        cases = ", ".join(f"{h['case_number']} (hold {h['hold_id']})" for h in state["legal_holds"]) or "none"
        console.print(f"read {read_id}: held for case(s) {cases}")
        if state["expires_at"] is None:
            console.print("kept until every hold is released (no expiry; image and crop under legal hold)")
        else:
            expires = datetime.fromtimestamp(state["expires_at"], UTC).isoformat()
            console.print(f"back on its retention schedule: expires {expires}")

    @search_app.command("approve-hold")
    @uses_api()
    def approve(client: AlprClient, hold_id: str) -> None:
        """Approve another user's hold (supervisors, within 7 days of its placing, or it lapses)."""
        _show_hold(approve_hold(client, hold_id))

    @search_app.command("renew-hold")
    @uses_api(purpose=True)
    def renew(client: AlprClient, hold_id: str) -> None:
        """Renew your hold for its case by its review date (the reason says why it is still needed)."""
        _show_hold(renew_hold(client, hold_id))

    @search_app.command("export")
    @uses_api(purpose=True)
    def export(
        client: AlprClient,
        read_ids: Annotated[list[str], typer.Argument(metavar="READ_ID...", help="the reads to book")],
    ) -> None:
        """Book reads into evidence for the case: data, images, custody record and manifest, under legal hold."""
        receipt = export_evidence(client, read_ids)
        console.print(
            f"export {receipt['export_id']} for case {receipt['case_number']}: {len(receipt['read_ids'])} "
            f"read(s), {len(receipt['files'])} files in s3://{receipt['bucket']}/{receipt['prefix']}"
        )
        console.print(f"zip (link valid until {receipt['link_expires_at']}): {receipt['bundle_url']}")
