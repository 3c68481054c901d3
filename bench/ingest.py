"""Ingest: rendered plates through the real `recognize` handler against moto, in process.

Usage: .venv/bin/python bench/ingest.py [--images N] [--batch N]   (after `make synth`)

Deploys the synthesized template's tables, buckets, keys and topics into moto (in process) and
runs the handler with the recognize function's own environment from that template. Renders N
scenes (alpr.demo.synth), stores each the way a unit's presigned POST leaves it, hands them to
functions/recognize/handler.py in SQS batches of --batch, then searches every plate through the
search service (the seam the API's access gate wraps). The handler logs at the deployed level
into a byte counter (what CloudWatch Logs would ingest). Prints, as its last line, one JSON
object: images, batch, reads, exact, engine_load_s, per_image_ms (median, p90), stage_ms (median
CPU ms per image of each stage), images_per_s (wall clock), images_per_cpu_s (per core: CPU seconds
of this one-threaded process, which a busy machine does not inflate), handler_images_per_cpu_s
(the same without moto's CPU: what the function itself needs of a core, its waits on AWS
aside), log_bytes_per_image,
search_ms (median). Timings include moto's in-process S3 and DynamoDB.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pathlib
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

REPO = pathlib.Path(__file__).resolve().parents[1]
# moto in process refuses a bucket without a location constraint outside us-east-1, and the
# template's buckets name none: the region changes nothing else here (prices are bench/cost.py's).
REGION: Final = "us-east-1"
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
RECOGNIZE_FUNCTION = "RecognizeFunction"  # the template's logical ids (infra/naming.py keeps them)
API_FUNCTION = "ApiFunction"
# The resources recognize and search touch; the rest of the template (functions, user pool,
# state machines) has no part in ingest.
# (The API's own resources are only named: a link in an alert notification refers to them.)
DEPLOYED_TYPES = (
    "AWS::KMS::Key",
    "AWS::S3::Bucket",
    "AWS::DynamoDB::Table",
    "AWS::SNS::Topic",
    "AWS::SecretsManager::Secret",  # the capture signing key
)
NAMED_TYPES = ("AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage")
STAGES = ("fetch", "decode", "recognize", "crops", "store", "match")


class ByteCounter(io.TextIOBase):
    """A text stream that keeps only how many UTF-8 bytes were written to it."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)


@dataclass
class StageClock:
    """CPU seconds per call of each named stage (wrapped around the objects the handler calls): the
    process is one-threaded, so its CPU time is one core's and a busy machine does not inflate it."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[stage].append(time.process_time() - started)

        return timed

    def median_ms_per_image(self, images: int) -> dict[str, float]:
        """Each stage's total per image, as the median over images would be for a per-image stage
        (crops and stores happen once per read, so their total is spread over the images)."""
        return {
            stage: round(
                (
                    statistics.median(self.seconds[stage])
                    if len(self.seconds[stage]) == images
                    else sum(self.seconds[stage]) / images
                )
                * 1000,
                1,
            )
            for stage in STAGES
            if self.seconds.get(stage)
        }


@dataclass
class ServiceTime:
    """CPU spent between sending each AWS call and its parsed answer: moto's work here, a network
    wait on AWS. Registered first on both events, so it times neither a meter nor moto's stub."""

    seconds: float = 0.0
    _sent_at: float = 0.0

    def attach(self, session: Any) -> None:
        session.events.register_first("before-send.*.*", self._sending)
        session.events.register_first("after-call.*.*", self._answered)

    def _sending(self, **_: Any) -> None:
        self._sent_at = time.process_time()

    def _answered(self, **_: Any) -> None:
        self.seconds += time.process_time() - self._sent_at


