"""The demo's hotlist step: import an NCIC-style extract, enter a partial plate (with its earlier
sightings), read a listed stolen car, show the notification an officer gets (no data in it) and the
alert read through the API (signed in, logged), then close it."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from alpr.client.http import AlprClient, ApiError, UnitCapture
from alpr.local.stack import REGION, LocalStack
from alpr.names import Output

SAMPLE = Path(__file__).resolve().parents[4] / "events" / "hotlist" / "ncic_sample.txt"
STOLEN = ("6TRJ244", "CA")  # a stolen Honda on the sample extract
PARTIAL = "8XY*"  # a witness's partial plate; the demo's unit read 8XYZ456 earlier


def fresh_sample(directory: Path, extracted_at: datetime) -> Path:
    """The sample extract as if extracted at `extracted_at` (line 1 carries the extraction time)."""
    header, rest = SAMPLE.read_text().split("\n", 1)
    stamp = extracted_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = directory / SAMPLE.name
    path.write_text("|".join([*header.split("|")[:3], stamp]) + "\n" + rest)
    return path


def wait_for_alert(client: AlprClient, plate: str, timeout_s: float = 60) -> dict[str, Any]:
    """The newest open alert on `plate` (recognition and matching run asynchronously)."""
    deadline = time.monotonic() + timeout_s
    while True:
        for alert in client.call("GET", "/v1/alerts")["items"]:
            if alert["plate_read"] == plate:
                return alert
        if time.monotonic() > deadline:
            raise SystemExit(f"no alert on {plate} within {timeout_s:.0f} s")
        time.sleep(0.5)


def duty_inbox(stack: LocalStack) -> tuple[Any, str]:
    """A queue subscribed to the alerts topic: what an email subscriber receives."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url, region_name=REGION)
    queue_url = sqs.create_queue(QueueName="demo-duty-sergeant-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns", endpoint_url=stack.endpoint_url, region_name=REGION).subscribe(
        TopicArn=str(stack.outputs()[Output.ALERTS_TOPIC.value]), Protocol="sqs", Endpoint=arn
    )
    return sqs, queue_url


def first_message(sqs: Any, queue_url: str, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", []):
            body: dict[str, Any] = json.loads(message["Body"])
            return body
    raise SystemExit(f"no notification within {timeout_s:.0f} s")


def show_hotlists(console: Console, stack: LocalStack, investigator: AlprClient) -> None:
    from alpr.cli.hotlist import alert_text, entry_request, import_file, print_report, sightings_table
    from alpr.demo.synth import render_scene

    console.rule("[bold]Hotlists and alerts: an NCIC extract, a partial plate, a hit an officer can act on")
    bucket = str(stack.outputs()[Output.HOTLIST_BUCKET.value])
    with tempfile.TemporaryDirectory() as tmp:
        extract = fresh_sample(
            Path(tmp), datetime.now(UTC) - timedelta(hours=3)
        )  # NCIC refreshes twice a day
        report = import_file(extract, "NCIC", bucket, stack.endpoint_url)
    print_report(report)

    entry = entry_request(
        PARTIAL,
        "26-004512",
        "shooting at 5th and Main: witness saw a silver sedan, plate starting 8XY",
        14,
        "CA",
    )
    created = investigator.call("POST", "/v1/hotlist/entries", json=entry)
    console.print(f"Entered the partial plate {PARTIAL} (case 26-004512, expires in 14 days): retro-match")
    console.print(sightings_table(created))

    sqs, inbox = duty_inbox(stack)
    unit = AlprClient(stack.api_url, stack.token("unit-01"))
    plate, state = STOLEN
    image, _ = render_scene(plate, state, seed=11)
    unit.upload(
        image, UnitCapture(captured_at=datetime.now(UTC) - timedelta(minutes=1), lat=38.0067, lon=-122.1192)
    )
    console.print(f"unit-01 uploaded a rendered {plate} ({state}); recognize reads it and matches it")
    alert = wait_for_alert(investigator, plate)
    email = first_message(sqs, inbox)
    console.print("The duty sergeant's email (the alerts topic): no plate, place, unit or case in it")
    console.print(f"Subject: {email['Subject']}\n{email['Message']}", markup=False, highlight=False)
    console.print("The link, opened signed in (this access is in the access log):")
    opened = investigator.call("GET", f"/v1/alerts/{alert['alert_id']}")
    console.print(alert_text(opened), markup=False, highlight=False)

    path = f"/v1/alerts/{alert['alert_id']}/disposition"
    try:
        investigator.call("POST", path, json={})
    except ApiError as error:
        console.print(f"Closing it without a disposition: HTTP {error.status}")
    closed = investigator.call(
        "POST", path, json={"disposition": "confirmed_clets", "note": "CLETS confirms: stolen, Alhambra Ave"}
    )
    (disposition,) = closed["dispositions"]
    console.print(
        f"Closed as {disposition['disposition']} by {disposition['by']} at {disposition['at']} "
        f"(status {closed['status']})"
    )
