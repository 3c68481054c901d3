"""`alpr ingest`: the queue between the uploads bucket and recognition."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import boto3
import typer

from alpr.adapters.queues import NoSourceQueue, redrive, source_queue
from alpr.cli.options import console
from alpr.names import Output

app = typer.Typer(help="Ingest: the queue of uploads waiting for recognition", no_args_is_help=True)


@app.command("redrive")
def redrive_command(
    dead_letter_queue: Annotated[
        str,
        typer.Option(
            "--dead-letter-queue",
            help="URL of the ingest dead-letter queue (stack output "
            f"{Output.INGEST_DEAD_LETTER_QUEUE.value}); default: the local stack's",
        ),
    ] = "",
    queue: Annotated[
        str,
        typer.Option(help="URL of the queue to move them to; default: the one whose redrive policy names it"),
    ] = "",
    port: Annotated[int, typer.Option(help="a local stack on this port (alpr local up)")] = 8080,
    limit: Annotated[int, typer.Option(help="move at most this many (0: all)")] = 0,
    visibility_timeout: Annotated[
        int, typer.Option(help="seconds a message that could not be moved waits before it can be again")
    ] = 60,
    as_json: Annotated[bool, typer.Option("--json", help="print the counts as one JSON object")] = False,
) -> None:
    """Move the uploads recognition gave up on (the ingest dead-letter queue) back to the ingest queue.

    Recognition is safe to repeat, so a message moved twice costs time, not a duplicate read.
    Exits 1 when some could not be moved or it stopped early (run it again; what could not be moved
    waits out its visibility timeout first)."""
    endpoint_url = None
    if not dead_letter_queue:
        from alpr.local.stack import LocalState, state_file

        state = LocalState.load(state_file(port))
        dead_letter_queue = str(state.outputs[Output.INGEST_DEAD_LETTER_QUEUE.value])
        endpoint_url = state.endpoint_url
    sqs = boto3.client("sqs", endpoint_url=endpoint_url)
    try:
        target = queue or source_queue(sqs, dead_letter_queue)
    except NoSourceQueue as problem:
        console.print(f"[bold red]{problem}[/]: give --queue")
        raise typer.Exit(2) from None
    report = redrive(
        sqs, dead_letter_queue, target, limit=limit or None, visibility_timeout=visibility_timeout
    )
    if as_json:
        print(json.dumps(asdict(report)))
    else:
        console.print(
            f"moved {report.moved} message(s) from {report.dead_letter_queue} to {report.queue}"
            + (f"; {report.failed} could not be moved" if report.failed else "")
            + (f"; {report.undeleted} moved but still in the dead-letter queue" if report.undeleted else "")
            + (f"; stopped: {report.stopped}" if report.stopped else "")
        )
    if report.failed or report.stopped:
        raise typer.Exit(1)