@dataclass
class IngestRun:
    """What one run measured."""

    images: int
    batch: int
    reads: int
    exact: float
    engine_load_s: float
    wall_s: float
    cpu_s: float
    service_cpu_s: float  # of cpu_s, moto's (bench/cost.py takes it out)
    per_image_s: list[float]
    stage_ms: dict[str, float]
    image_bytes: list[int]
    log_bytes: int
    invocations: int
    search_s: list[float]
    search_cpu_s: float
    search_service_cpu_s: float
    template: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "batch": self.batch,
            "reads": self.reads,
            "exact": round(self.exact, 3),
            "engine_load_s": round(self.engine_load_s, 2),
            "per_image_ms": {
                "median": round(statistics.median(self.per_image_s) * 1000),
                "p90": round(sorted(self.per_image_s)[int(0.9 * (len(self.per_image_s) - 1))] * 1000),
            },
            "stage_ms": self.stage_ms,
            "images_per_s": round(self.images / self.wall_s, 2),
            "images_per_cpu_s": round(self.images / self.cpu_s, 2),
            "handler_images_per_cpu_s": round(self.images / (self.cpu_s - self.service_cpu_s), 2),
            "log_bytes_per_image": round(self.log_bytes / self.images),
            "search_ms": {"median": round(statistics.median(self.search_s) * 1000, 1)},
        }


def _base_environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
        }
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "POWERTOOLS_LOG_LEVEL", "POWERTOOLS_METRICS_DISABLED"):
        os.environ.pop(name, None)


def deploy(cdk_out: pathlib.Path) -> tuple[Any, dict[str, Any]]:
    """The template's storage in moto (already mocked); the Deployment and the raw template."""
    from alpr.local.deploy import Deployer, Deployment
    from alpr.local.template import Template, template_path

    path = template_path(cdk_out)
    template = Template.load(path)
    storage = Template(
        resources={
            lid: r for lid, r in template.resources.items() if r["Type"] in DEPLOYED_TYPES + NAMED_TYPES
        }
    )
    deployed = Deployer(storage, None, REGION).deploy()  # type: ignore[arg-type]  # boto3: no endpoint
    return Deployment(deployed.resolver, template), json.loads(path.read_text())


def function_environment(deployment: Any, logical_id: str) -> dict[str, str]:
    """A function's environment from the template; the models come from this checkout."""
    environment = deployment.env_of(logical_id)
    environment.pop("ALPR_MODELS_DIR", None)  # the image's /opt/models is layers/models here
    return dict(environment)


