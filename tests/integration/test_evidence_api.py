"""POST /v1/exports through the api handler, on moto: reads booked into the evidence bucket under
legal hold, with a manifest that verifies and a chain-of-custody record."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from alpr.domain.access import AccessLogUnavailable, AccessRecord
from alpr.domain.models import HoldEvent, LegalHold, Read
from alpr.domain.release_bundle import verify_bundle
from alpr.names import EVIDENCE_EXPORTS_PREFIX, Env
from alpr.services.container import container, use
from tests.integration.conftest import REGION, FakeContext, Stack, access_records, load_event, load_handler
from tests.unit.test_search import a_read

NOW = datetime.now(UTC).replace(microsecond=0)
IMAGE = b"\xff\xd8 the image of the read"


@pytest.fixture
def evidence(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> str:
    """The evidence bucket as the template makes it: Object Lock enabled, holds per object."""
    bucket = f"alpr-evidence-{uuid.uuid4().hex[:8]}"
    stack.s3.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=True,
    )
    monkeypatch.setenv(Env.EVIDENCE_BUCKET, bucket)
    use(None)
    return bucket


def stored(stack: Stack, plate: str, days_ago: int, *, expired: bool = False) -> Read:
    read = a_read(plate, NOW - timedelta(days=days_ago), expired=expired).model_copy(
        update={"image_bucket": stack.uploads_bucket}
    )
    stack.s3.put_object(Bucket=stack.uploads_bucket, Key=read.image_key, Body=IMAGE)
    assert container().read_store.put_read(read)
    return read


def export(context: FakeContext, read_ids: list[str], access_log: Any = None) -> tuple[int, dict[str, Any]]:
    event = load_event("api/export_evidence.json")
    event["body"] = json.dumps({"read_ids": read_ids})
    api = load_handler("api")  # its cold start configures the process's container
    if access_log is not None:
        container().access_log = access_log
    response = api.lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def test_reads_are_booked_into_evidence_under_legal_hold_with_custody_and_manifest(
    stack: Stack, evidence: str, context: FakeContext
) -> None:
    first, second = stored(stack, "7ABC123", 3), stored(stack, "8XYZ456", 1)
    status, receipt = export(context, [second.read_id, first.read_id])
    assert status == 200, receipt
    assert receipt["case_number"] == "26-004512"
    assert receipt["read_ids"] == sorted([first.read_id, second.read_id])
    prefix = receipt["prefix"]
    assert prefix.startswith(EVIDENCE_EXPORTS_PREFIX)
    keys = {o["Key"] for o in stack.s3.list_objects_v2(Bucket=evidence, Prefix=prefix)["Contents"]}
    files = {
        key.removeprefix(prefix): stack.s3.get_object(Bucket=evidence, Key=key)["Body"].read() for key in keys
    }
    # Every file is listed with its SHA-256, the images among them, and the zip carries the same
    archive = files.pop("bundle.zip")
    assert verify_bundle(files) == []
    assert files[f"images/{first.read_id}.jpg"] == IMAGE
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        assert verify_bundle({name: bundle.read(name) for name in bundle.namelist()}) == []
    # The custody record says who booked what, when, why, for which case
    custody = json.loads(files["custody.json"])
    assert custody["exported_by"] == "investigator"
    assert custody["case_number"] == "26-004512" and custody["purpose_category"] == "stolen-vehicle"
    assert [s["read_id"] for s in custody["sources"]] == [first.read_id, second.read_id]
    # Every object is under legal hold, and the link fetches the zip
    for key in keys:
        assert stack.s3.get_object_legal_hold(Bucket=evidence, Key=key)["LegalHold"]["Status"] == "ON"
    assert requests.get(receipt["bundle_url"], timeout=10).content == archive
    # And the export is on the access log with the reads it disclosed
    pending, record = [
        r for r in access_records(stack) if r.get("query", {}).get("export") == receipt["export_id"]
    ]
    assert pending["reason"].startswith("pending") and sorted(pending["returned_ids"]) == receipt["read_ids"]
    assert sorted(record["returned_ids"]) == receipt["read_ids"]


def test_an_export_naming_a_read_past_retention_writes_nothing(
    stack: Stack, evidence: str, context: FakeContext
) -> None:
    current, expired = stored(stack, "7ABC123", 3), stored(stack, "5KLM902", 400, expired=True)
    status, body = export(context, [current.read_id, expired.read_id])
    assert status == 404
    assert expired.read_id in body["message"] and current.read_id not in body["message"]
    assert "Contents" not in stack.s3.list_objects_v2(Bucket=evidence)


def test_an_export_needs_at_least_one_read(stack: Stack, evidence: str, context: FakeContext) -> None:
    assert export(context, [])[0] == 422


def test_a_held_read_past_retention_is_exported_with_its_held_image(
    stack: Stack, evidence: str, context: FakeContext
) -> None:
    # Issue 19 item 4. Given a held read whose image version is locked, and the lifecycle's
    # delete marker over its key (its retention passed while held)
    stack.s3.put_bucket_versioning(Bucket=stack.uploads_bucket, VersioningConfiguration={"Status": "Enabled"})
    read = stored(stack, "7ABC123", 400)
    version = stack.s3.head_object(Bucket=stack.uploads_bucket, Key=read.image_key)["VersionId"]
    held = read.model_copy(update={"expires_at": None, "held_versions": {read.image_key: version}})
    stack.dynamodb.delete_item(TableName=stack.reads_table, Key={"read_id": {"S": read.read_id}})
    assert container().read_store.put_read(held)
    stack.s3.delete_object(Bucket=stack.uploads_bucket, Key=read.image_key)
    # When the case exports it
    status, receipt = export(context, [read.read_id])
    # Then the bundle carries the held image, hashed in the manifest
    assert status == 200, receipt
    image = stack.s3.get_object(Bucket=evidence, Key=receipt["prefix"] + f"images/{read.read_id}.jpg")
    assert image["Body"].read() == IMAGE
    custody = json.loads(
        stack.s3.get_object(Bucket=evidence, Key=receipt["prefix"] + "custody.json")["Body"].read()
    )
    assert all(source["sha256"] for source in custody["sources"])


def test_an_export_whose_image_is_missing_fails_and_writes_nothing(
    stack: Stack, evidence: str, context: FakeContext
) -> None:
    read = stored(stack, "7ABC123", 3)
    stack.s3.delete_object(Bucket=stack.uploads_bucket, Key=read.image_key)
    status, body = export(context, [read.read_id])
    assert status >= 400 and read.read_id in body["message"]
    assert "Contents" not in stack.s3.list_objects_v2(Bucket=evidence)


class DownAccessLog:
    """The access log (our port) when S3 refuses every write."""

    def write(self, record: AccessRecord) -> None:
        raise AccessLogUnavailable("the access-log bucket is unreachable")


def test_an_export_is_on_record_as_pending_before_its_locked_objects_are_written(
    stack: Stack, evidence: str, context: FakeContext
) -> None:
    # Issue 19 item 9. Given a read and a working access log: a pending record comes first
    read = stored(stack, "7ABC123", 3)
    status, receipt = export(context, [read.read_id])
    assert status == 200, receipt
    records = [r for r in access_records(stack) if r.get("query", {}).get("export") == receipt["export_id"]]
    assert [r["reason"] for r in records] == ["pending: the export's objects are about to be written", ""]
    assert records[0]["returned_ids"] == [read.read_id]


def test_an_export_that_cannot_be_recorded_writes_no_locked_object(
    stack: Stack, evidence: str, context: FakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = stored(stack, "7ABC123", 3)
    status, _ = export(context, [read.read_id], access_log=DownAccessLog())  # the one writer, down
    assert status == 503
    assert "Contents" not in stack.s3.list_objects_v2(Bucket=evidence)


def test_a_read_past_retention_kept_only_by_another_cases_hold_is_not_exported_for_this_case(
    stack: Stack, evidence: str, context: FakeContext
) -> None:
    # Issue 22: past its retention, a read kept only by a hold is evidence of the holding case alone.
    read = stored(stack, "7ABC123", 400)
    hold = LegalHold(
        case_number="26-007731",
        category="robbery",
        reason="getaway car, kept for trial",
        placed_by="supervisor",
        organisation="PD",
        placed_at=NOW - timedelta(days=100),
    )
    event = HoldEvent(
        action="placed", case_number=hold.case_number, reason=hold.reason, by="supervisor", at=hold.placed_at
    )
    assert container().read_store.save_holds(read, [hold], [event], None, {})
    # When case 26-004512 (the sample event's) exports it, nothing is booked
    status, body = export(context, [read.read_id])
    assert status == 404 and read.read_id in body["message"]
    assert "Contents" not in stack.s3.list_objects_v2(Bucket=evidence)
