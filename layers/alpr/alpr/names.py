"""One place for names shared by the CDK app, the handlers and the local runtime.

The CDK app names its constructs and environment variables from here; handlers read
their settings from the same environment variable names; the local runtime finds
functions by their service name. Nothing else spells these strings.
"""

from enum import StrEnum

STACK_NAME = "AlprBackOffice"
APP_NAME = "alpr"
OPENAPI_PATH = "/openapi.json"  # where the local stack serves the API's OpenAPI document
SWAGGER_PATH = "/swagger"  # and a Swagger UI page over it


class Env(StrEnum):
    """Environment variables the CDK app sets on functions and the handlers read."""

    READS_TABLE = "ALPR_READS_TABLE"
    PLATES_TABLE = "ALPR_PLATES_TABLE"
    HOTLIST_TABLE = "ALPR_HOTLIST_TABLE"
    ALERTS_TABLE = "ALPR_ALERTS_TABLE"
    PERSONNEL_TABLE = "ALPR_PERSONNEL_TABLE"
    ACCOUNT_PROPOSALS_TABLE = "ALPR_ACCOUNT_PROPOSALS_TABLE"
    RELEASE_REQUESTS_TABLE = "ALPR_RELEASE_REQUESTS_TABLE"
    UPLOADS_BUCKET = "ALPR_UPLOADS_BUCKET"
    QUARANTINE_BUCKET = "ALPR_QUARANTINE_BUCKET"
    EVIDENCE_BUCKET = "ALPR_EVIDENCE_BUCKET"
    ACCESS_LOG_BUCKET = "ALPR_ACCESS_LOG_BUCKET"
    RETENTION_DAYS = "ALPR_RETENTION_DAYS"
    MODELS_DIR = "ALPR_MODELS_DIR"
    ORT_THREADS = "ALPR_ORT_THREADS"
    # The plate detector's score below which a reading is not reported (issue 17); unset: the engine's own.
    PLATE_SUPPORT_SCORE = "ALPR_PLATE_SUPPORT_SCORE"
    PLATE_GRAMS_TABLE = "ALPR_PLATE_GRAMS_TABLE"
    # Legal holds under review (issue 22): the register of holds, and how long until a hold is reviewed.
    HOLDS_TABLE = "ALPR_HOLDS_TABLE"
    HOLD_REVIEW_DAYS = "ALPR_HOLD_REVIEW_DAYS"
    CANVASS_MAX_DAYS = "ALPR_CANVASS_MAX_DAYS"
    CANVASS_MAX_AREA_KM2 = "ALPR_CANVASS_MAX_AREA_KM2"
    # The department's jurisdiction (issue 19): [west, south, east, north] or a GeoJSON Polygon;
    # a canvass outside it is refused. Unset: California's bounding box.
    SERVICE_AREA = "ALPR_SERVICE_AREA"
    UPLOAD_MAX_AGE_HOURS = "ALPR_UPLOAD_MAX_AGE_HOURS"  # how far back a unit may date a capture (48)
    # Signed capture metadata (issue 23): Secrets Manager ARN of the HMAC key that uploads signs
    # each ticket's capture fields with and recognize checks them against.
    CAPTURE_SIGNING_SECRET = "ALPR_CAPTURE_SIGNING_SECRET"
    # The access gate (issue 4): the department's purpose list and case-number format,
    # the inactivity limit and the training refresher period; defaults in alpr.domain.access.
    PURPOSE_CATEGORIES = "ALPR_PURPOSE_CATEGORIES"  # comma-separated
    CASE_NUMBER_PATTERN = "ALPR_CASE_NUMBER_PATTERN"  # a regular expression, whole-match
    CASE_NUMBER_EXAMPLE = "ALPR_CASE_NUMBER_EXAMPLE"
    INACTIVITY_DAYS = "ALPR_INACTIVITY_DAYS"
    TRAINING_REFRESHER_DAYS = "ALPR_TRAINING_REFRESHER_DAYS"
    # The people policy 439.3 and 439.3.1(e) name (issue 21): shown in the posted policy.
    ADMINISTRATOR_TITLE = "ALPR_ADMINISTRATOR_TITLE"
    ADMINISTRATOR_NAME = "ALPR_ADMINISTRATOR_NAME"
    DESIGNEE_TITLE = "ALPR_DESIGNEE_TITLE"
    DESIGNEE_NAME = "ALPR_DESIGNEE_NAME"
    # Their usernames: the configured account approvers beside the named supervisor (issue 21)
    ADMINISTRATOR_USERNAME = "ALPR_ADMINISTRATOR_USERNAME"
    DESIGNEE_USERNAME = "ALPR_DESIGNEE_USERNAME"
    # Release to other agencies (issue 7).
    RELEASE_BUCKET = "ALPR_RELEASE_BUCKET"
    RELEASE_STATE_MACHINE = "ALPR_RELEASE_STATE_MACHINE"
    RELEASE_LINK_SECRET = "ALPR_RELEASE_LINK_SECRET"  # Secrets Manager ARN of the HMAC key for decision links
    RELEASE_TOKEN_KEY = "ALPR_RELEASE_TOKEN_KEY"  # KMS key that encrypts stored task tokens
    RELEASE_MAIL_FROM = "ALPR_RELEASE_MAIL_FROM"
    RELEASE_COMMANDER_EMAIL = "ALPR_RELEASE_COMMANDER_EMAIL"
    RELEASE_DESIGNEE_EMAIL = "ALPR_RELEASE_DESIGNEE_EMAIL"
    RELEASE_DECISION_SECONDS = "ALPR_RELEASE_DECISION_SECONDS"
    # Pages for people (issue 20): the only base URL links and redirects are built from, and
    # the browser sign-in (Cognito hosted UI, OAuth code + PKCE) with its signed session cookie.
    WEB_BASE_URL = "ALPR_WEB_BASE_URL"  # e.g. https://<api id>.execute-api.<region>.amazonaws.com/prod
    WEB_AUTH_URL = "ALPR_WEB_AUTH_URL"  # the hosted UI, e.g. https://<prefix>.auth.<region>.amazoncognito.com
    WEB_CLIENT_ID = "ALPR_WEB_CLIENT_ID"  # the user pool's app client for the pages
    API_CLIENT_ID = "ALPR_API_CLIENT_ID"  # the app client whose bearer tokens the pages also accept (CLI)
    USER_POOL_ID = "ALPR_USER_POOL_ID"  # issuer of the tokens the pages accept
    WEB_SESSION_SECRET = "ALPR_WEB_SESSION_SECRET"  # Secrets Manager ARN of the session cookie's HMAC key
    # Hotlists and alerts (issue 6).
    HOTLIST_BUCKET = "ALPR_HOTLIST_BUCKET"
    ALERTS_TOPIC = "ALPR_ALERTS_TOPIC"
    HOTLIST_MAX_AGE_HOURS = "ALPR_HOTLIST_MAX_AGE_HOURS"  # past it a list's hits are marked stale
    HOTLIST_ENTRY_MAX_DAYS = "ALPR_HOTLIST_ENTRY_MAX_DAYS"  # the longest a local entry may last
    HOTLIST_REFUSED_CATEGORIES = "ALPR_HOTLIST_REFUSED_CATEGORIES"  # comma-separated
    # Powertools' own variable doubles as the function's identity: the local
    # runtime maps it to functions/<service>/handler.py.
    SERVICE = "POWERTOOLS_SERVICE_NAME"


