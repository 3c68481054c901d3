"""Access gate and access log: what one gated request costs, against moto, in process.

Usage: .venv/bin/python bench/access_log.py [--requests N]

Creates the Personnel table (seeded like the local stack) and the Object Lock access-log
bucket in moto, then times, N times each: the access-log write alone (one S3 PutObject of
one JSON line), the Personnel lookup alone (one consistent GetItem), and a whole plate
search through functions/api/handler.py (gate + route + record). Prints, as its last line,
one JSON object: requests, record_bytes, write_ms, personnel_ms, search_ms (median, p90),
log_objects. Moto in process has no network: in AWS add a PutObject round trip (tens of ms
in-region) per request; see docs/decisions.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pathlib
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from alpr.services.container import container, use

REPO = pathlib.Path(__file__).resolve().parents[1]
REGION = "us-west-2"


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": round(statistics.median(ordered), 2),
        "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
    }


def _timed(action: Any, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    suffix = uuid.uuid4().hex[:8]
    from alpr.names import Env

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "bench",
            Env.READS_TABLE: f"reads-{suffix}",
            Env.PLATES_TABLE: f"plates-{suffix}",
            Env.UPLOADS_BUCKET: f"uploads-{suffix}",
            Env.QUARANTINE_BUCKET: f"quarantine-{suffix}",
            Env.PERSONNEL_TABLE: f"personnel-{suffix}",
            Env.ACCESS_LOG_BUCKET: f"access-log-{suffix}",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    sys.path.insert(0, str(REPO))
    import warnings

    from moto import mock_aws

    warnings.filterwarnings("ignore", message="No application metrics to publish")

    with mock_aws():
        import boto3

        from alpr.adapters.access_log import record_line
        from alpr.domain.access import AccessRecord
        from tests.integration.conftest import (
            FakeContext,
            Stack,
            _create_reads_table,
            create_access_resources,
        )

        use(None)
        s3 = boto3.client("s3", region_name=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        _create_reads_table(dynamodb, os.environ[Env.READS_TABLE])
        names = Stack(os.environ[Env.READS_TABLE], os.environ[Env.PLATES_TABLE], "", "", s3, dynamodb)
        create_access_resources(names)

        record = AccessRecord(
            event_id="01JBENCH000000000000000000",
            time=datetime.now(UTC),
            username="investigator",
            full_name="Ivy Investigator",
            organisation="Local Police Department",
            role="investigator",
            roles=["investigator"],
            action="reads:search",
            method="GET",
            route="/v1/reads",
            query={"plate": "7ABC123", "from": "2026-01-01T00:00:00Z", "to": "2026-12-31T00:00:00Z"},
            returned_ids=[f"01JREAD{n:019d}" for n in range(5)],
            returned_count=5,
            purpose_category="stolen-vehicle",
            case_number="26-004512",
            purpose_text="grey Honda Civic reported stolen from Alhambra Ave on 27 Nov",
            outcome="allowed",
            status=200,
            source_ip="198.51.100.24",
            request_id=str(uuid.uuid4()),
        )

        def write() -> None:
            container().access_log.write(record.model_copy(update={"event_id": str(uuid.uuid4())}))

        write_ms = _timed(write, args.requests)
        personnel_ms = _timed(lambda: container().personnel.get("investigator"), args.requests)

        spec = importlib.util.spec_from_file_location("bench_api_handler", REPO / "functions/api/handler.py")
        assert spec and spec.loader
        handler = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(handler)
        event = json.loads((REPO / "events/api/get_reads.json").read_text())

        def search() -> None:
            event["requestContext"]["requestId"] = str(uuid.uuid4())
            response = handler.lambda_handler(event, FakeContext())
            assert response["statusCode"] == 200, response["body"]

        search_ms = _timed(search, args.requests)
        objects = sum(
            len(page.get("Contents", []))
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=os.environ[Env.ACCESS_LOG_BUCKET])
        )
    print(
        json.dumps(
            {
                "requests": args.requests,
                "record_bytes": len(record_line(record)),
                "write_ms": _stats(write_ms),
                "personnel_ms": _stats(personnel_ms),
                "search_ms": _stats(search_ms),
                "log_objects": objects,
            }
        )
    )


if __name__ == "__main__":
    main()
