"""The local stack's state on disk (`alpr local up --data-dir DIR`), read and written through the
AWS APIs of the embedded moto server (moto 5 has no supported way to save its state: its
recorder replays requests, handlers and all; see docs/decisions.md).

DIR holds two things, both plain and inspectable:

- `snapshot.json`: one JSON document, format 1: the DynamoDB items of every table (in DynamoDB
  JSON, binary values base64), the S3 object versions of every bucket (key, content type,
  user metadata, legal hold and retention, and the SHA-256 of the body), the messages waiting in
  every queue, the secrets, and the user pool's users (with the passwords the stack set, which is
  why DIR is 0700 and its files 0600). Resources are named by the template's logical ids, so a
  snapshot fits any run of the same template whatever the ports.
- `objects/<sha256>`: the bodies, content-addressed, written once.

A save writes new bodies first, then `snapshot.json` to a temporary file that is synced and
renamed over the old one, and only then removes bodies nothing refers to: a crash at any point
leaves the last good snapshot whole.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from alpr.local.deploy import Deployment

FORMAT = 1
DEFAULT_SAVE_INTERVAL_S = 60.0
SNAPSHOT_FILE = "snapshot.json"
OBJECTS_DIR = "objects"
DYNAMODB_BATCH = 25
SQS_BATCH = 10
# Long enough to page through a queue; each message is made visible again right after.
SNAPSHOT_VISIBILITY_S = 60

logger = logging.getLogger(__name__)


class SnapshotError(RuntimeError):
    """The data directory holds something this stack cannot restore (nothing is written over it)."""


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so a reader finds the old content or the new, never a part: a
    temporary file in the same folder, synced, renamed over `path`, the folder synced."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


class DataDir:
    """The folder: `snapshot.json` and the bodies it refers to."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.snapshot_path = root / SNAPSHOT_FILE
        self.objects = root / OBJECTS_DIR

    def prepare(self) -> None:
        """Create the folders, readable by their owner only (they hold images and passwords)."""
        for folder in (self.root, self.objects):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.chmod(0o700)

    def load(self) -> dict[str, Any] | None:
        """The last snapshot, None if there is none yet."""
        if not self.snapshot_path.exists():
            return None
        try:
            state: dict[str, Any] = json.loads(self.snapshot_path.read_bytes())
        except (OSError, ValueError) as error:
            raise SnapshotError(
                f"{self.snapshot_path} cannot be read ({error}); it was left as it is"
            ) from None
        if state.get("format") != FORMAT:
            raise SnapshotError(
                f"{self.snapshot_path} is format {state.get('format')!r}; this stack reads format {FORMAT}"
            )
        missing = sorted({sha for sha in referenced_bodies(state) if not (self.objects / sha).exists()})
        if missing:
            raise SnapshotError(
                f"{self.snapshot_path} refers to {len(missing)} missing bodies, e.g. {missing[0]}"
            )
        return state

    def has_body(self, sha: str) -> bool:
        return (self.objects / sha).exists()

    def put_body(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.has_body(sha):
            write_atomically(self.objects / sha, data)
        return sha

    def body(self, sha: str) -> bytes:
        return (self.objects / sha).read_bytes()

    def save(self, state: dict[str, Any]) -> None:
        """Replace the snapshot (its bodies are already written), then drop bodies no longer used."""
        write_atomically(self.snapshot_path, json.dumps(state, indent=1, sort_keys=True).encode())
        used = referenced_bodies(state)
        for body in self.objects.iterdir():
            if body.name not in used and not body.name.startswith("."):
                body.unlink(missing_ok=True)


def referenced_bodies(state: dict[str, Any]) -> set[str]:
    return {
        version["sha256"]
        for versions in state.get("buckets", {}).values()
        for version in versions
        if "sha256" in version
    }


# ---- DynamoDB JSON with binary values as base64 (as on the wire) ------------------------------


def _encode_value(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode() for b in inner]}
    if kind == "M":
        return {"M": {k: _encode_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_encode_value(v) for v in inner]}
    return value


def _decode_value(value: dict[str, Any], rename: Callable[[str], str]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in inner]}
    if kind == "M":
        return {"M": {k: _decode_value(v, rename) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_decode_value(v, rename) for v in inner]}
    if kind == "S":
        return {"S": rename(inner)}
    return value


