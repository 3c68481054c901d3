"""The audit plan's named queries over the access log (policy 439.6(c); State Auditor 2019-118).

One catalogue, two engines: the CDK app registers each query as an Athena named query in the audit
workgroup, and locally the same text runs in DuckDB (`alpr audit query NAME`). So the SQL keeps to
what both understand: the table `alpr_audit.access_log` (one row per access record, the fields of
`alpr.domain.access.AccessRecord`, `query` as JSON text, partitioned by the UTC day `dt`
'YYYY-MM-DD'), `json_extract_scalar`, `CASE`, and positional `?` parameters bound in the order the
query's `parameters` lists them. Times are ISO 8601 UTC strings, which sort as they read.
"""

from __future__ import annotations

from dataclasses import dataclass

AUDIT_DATABASE = "alpr_audit"
ACCESS_LOG_TABLE = "access_log"
QUALIFIED_ACCESS_LOG = f"{AUDIT_DATABASE}.{ACCESS_LOG_TABLE}"

# Actions that return ALPR data (the ones a weekly review samples).
DATA_ACTIONS = (
    "reads:search",
    "reads:canvass",
    "reads:view",
    "reads:view-image",
    "evidence:export",
)
_DATA = ", ".join(f"'{a}'" for a in DATA_ACTIONS)
SAMPLE_SIZE = 25


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    parameters: tuple[str, ...]
    sql: str


NAMED_QUERIES: tuple[NamedQuery, ...] = (
    NamedQuery(
        "data-access",
        "Every allowed access to ALPR data between two UTC days: who, organisation, when, what was "
        "queried, why (Civil Code 1798.90.52).",
        ("from_day", "to_day"),
        f"""SELECT time, username, full_name, organisation, action, route,
       json_extract_scalar(query, '$.plate') AS plate,
       json_extract_scalar(query, '$.pattern') AS pattern,
       purpose_category, case_number, purpose_text, returned_count
FROM {QUALIFIED_ACCESS_LOG}
WHERE dt BETWEEN ? AND ? AND outcome = 'allowed' AND action IN ({_DATA})
ORDER BY time""",
    ),
    NamedQuery(
        "review-sample",
        f"A sample of {SAMPLE_SIZE} data accesses between two UTC days for the supervisor's review of "
        "purpose and case (the audit plan with sampling of State Auditor report 2019-118). The "
        "sample is fixed by the records' random ULID suffix: the same window gives the same sample "
        "in Athena and DuckDB.",
        ("from_day", "to_day"),
        f"""SELECT time, username, organisation, action,
       json_extract_scalar(query, '$.plate') AS plate,
       purpose_category, case_number, purpose_text, event_id
FROM {QUALIFIED_ACCESS_LOG}
WHERE dt BETWEEN ? AND ? AND outcome = 'allowed' AND action IN ({_DATA})
ORDER BY substr(event_id, 11), event_id
LIMIT {SAMPLE_SIZE}""",
    ),
    NamedQuery(
        "refusals",
        "Refused accesses between two UTC days with the reason: no or lapsed training, suspended or "
        "unknown accounts, roles without the right, vague or missing purposes.",
        ("from_day", "to_day"),
        f"""SELECT time, username, organisation, action, route, status, reason, purpose_text, source_ip
FROM {QUALIFIED_ACCESS_LOG}
WHERE dt BETWEEN ? AND ? AND outcome = 'refused'
ORDER BY time""",
    ),
    NamedQuery(
        "user-summary",
        "Per user and action between two UTC days: accesses, refusals, distinct cases, and data "
        "accesses without a case number.",
        ("from_day", "to_day"),
        f"""SELECT username, organisation, action,
       count(*) AS accesses,
       sum(CASE WHEN outcome = 'refused' THEN 1 ELSE 0 END) AS refused,
       count(DISTINCT case_number) AS cases,
       sum(CASE WHEN outcome = 'allowed' AND action IN ({_DATA}) AND case_number IS NULL THEN 1 ELSE 0 END)
         AS data_without_case
FROM {QUALIFIED_ACCESS_LOG}
WHERE dt BETWEEN ? AND ?
GROUP BY username, organisation, action
ORDER BY username, action""",
    ),
    NamedQuery(
        "plate-lookups",
        "Who queried one plate between two UTC days, and why (a resident's complaint, a subpoena).",
        ("plate", "from_day", "to_day"),
        f"""SELECT time, username, organisation, action, outcome, purpose_category, case_number, purpose_text
FROM {QUALIFIED_ACCESS_LOG}
WHERE json_extract_scalar(query, '$.plate') = ? AND dt BETWEEN ? AND ?
ORDER BY time""",
    ),
    NamedQuery(
        "releases",
        "Data-release requests, decisions and disclosures between two UTC days (policy 439.7).",
        ("from_day", "to_day"),
        f"""SELECT time, username, organisation, action, route, outcome, purpose_category, case_number,
       purpose_text, returned_count
FROM {QUALIFIED_ACCESS_LOG}
WHERE dt BETWEEN ? AND ? AND action LIKE 'release:%'
ORDER BY time""",
    ),
)


def named_query(name: str) -> NamedQuery:
    """The catalogue entry called `name`; KeyError naming the known ones otherwise."""
    for query in NAMED_QUERIES:
        if query.name == name:
            return query
    known = ", ".join(q.name for q in NAMED_QUERIES)
    raise KeyError(f"no audit query {name!r} (known: {known})")
