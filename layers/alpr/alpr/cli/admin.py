"""`alpr admin ...`: one-off maintenance run by an operator with AWS credentials (or against the
local stack's embedded AWS: AWS_ENDPOINT_URL), never through the API."""

from __future__ import annotations

from typing import Annotated

import typer

from alpr.cli.options import console

app = typer.Typer(help="One-off maintenance with the operator's AWS credentials", no_args_is_help=True)


@app.command("backfill-plate-expiry")
def backfill_plate_expiry(
    reads_table: Annotated[str, typer.Option(envvar="ALPR_READS_TABLE", help="The Reads table's name")],
    plates_table: Annotated[str, typer.Option(envvar="ALPR_PLATES_TABLE", help="The Plates table's name")],
    retention_days: Annotated[
        int, typer.Option(envvar="ALPR_RETENTION_DAYS", help="The deployed retention (days)")
    ] = 365,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the expiries (without it: count only)")
    ] = False,
    page_size: Annotated[int, typer.Option(min=1, max=1000, help="Plates read per page")] = 100,
) -> None:
    """Give Plates entries written before they expired the expiry of their newest read (none while a
    read of the plate is held). Dry run by default; idempotent."""
    from alpr.config import Config
    from alpr.services import reads as reads_service
    from alpr.services.container import Container, use

    use(Container(Config(reads_table=reads_table, plates_table=plates_table, retention_days=retention_days)))
    counts = reads_service.backfill_plate_expiry(apply=apply, page_size=page_size)
    console.print(
        f"{counts.plates} plates: {counts.up_to_date} up to date, {counts.to_update} to update "
        f"({counts.held} kept for a held read, {counts.past} already past: they go at the next sweep)"
        + (f"; {counts.updated} updated." if apply else ". Dry run: nothing written; --apply writes.")
    )
    print(counts.model_dump_json())
