"""The audit over the local stack: a gated search made over HTTP is in `alpr audit query data-access`."""

from __future__ import annotations

import json
import secrets

from typer.testing import CliRunner

from alpr.cli.main import app
from alpr.client.http import AlprClient
from alpr.domain.access import Purpose
from alpr.local.stack import LocalStack


def test_a_search_over_http_is_in_data_access_with_user_plate_purpose_and_case(
    stack: LocalStack, investigator: AlprClient
) -> None:
    # Given a search of a plate over HTTP, with a token and a purpose of its own
    case = f"26-{secrets.randbelow(10_000_000):07d}"
    purpose = Purpose(
        category="hit-and-run",
        case_number=case,
        text="white pickup that struck a cyclist on Clayton Rd, audit end-to-end test",
    )
    plate = f"4AUD{secrets.randbelow(1000):03d}"
    investigator.with_purpose(purpose).search_plate(plate.lower())

    # When the auditor runs data-access over the local stack's access log (the last 7 days)
    result = CliRunner().invoke(
        app, ["audit", "query", "data-access", "--port", str(stack.port), "--format", "json"]
    )

    # Then the search is there: who, which plate, why, for which case
    assert result.exit_code == 0, result.output
    rows = [row for row in json.loads(result.output) if row["case_number"] == case]
    assert len(rows) == 1
    (row,) = rows
    assert (row["username"], row["action"], row["route"], row["plate"]) == (
        "investigator",
        "reads:search",
        "/v1/reads",
        plate,
    )
    assert (row["purpose_category"], row["purpose_text"]) == (purpose.category, purpose.text)
    assert row["full_name"] and row["organisation"]


def test_a_supervisor_walks_the_sample_in_the_terminal_and_the_review_is_on_record(
    stack: LocalStack, investigator: AlprClient
) -> None:
    # Given a search today (so the sample is not empty)
    purpose = Purpose(
        category="stolen-vehicle",
        case_number=f"26-{secrets.randbelow(10_000_000):07d}",
        text="silver Camry taken from the Amtrak lot, weekly review end-to-end test",
    )
    investigator.with_purpose(purpose).search_plate(f"5REV{secrets.randbelow(1000):03d}")
    port = ["--port", str(stack.port)]

    # When the supervisor runs `alpr audit review` and questions every sampled access, with a note
    answers = "question\nneeds a closer look please\n" * 30
    result = CliRunner().invoke(
        app, ["audit", "review", *port, "--token", stack.token("supervisor")], input=answers
    )

    # Then the review is recorded, and the reviews query shows a finding beside each access judged
    assert result.exit_code == 0, result.output
    assert "recorded" in result.output
    shown = CliRunner().invoke(app, ["audit", "query", "reviews", *port, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    rows = [r for r in json.loads(shown.output) if r["note"] == "needs a closer look please"]
    assert rows and {(r["reviewer"], r["finding"]) for r in rows} == {("supervisor", "question")}
    assert all(r["username"] and r["action"] for r in rows)  # each beside the access it judged
    assert len({r["review_id"] for r in rows}) == 1 and len(rows) == rows[0]["sample_size"]


def test_an_investigator_cannot_record_a_review(stack: LocalStack) -> None:
    result = CliRunner().invoke(
        app,
        ["audit", "review", "--port", str(stack.port), "--token", stack.token("investigator")],
        input="proper\n\n" * 30,
    )
    assert result.exit_code == 1
    assert "HTTP 403" in result.output
