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

from alpr.domain import access

AUDIT_DATABASE = "alpr_audit"
ACCESS_LOG_TABLE = "access_log"
QUALIFIED_ACCESS_LOG = f"{AUDIT_DATABASE}.{ACCESS_LOG_TABLE}"
# The supervisors' weekly reviews (alpr.domain.reviews.ReviewLine), beside the log, partitioned by
# the UTC day each was recorded.
REVIEWS_TABLE = "reviews"
QUALIFIED_REVIEWS = f"{AUDIT_DATABASE}.{REVIEWS_TABLE}"
# The daily retention reports (alpr.domain.retention_report.ReportLine), partitioned by the UTC day
# each reports (policy 439.3.1(f)).
RETENTION_REPORTS_TABLE = "retention_reports"
QUALIFIED_RETENTION_REPORTS = f"{AUDIT_DATABASE}.{RETENTION_REPORTS_TABLE}"
# The yearly account reviews (alpr.domain.account_reviews.AccountReviewLine), one row per account,
# partitioned by the UTC day each was recorded.
ACCOUNT_REVIEWS_TABLE = "account_reviews"
QUALIFIED_ACCOUNT_REVIEWS = f"{AUDIT_DATABASE}.{ACCOUNT_REVIEWS_TABLE}"

# Actions that return ALPR data (the ones a weekly review samples): the access table's, one list.
DATA_ACTIONS: tuple[str, ...] = tuple(sorted(action.value for action in access.DATA_ACTIONS))
_DATA = ", ".join(f"'{a}'" for a in DATA_ACTIONS)
SAMPLE_SIZE = 25


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    parameters: tuple[str, ...]
    sql: str
    # Days of the access log before the window that the query reads too (a review recorded this
    # week judges last week's accesses); DuckDB loads those partitions as well.
    reads_back_days: int = 0


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
    NamedQuery(
        "reviews",
        "Weekly reviews recorded between two UTC days: who reviewed which window, and per sampled access "
        "the finding (proper, question, improper) and note beside the access itself: who, what, why "
        "(policy 439.6(c); CJIS weekly audit review).",
        ("from_day", "to_day"),
        f"""SELECT r.time, r.reviewer, r.reviewer_name, r.from_day, r.to_day, r.sample_size,
       r.finding, r.note, a.time AS accessed_at, a.username, a.action,
       json_extract_scalar(a.query, '$.plate') AS plate, a.case_number, a.purpose_text,
       r.event_id, r.review_id
FROM {QUALIFIED_REVIEWS} AS r
LEFT JOIN {QUALIFIED_ACCESS_LOG} AS a ON a.event_id = r.event_id AND a.dt BETWEEN r.from_day AND r.to_day
WHERE r.dt BETWEEN ? AND ?
ORDER BY r.time, r.review_id, r.event_id""",
        reads_back_days=31,
    ),
    NamedQuery(
        "retention-reports",
        "Destruction on record between two UTC days (policy 439.3.1(f)): per report and kind (reads, "
        "images, crops), how many were purged in its period, held past retention by a legal hold, and "
        "due within a day and 7 days (reads only), and how the purges were counted.",
        ("from_day", "to_day"),
        f"""SELECT dt AS day, period_start, period_end, kind, purged, held, due_next_day, due_next_7_days,
       retention_days, counted_by, generated_at
FROM {QUALIFIED_RETENTION_REPORTS}
WHERE dt BETWEEN ? AND ?
ORDER BY period_end, CASE kind WHEN 'reads' THEN 1 WHEN 'images' THEN 2 ELSE 3 END""",
    ),
    NamedQuery(
        "account-reviews",
        "Yearly account reviews recorded between two UTC days: every account of the registry as it "
        "stood at the sign-off (roles, status, last activity, training, who approved it) and the "
        "reviewer's finding (keep, change, disable) with the note (CJIS: accounts validated yearly).",
        ("from_day", "to_day"),
        f"""SELECT time, reviewer, reviewer_name, username, full_name, job_title, roles, status, last_active,
       training_completed, training_expires, approved_by, approved_at, finding, note, review_id
FROM {QUALIFIED_ACCOUNT_REVIEWS}
WHERE dt BETWEEN ? AND ?
ORDER BY time, review_id, username""",
    ),
)


