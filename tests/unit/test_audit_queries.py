"""The audit plan's named queries, run by DuckDB over access records built in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from alpr.adapters.audit_duckdb import ACCESS_LOG_COLUMNS, AuditDatabase, column_type, window_days
from alpr.cli.audit import default_window
from alpr.cli.main import app
from alpr.domain import access
from alpr.domain.access import AccessRecord
from alpr.domain.account_reviews import AccountReviewLine
from alpr.domain.audit import DATA_ACTIONS, NAMED_QUERIES, SAMPLE_SIZE, named_query
from alpr.domain.retention import Retention
from alpr.domain.retention_report import Census, CountedBy, Kind, report_lines
from alpr.domain.reviews import ReviewLine
from tests.access_records import plate_search

DAY = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday of the week under review
WEEK = {"from_day": "2026-11-23", "to_day": "2026-11-29", "plate": "7ABC123"}


def record(n: int, at: datetime = DAY, **fields: Any) -> AccessRecord:
    """An allowed plate search by ivy, n minutes after `at`, unless `fields` say otherwise."""
    return plate_search(at + timedelta(minutes=n), key=str(n), **fields)


def refused(n: int, **fields: Any) -> AccessRecord:
    refusal: dict[str, Any] = {
        "username": "untrained",
        "outcome": "refused",
        "status": 403,
        "reason": "no current training record",
        "returned_ids": [],
        "returned_count": 0,
    }
    return record(n, **{**refusal, **fields})


def run(records: list[AccessRecord], name: str, **arguments: str) -> list[dict[str, Any]]:
    database = AuditDatabase()
    database.load_records(records)
    # Each access reviewed the moment it was made (the `reviews` query then has rows in every test).
    database.load_reviews(
        ReviewLine(
            review_id=f"R{r.event_id}",
            time=r.time,
            reviewer="sam",
            reviewer_name=None,
            organisation=None,
            from_day=f"{r.time:%Y-%m-%d}",
            to_day=f"{r.time:%Y-%m-%d}",
            sample_size=1,
            event_id=r.event_id,
            finding="proper",
            note="",
        )
        for r in records
    )
    # And a retention report at each access (the `retention-reports` query then has rows too).
    database.load_retention_reports(
        line
        for r in records
        for line in report_lines(
            period_start=r.time - timedelta(hours=1),
            period_end=r.time,
            generated_at=r.time,
            purged={Kind.READS: 1},
            counted=Census(),
            retention=Retention(),
            counted_by=CountedBy.LOCAL,
        )
    )
    # ... and the account of each access signed off in a yearly account review the same moment.
    database.load_account_reviews(
        AccountReviewLine(
            review_id=f"A{r.event_id}",
            time=r.time,
            reviewer="casey",
            reviewer_name=None,
            username=r.username or "",
            full_name=(r.username or "").title(),
            job_title="Detective",
            roles=list(r.roles),
            status="active",
            last_active=f"{r.time:%Y-%m-%dT%H:%M:%S}Z",
            training_completed="2026-01-05",
            training_expires=None,
            approved_by="sam",
            approved_at=None,
            finding="keep",
            note="",
        )
        for r in records
    )
    result = database.run(named_query(name), {**WEEK, **arguments})
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def test_the_table_has_every_access_record_field_then_the_partition() -> None:
    assert list(ACCESS_LOG_COLUMNS) == [*AccessRecord.model_fields, "dt"]
    assert ACCESS_LOG_COLUMNS["roles"] == ACCESS_LOG_COLUMNS["returned_ids"] == "VARCHAR[]"
    assert ACCESS_LOG_COLUMNS["query"] == ACCESS_LOG_COLUMNS["time"] == "VARCHAR"
    assert ACCESS_LOG_COLUMNS["returned_count"] == "BIGINT"


def test_a_field_of_a_type_with_no_column_fails_loudly() -> None:
    with pytest.raises(TypeError, match="no audit column type"):
        column_type(set[int])


@pytest.mark.parametrize("query", NAMED_QUERIES, ids=lambda q: q.name)
def test_every_named_query_runs_in_duckdb(query: Any) -> None:
    # Given a week with searches, a refusal and a release decision
    records = [
        record(1),
        refused(2),
        record(3, action="release:decide", route="/v1/release-requests/{request_id}/decision"),
    ]
    # When the named query runs with its parameters
    rows = run(records, query.name)
    # Then it answers with rows from that week
    assert rows, query.name


def test_data_access_is_allowed_data_accesses_with_plate_and_purpose() -> None:
    records = [
        record(1),
        refused(2),
        record(3, action="personnel:read", route="/v1/personnel", query={}),
        record(4, action="reads:canvass", query={"lat": 38.0, "lon": -122.1, "radius_m": 200}),
    ]
    rows = run(records, "data-access")
    assert [(r["action"], r["plate"]) for r in rows] == [("reads:search", "7ABC123"), ("reads:canvass", None)]
    first = rows[0]
    assert (first["username"], first["full_name"], first["organisation"]) == (
        "ivy",
        "Ivy Investigator",
        "Concord PD",
    )
    assert (first["purpose_category"], first["case_number"], first["purpose_text"]) == (
        "stolen-vehicle",
        "26-004512",
        "grey Honda Civic reported stolen from Alhambra Ave",
    )
    assert first["time"] == "2026-11-24T09:01:00.000Z" and first["returned_count"] == 1


def test_retro_match_and_alert_views_are_data_accesses_found_by_plate() -> None:
    # Given a hotlist entry whose earlier sightings came back, an alert viewed and one closed
    records = [
        record(
            1,
            action="hotlist:write",
            method="POST",
            route="/v1/hotlist/entries",
            query={"hotlist_entry": "7ABC123", "plate": "7ABC123", "retro_match": True},
        ),
        record(2, action="alerts:read", route="/v1/alerts/{alert_id}", query={"plate": "7ABC123"}),
        record(
            3, action="alerts:dispose", route="/v1/alerts/{alert_id}/disposition", query={"plate": "7ABC123"}
        ),
        record(4, action="personnel:read", route="/v1/personnel", query={}),
    ]
    # When the data-access, review-sample and plate-lookups queries run
    data = run(records, "data-access")
    sample = run(records, "review-sample")
    lookups = run(records, "plate-lookups")
    # Then all three are data accesses of that plate, and account administration is not
    wanted = ["hotlist:write", "alerts:read", "alerts:dispose"]
    assert [r["action"] for r in data] == wanted
    assert sorted(r["action"] for r in sample) == sorted(wanted)
    assert [r["action"] for r in lookups] == wanted


def test_the_audit_samples_every_action_the_access_table_calls_data() -> None:
    assert set(DATA_ACTIONS) == {action.value for action in access.DATA_ACTIONS}
    assert {"hotlist:write", "alerts:read", "reads:search"} <= set(DATA_ACTIONS)


def test_a_pattern_search_shows_its_pattern() -> None:
    rows = run([record(1, query={"pattern": "7AB?12*"})], "data-access")
    assert (rows[0]["plate"], rows[0]["pattern"]) == (None, "7AB?12*")


def test_refusals_are_the_refused_accesses_with_their_reasons() -> None:
    records = [record(1), refused(2), refused(3, reason="the purpose is too vague", username="ivy")]
    rows = run(records, "refusals")
    assert [(r["username"], r["status"], r["reason"]) for r in rows] == [
        ("untrained", 403, "no current training record"),
        ("ivy", 403, "the purpose is too vague"),
    ]


def test_user_summary_counts_accesses_refusals_cases_and_data_without_a_case() -> None:
    records = [
        record(1),
        record(2, case_number="26-000001"),
        record(3, case_number=None, purpose_category="hotlist-alert"),
        refused(4),
    ]
    rows = {(r["username"], r["action"]): r for r in run(records, "user-summary")}
    ivy = rows[("ivy", "reads:search")]
    assert (ivy["accesses"], ivy["refused"], ivy["cases"], ivy["data_without_case"]) == (3, 0, 2, 1)
    untrained = rows[("untrained", "reads:search")]
    assert (untrained["accesses"], untrained["refused"], untrained["data_without_case"]) == (1, 1, 0)


def test_plate_lookups_are_the_accesses_of_that_plate_only() -> None:
    records = [record(1), record(2, query={"plate": "8XYZ456"}), refused(3)]
    rows = run(records, "plate-lookups", plate="7ABC123")
    assert [(r["username"], r["outcome"]) for r in rows] == [("ivy", "allowed"), ("untrained", "refused")]


def test_the_review_sample_is_at_most_its_size_and_the_same_every_time() -> None:
    records = [record(n) for n in range(40)] + [refused(100)]
    first = run(records, "review-sample")
    again = run(list(reversed(records)), "review-sample")
    assert len(first) == SAMPLE_SIZE
    assert first == again
    assert {r["username"] for r in first} == {"ivy"}  # data accesses only, never the refusal
    # Not simply the first 25 by time: the ULID's random part orders the sample.
    assert [r["event_id"] for r in first] != sorted(r["event_id"] for r in first)


def test_a_small_week_is_sampled_whole() -> None:
    assert len(run([record(n) for n in range(3)], "review-sample")) == 3


def test_releases_are_the_release_actions() -> None:
    records = [
        record(1),
        record(2, action="release:request", route="/v1/release-requests", query={}),
        record(3, action="release:decide", route="/v1/release-requests/{request_id}/decision"),
        record(4, action="reads:view", route="/v1/reads/{read_id}"),
    ]
    rows = run(records, "releases")
    assert [r["action"] for r in rows] == ["release:request", "release:decide"]


@pytest.mark.parametrize("query", NAMED_QUERIES, ids=lambda q: q.name)
def test_days_outside_the_window_are_left_out(query: Any) -> None:
    # Given the same kind of access the day before, inside, and the day after the window
    records = [
        record(1, at=datetime(2026, 11, 22, 23, 0, tzinfo=UTC)),
        record(2),
        refused(3),
        record(4, at=datetime(2026, 11, 30, 0, 30, tzinfo=UTC)),
        refused(5, at=datetime(2026, 11, 30, 0, 30, tzinfo=UTC)),
        record(6, at=datetime(2026, 11, 29, 23, 50, tzinfo=UTC), action="release:request"),
    ]
    # When a named query runs over the week
    rows = run(records, query.name)
    # Then nothing before its first day or after its last day is in it
    assert rows
    times = [r["time"] for r in rows if "time" in r]
    assert all("2026-11-23" <= t[:10] <= "2026-11-29" for t in times)
    assert all("2026-11-23" <= r["day"] <= "2026-11-29" for r in rows if "day" in r)
    if query.name == "user-summary":
        assert sum(r["accesses"] for r in rows) == 3


def test_a_query_without_its_parameters_is_refused() -> None:
    with pytest.raises(ValueError, match="needs plate"):
        AuditDatabase().run(named_query("plate-lookups"), {"from_day": "2026-11-23", "to_day": "2026-11-29"})


def test_an_unknown_query_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="data-access"):
        named_query("everything")


def test_a_window_is_every_day_from_first_to_last() -> None:
    days = window_days(DAY.date(), DAY.date() + timedelta(days=6))
    assert len(days) == 7 and days[0] == DAY.date()
    with pytest.raises(ValueError, match="before it starts"):
        window_days(DAY.date(), DAY.date() - timedelta(days=1))


# --- alpr audit list|query: what the auditor sees before any stack is involved --------------


def test_the_list_names_every_query_with_its_parameters() -> None:
    result = CliRunner().invoke(app, ["audit", "list"])
    assert result.exit_code == 0
    for query in NAMED_QUERIES:
        assert query.name in result.output
    assert "plate, from_day, to_day" in result.output


def test_an_unknown_query_is_refused_with_the_known_names() -> None:
    result = CliRunner().invoke(app, ["audit", "query", "everything"])
    assert result.exit_code == 2
    assert "no audit query 'everything'" in result.output and "plate-lookups" in result.output


def test_plate_lookups_without_a_plate_is_refused() -> None:
    result = CliRunner().invoke(app, ["audit", "query", "plate-lookups"])
    assert result.exit_code == 2 and "needs --plate" in result.output


def test_without_a_local_stack_the_query_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.alpr/local-<port>.json
    result = CliRunner().invoke(app, ["audit", "query", "data-access", "--port", "8999"])
    assert result.exit_code == 1
    assert "alpr local up" in result.output


def test_the_default_window_is_the_last_seven_days() -> None:
    assert default_window(date(2026, 11, 29)) == (date(2026, 11, 23), date(2026, 11, 29))


def test_retention_reports_list_each_report_s_kinds_in_order() -> None:
    rows = run([record(1), record(2)], "retention-reports")
    assert [(r["kind"], r["purged"]) for r in rows] == [
        ("reads", 1),
        ("images", 0),
        ("crops", 0),
        ("reads", 1),
        ("images", 0),
        ("crops", 0),
    ]
