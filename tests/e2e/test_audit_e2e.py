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