def named_query(name: str) -> NamedQuery:
    """The catalogue entry called `name`; KeyError naming the known ones otherwise."""
    for query in NAMED_QUERIES:
        if query.name == name:
            return query
    known = ", ".join(q.name for q in NAMED_QUERIES)
    raise KeyError(f"no audit query {name!r} (known: {known})")


# CloudTrail (CJIS: attempts to read, change or destroy audit logs; privileged actions; logons).
# Athena only: the trail's table reads CloudTrail's gzip files through its own SerDe and input format,
# and the local runtime has no trail (moto's CloudTrail records nothing), so DuckDB never runs these.
# The table is partitioned by `region` and `"timestamp"` ('YYYY/MM/DD'); the day parameters are given
# as 'YYYY-MM-DD' like the access-log queries and turned into the trail's form in the SQL. The bucket
# parameters are the stack outputs AccessLogBucketName and AuditTrailBucketName.
CLOUDTRAIL_TABLE = "cloudtrail"
QUALIFIED_CLOUDTRAIL = f"{AUDIT_DATABASE}.{CLOUDTRAIL_TABLE}"
_TRAIL_DAYS = "\"timestamp\" BETWEEN replace(?, '-', '/') AND replace(?, '-', '/')"
_BUCKET = "json_extract_scalar(requestparameters, '$.bucketName')"
# What changes or destroys a log object, its lock, or the bucket's protections.
LOG_TAMPERING_EVENTS = (
    "DeleteObject",
    "DeleteObjects",
    "PutObjectRetention",
    "PutObjectLegalHold",
    "PutBucketObjectLockConfiguration",
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketVersioning",
    "PutBucketLifecycle",
    "PutLifecycleConfiguration",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutBucketEncryption",
    "DeleteBucketEncryption",
    "PutBucketLogging",
)
_TAMPERING = ", ".join(f"'{e}'" for e in LOG_TAMPERING_EVENTS)
TRAIL_TAMPERING_EVENTS = ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors")
_TRAIL_TAMPERING = ", ".join(f"'{e}'" for e in TRAIL_TAMPERING_EVENTS)
CATALOG_TAMPERING_EVENTS = ("DeleteTable", "UpdateTable", "DeleteDatabase", "UpdateDatabase")
_CATALOG_TAMPERING = ", ".join(f"'{e}'" for e in CATALOG_TAMPERING_EVENTS)
PRIVILEGED_SOURCES = (
    "iam.amazonaws.com",
    "kms.amazonaws.com",
    "cognito-idp.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "sso.amazonaws.com",
)
_PRIVILEGED = ", ".join(f"'{s}'" for s in PRIVILEGED_SOURCES)

# Cognito user-pool sign-ins as CloudTrail records them (the user's `sub` in additionalEventData;
# a locked-out user's attempts fail with "Password attempts exceeded").
SIGN_IN_EVENTS = (
    "InitiateAuth",
    "RespondToAuthChallenge",
    "AdminInitiateAuth",
    "AdminRespondToAuthChallenge",
    "Login",
    "Login_POST",
    "Token_POST",
)
_SIGN_INS = ", ".join(f"'{e}'" for e in SIGN_IN_EVENTS)

