"""The `alpr` command: the local stack, the vehicle-unit client, searches and the demo."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from alpr.cli.admin import app as admin_app
from alpr.cli.audit import app as audit_app
from alpr.cli.hotlist import app as hotlist_app
from alpr.cli.ingest import app as ingest_app
from alpr.cli.options import Port, console, reads_table, uses_api
from alpr.cli.personnel import app as personnel_app
from alpr.cli.reads import app as reads_app
from alpr.cli.release import app as release_app
from alpr.cli.release import mail_command
from alpr.cli.search import register as register_search_commands
from alpr.client.http import AlprClient, Outbox, UnitCapture
from alpr.local.snapshot import DEFAULT_SAVE_INTERVAL_S, SnapshotError

app = typer.Typer(help="ALPR back office", no_args_is_help=True, add_completion=False)
local_app = typer.Typer(help="The whole system on this machine, no AWS account", no_args_is_help=True)
UnitSecret = Annotated[
    str,
    typer.Option(
        envvar="ALPR_UNIT_SECRET",
        help="The unit's credential: the key of its outbox is derived from it",
        show_default=False,
    ),
]
unit_app = typer.Typer(help="What a vehicle unit does: upload images", no_args_is_help=True)
search_app = typer.Typer(help="Investigator searches", no_args_is_help=True)
app.add_typer(local_app, name="local")
app.add_typer(unit_app, name="unit")
app.add_typer(search_app, name="search")
register_search_commands(search_app)  # pattern, canvass, read (issue 5)
app.add_typer(personnel_app, name="personnel")
app.add_typer(release_app, name="release")
app.add_typer(hotlist_app, name="hotlist")
app.add_typer(audit_app, name="audit")
app.add_typer(reads_app, name="reads")
app.add_typer(admin_app, name="admin")
app.add_typer(ingest_app, name="ingest")
local_app.command("mail")(mail_command)


def main() -> None:
    app()


@local_app.command("up")
def local_up(
    port: Port = 8080,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Keep the state here: restored at start, saved at stop and periodically (else in memory)",
            file_okay=False,
        ),
    ] = None,
    save_every: Annotated[
        float, typer.Option(help="Seconds between saves to --data-dir", min=1.0)
    ] = DEFAULT_SAVE_INTERVAL_S,
) -> None:
    """Run the local system until Ctrl-C: API, seeded users, recognition."""
    from alpr.local.stack import LOCAL_USERS, LocalStack

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stack = LocalStack(port=port, data_dir=data_dir, save_interval_s=save_every)
    with console.status("Starting the embedded AWS and deploying the stack…"):
        try:
            stack.start()
        except SnapshotError as error:  # found before anything started
            console.print(f"[red]not started[/]: {error}")
            raise typer.Exit(2) from None
        except BaseException:
            stack.stop()  # the embedded AWS and whatever else had started (nothing is saved)
            raise
    try:
        if data_dir is not None:
            restored = stack.restored
            console.print(
                f"State in {data_dir}: "
                + (
                    "restored " + ", ".join(f"{n} {what}" for what, n in restored.counts.items())
                    if restored
                    else "nothing saved yet, starting fresh"
                )
                + f"; saved every {save_every:g} s and at stop"
            )
        console.print(
            f"[bold green]ALPR local stack ready[/] at {stack.api_url}  (GET {stack.api_url}/health)"
        )
        console.print(f"Embedded AWS (moto) at {stack.endpoint_url}")
        console.print(
            f"Users: {', '.join(LOCAL_USERS)}. Token: [bold]alpr local token USERNAME --port {port}[/]"
        )
        console.print(
            f"Sign-in page for browsers (stand-in for the Cognito hosted UI) at {stack.state().sign_in_url}; "
            f"the authenticator code: [bold]alpr local token USERNAME --totp --port {port}[/]"
        )
        console.print("Ctrl-C stops it.")
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        console.print(f"Stopped; state saved in {data_dir}." if data_dir else "Stopped.")


@local_app.command("token")
def local_token(
    username: str,
    port: Port = 8080,
    totp: Annotated[
        bool, typer.Option("--totp", help="Print the user's current authenticator (TOTP) code instead")
    ] = False,
) -> None:
    """Print a bearer token for a seeded local user (last line of output), or with --totp the
    code their authenticator shows now, for the sign-in page."""
    from alpr.local.stack import LocalState, state_file

    state = LocalState.load(state_file(port))
    print(state.totp(username) if totp else state.token(username))


@unit_app.command("upload")
@uses_api()
def unit_upload(
    client: AlprClient,
    images: list[Path],
    lat: Annotated[float, typer.Option(help="Latitude of the capture")],
    lon: Annotated[float, typer.Option(help="Longitude of the capture")],
    heading: Annotated[float | None, typer.Option(help="Heading in degrees")] = None,
    outbox: Annotated[Path, typer.Option(help="On-disk outbox; pending images are retried")] = Path(
        ".alpr-outbox"
    ),
    secret: UnitSecret = "",
) -> None:
    """Queue images in the outbox (encrypted) and send everything pending; sent images are deleted."""
    box = Outbox(outbox, secret=secret)
    for image in images:
        if (
            box.add(image, UnitCapture(captured_at=datetime.now(UTC), lat=lat, lon=lon, heading=heading))
            is None
        ):
            console.print(f"{image.name}: already sent, not queued again")
    sent, pending = box.flush(client)
    console.print(f"sent {sent}, still pending {pending}")
    if pending:
        raise typer.Exit(1)


@unit_app.command("status")
def unit_status(
    outbox: Annotated[Path, typer.Option(help="The unit's on-disk outbox")] = Path(".alpr-outbox"),
    secret: UnitSecret = "",
) -> None:
    """What is waiting in the outbox (captured when, how large); sent images are not kept."""
    box = Outbox(outbox, secret=secret)
    waiting = box.waiting()
    console.print(
        f"{len(waiting)} waiting ({sum(w.size for w in waiting):,} bytes, encrypted); "
        f"{len(box.sent_keys())} sent (hash and key only)"
    )
    for item in waiting:
        console.print(
            f"  {item.upload_id}  captured {item.captured_at:%Y-%m-%d %H:%M:%S}Z  {item.size:,} bytes"
        )


@search_app.command("plate")
@uses_api(purpose=True)
def search_plate(
    client: AlprClient,
    plate: str,
    state: Annotated[
        str | None, typer.Option(help="Two-letter state; reads whose state is unread are kept")
    ] = None,
) -> None:
    """Every read of one plate, newest first (states a purpose: --purpose, --case, --reason)."""
    reads = client.search_plate(plate, state=state)
    console.print(reads_table(reads, f"Reads of {plate}" + (f" ({state.upper()})" if state else "")))


@app.command("demo")
def demo() -> None:
    """Tour everything that works, on a fresh local stack, non-interactively."""
    from alpr.demo.tour import run_demo

    run_demo(console)
