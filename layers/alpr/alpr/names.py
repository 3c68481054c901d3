"""One place for names shared by the CDK app, the handlers and the local runtime.

The CDK app names its constructs and environment variables from here; handlers read
their settings from the same environment variable names; the local runtime finds
functions by their service name. Nothing else spells these strings.
"""

from enum import StrEnum

STACK_NAME = "AlprBackOffice"
APP_NAME = "alpr"


class Env(StrEnum):
    """Environment variables the CDK app sets on functions and the handlers read."""

    READS_TABLE = "ALPR_READS_TABLE"
    PLATES_TABLE = "ALPR_PLATES_TABLE"
    HOTLIST_TABLE = "ALPR_HOTLIST_TABLE"
    ALERTS_TABLE = "ALPR_ALERTS_TABLE"
    PERSONNEL_TABLE = "ALPR_PERSONNEL_TABLE"
    RELEASE_REQUESTS_TABLE = "ALPR_RELEASE_REQUESTS_TABLE"
    UPLOADS_BUCKET = "ALPR_UPLOADS_BUCKET"
    QUARANTINE_BUCKET = "ALPR_QUARANTINE_BUCKET"
    EVIDENCE_BUCKET = "ALPR_EVIDENCE_BUCKET"
    ACCESS_LOG_BUCKET = "ALPR_ACCESS_LOG_BUCKET"
    RETENTION_DAYS = "ALPR_RETENTION_DAYS"
    MODELS_DIR = "ALPR_MODELS_DIR"
    ORT_THREADS = "ALPR_ORT_THREADS"
    # Powertools' own variable doubles as the function's identity: the local
    # runtime maps it to functions/<service>/handler.py.
    SERVICE = "POWERTOOLS_SERVICE_NAME"


class Function(StrEnum):
    """Lambda functions; each value is also the folder under functions/."""

    API = "api"
    UPLOADS = "uploads"
    RECOGNIZE = "recognize"


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
TTL_ATTRIBUTE = "expires_at"

# S3 key layout.
RAW_PREFIX = "raw/"
QUARANTINE_PREFIX = "quarantine/"
ACCESS_LOG_PREFIX = "access-log/"

UPLOAD_METADATA = ("unit-id", "captured-at", "lat", "lon", "heading")
