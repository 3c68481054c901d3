"""What reads cost at AWS list prices: counts measured on the recognize handler, priced per million
reads and per camera-year.

Usage: .venv/bin/python bench/cost.py [--images N] [--searches-per-million N] [--image-kb KB]
(after `make synth`)

Runs bench/ingest.py's uploads (the template's tables and buckets in moto, the recognize function's
environment) with a meter on the handler's boto3 session (bench/metering.py): calls per operation,
DynamoDB write and read units from the items themselves, crop bytes, log bytes, CPU per image; then
the plate searches through the same seam the API wraps. The function's memory, the SQS batch size
and the retention come from the synthesized template. `--image-kb` prices the stored photo at a
given size instead of the rendered scenes' (real 1280x720 photos of the dev set are ~106 KB).

The last line is one JSON object: usd_per_million_reads, usd_per_camera_year (2,000 reads a day),
breakdown (USD per million reads by item), counts (per image and per search, what was priced).
One read per image is assumed (the bench's scenes carry one plate each).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
from dataclasses import asdict, dataclass
from typing import Any, Final

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

# us-west-2 list prices in USD, as published on these pages in 2025 (on-demand DynamoDB after its
# November 2024 reduction); free tiers left out. Check them before quoting:
# https://aws.amazon.com/lambda/pricing/ (x86, first 6 billion GB-s a month)
LAMBDA_GB_S: Final = 0.0000166667
LAMBDA_REQUEST: Final = 0.20 / 1e6
# https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class)
DYNAMODB_WRU: Final = 0.625 / 1e6
DYNAMODB_RRU: Final = 0.125 / 1e6
DYNAMODB_GB_MONTH: Final = 0.25
# https://aws.amazon.com/s3/pricing/ (S3 Standard, first 50 TB)
S3_GB_MONTH: Final = 0.023
S3_PUT: Final = 0.005 / 1000  # PUT, COPY, POST, LIST
S3_GET: Final = 0.0004 / 1000  # GET, HEAD and the rest
# https://aws.amazon.com/sqs/pricing/ (standard queue, per 64 KB request)
SQS_REQUEST: Final = 0.40 / 1e6
# https://aws.amazon.com/sns/pricing/ (publishes)
SNS_PUBLISH: Final = 0.50 / 1e6
# https://aws.amazon.com/cloudwatch/pricing/ (Logs, Standard class: ingestion, archived storage)
LOGS_INGESTED_GB: Final = 0.50
LOGS_STORED_GB_MONTH: Final = 0.03
# https://aws.amazon.com/kms/pricing/ (symmetric requests)
KMS_REQUEST: Final = 0.03 / 10_000
# https://aws.amazon.com/api-gateway/pricing/ (REST API, first 333 million a month)
API_REQUEST: Final = 3.50 / 1e6
# https://aws.amazon.com/xray/pricing/ (traces recorded; the functions trace actively)
XRAY_TRACE: Final = 5.00 / 1e6

GB: Final = 1024**3
READS_PER_CAMERA_DAY: Final = 2000
# What Lambda writes per invocation beside the function's own lines (START, END and a REPORT line
# with the X-Ray trace id), as they appear in a function's log stream.
PLATFORM_LOG_BYTES: Final = 420
# Per item kept in DynamoDB (and per copy in an index): AWS adds 100 bytes of overhead to each.
DYNAMODB_ITEM_OVERHEAD: Final = 100
# The wait for an AWS call that moto answers in process (its CPU is taken out of the measured time
# and this put in): DynamoDB and SNS answer in single-digit milliseconds inside a region, an S3
# request in tens (first byte). An assumption, not a measurement.
CALL_MS: Final = {"dynamodb": 5.0, "s3": 20.0, "sns": 10.0, "sqs": 10.0, "kms": 5.0}
# The searches an agency runs per million reads (an assumption: a few a day for a fleet reading
# tens of thousands of plates a day); each is one API request.
SEARCHES_PER_MILLION: Final = 1000
# The access gate around each search (alpr/api): one Personnel read and one access record PUT.
GATE_CALLS: Final = {"dynamodb:GetItem": 1.0, "s3:PutObject": 1.0}
SEARCH_MEMORY_MB: Final = 512  # infra/api.py API_MEMORY_MB


@dataclass(frozen=True)
class Counts:
    """Everything priced, per image (one read) unless named per search or per invocation."""

    lambda_ms: float  # billed duration per image
    lambda_memory_mb: int
    images_per_invocation: float
    calls: dict[str, float]  # "service:Operation" per image
    dynamodb_wru: float
    dynamodb_rru: float
    dynamodb_bytes: float  # stored per read, indexes and overhead included
    s3_bytes: float  # stored per read: the photo and its plate crop
    log_bytes: float  # ingested per image, platform lines included
    retention_months: float
    searches_per_million: float
    search_ms: float
    search_calls: dict[str, float]
    search_wru: float
    search_rru: float


def _requests(calls: dict[str, float], service: str, operations: tuple[str, ...] | None = None) -> float:
    return sum(
        n
        for name, n in calls.items()
        if name.split(":")[0] == service and (operations is None or name.split(":")[1] in operations)
    )


S3_CLASS_A: Final = ("PutObject", "CopyObject", "PostObject", "ListObjectVersions", "ListObjectsV2")


def price(counts: Counts) -> dict[str, float]:
    """USD per million reads, by item."""
    million = 1e6
    searches = counts.searches_per_million
    invocations = million / counts.images_per_invocation
    gb_s = counts.lambda_ms / 1000 * counts.lambda_memory_mb / 1024 * million
    search_gb_s = counts.search_ms / 1000 * SEARCH_MEMORY_MB / 1024 * searches
    s3_class_a = _requests(counts.calls, "s3", S3_CLASS_A) * million
    s3_class_a += _requests(counts.search_calls, "s3", S3_CLASS_A) * searches
    s3_class_b = (
        _requests(counts.calls, "s3") * million - _requests(counts.calls, "s3", S3_CLASS_A) * million
    ) + (_requests(counts.search_calls, "s3") - _requests(counts.search_calls, "s3", S3_CLASS_A)) * searches
    # Each upload's notification is one SendMessage; the function's poller receives and deletes
    # a batch with one request each.
    sqs = million + 2 * invocations + _requests(counts.calls, "sqs") * million
    logs_gb = (counts.log_bytes * million + PLATFORM_LOG_BYTES * searches) / GB
    return {
        "lambda_compute": (gb_s + search_gb_s) * LAMBDA_GB_S,
        "lambda_requests": (invocations + searches) * LAMBDA_REQUEST,
        "dynamodb_writes": (counts.dynamodb_wru * million + counts.search_wru * searches) * DYNAMODB_WRU,
        "dynamodb_reads": (counts.dynamodb_rru * million + counts.search_rru * searches) * DYNAMODB_RRU,
        "dynamodb_storage": counts.dynamodb_bytes
        * million
        / GB
        * counts.retention_months
        * DYNAMODB_GB_MONTH,
        "s3_storage": counts.s3_bytes * million / GB * counts.retention_months * S3_GB_MONTH,
        "s3_requests": s3_class_a * S3_PUT + s3_class_b * S3_GET,
        "sqs": sqs * SQS_REQUEST,
        "sns": _requests(counts.calls, "sns", ("Publish",)) * million * SNS_PUBLISH,
        "cloudwatch_logs": logs_gb * (LOGS_INGESTED_GB + LOGS_STORED_GB_MONTH * counts.retention_months),
        "kms": (_requests(counts.calls, "kms") * million + _requests(counts.search_calls, "kms") * searches)
        * KMS_REQUEST,
        "api_gateway": searches * API_REQUEST,
        "xray": (invocations + searches) * XRAY_TRACE,
    }


def summary(counts: Counts) -> dict[str, Any]:
    breakdown = price(counts)
    per_million = sum(breakdown.values())
    return {
        "usd_per_million_reads": round(per_million, 2),
        "usd_per_camera_year": round(per_million * READS_PER_CAMERA_DAY * 365 / 1e6, 2),
        "breakdown": {k: round(v, 3) for k, v in sorted(breakdown.items(), key=lambda kv: -kv[1])},
        "counts": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(counts).items()},
    }


def _billed_ms(own_cpu_s: float, calls: dict[str, float], count: int) -> float:
    """Per image or search: the caller's own CPU and the assumed waits of its calls."""
    waits = sum(CALL_MS.get(name.split(":")[0], 10.0) * n for name, n in calls.items())
    return own_cpu_s / count * 1000 + waits


