"""The purpose every data command states: `--purpose/--case/--reason`, asked for when interactive."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from alpr.domain.access import DEFAULT_CASE_NUMBER_EXAMPLE, DEFAULT_CATEGORIES, Purpose

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
