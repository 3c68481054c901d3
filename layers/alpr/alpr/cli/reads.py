"""`alpr reads correct`: a supervisor records the plate a misread shows (Civil Code § 1798.90.51(b))."""

from __future__ import annotations

from typing import Annotated

import typer

from alpr.cli.options import console, uses_api
from alpr.client.http import AlprClient

app = typer.Typer(help="Reads: correct a misread (supervisors)", no_args_is_help=True)


@app.command("correct")
@uses_api(purpose=True)
def correct_command(
    client: AlprClient,
    read_id: str,
    plate: Annotated[str, typer.Option("--plate", help="the plate the image shows")],
    state: Annotated[str | None, typer.Option(help="its state, if legible")] = None,
) -> None:
    """Mark a read as misread and record the plate it shows; its open alerts close as misread.
    The stated purpose's --reason is the correction's reason (what the image shows)."""
    assert client.purpose is not None  # uses_api(purpose=True) always states one
    receipt = client.correct_read(read_id, plate, state=state, reason=client.purpose.text)
    correction = receipt["correction"]
    console.print(
        f"Read {read_id}: read as [bold]{correction['original_plate']}[/], corrected to "
        f"[bold]{correction['plate']}[/] by {correction['by']} at {correction['at']}; "
        f"alerts closed as misread: {', '.join(receipt['alerts_closed']) or 'none'}"
    )
