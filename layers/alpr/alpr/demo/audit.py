"""`make demo` step for the audit: the named queries over today's access log, in DuckDB.

Runs last, after the other steps have searched, been refused and released data, so the
auditor sees the whole tour in the records the gate wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from alpr.adapters.audit_duckdb import AuditResult
from alpr.cli.audit import arguments, local_source, result_table, review_body
from alpr.client.http import AlprClient
from alpr.demo.access import DEMO_PURPOSE
from alpr.domain.audit import named_query
from alpr.domain.reviews import Finding
from alpr.local.stack import LocalStack
from alpr.names import Output

# The queries the demo runs, each with the columns its short table shows (the CLI prints them all).
DEMO_QUERIES: dict[str, tuple[str, ...]] = {
    "data-access": ("time", "username", "action", "plate", "pattern", "purpose_category", "case_number"),
    "refusals": ("time", "username", "action", "status", "reason"),
    "review-sample": ("time", "username", "action", "plate", "case_number", "purpose_text"),
    "user-summary": ("username", "action", "accesses", "refused", "cases", "data_without_case"),
}
SHOWN_ROWS = 6
REVIEW_COLUMNS = ("time", "reviewer", "finding", "note", "username", "action", "plate", "case_number")


def _project(result: AuditResult, columns: tuple[str, ...]) -> AuditResult:
    indexes = [result.columns.index(column) for column in columns]
    return AuditResult(list(columns), [tuple(row[i] for i in indexes) for row in result.rows])


def _rows(result: AuditResult) -> list[dict[str, object]]:
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def check_investigator_searches(data_access: AuditResult) -> int:
    """The investigator's searches of the earlier steps with their purpose; SystemExit if absent."""
    searches = [
        row
        for row in _rows(data_access)
        if row["username"] == "investigator"
        and row["action"] == "reads:search"
        and (row["purpose_category"], row["case_number"], row["purpose_text"])
        == (DEMO_PURPOSE.category, DEMO_PURPOSE.case_number, DEMO_PURPOSE.text)
    ]
    plates = {row["plate"] for row in searches}
    if not searches or not {"7ABC123", "8XYZ456"} <= plates:
        raise SystemExit(
            "audit: data-access should list the investigator's searches of 7ABC123 and 8XYZ456 for "
            f"{DEMO_PURPOSE.category} case {DEMO_PURPOSE.case_number}; found plates {sorted(map(str, plates))} "
            f"in {len(data_access.rows)} data access(es)"
        )
    return len(searches)


def show_audit(console: Console, stack: LocalStack) -> None:
    """data-access, refusals, review-sample and user-summary for today, and a check of the first."""
    console.rule("[bold]The audit: the named queries over today's access log (DuckDB; Athena in the cloud)")
    today = datetime.now(UTC).date()
    bucket = str(stack.outputs()[Output.ACCESS_LOG_BUCKET.value])
    database = local_source(stack.endpoint_url, bucket).database(today, today)
    results: dict[str, AuditResult] = {}
    for name, columns in DEMO_QUERIES.items():
        query = named_query(name)
        results[name] = database.run(query, arguments(query, today, today, plate=None))
        title = f"alpr audit query {name} --from {today} --to {today}"
        console.print(result_table(query, _project(results[name], columns), title, SHOWN_ROWS))
    record_weekly_review(console, stack, results["review-sample"])
    searches = check_investigator_searches(results["data-access"])
    refused = len(results["refusals"].rows)
    console.print(
        f"{searches} search(es) by the investigator, each with its purpose and case; {refused} refusal(s) "
        "with their reasons. The same named queries are saved in the Athena workgroup (docs/audit.md)."
    )


def demo_finding(row: dict[str, Any]) -> tuple[Finding, str]:
    """The demo supervisor's finding: the tour's searches name their case; anything else is asked about."""
    if row["case_number"] == DEMO_PURPOSE.case_number:
        return Finding.PROPER, ""
    return Finding.QUESTION, f"ask {row['username']} how case {row['case_number']} needed this"


def record_weekly_review(console: Console, stack: LocalStack, sample: AuditResult) -> None:
    """The supervisor records the review of today's sample (as `alpr audit review` does), and the
    `reviews` query shows each finding beside the access it judged."""
    today = datetime.now(UTC).date()
    body = review_body(today, today, sample, demo_finding)
    receipt = AlprClient(stack.api_url, stack.token("supervisor")).call(
        "POST", "/v1/audit/reviews", json=body
    )
    console.print(
        f"alpr audit review --from {today} --to {today} (the supervisor, sam) → POST /v1/audit/reviews: "
        f"review {receipt['review_id']}, {receipt['sampled']} access(es) judged {receipt['findings']}, "
        f"kept under the access log's Object Lock at {receipt['key']}"
    )
    bucket = str(stack.outputs()[Output.ACCESS_LOG_BUCKET.value])
    query = named_query("reviews")
    database = local_source(stack.endpoint_url, bucket).database(today, today, query.reads_back_days)
    reviews = database.run(query, arguments(query, today, today, plate=None))
    if len(reviews.rows) != max(1, receipt["sampled"]):
        raise SystemExit(
            f"audit: the reviews query should show the review just recorded; found {len(reviews.rows)} row(s)"
        )
    title = f"alpr audit query reviews --from {today} --to {today}"
    console.print(result_table(query, _project(reviews, REVIEW_COLUMNS), title, SHOWN_ROWS))