def _stored_dynamodb_bytes(meter: Any, tables: list[str]) -> int:
    """Bytes DynamoDB bills for the tables' items and their index copies (what each projects)."""
    from metering import item_size

    total = 0
    for table in tables:
        indexes = meter.indexes(table)
        for page in meter.peek.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                copies = [item, *(index.copy(item) for index in indexes)]
                total += sum(item_size(copy) + DYNAMODB_ITEM_OVERHEAD for copy in copies if copy is not None)
    return total


def _template_settings(template: dict[str, Any]) -> tuple[int, int, int]:
    """The recognize function's memory, its queue's batch size and the retention in days."""
    resources = template["Resources"]
    function = resources["RecognizeFunction"]["Properties"]
    memory = int(function["MemorySize"])
    retention = int(function["Environment"]["Variables"]["ALPR_RETENTION_DAYS"])
    batch = next(
        int(r["Properties"]["BatchSize"])
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["FunctionName"] == {"Ref": "RecognizeFunction"}
    )
    return memory, batch, retention


def measure(images: int, searches_per_million: float, image_kb: float | None) -> Counts:
    import boto3
    import ingest
    from metering import Meter

    meter: Meter | None = None
    tables: list[str] = []
    dynamodb_bytes = 0

    def instrument(session: Any) -> None:
        nonlocal meter
        meter = Meter(peek=boto3.client("dynamodb"))
        meter.attach(session)

    def on_phase(phase: str) -> None:
        nonlocal dynamodb_bytes
        assert meter is not None
        meter.phase = phase
        if phase == "search":
            tables.extend(v for k, v in os.environ.items() if k.endswith("_TABLE") and k.startswith("ALPR_"))
            dynamodb_bytes = _stored_dynamodb_bytes(meter, tables)

    from alpr.local.template import template_path

    template = json.loads(template_path(ingest.REPO / "cdk.out").read_text())
    memory, batch, retention = _template_settings(template)
    run = ingest.run(images, batch, instrument=instrument, on_phase=on_phase)
    assert meter is not None
    per_image = meter.per("ingest", run.images)
    per_search = meter.per("search", run.images)
    wru, rru = per_image.pop("dynamodb_wru"), per_image.pop("dynamodb_rru")
    search_wru, search_rru = per_search.pop("dynamodb_wru"), per_search.pop("dynamodb_rru")
    handler_calls = dict(per_image)
    per_image["s3:PostObject"] = 1.0  # the unit's upload (presigned POST), made outside the handler
    for name, n in GATE_CALLS.items():
        per_search[name] = per_search.get(name, 0.0) + n
    photo = image_kb * 1024 if image_kb else sum(run.image_bytes) / run.images
    return Counts(
        lambda_ms=_billed_ms(
            run.cpu_s - run.service_cpu_s - meter.overhead_s["ingest"], handler_calls, run.images
        ),
        lambda_memory_mb=memory,
        images_per_invocation=run.images / run.invocations,
        calls=per_image,
        dynamodb_wru=wru,
        dynamodb_rru=rru,
        dynamodb_bytes=dynamodb_bytes / run.reads,
        s3_bytes=photo + meter.s3_put_bytes["ingest"] / run.reads,
        log_bytes=run.log_bytes / run.images + PLATFORM_LOG_BYTES / (run.images / run.invocations),
        retention_months=retention * 12 / 365,
        searches_per_million=searches_per_million,
        search_ms=_billed_ms(
            run.search_cpu_s - run.search_service_cpu_s - meter.overhead_s["search"], per_search, run.images
        ),
        search_calls=per_search,
        search_wru=search_wru,
        search_rru=search_rru + GATE_CALLS["dynamodb:GetItem"] * 0.5,  # one small eventually consistent read
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--searches-per-million", type=float, default=SEARCHES_PER_MILLION)
    parser.add_argument("--image-kb", type=float, default=None)
    args = parser.parse_args()
    print(json.dumps(summary(measure(args.images, args.searches_per_million, args.image_kb))))


if __name__ == "__main__":
    main()
