"""Release workflow: how long a request takes through the real state machine, on moto in process.

Usage: .venv/bin/python bench/release.py [--runs N] [--reads R] [--image-kb K]   (needs `make synth`)

Deploys cdk.out's template into moto with Step Functions execution on (as
tests/integration/test_release_workflow.py does), seeds R reads of one plate with K KiB images,
then N times: files a request, waits for the commander's email (file → email), approves through
the signed link and waits for `fulfilled` (approve → fulfilled: the reads queried, images copied,
CSV/JSON/manifest and bundle.zip written, the disclosure logged). Also times link sign + verify.
Prints, as its last line, one JSON object with medians and p90s in ms. Moto in process has no
network and Step Functions transitions cost nothing: in AWS add Lambda cold starts and S3/DynamoDB
round trips.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alpr.services.container import container, use

REPO = Path(__file__).resolve().parents[1]
REGION = "us-east-1"


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": round(statistics.median(ordered), 1),
        "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reads", type=int, default=50)
    parser.add_argument("--image-kb", type=int, default=60)
    args = parser.parse_args()
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    sys.path.insert(0, str(REPO))
    import boto3
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from alpr.adapters.mail import parse_mail
    from alpr.domain.links import DecisionLink, sign, verify
    from alpr.domain.models import BoundingBox, Caller, Read
    from alpr.domain.reads import cell_day, time_key
    from alpr.domain.release import ReleaseStatus, RequestForm
    from alpr.local import moto_patches
    from alpr.local.deploy import Deployer
    from alpr.local.template import Template, template_path
    from alpr.names import Env
    from alpr.services import release as release_service

    key = os.urandom(48)
    link = DecisionLink("01JDZ4YQ8M5W0000000000REQ1", "approve", int(time.time()) + 3600, "n0nce")
    started = time.perf_counter()
    for _ in range(10_000):
        verify(sign(link, key), key, datetime.now(UTC))
    link_us = (time.perf_counter() - started) / 10_000 * 1e6

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        moto_patches.install(REPO / "functions")
        deployment = Deployer(Template.load(template_path(REPO / "cdk.out")), None, REGION).deploy()  # type: ignore[arg-type]
        os.environ.update(deployment.shared_environment())
        os.environ[Env.WEB_BASE_URL.value] = "https://api.example/prod"  # where the links point
        use(None)
        s3 = boto3.client("s3", region_name=REGION)
        uploads = container().granted("uploads_bucket")
        plate = "6BEN" + uuid.uuid4().hex[:3].upper()
        image = os.urandom(args.image_kb * 1024)
        when = datetime(2026, 11, 10, tzinfo=UTC)
        for index in range(args.reads):
            at = when + timedelta(minutes=index)
            read_id = f"01JD{uuid.uuid4().int % 10**22:022d}"
            s3.put_object(Bucket=uploads, Key=f"seeded/{read_id}.jpg", Body=image)
            container().read_store.put_read(
                Read(
                    read_id=read_id,
                    plate=plate,
                    confidence=0.9,
                    char_confidences=[0.9] * len(plate),
                    low_confidence=False,
                    captured_at=at,
                    captured_key=time_key(at, read_id),
                    unit_id="unit-01",
                    lat=38.0,
                    lon=-122.0,
                    cell_day=cell_day(38.0, -122.0, at),
                    image_bucket=uploads,
                    image_key=f"seeded/{read_id}.jpg",
                    box=BoundingBox(x=0, y=0, w=1, h=1),
                    model_version="bench",
                    expires_at=int(time.time()) + 86400 * 365,
                    ingested_at=at,
                )
            )
        sample = json.loads((REPO / "events" / "release" / "request_form.json").read_text())
        letter = "letters/bench/letter.pdf"  # approval needs the written request on file
        container().release_bucket.put(letter, b"%PDF-1.4 bench letter", "application/pdf")
        form = RequestForm.model_validate(
            {**sample, "scope": {**sample["scope"], "plates": [plate]}, "letter_key": letter}
        )
        records = Caller(username="records", groups=frozenset({"records"}))
        commander = Caller(username="commander", groups=frozenset({"commander"}))
        backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
        sfn = boto3.client("stepfunctions", region_name=REGION)
        to_email: list[float] = []
        to_fulfilled: list[float] = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            filed = release_service.file_request(records, form)
            mail = None
            while mail is None:
                found = [
                    parse_mail(m.raw_data)
                    for m in list(backend.sent_messages)
                    if hasattr(m, "raw_data") and filed.request_id in m.raw_data
                ]
                mail = found[0] if found else None
                time.sleep(0.005)
            to_email.append((time.perf_counter() - t0) * 1000)
            while (
                release_service.get_request(filed.request_id).status is not ReleaseStatus.AWAITING_COMMANDER
            ):
                time.sleep(0.005)
            t1 = time.perf_counter()
            release_service.decide(release_service.token_of(mail.links["APPROVE"]), commander)
            while (
                status := release_service.get_request(filed.request_id).status
            ) is not ReleaseStatus.FULFILLED:
                if status is ReleaseStatus.FAILED:
                    raise SystemExit("fulfilment failed")
                time.sleep(0.005)
            to_fulfilled.append((time.perf_counter() - t1) * 1000)
            # Let the execution finish (it still tells the requester) before the next run.
            stored = container().release_store.get(filed.request_id)
            assert stored is not None and stored.execution_arn
            arn = stored.execution_arn
            while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                time.sleep(0.01)
        moto_patches.uninstall()
    print(
        json.dumps(
            {
                "runs": args.runs,
                "reads": args.reads,
                "image_kb": args.image_kb,
                "link_sign_verify_us": round(link_us, 1),
                "file_to_email_ms": _stats(to_email),
                "approve_to_fulfilled_ms": _stats(to_fulfilled),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