def encode_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _encode_value(value) for name, value in item.items()}


def decode_item(item: dict[str, Any], rename: Callable[[str], str] = lambda s: s) -> dict[str, Any]:
    """The item for `put_item`; `rename` maps each string value (old S3 version ids to new ones)."""
    return {name: _decode_value(value, rename) for name, value in item.items()}


# ---- the resources of a deployment -------------------------------------------------------------


@dataclass(frozen=True)
class Resources:
    """Physical names by logical id, of what the snapshot covers."""

    tables: dict[str, str]
    buckets: dict[str, str]
    queues: dict[str, str]  # logical id -> queue URL
    secrets: dict[str, str]  # logical id -> ARN
    user_pool: str

    @classmethod
    def of(cls, deployment: Deployment) -> Resources:
        def refs(kind: str) -> dict[str, str]:
            return {lid: str(deployment.ref(lid)) for lid in deployment.template.of_type(kind)}

        pools = list(refs("AWS::Cognito::UserPool").values())
        return cls(
            tables=refs("AWS::DynamoDB::Table"),
            buckets=refs("AWS::S3::Bucket"),
            queues=refs("AWS::SQS::Queue"),
            secrets=refs("AWS::SecretsManager::Secret"),
            user_pool=pools[0] if pools else "",
        )


@dataclass
class UserRecord:
    """A user pool user as the local sign-in needs them again."""

    username: str
    groups: list[str]
    enabled: bool
    attributes: dict[str, str]
    password: str | None  # set by the stack; Cognito never tells
    mfa: bool = False  # signs in with an authenticator (moto's TOTP secret is one fixed value)


@dataclass
class Restored:
    """What a restore did, for the stack's report and for the users it must create."""

    users: list[UserRecord]
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # logical ids the template no longer has


