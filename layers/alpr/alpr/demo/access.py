"""`make demo` step for the access gate: a refused search, an allowed one, and their access records."""

from __future__ import annotations

import json
from typing import Any

import boto3
from rich.console import Console

from alpr.client.http import AlprClient, ApiError
from alpr.domain.access import Purpose
from alpr.local.stack import REGION, LocalStack
from alpr.names import ACCESS_LOG_PREFIX, Output

# What the demo's investigator states with every search (the gate refuses a search without one).
DEMO_PURPOSE = Purpose(
    category="stolen-vehicle",
    case_number="26-004512",
    text="grey Honda Civic reported stolen from Alhambra Ave on 27 Nov",
)
VAGUE = Purpose(category="stolen-vehicle", case_number="26-004512", text="investigation")


def access_records(stack: LocalStack) -> list[dict[str, Any]]:
    """Every record of the local access log, in key (time) order."""
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url, region_name=REGION)
    bucket = stack.outputs()[Output.ACCESS_LOG_BUCKET.value]
    keys = sorted(
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=ACCESS_LOG_PREFIX)
        for obj in page.get("Contents", [])
    )
    return [
        json.loads(line)
        for key in keys
        for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()
    ]


def _refusal(console: Console, who: str, call: Any) -> None:
    try:
        call()
    except ApiError as error:
        console.print(
            f"{who}: HTTP {error.status} — {error.body.get('message') if isinstance(error.body, dict) else error.body}"
        )
    else:
        raise SystemExit(f"{who}: expected a refusal, the search was allowed")


def show_access(console: Console, stack: LocalStack, plate: str = "8XYZ456") -> None:
    """Refused (untrained; vague purpose), allowed (with a purpose), and the records the gate wrote."""
    console.rule("[bold]The access gate: training, role and purpose, and every access on record")
    untrained = AlprClient(stack.api_url, stack.token("untrained"), purpose=DEMO_PURPOSE)
    _refusal(console, "untrained searches with a purpose", lambda: untrained.search_plate(plate))
    investigator = AlprClient(stack.api_url, stack.token("investigator"), purpose=DEMO_PURPOSE)
    _refusal(
        console,
        "investigator searches with the purpose 'investigation'",
        lambda: investigator.with_purpose(VAGUE).search_plate(plate),
    )
    reads = investigator.search_plate(plate)
    console.print(
        f"investigator searches {plate} for {DEMO_PURPOSE.category} case {DEMO_PURPOSE.case_number}: "
        f"HTTP 200, {len(reads)} read(s)"
    )
    records = access_records(stack)
    refused = next(r for r in reversed(records) if r["username"] == "untrained")
    allowed = next(
        r
        for r in reversed(records)
        if r["username"] == "investigator" and r["outcome"] == "allowed" and r["query"].get("plate") == plate
    )
    bucket = stack.outputs()[Output.ACCESS_LOG_BUCKET.value]
    console.print(
        f"{len(records)} access records in s3://{bucket}/{ACCESS_LOG_PREFIX}dt=…/ ; the two searches:"
    )
    for record in (refused, allowed):
        console.print_json(json.dumps(record))