class Function(StrEnum):
    """Lambda functions; each value is also the folder under functions/."""

    API = "api"
    UPLOADS = "uploads"
    RECOGNIZE = "recognize"
    RELEASE_RECORD = "release_record"
    RELEASE_NOTIFY = "release_notify"
    RELEASE_FULFIL = "release_fulfil"
    HOTLIST_IMPORT = "hotlist_import"
    PLATE_GRAMS_PRUNE = "plate_grams_prune"  # an expired plate leaves its trigrams (issue 22)
    AUDIT_WATCH = "audit_watch"  # daily: is the weekly review overdue? (issue 21)
    RETENTION_REPORT = "retention_report"  # tallies purges as they happen; the daily report (issue 21)
    HOLD_REVIEW = (
        "hold_review"  # daily: holds unapproved after 7 days or past their review date lapse (issue 22)
    )


class Group(StrEnum):
    """Cognito groups: the roles of policy 439 plus the vehicle units."""

    INVESTIGATOR = "investigator"
    SUPERVISOR = "supervisor"
    COMMANDER = "commander"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"
    RECORDS = "records"
    UNIT = "unit"


# DynamoDB index and attribute names (the data model of DESIGN.md).
READS_BY_PLATE_INDEX = "by_plate"
READS_BY_CELL_DAY_INDEX = "by_cell_day"
READS_TIME_KEY = "captured_key"  # "<captured_at ISO>#<read_id>": sorts by time, unique
READS_CELL_DAY_KEY = "cell_day"  # "<geohash cell>#<YYYY-MM-DD>"
# Searches (issue 5): a finer canvass index, so small radii read few reads outside the area.
READS_BY_CELL7_DAY_INDEX = "by_cell7_day"
READS_CELL7_DAY_KEY = "cell7_day"  # "<geohash-7 cell>#<YYYY-MM-DD>"
# Corrections (issue 21): a sparse index of the plates supervisors recorded for misreads.
READS_BY_CORRECTED_PLATE_INDEX = "by_corrected_plate"
READS_CORRECTED_PLATE = "corrected_plate"
CROPS_PREFIX = "crops/"  # plate crops in the uploads bucket: crops/<read_id>.jpg
INGEST_BATCH_SIZE = 5  # uploads per recognize invocation (the SQS event source's batch)
INGEST_MAX_RECEIVES = 3  # receives of an upload's message before it goes to the dead-letter queue
PLATE_GRAM = "gram"  # PlateGrams table key: a folded trigram; `plates` lists the plates that contain it
TTL_ATTRIBUTE = "expires_at"