class Snapshotter:
    """Captures the running stack's state into a DataDir and restores it into a fresh one."""

    def __init__(self, resources: Resources, data_dir: DataDir, endpoint_url: str, region: str) -> None:
        self.resources = resources
        self.data_dir = data_dir
        self._clients: dict[str, Any] = {}
        self._endpoint_url = endpoint_url
        self._region = region
        # Bodies known by (bucket, key, version id): a version never changes, so it is fetched once.
        self._known: dict[tuple[str, str, str], str] = {}
        self._lock = threading.Lock()

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(  # type: ignore[call-overload]
                service, endpoint_url=self._endpoint_url, region_name=self._region
            )
        return self._clients[service]

    # ---- saving --------------------------------------------------------------------------

    def save(
        self, passwords: dict[str, str], totp_secrets: dict[str, str], *, every_queue: bool
    ) -> dict[str, int]:
        """Capture everything and replace the snapshot; counts of what was saved. `passwords` are
        the ones the stack set (Cognito never tells them); `totp_secrets` name who uses MFA.

        A queue with a redrive policy is read only when `every_queue` (the clean stop): reading a
        message counts as a receive, and receives move it toward the dead-letter queue."""
        with self._lock:
            state: dict[str, Any] = {
                "format": FORMAT,
                "saved_at": datetime.now(UTC).isoformat(),
                "tables": {lid: list(self._items(name)) for lid, name in self.resources.tables.items()},
                "buckets": {lid: self._versions(lid, name) for lid, name in self.resources.buckets.items()},
                "queues": {
                    lid: messages
                    for lid, url in self.resources.queues.items()
                    if (messages := self._messages(url, every_queue)) is not None
                },
                "secrets": {
                    lid: self._client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
                    for lid, arn in self.resources.secrets.items()
                },
                "users": [asdict(user) for user in self._users(passwords, totp_secrets)],
            }
            self.data_dir.save(state)
            return counts(state)

    def _users(self, passwords: dict[str, str], totp_secrets: dict[str, str]) -> Iterator[UserRecord]:
        cognito = self._client("cognito-idp")
        pool = self.resources.user_pool
        for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool):
            for user in page.get("Users", []):
                username = user["Username"]
                groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username=username)["Groups"]
                yield UserRecord(
                    username=username,
                    groups=sorted(g["GroupName"] for g in groups),
                    enabled=user.get("Enabled", True),
                    # `sub` is Cognito's to assign; nothing here keys on it.
                    attributes={
                        a["Name"]: a["Value"] for a in user.get("Attributes", []) if a["Name"] != "sub"
                    },
                    password=passwords.get(username),
                    mfa=username in totp_secrets,
                )

    def _items(self, table: str) -> Iterator[dict[str, Any]]:
        for page in self._client("dynamodb").get_paginator("scan").paginate(TableName=table):
            for item in page.get("Items", []):
                yield encode_item(item)

    def _versions(self, logical_id: str, bucket: str) -> list[dict[str, Any]]:
        """Every version of every key, oldest first, and a delete marker where one is the latest."""
        s3 = self._client("s3")
        by_key: dict[str, list[dict[str, Any]]] = {}
        deleted: set[str] = set()
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in page.get("Versions", []):
                by_key.setdefault(version["Key"], []).append(version)
            deleted.update(m["Key"] for m in page.get("DeleteMarkers", []) if m["IsLatest"])
        saved: list[dict[str, Any]] = []
        for key, versions in by_key.items():
            for version in reversed(versions):  # S3 lists a key's versions newest first
                saved.append(self._version(logical_id, bucket, key, version["VersionId"]))
            if key in deleted:
                saved.append({"key": key, "delete_marker": True})
        return saved

    def _version(self, logical_id: str, bucket: str, key: str, version_id: str) -> dict[str, Any]:
        s3 = self._client("s3")
        known = self._known.get((logical_id, key, version_id))
        if known is None:
            got = s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)
            known = self.data_dir.put_body(got["Body"].read())
            self._known[(logical_id, key, version_id)] = known
            head = got
        else:  # the body is saved; its legal hold may have changed since
            head = s3.head_object(Bucket=bucket, Key=key, VersionId=version_id)
        saved: dict[str, Any] = {
            "key": key,
            "version_id": version_id,
            "sha256": known,
            "content_type": head.get("ContentType", "binary/octet-stream"),
            "metadata": head.get("Metadata", {}),
        }
        if head.get("ObjectLockLegalHoldStatus"):
            saved["legal_hold"] = head["ObjectLockLegalHoldStatus"]
        if head.get("ObjectLockMode"):
            saved["retention"] = {
                "mode": head["ObjectLockMode"],
                "until": head["ObjectLockRetainUntilDate"].isoformat(),
            }
        return saved

    def _messages(self, url: str, every_queue: bool) -> list[dict[str, Any]] | None:
        sqs = self._client("sqs")
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
        if not every_queue and "RedrivePolicy" in attributes.get("Attributes", {}):
            return None
        received: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=SQS_BATCH,
                VisibilityTimeout=SNAPSHOT_VISIBILITY_S,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                break
            received.extend(batch)
        for start in range(0, len(received), SQS_BATCH):  # visible again, as if never read
            sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(received[start : start + SQS_BATCH])
                ],
            )
        return [
            {"body": m["Body"], "attributes": _encode_message_attributes(m.get("MessageAttributes", {}))}
            for m in received
        ]

    # ---- restoring -----------------------------------------------------------------------

    def restore(self, state: dict[str, Any]) -> Restored:
        """Put a snapshot into the freshly deployed stack; the caller creates the users.

        Objects first, their notifications off (restored images are not new uploads); then the
        items, with the old S3 version ids they hold replaced by the new ones; then the secrets;
        queues last, since a message sent to a queue with a consumer is handled at once."""
        restored = Restored(users=[UserRecord(**user) for user in state.get("users", [])])
        new_version_ids: dict[str, str] = {}
        for lid, versions in state.get("buckets", {}).items():
            bucket = self._resource(self.resources.buckets, lid, restored)
            if bucket is not None:
                new_version_ids.update(self._restore_bucket(lid, bucket, versions))
        restored.counts["object versions"] = len(new_version_ids)

        def rename(value: str) -> str:
            return new_version_ids.get(value, value)

        for lid, items in state.get("tables", {}).items():
            table = self._resource(self.resources.tables, lid, restored)
            if table is not None:
                self._restore_table(table, [decode_item(item, rename) for item in items])
                restored.counts["items"] = restored.counts.get("items", 0) + len(items)
        for lid, value in state.get("secrets", {}).items():
            arn = self._resource(self.resources.secrets, lid, restored)
            if arn is not None:
                self._client("secretsmanager").put_secret_value(SecretId=arn, SecretString=value)
        for lid, messages in state.get("queues", {}).items():
            url = self._resource(self.resources.queues, lid, restored)
            if url is not None:
                for message in messages:
                    self._client("sqs").send_message(
                        QueueUrl=url,
                        MessageBody=message["body"],
                        MessageAttributes=_decode_message_attributes(message["attributes"]),
                    )
                restored.counts["messages"] = restored.counts.get("messages", 0) + len(messages)
        return restored

    @staticmethod
    def _resource(names: dict[str, str], logical_id: str, restored: Restored) -> str | None:
        if logical_id not in names:
            logger.warning("the snapshot's %s is not in this template: not restored", logical_id)
            restored.skipped.append(logical_id)
            return None
        return names[logical_id]

    def _restore_bucket(self, logical_id: str, bucket: str, versions: list[dict[str, Any]]) -> dict[str, str]:
        s3 = self._client("s3")
        notifications = {
            k: v
            for k, v in s3.get_bucket_notification_configuration(Bucket=bucket).items()
            if k != "ResponseMetadata"
        }
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
        new_ids: dict[str, str] = {}
        try:
            for version in versions:
                if version.get("delete_marker"):
                    s3.delete_object(Bucket=bucket, Key=version["key"])
                    continue
                spec: dict[str, Any] = {
                    "Bucket": bucket,
                    "Key": version["key"],
                    "Body": self.data_dir.body(version["sha256"]),
                    "ContentType": version["content_type"],
                    "Metadata": version["metadata"],
                }
                if version.get("legal_hold"):
                    spec["ObjectLockLegalHoldStatus"] = version["legal_hold"]
                retention = version.get("retention")
                if retention and datetime.fromisoformat(retention["until"]) > datetime.now(UTC):
                    spec["ObjectLockMode"] = retention["mode"]
                    spec["ObjectLockRetainUntilDate"] = datetime.fromisoformat(retention["until"])
                if "ObjectLockLegalHoldStatus" in spec or "ObjectLockMode" in spec:
                    spec["ChecksumAlgorithm"] = "SHA256"  # S3 wants a checksum with Object Lock settings
                new_id = s3.put_object(**spec).get("VersionId")
                if new_id and version.get("version_id") not in (None, "null"):
                    new_ids[version["version_id"]] = new_id
                    self._known[(logical_id, version["key"], new_id)] = version["sha256"]
        finally:
            s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=notifications)
        return new_ids

    def _restore_table(self, table: str, items: list[dict[str, Any]]) -> None:
        dynamodb = self._client("dynamodb")
        for start in range(0, len(items), DYNAMODB_BATCH):
            pending = {
                table: [{"PutRequest": {"Item": item}} for item in items[start : start + DYNAMODB_BATCH]]
            }
            while pending:
                pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def counts(state: dict[str, Any]) -> dict[str, int]:
    return {
        "items": sum(len(items) for items in state.get("tables", {}).values()),
        "object versions": sum(
            1 for versions in state.get("buckets", {}).values() for v in versions if "sha256" in v
        ),
        "messages": sum(len(messages) for messages in state.get("queues", {}).values()),
        "users": len(state.get("users", [])),
    }


def _encode_message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {
            k: base64.b64encode(v).decode() if k == "BinaryValue" else v
            for k, v in value.items()
            if k in {"DataType", "StringValue", "BinaryValue"}
        }
        for name, value in attributes.items()
    }


def _decode_message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {k: base64.b64decode(v) if k == "BinaryValue" else v for k, v in value.items()}
        for name, value in attributes.items()
    }


class PeriodicSave:
    """Saves every `interval_s` seconds until stopped; a failed save is logged and the last good
    snapshot stays (the next attempt may succeed)."""

    def __init__(self, save: Callable[[], object], interval_s: float) -> None:
        self._save = save
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="alpr-local-save")

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._save()
            except (ClientError, OSError) as error:
                logger.error("periodic save failed (the last snapshot is kept): %s", error)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
