"""What every `alpr` command shares: the console, the reads table, and the options that reach the API.

A command that calls the API takes `client: AlprClient` and is decorated with `uses_api`, which
gives it `--api` (or ALPR_API), `--token` (or ALPR_TOKEN), on the local stack `--user`/`--port`,
and, for data commands, the purpose every search states (`--purpose/--case/--reason`, asked for
when interactive), and builds the client from them.
"""

from __future__ import annotations

import functools
import inspect
import shutil
import sys
import typing
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from alpr.client.http import AlprClient
from alpr.domain.access import DEFAULT_CASE_NUMBER_EXAMPLE, DEFAULT_CATEGORIES, Purpose

console = Console(width=shutil.get_terminal_size((150, 40)).columns)

DEFAULT_API = "http://127.0.0.1:8080"
Api = Annotated[str, typer.Option("--api", envvar="ALPR_API", help="API base URL")]
Token = Annotated[str, typer.Option("--token", envvar="ALPR_TOKEN", help="Bearer token")]
User = Annotated[str, typer.Option("--user", help="Sign in as this seeded local user instead of --token")]
Port = Annotated[int, typer.Option("--port", help="Port of the local stack")]
PurposeOption = Annotated[
    str | None,
    typer.Option(
        "--purpose", envvar="ALPR_PURPOSE", help=f"Purpose category: {', '.join(DEFAULT_CATEGORIES)}"
    ),
]
CaseOption = Annotated[
    str | None,
    typer.Option(
        "--case", envvar="ALPR_CASE", help=f"Case or incident number, e.g. {DEFAULT_CASE_NUMBER_EXAMPLE}"
    ),
]
ReasonOption = Annotated[
    str | None,
    typer.Option("--reason", help="What is sought and why, in words (not 'investigation')"),
]

Command = TypeVar("Command", bound=Callable[..., Any])


def ask_purpose(category: str | None, case: str | None, reason: str | None) -> Purpose:
    """The stated purpose; prompts for what is missing on a terminal, otherwise stops with a message."""
    interactive = sys.stdin.isatty()
    if not (category and case and reason) and not interactive:
        raise typer.BadParameter(
            "every search states a purpose: give --purpose CATEGORY --case NUMBER --reason 'what and why'"
        )
    return Purpose(
        category=category or typer.prompt(f"Purpose category ({', '.join(DEFAULT_CATEGORIES)})"),
        case_number=case or typer.prompt(f"Case or incident number (e.g. {DEFAULT_CASE_NUMBER_EXAMPLE})"),
        text=reason or typer.prompt("What are you looking for, and why"),
    )


def _signed_in(api: str, token: str, user: str, port: int) -> AlprClient:
    if user:
        from alpr.local.stack import LocalState, state_file

        state = LocalState.load(state_file(port))
        return AlprClient(state.api_url, state.token(user))
    return AlprClient(api, token)


def uses_api(*, purpose: bool = False, local_user: bool = False) -> Callable[[Command], Command]:
    """Give a command the shared API options and hand it `client` built from them (see the module)."""
    shared: dict[str, tuple[Any, Any]] = {"api": (Api, DEFAULT_API), "token": (Token, "")}
    if local_user:
        shared |= {"user": (User, ""), "port": (Port, 8080)}
    if purpose:
        shared |= {
            "purpose": (PurposeOption, None),
            "case": (CaseOption, None),
            "reason": (ReasonOption, None),
        }

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command)
        hints = typing.get_type_hints(command, include_extras=True)
        del hints["client"]
        # Typer reads the options from the signature: the commands' own annotations are postponed strings.
        own = [
            p.replace(annotation=hints[p.name]) for p in signature.parameters.values() if p.name != "client"
        ]
        extra = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
            for name, (kind, default) in shared.items()
        ]

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            options = {name: kwargs.pop(name) for name in shared}
            client = _signed_in(
                options["api"], options["token"], options.get("user", ""), options.get("port", 0)
            )
            if purpose:
                client = client.with_purpose(
                    ask_purpose(options["purpose"], options["case"], options["reason"])
                )
            return command(*args, client=client, **kwargs)

        # Typer reads the signature and the annotations: the command's own, then the shared options.
        del run.__wrapped__
        run.__signature__ = signature.replace(parameters=own + extra)  # type: ignore[attr-defined]
        run.__annotations__ = {**hints, **{name: kind for name, (kind, _) in shared.items()}}
        return typing.cast(Command, run)

    return decorate


def reads_table(reads: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title, caption="An ALPR read is not an identification: confirm before acting.")
    for column in ("captured_at", "plate", "state", "confidence", "unit", "position", "read_id"):
        table.add_column(column)
    for read in reads:
        table.add_row(
            str(read["captured_at"]),
            str(read["plate"]),
            str(read.get("state") or "?"),
            f"{float(read['confidence']):.2f}",
            str(read["unit_id"]),
            f"{float(read['lat']):.5f}, {float(read['lon']):.5f}",
            str(read["read_id"]),
        )
    return table
