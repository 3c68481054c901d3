"""The Cognito sign-in query, run in DuckDB over CloudTrail-shaped rows (Athena runs it in the cloud;
the local stack has no trail). Only the columns the query reads are modelled (issue 21, item 4)."""

from __future__ import annotations

from typing import Any

import duckdb

from alpr.domain.audit import AUDIT_DATABASE, QUALIFIED_CLOUDTRAIL, named_query_of_trail

SUB_A, SUB_B = "11111111-aaaa", "22222222-bbbb"


def _event(
    sub: str, at: str, error: tuple[str, str] | None = None, name: str = "InitiateAuth"
) -> tuple[Any, ...]:
    code, message = error or (None, None)
    return (
        f"2026-11-{at}Z",
        "cognito-idp.amazonaws.com",
        name,
        "198.51.100.7",
        code,
        message,
        f'{{"sub": "{sub}"}}',
        f"2026/11/{at[:2]}",
    )


def test_sign_ins_per_user_count_failures_and_lockouts() -> None:
    # Given a week of user-pool events: one user signs in; another fails six times and is locked out
    db = duckdb.connect(":memory:")
    db.execute(f"CREATE SCHEMA {AUDIT_DATABASE}")
    db.execute(
        f"CREATE TABLE {QUALIFIED_CLOUDTRAIL} (eventtime VARCHAR, eventsource VARCHAR, eventname VARCHAR, "
        'sourceipaddress VARCHAR, errorcode VARCHAR, errormessage VARCHAR, additionaleventdata VARCHAR, "timestamp" VARCHAR)'
    )
    db.execute("CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)")
    db.execute("CREATE MACRO array_join(l, s) AS array_to_string(l, s)")  # Athena's name
    failed = ("NotAuthorizedException", "Incorrect username or password.")
    locked = ("NotAuthorizedException", "Password attempts exceeded")
    rows = [
        _event(SUB_A, "24T08:00:00"),
        _event(SUB_A, "24T08:00:05", name="RespondToAuthChallenge"),
        *[_event(SUB_B, f"25T09:00:0{n}", failed) for n in range(5)],
        _event(SUB_B, "25T09:00:06", locked),
        _event(SUB_B, "30T09:00:00", failed),  # after the window
        ("2026-11-25T10:00:00Z", "s3.amazonaws.com", "GetObject", "x", None, None, "{}", "2026/11/25"),
    ]
    db.executemany(f"INSERT INTO {QUALIFIED_CLOUDTRAIL} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    # When the query runs over the week
    query = named_query_of_trail("cognito-sign-ins")
    cursor = db.execute(query.sql, ["2026-11-23", "2026-11-29"])
    columns = [c[0] for c in cursor.description or []]
    found = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    # Then one row per user, the locked-out one first
    assert [(r["user_sub"], r["attempts"], r["succeeded"], r["failed"], r["locked_out"]) for r in found] == [
        (SUB_B, 6, 0, 6, 1),
        (SUB_A, 2, 2, 0, 0),
    ]
    assert found[0]["addresses"] == "198.51.100.7"
