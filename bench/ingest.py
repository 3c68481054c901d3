"""Ingest: rendered plates through the real `recognize` handler against moto, in process.

Usage: .venv/bin/python bench/ingest.py [--images N] [--batch N]

Renders N scenes (alpr.demo.synth), stores each the way a unit's presigned POST leaves it, hands
them to functions/recognize/handler.py in SQS batches of --batch, then searches every plate
through the search service (the seam the API's access gate wraps). Prints, as its last line,
one JSON object: images, batch, reads, exact, engine_load_s, per_image_ms (median, p90),
images_per_s, search_ms (median). Timings include moto's in-process S3 and DynamoDB.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

from alpr.services.container import container, use

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

REPO = pathlib.Path(__file__).resolve().parents[1]
REGION: Final = "us-west-2"
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def _environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "ALPR_READS_TABLE": "bench-reads",
            "ALPR_PLATES_TABLE": "bench-plates",
            "ALPR_UPLOADS_BUCKET": "bench-uploads",
            "ALPR_QUARANTINE_BUCKET": "bench-quarantine",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--batch", type=int, default=10)
    args = parser.parse_args()
    _environment()
    sys.path.insert(0, str(REPO))

    import boto3
    from moto import mock_aws

    from alpr.demo.synth import render_scene
    from alpr.domain.models import Caller, Capture, PlateQuery
    from alpr.domain.uploads import capture_metadata
    from alpr.services import reads as reads_service
    from tests.integration.conftest import FakeContext, _create_reads_table, load_event, load_handler

    with mock_aws():
        use(None)
        s3, dynamodb = boto3.client("s3"), boto3.client("dynamodb")
        for bucket in ("bench-uploads", "bench-quarantine"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        _create_reads_table(dynamodb, "bench-reads")
        dynamodb.create_table(
            TableName="bench-plates",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "plate", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "plate", "KeyType": "HASH"}],
        )
        started = time.perf_counter()
        _ = container().engine  # the load is what is timed
        load_s = time.perf_counter() - started
        recognize = load_handler("recognize")

        plates: list[str] = []
        keys: list[str] = []
        day = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
        for n in range(args.images):
            plate = (
                f"{1 + n % 9}{LETTERS[n % 23]}{LETTERS[(n * 7) % 23]}{LETTERS[(n * 11) % 23]}{n % 1000:03d}"
            )
            image, _ = render_scene(plate, "CA", seed=n)
            capture = Capture(
                unit_id="unit-bench", captured_at=day + timedelta(seconds=n), lat=38.58, lon=-121.49
            )
            key = f"raw/unit-bench/{day:%Y/%m/%d}/{uuid.uuid4()}.jpg"
            s3.put_object(
                Bucket="bench-uploads",
                Key=key,
                Body=image,
                ContentType="image/jpeg",
                Metadata=capture_metadata(capture, datetime.now(UTC) + timedelta(hours=1)),
            )
            plates.append(plate)
            keys.append(key)

        template = load_event("recognize/sqs_s3_object_created.json")["Records"][0]
        per_image: list[float] = []
        started = time.perf_counter()
        for first in range(0, len(keys), args.batch):
            records = []
            for key in keys[first : first + args.batch]:
                body = json.loads(template["body"])
                body["Records"][0]["s3"]["bucket"]["name"] = "bench-uploads"
                body["Records"][0]["s3"]["object"]["key"] = key
                records.append({**template, "messageId": str(uuid.uuid4()), "body": json.dumps(body)})
            batch_started = time.perf_counter()
            response = recognize.lambda_handler({"Records": records}, FakeContext())
            assert not response["batchItemFailures"], response
            per_image += [(time.perf_counter() - batch_started) / len(records)] * len(records)
        total_s = time.perf_counter() - started

        # Search through the service seam (the API adds the access gate on top of it).
        exact = 0
        searches: list[float] = []
        investigator = Caller(username="bench", groups=frozenset({"investigator"}))
        for plate in plates:
            searched = time.perf_counter()
            page = reads_service.search_reads(
                investigator, PlateQuery(plate=plate, start=day, end=day + timedelta(days=1))
            )
            searches.append(time.perf_counter() - searched)
            exact += any(read.plate == plate for read in page.items)
        reads = dynamodb.scan(TableName="bench-reads", Select="COUNT")["Count"]

    print(
        json.dumps(
            {
                "images": len(keys),
                "batch": args.batch,
                "reads": reads,
                "exact": round(exact / len(keys), 3),
                "engine_load_s": round(load_s, 2),
                "per_image_ms": {
                    "median": round(statistics.median(per_image) * 1000),
                    "p90": round(sorted(per_image)[int(0.9 * (len(per_image) - 1))] * 1000),
                },
                "images_per_s": round(len(keys) / total_s, 2),
                "search_ms": {"median": round(statistics.median(searches) * 1000, 1)},
            }
        )
    )


if __name__ == "__main__":
    main()