# S3 key layout.
RAW_PREFIX = "raw/"
EVIDENCE_EXPORTS_PREFIX = "exports/"  # exports/<export id>/...: reads booked into evidence, with custody
QUARANTINE_PREFIX = "quarantine/"
ACCESS_LOG_PREFIX = "access-log/"
# audit-reviews/dt=<day recorded>/<last day reviewed>-<id>.json: the weekly reviews, beside the log.
AUDIT_REVIEWS_PREFIX = "audit-reviews/"
# Destruction on record (issue 21, policy 439.3.1(f)), beside the log under the same lock:
# retention-reports/dt=<day reported>/<period end>.json, one line per kind (reads, images, crops);
# retention-tallies/dt=<day purged>/<kind>-<batch digest>.json, the purges as they happen.
RETENTION_REPORTS_PREFIX = "retention-reports/"
RETENTION_TALLIES_PREFIX = "retention-tallies/"
# audit-reviews/accounts/dt=<day recorded>/<id>.json: the yearly account reviews (under the same
# prefix, so the same grants and lock; the weekly reviews' table reads only audit-reviews/dt=...).
ACCOUNT_REVIEWS_PREFIX = f"{AUDIT_REVIEWS_PREFIX}accounts/"
# The days since the last reviewed window ended (the audit watch's metric, alarmed on above 10).
REVIEW_AGE_METRIC = "AuditReviewedWindowAgeDays"
# The days since the last yearly account review was recorded (the same watch's, alarmed on above 365).
ACCOUNT_REVIEW_AGE_METRIC = "AuditAccountReviewAgeDays"

UPLOAD_METADATA = ("unit-id", "captured-at", "lat", "lon", "heading")

# Added by the walking skeleton (issue 2).
UPLOAD_EXPIRES_METADATA = "expires"  # x-amz-meta-expires: epoch seconds after which an upload is refused
QUARANTINE_REASON_METADATA = "quarantine-reason"
# x-amz-meta-capture-signature: HMAC-SHA256 of the capture fields and the object key (issue 23)
CAPTURE_SIGNATURE_METADATA = "capture-signature"
CAPTURE_SIGNATURE_REFUSED_METRIC = "UploadsSignatureRefused"  # uploads whose metadata is not as signed
QUARANTINE_REASON_SUFFIX = ".reason.json"
METRICS_NAMESPACE = "ALPR"