def run(
    images: int,
    batch: int,
    *,
    cdk_out: pathlib.Path = REPO / "cdk.out",
    instrument: Callable[[Any], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> IngestRun:
    """Render, upload and recognize `images` scenes, then search their plates. `instrument(session)`
    sees the handler's boto3 session before its first client is made, and `on_phase` hears
    "ingest" and "search" as each begins (bench/cost.py counts the calls of each)."""
    _base_environment()
    sys.path.insert(0, str(REPO))

    import boto3
    from moto import mock_aws

    from alpr.demo.synth import render_scene
    from alpr.domain.capture_signature import signed_metadata
    from alpr.domain.models import Caller, Capture, PlateQuery
    from alpr.domain.uploads import capture_metadata
    from alpr.services import reads as reads_service
    from alpr.services.container import container, use
    from tests.integration.conftest import FakeContext, load_event, load_handler

    logs = ByteCounter()
    with mock_aws():
        deployment, template = deploy(cdk_out)
        os.environ.update(function_environment(deployment, RECOGNIZE_FUNCTION))
        bucket = os.environ["ALPR_UPLOADS_BUCKET"]
        use(None)
        s3 = boto3.client("s3")
        with contextlib.redirect_stdout(logs):  # Powertools' logger binds stdout when it is made
            recognize = load_handler("recognize")
        service = ServiceTime()
        if instrument is not None:
            instrument(container().session)
        service.attach(container().session)
        started = time.perf_counter()
        engine = container().engine  # the load is what is timed
        load_s = time.perf_counter() - started
        clock = StageClock()
        uploads, store = container().uploads, container().read_store
        uploads.fetch = clock.wrap("fetch", uploads.fetch)  # type: ignore[method-assign]
        uploads.put_crop = clock.wrap("crops", uploads.put_crop)  # type: ignore[method-assign]
        store.put_read = clock.wrap("store", store.put_read)  # type: ignore[method-assign]
        engine.read = clock.wrap("recognize", engine.read)  # type: ignore[method-assign]
        import alpr.recognition
        from alpr.services import hotlist

        decode = alpr.recognition.decode_image
        alpr.recognition.decode_image = clock.wrap("decode", decode)
        match = hotlist.match_reads
        hotlist.match_reads = clock.wrap("match", match)

        plates: list[str] = []
        keys: list[str] = []
        sizes: list[int] = []
        day = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
        for n in range(images):
            plate = (
                f"{1 + n % 9}{LETTERS[n % 23]}{LETTERS[(n * 7) % 23]}{LETTERS[(n * 11) % 23]}{n % 1000:03d}"
            )
            image, _ = render_scene(plate, "CA", seed=n)
            capture = Capture(
                unit_id="unit-bench", captured_at=day + timedelta(seconds=n), lat=38.58, lon=-121.49
            )
            key = f"raw/unit-bench/{day:%Y/%m/%d}/{uuid.uuid4()}.jpg"
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=image,
                ContentType="image/jpeg",
                # Signed as the uploads function's ticket signs it: recognize refuses anything else.
                Metadata=signed_metadata(
                    container().capture_key(),
                    key,
                    capture_metadata(capture, datetime.now(UTC) + timedelta(hours=1)),
                ),
            )
            plates.append(plate)
            keys.append(key)
            sizes.append(len(image))

        template_record = load_event("recognize/sqs_s3_object_created.json")["Records"][0]
        per_image: list[float] = []
        invocations = 0
        if on_phase is not None:
            on_phase("ingest")
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            for first in range(0, len(keys), batch):
                records = []
                for key in keys[first : first + batch]:
                    body = json.loads(template_record["body"])
                    body["Records"][0]["s3"]["bucket"]["name"] = bucket
                    body["Records"][0]["s3"]["object"]["key"] = key
                    records.append(
                        {**template_record, "messageId": str(uuid.uuid4()), "body": json.dumps(body)}
                    )
                batch_started = time.perf_counter()
                with contextlib.redirect_stdout(logs):
                    response = recognize.lambda_handler({"Records": records}, FakeContext())
                invocations += 1
                assert not response["batchItemFailures"], response
                per_image += [(time.perf_counter() - batch_started) / len(records)] * len(records)
        finally:
            alpr.recognition.decode_image = decode
            hotlist.match_reads = match
        total_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
        service_cpu_s, service.seconds = service.seconds, 0.0

        # Search through the service seam (the API adds the access gate on top of it).
        exact = 0
        search_s: list[float] = []
        investigator = Caller(username="bench", groups=frozenset({"investigator"}))
        if on_phase is not None:
            on_phase("search")
        search_cpu_started = time.process_time()
        for plate in plates:
            searched = time.perf_counter()
            page = reads_service.search_reads(
                investigator, PlateQuery(plate=plate, start=day, end=day + timedelta(days=1))
            )
            search_s.append(time.perf_counter() - searched)
            exact += any(read.plate == plate for read in page.items)
        search_cpu_s = time.process_time() - search_cpu_started
        reads = boto3.client("dynamodb").scan(TableName=os.environ["ALPR_READS_TABLE"], Select="COUNT")
        # A refused upload is no failure of the batch, so the bench checks that none was refused.
        quarantined = s3.list_objects_v2(Bucket=os.environ["ALPR_QUARANTINE_BUCKET"]).get("KeyCount", 0)
        if quarantined:
            raise SystemExit(
                f"{quarantined} of {len(keys)} uploads were quarantined: the bench measures nothing"
            )
        use(None)

    return IngestRun(
        images=len(keys),
        batch=batch,
        reads=reads["Count"],
        exact=exact / len(keys),
        engine_load_s=load_s,
        wall_s=total_s,
        cpu_s=cpu_s,
        service_cpu_s=service_cpu_s,
        per_image_s=per_image,
        stage_ms=clock.median_ms_per_image(len(keys)),
        image_bytes=sizes,
        log_bytes=logs.bytes,
        invocations=invocations,
        search_s=search_s,
        search_cpu_s=search_cpu_s,
        search_service_cpu_s=service.seconds,
        template=template,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--cdk-out", type=pathlib.Path, default=REPO / "cdk.out")
    args = parser.parse_args()
    print(json.dumps(run(args.images, args.batch, cdk_out=args.cdk_out).summary()))


if __name__ == "__main__":
    main()