CLOUDTRAIL_QUERIES: tuple[NamedQuery, ...] = (
    NamedQuery(
        "audit-log-tampering",
        "Attempts to change or destroy the audit logs between two UTC days, allowed or refused: object "
        "deletes, retention and legal-hold changes, lock, policy, versioning, lifecycle and encryption "
        "changes on the access-log and trail buckets; stopping or changing the trail; changing the "
        "audit catalogue (CJIS audit events).",
        ("from_day", "to_day", "access_log_bucket", "trail_bucket"),
        f"""SELECT eventtime, useridentity.arn AS principal, sourceipaddress, eventsource, eventname,
       {_BUCKET} AS bucket,
       json_extract_scalar(requestparameters, '$.key') AS object_key,
       errorcode, errormessage
FROM {QUALIFIED_CLOUDTRAIL}
WHERE {_TRAIL_DAYS}
  AND ((eventsource = 's3.amazonaws.com' AND {_BUCKET} IN (?, ?)
        AND (eventname IN ({_TAMPERING}) OR eventname LIKE 'DeleteBucket%'))
    OR (eventsource = 'cloudtrail.amazonaws.com' AND eventname IN ({_TRAIL_TAMPERING}))
    OR (eventsource = 'glue.amazonaws.com' AND eventname IN ({_CATALOG_TAMPERING})
        AND json_extract_scalar(requestparameters, '$.databaseName') = '{AUDIT_DATABASE}'))
ORDER BY eventtime""",
    ),
    NamedQuery(
        "audit-log-reads",
        "Who read the audit logs between two UTC days (objects of the access-log and trail buckets, "
        "directly or through Athena), allowed or refused (CJIS: attempts to read audit logs).",
        ("from_day", "to_day", "access_log_bucket", "trail_bucket"),
        f"""SELECT eventtime, useridentity.arn AS principal, useridentity.invokedby AS via, sourceipaddress,
       eventname, {_BUCKET} AS bucket,
       json_extract_scalar(requestparameters, '$.key') AS object_key, errorcode
FROM {QUALIFIED_CLOUDTRAIL}
WHERE {_TRAIL_DAYS}
  AND eventsource = 's3.amazonaws.com' AND eventname IN ('GetObject', 'GetObjectVersion')
  AND {_BUCKET} IN (?, ?)
ORDER BY eventtime""",
    ),
    NamedQuery(
        "console-and-privileged",
        "Console sign-ins (successful and failed) and privileged write events between two UTC days: "
        "IAM, KMS, IAM Identity Center, CloudTrail and the Cognito user pool's administration "
        "(CJIS: logons, permission changes, privileged actions).",
        ("from_day", "to_day"),
        f"""SELECT eventtime, useridentity.arn AS principal, useridentity.type AS principal_type,
       sourceipaddress, eventsource, eventname, errorcode, errormessage,
       json_extract_scalar(responseelements, '$.ConsoleLogin') AS console_login
FROM {QUALIFIED_CLOUDTRAIL}
WHERE {_TRAIL_DAYS}
  AND ((eventsource = 'signin.amazonaws.com' AND eventname = 'ConsoleLogin')
    OR (eventsource IN ({_PRIVILEGED}) AND readonly = 'false'
        AND (eventsource <> 'cognito-idp.amazonaws.com'
             OR eventname LIKE 'Admin%' OR eventname LIKE '%Group' OR eventname LIKE '%UserPool%')))
ORDER BY eventtime""",
    ),
    NamedQuery(
        "cognito-sign-ins",
        "Sign-ins to the user pool between two UTC days, per user (Cognito sub): attempts, successes, "
        "failures and lockouts (more than five failures lock the account), first and last attempt and "
        "the addresses used (CJIS: logons, successful and failed).",
        ("from_day", "to_day"),
        f"""SELECT json_extract_scalar(additionaleventdata, '$.sub') AS user_sub,
       count(*) AS attempts,
       sum(CASE WHEN errorcode IS NULL THEN 1 ELSE 0 END) AS succeeded,
       sum(CASE WHEN errorcode IS NOT NULL THEN 1 ELSE 0 END) AS failed,
       sum(CASE WHEN errormessage LIKE '%attempts exceeded%' THEN 1 ELSE 0 END) AS locked_out,
       min(eventtime) AS first_attempt, max(eventtime) AS last_attempt,
       array_join(array_agg(DISTINCT sourceipaddress), ', ') AS addresses
FROM {QUALIFIED_CLOUDTRAIL}
WHERE {_TRAIL_DAYS}
  AND eventsource = 'cognito-idp.amazonaws.com' AND eventname IN ({_SIGN_INS})
GROUP BY json_extract_scalar(additionaleventdata, '$.sub')
ORDER BY failed DESC, attempts DESC""",
    ),
)


def named_query_of_trail(name: str) -> NamedQuery:
    """The CloudTrail catalogue entry called `name` (Athena only); KeyError naming the known ones."""
    for query in CLOUDTRAIL_QUERIES:
        if query.name == name:
            return query
    known = ", ".join(q.name for q in CLOUDTRAIL_QUERIES)
    raise KeyError(f"no CloudTrail audit query {name!r} (known: {known})")
