"""The audit plan's named queries in DuckDB over the access log: the local side of Athena.

The records under `access-log/dt=YYYY-MM-DD/` of the days asked for are fetched from S3 and
loaded into an in-memory DuckDB as `alpr_audit.access_log`, with the columns Athena's table
has (derived from `AccessRecord`, so they cannot drift), and the named queries of
`alpr.domain.audit` run unchanged. Only the window's partitions are read, as Athena's partition
projection reads only the `dt` prefixes a query's `dt BETWEEN ? AND ?` names.
"""

from __future__ import annotations

import json
import re
import tempfile
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import duckdb

from alpr.adapters.access_log import record_line
from alpr.domain.access import AccessRecord
from alpr.domain.account_reviews import AccountReviewLine
from alpr.domain.audit import (
    AUDIT_DATABASE,
    QUALIFIED_ACCESS_LOG,
    QUALIFIED_ACCOUNT_REVIEWS,
    QUALIFIED_RETENTION_REPORTS,
    QUALIFIED_REVIEWS,
    NamedQuery,
)
from alpr.domain.retention_report import ReportLine
from alpr.domain.reviews import ReviewLine
from alpr.names import (
    ACCESS_LOG_PREFIX,
    ACCOUNT_REVIEWS_PREFIX,
    AUDIT_REVIEWS_PREFIX,
    RETENTION_REPORTS_PREFIX,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PARTITION_COLUMN = "dt"
_PARTITION = re.compile(r"dt=(\d{4}-\d{2}-\d{2})/")
_SCALARS: dict[Any, str] = {str: "VARCHAR", int: "BIGINT", float: "DOUBLE", bool: "BOOLEAN"}
MAX_WINDOW_DAYS = 366


def column_type(annotation: Any) -> str:
    """The DuckDB type of one AccessRecord field: times as their ISO 8601 text (as Athena reads
    them), objects as JSON text, lists of text as VARCHAR[]; TypeError for anything else."""
    origin = typing.get_origin(annotation)
    arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Annotated:
        return column_type(arguments[0])
    if origin in (typing.Union, types.UnionType) and len(arguments) == 1:
        return column_type(arguments[0])  # Optional[X]: NULL when absent
    if origin is typing.Literal and all(isinstance(a, str) for a in arguments):
        return "VARCHAR"
    if origin is list and arguments and column_type(arguments[0]) == "VARCHAR":
        return "VARCHAR[]"
    if origin is dict:
        return "VARCHAR"  # the JSON text, read with json_extract_scalar
    if annotation is datetime:
        return "VARCHAR"  # ISO 8601 UTC strings sort as they read
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    raise TypeError(f"no audit column type for {annotation!r}: add one to alpr.adapters.audit_duckdb")


_HINTS = typing.get_type_hints(AccessRecord, include_extras=True)
# The table's columns, in order: every AccessRecord field, then the partition.
ACCESS_LOG_COLUMNS: dict[str, str] = {
    **{name: column_type(_HINTS[name]) for name in AccessRecord.model_fields},
    PARTITION_COLUMN: "VARCHAR",
}
_JSON_TEXT = frozenset(name for name in AccessRecord.model_fields if typing.get_origin(_HINTS[name]) is dict)
_REVIEW_HINTS = typing.get_type_hints(ReviewLine, include_extras=True)
# The reviews table: every ReviewLine field, then the partition (the day the review was recorded).
REVIEW_COLUMNS: dict[str, str] = {
    **{name: column_type(_REVIEW_HINTS[name]) for name in ReviewLine.model_fields},
    PARTITION_COLUMN: "VARCHAR",
}
_REPORT_HINTS = typing.get_type_hints(ReportLine, include_extras=True)
# The retention reports: every ReportLine field, then the partition (the day reported).
RETENTION_REPORT_COLUMNS: dict[str, str] = {
    **{name: column_type(_REPORT_HINTS[name]) for name in ReportLine.model_fields},
    PARTITION_COLUMN: "VARCHAR",
}
_ACCOUNT_REVIEW_HINTS = typing.get_type_hints(AccountReviewLine, include_extras=True)
# The account reviews table: every AccountReviewLine field, then the partition (the day recorded).
ACCOUNT_REVIEW_COLUMNS: dict[str, str] = {
    **{name: column_type(_ACCOUNT_REVIEW_HINTS[name]) for name in AccountReviewLine.model_fields},
    PARTITION_COLUMN: "VARCHAR",
}
TABLE_COLUMNS = {
    QUALIFIED_ACCESS_LOG: ACCESS_LOG_COLUMNS,
    QUALIFIED_REVIEWS: REVIEW_COLUMNS,
    QUALIFIED_RETENTION_REPORTS: RETENTION_REPORT_COLUMNS,
    QUALIFIED_ACCOUNT_REVIEWS: ACCOUNT_REVIEW_COLUMNS,
}


@dataclass(frozen=True)
class AuditResult:
    """What a named query returned: column names and rows."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def window_days(first: date, last: date) -> list[date]:
    """Every UTC day from `first` to `last`, both included; ValueError for an empty or huge window."""
    if last < first:
        raise ValueError(f"the window ends ({last}) before it starts ({first})")
    count = (last - first).days + 1
    if count > MAX_WINDOW_DAYS:
        raise ValueError(f"the window has {count} days; at most {MAX_WINDOW_DAYS} at a time")
    return [first + timedelta(days=offset) for offset in range(count)]


def partition_prefix(day: date, prefix: str = ACCESS_LOG_PREFIX) -> str:
    """The S3 prefix of one day's records (of the access log, or of the reviews with `prefix`)."""
    return f"{prefix}{PARTITION_COLUMN}={day:%Y-%m-%d}/"


def partition_of(key: str) -> str:
    """The `dt` of an access-log key; ValueError when the key has none."""
    found = _PARTITION.search(key)
    if not found:
        raise ValueError(f"{key!r} is not under an access-log/dt=YYYY-MM-DD/ partition")
    return found.group(1)


def _row(
    record: Mapping[str, Any], dt: str, columns: Mapping[str, str] = ACCESS_LOG_COLUMNS
) -> dict[str, Any]:
    row = {name: record.get(name) for name in columns}
    for name in _JSON_TEXT & set(columns):
        if row[name] is not None:
            row[name] = json.dumps(row[name], separators=(",", ":"))  # `query`: its JSON text
    row[PARTITION_COLUMN] = dt
    return row


class AuditDatabase:
    """An in-memory DuckDB with `alpr_audit.access_log` and Athena's `json_extract_scalar`."""

    def __init__(self) -> None:
        self.connection = duckdb.connect(":memory:")
        self.loaded = 0  # access records loaded by S3AuditSource.database
        self.connection.execute(f"CREATE SCHEMA {AUDIT_DATABASE}")
        for table, table_columns in TABLE_COLUMNS.items():
            columns = ", ".join(f'"{name}" {kind}' for name, kind in table_columns.items())
            self.connection.execute(f"CREATE TABLE {table} ({columns})")
        self.connection.execute("CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)")

    def load(
        self, records: Iterable[tuple[Mapping[str, Any], str]], table: str = QUALIFIED_ACCESS_LOG
    ) -> int:
        """Add (record as its JSON object, its `dt`) pairs to `table`; the number added."""
        table_columns = TABLE_COLUMNS[table]
        lines = [json.dumps(_row(record, dt, table_columns)) + "\n" for record, dt in records]
        if not lines:
            return 0
        types_ = ", ".join(f"\"{name}\": '{kind}'" for name, kind in table_columns.items())
        # DuckDB's JSON reader with explicit types: thousands of rows in milliseconds (executemany
        # takes seconds), and a field of the wrong type fails the load instead of being guessed.
        with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as file:
            file.writelines(lines)
            file.flush()
            self.connection.execute(
                f"INSERT INTO {table} SELECT * FROM "
                f"read_json(?, format = 'newline_delimited', columns = {{{types_}}})",
                [file.name],
            )
        return len(lines)

    def load_records(self, records: Iterable[AccessRecord]) -> int:
        """Add AccessRecords as the one writer stores them, each in its UTC day's partition."""
        return self.load((json.loads(record_line(record)), f"{record.time:%Y-%m-%d}") for record in records)

    def load_reviews(self, lines: Iterable[ReviewLine]) -> int:
        """Add review lines as the writer stores them, each in the partition of the day it was recorded."""
        return self._load_lines(lines, QUALIFIED_REVIEWS)

    def load_account_reviews(self, lines: Iterable[AccountReviewLine]) -> int:
        """Add account-review lines as the writer stores them, in the partition of the day recorded."""
        return self._load_lines(lines, QUALIFIED_ACCOUNT_REVIEWS)

    def _load_lines(self, lines: Iterable[ReviewLine | AccountReviewLine], table: str) -> int:
        return self.load(
            ((json.loads(line.model_dump_json()), f"{line.time:%Y-%m-%d}") for line in lines), table
        )

    def load_retention_reports(self, lines: Iterable[ReportLine]) -> int:
        """Add retention report lines as the reporter stores them, each in the partition of its day."""
        return self.load(
            (
                (
                    json.loads(line.model_dump_json()),
                    f"{line.period_end - timedelta(microseconds=1):%Y-%m-%d}",
                )
                for line in lines
            ),
            QUALIFIED_RETENTION_REPORTS,
        )

    def run(self, query: NamedQuery, arguments: Mapping[str, str]) -> AuditResult:
        """Run a named query with its parameters bound by name, in the order it lists them."""
        missing = [name for name in query.parameters if not arguments.get(name)]
        if missing:
            raise ValueError(f"audit query {query.name!r} needs {', '.join(missing)}")
        cursor = self.connection.execute(query.sql, [arguments[name] for name in query.parameters])
        columns = [column[0] for column in cursor.description or []]
        return AuditResult(columns, cursor.fetchall())


class S3AuditSource:
    """The access log in S3, read one day's partition at a time."""

    def __init__(self, bucket: str, client: Callable[[], S3Client]) -> None:
        self.bucket = bucket
        self._client = client

    def keys(self, day: date, prefix: str = ACCESS_LOG_PREFIX) -> list[str]:
        """The keys of one day's records, in time order."""
        paginator = self._client().get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=partition_prefix(day, prefix))
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def records(
        self, first: date, last: date, prefix: str = ACCESS_LOG_PREFIX
    ) -> Iterable[tuple[dict[str, Any], str]]:
        """(record, dt) for every record of the window's partitions, and no other."""
        for day in window_days(first, last):
            for key in self.keys(day, prefix):
                body = self._client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
                for line in body.splitlines():
                    if line.strip():
                        yield json.loads(line), partition_of(key)

    def database(self, first: date, last: date, reads_back_days: int = 0) -> AuditDatabase:
        """A DuckDB holding the window's records, reviews, account reviews and retention reports (and
        `reads_back_days` more days of the access log before it), ready for the named queries."""
        database = AuditDatabase()
        back = max(0, min(reads_back_days, MAX_WINDOW_DAYS - len(window_days(first, last))))
        database.loaded = database.load(self.records(first - timedelta(days=back), last))
        database.load(self.records(first, last, AUDIT_REVIEWS_PREFIX), QUALIFIED_REVIEWS)
        database.load(self.records(first, last, RETENTION_REPORTS_PREFIX), QUALIFIED_RETENTION_REPORTS)
        database.load(self.records(first, last, ACCOUNT_REVIEWS_PREFIX), QUALIFIED_ACCOUNT_REVIEWS)
        return database