# Table keys and indexes beyond Reads (the data model of DESIGN.md).
READ_ID = "read_id"
PLATE = "plate"
HOTLIST_PK = "pk"  # plate, or the wildcard bucket of a partial plate
HOTLIST_SK = "sk"  # "<list>#<entry_id>"
HOTLIST_OCR_INDEX = "ocr_key"
HOTLIST_OCR_KEY = "ocr_key"  # the plate folded to its OCR-equivalence class
ALERT_ID = "alert_id"
ALERTS_BY_STATUS_INDEX = "by_status"
ALERT_STATUS = "status"
ALERT_CREATED_AT = "created_at"
USERNAME = "username"
PROPOSAL_ID = "proposal_id"  # AccountProposals table key: an account change awaiting its approver (issue 21)
REQUEST_ID = "request_id"
# The register of legal holds (issue 22): one item per hold, found by id; the sweep reads the holds
# falling due (`state` pending or approved, `due` the approval deadline or the review date).
HOLD_ID = "hold_id"
HOLDS_BY_STATE_INDEX = "by_state"
HOLD_STATE = "state"
HOLD_DUE = "due"

MODELS_LAYER_DIR = "/opt/models"  # where the models layer (and the recognize image) put layers/models/


class Output(StrEnum):
    """CloudFormation outputs of the stack: what a deployment script or the CLI reads back."""

    API_URL = "ApiUrl"
    USER_POOL_ID = "UserPoolId"
    USER_POOL_CLIENT_ID = "UserPoolClientId"
    READS_TABLE = "ReadsTableName"
    PLATES_TABLE = "PlatesTableName"
    PLATE_GRAMS_TABLE = "PlateGramsTableName"
    HOTLIST_TABLE = "HotlistTableName"
    ALERTS_TABLE = "AlertsTableName"
    PERSONNEL_TABLE = "PersonnelTableName"
    ACCOUNT_PROPOSALS_TABLE = "AccountProposalsTableName"
    RELEASE_REQUESTS_TABLE = "ReleaseRequestsTableName"
    HOLDS_TABLE = "HoldsTableName"
    UPLOADS_BUCKET = "UploadsBucketName"
    QUARANTINE_BUCKET = "QuarantineBucketName"
    EVIDENCE_BUCKET = "EvidenceBucketName"
    ACCESS_LOG_BUCKET = "AccessLogBucketName"
    RELEASE_BUCKET = "ReleaseBucketName"
    RELEASE_STATE_MACHINE = "ReleaseStateMachineArn"
    HOTLIST_BUCKET = "HotlistBucketName"
    ALERTS_TOPIC = "AlertsTopicArn"
    AUDIT_WORKGROUP = "AuditWorkGroupName"
    AUDIT_DATABASE = "AuditDatabaseName"
    AUDITOR_POLICY = "AuditorPolicyArn"
    AUDIT_TRAIL_BUCKET = "AuditTrailBucketName"
    OPS_ALARM_TOPIC = "OpsAlarmTopicArn"
    INGEST_DEAD_LETTER_QUEUE = "IngestDeadLetterQueueUrl"
    WEB_BASE_URL = "WebBaseUrl"
    WEB_AUTH_URL = "WebSignInUrl"
    WEB_CLIENT_ID = "WebClientId"


# Release to other agencies (issue 7): the release bucket's key layout.
RELEASE_LETTERS_PREFIX = "letters/"  # letters/<request id or upload id>/<file>: the written requests
RELEASE_BUNDLES_PREFIX = "bundles/"  # bundles/<request id>/...: what was released, with its manifest
RELEASE_DENIED_ERROR = "ReleaseDenied"  # the SendTaskFailure error the state machine catches

# Hotlists and alerts (issue 6): the hotlist bucket's key layout and the Hotlist table's items.
HOTLIST_INCOMING_PREFIX = "incoming/"  # incoming/<SOURCE>/<file>: a dropped extract is imported
HOTLIST_SNAPSHOT_PREFIX = "snapshots/"  # snapshots/<SOURCE>/<version>.snapshot: compiled list versions
HOTLIST_REPORT_PREFIX = "reports/"  # reports/<incoming key>.json: what became of each dropped file
HOTLIST_SOURCES_PK = "sources"  # pk of the current-version pointers (sk = source)
HOTLIST_LOCAL_PK = "source#LOCAL"  # pk of local entries (sk = entry#<entry_id>)

# The audit (DESIGN.md, flow 7): the Athena workgroup the auditors query in and the CloudTrail trail.
AUDIT_WORKGROUP = "alpr-audit"
AUDIT_TRAIL = "alpr-audit"
