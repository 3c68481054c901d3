"""Over the local stack: an extract dropped in the hotlist bucket, then an uploaded rendered plate
on it becomes an alert (API and SNS) that an officer closes with a disposition."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from alpr.cli.hotlist import import_file
from alpr.client.http import ApiError, UnitCapture
from alpr.demo.hotlist import fresh_sample, wait_for_alert
from alpr.demo.synth import render_scene
from alpr.domain.alerts import CLETS_LINE
from alpr.names import Output

pytestmark = pytest.mark.e2e


def test_an_uploaded_plate_on_an_imported_list_raises_an_alert(stack, unit, investigator, aws, tmp_path):
    # Given the sample NCIC extract imported through the hotlist bucket, and a queue on the alerts topic
    outputs = stack.outputs()
    extract = fresh_sample(tmp_path, datetime.now(UTC) - timedelta(hours=2))
    report = import_file(extract, "NCIC", str(outputs[Output.HOTLIST_BUCKET.value]), stack.endpoint_url)
    assert (report["outcome"], report["imported"], report["refused"]) == (
        "imported",
        8,
        {"immigration_violator": 1},
    )
    sqs = aws("sqs")
    queue_url = sqs.create_queue(QueueName="e2e-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    subscription = aws("sns").subscribe(
        TopicArn=outputs[Output.ALERTS_TOPIC.value], Protocol="sqs", Endpoint=queue_arn
    )["SubscriptionArn"]

    # When a unit uploads a rendered image of a listed stolen vehicle
    image, _ = render_scene("4GHK771", "CA", seed=5)
    unit.upload(
        image, UnitCapture(captured_at=datetime.now(UTC) - timedelta(minutes=2), lat=38.0, lon=-122.1)
    )

    # Then an open alert says what was read and what is listed, from which list, and the CLETS line
    alert = wait_for_alert(investigator, "4GHK771")
    assert alert["status"] == "open"
    assert (alert["plate_listed"], alert["state_listed"], alert["source"], alert["category"]) == (
        "4GHK771",
        "CA",
        "NCIC",
        "stolen_vehicle",
    )
    assert alert["match"] in ("exact", "ocr_equivalent", "low_confidence_read")
    assert alert["instruction"] == CLETS_LINE and alert["stale"] is False
    assert alert["unit_id"] == "unit-01" and alert["read_link"] == f"/v1/reads/{alert['read_id']}"
    # And the alert went out on the topic, with the CLETS line
    deadline, messages = time.monotonic() + 30, []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
    # (the queue is this test's alone: removed so the shared stack's queues all drain)
    sqs.delete_queue(QueueUrl=queue_url)
    aws("sns").unsubscribe(SubscriptionArn=subscription)
    (message,) = messages
    body = json.loads(message["Body"])
    # (the notification names the alert, its category and where to read it: none of its data)
    assert body["Subject"] == f"ALPR alert {alert['alert_id']}: stolen vehicle"
    assert CLETS_LINE in body["Message"]
    assert f"{stack.api_url}/v1/alerts/{alert['alert_id']}" in body["Message"]
    assert "4GHK771" not in body["Subject"] + body["Message"] and "unit-01" not in body["Message"]
    # And the link opens the alert for a signed-in investigator, with its data
    opened = investigator.call("GET", f"/v1/alerts/{alert['alert_id']}")
    assert opened["plate_read"] == alert["plate_read"] and opened["unit_id"] == "unit-01"

    # And it closes only with a disposition
    path = f"/v1/alerts/{alert['alert_id']}/disposition"
    with pytest.raises(ApiError) as refused:
        investigator.call("POST", path, json={})
    assert refused.value.status == 422
    closed = investigator.call("POST", path, json={"disposition": "vehicle_not_present"})
    assert closed["status"] == "closed" and closed["dispositions"][0]["by"] == "investigator"
