"""`make demo` step for signed capture metadata: a unit that moves its capture after the ticket was
signed has its upload quarantined unread (moto checks no POST policy, so the edit reaches S3)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError
from rich.console import Console

from alpr.client.http import AlprClient, UnitCapture
from alpr.local.stack import REGION, LocalStack
from alpr.names import QUARANTINE_PREFIX, QUARANTINE_REASON_SUFFIX, Output


def quarantine_record(stack: LocalStack, key: str, timeout_s: float = 30.0) -> dict[str, Any]:
    """The reason document recognize writes beside a quarantined upload, once it is there."""
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url, region_name=REGION)
    bucket = str(stack.outputs()[Output.QUARANTINE_BUCKET.value])
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            body = s3.get_object(Bucket=bucket, Key=QUARANTINE_PREFIX + key + QUARANTINE_REASON_SUFFIX)[
                "Body"
            ]
        except ClientError:
            if time.monotonic() > deadline:
                raise SystemExit(f"{key} was not quarantined within {timeout_s:.0f} s") from None
            time.sleep(0.25)
            continue
        record: dict[str, Any] = json.loads(body.read())
        return record


def show_tampered_upload(console: Console, stack: LocalStack, unit: AlprClient, image: bytes) -> None:
    console.rule("[bold]Signed capture metadata: a unit that edits its ticket's fields is refused")
    capture = UnitCapture(
        captured_at=datetime.now(UTC) - timedelta(minutes=5), lat=38.01940, lon=-122.13410, heading=90.0
    )
    ticket = unit.call("POST", "/v1/uploads", json=capture.as_json("image/jpeg"))
    console.print(
        f"ticket signs the capture: x-amz-meta-capture-signature={ticket['fields']['x-amz-meta-capture-signature'][:16]}…"
    )
    edited = {**ticket["fields"], "x-amz-meta-lat": "37.77490"}  # the same image, "taken" in San Francisco
    posted = unit.session.post(
        ticket["url"], data=edited, files={"file": ("image", image, "image/jpeg")}, timeout=unit.timeout_s
    )
    if not posted.ok:
        raise SystemExit(f"the edited form was not stored: HTTP {posted.status_code}")
    record = quarantine_record(stack, ticket["key"])
    if record["reason"] != "bad-signature":
        raise SystemExit(f"expected the edited upload refused for its signature, got {record['reason']}")
    console.print(
        f"posted with x-amz-meta-lat edited → quarantined, not read: {record['reason']}: {record['detail']}"
    )
