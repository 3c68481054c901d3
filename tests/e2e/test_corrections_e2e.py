"""Over the local stack: a supervisor corrects a misread (Civil Code § 1798.90.51(b)); searches for
either plate show the correction, the read's alert is closed as misread, the call is logged, and
an investigator may not correct."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from alpr.cli.hotlist import import_file
from alpr.cli.main import app
from alpr.client.http import AlprClient, ApiError, UnitCapture
from alpr.demo.hotlist import fresh_sample, wait_for_alert
from alpr.demo.synth import render_scene
from alpr.names import ACCESS_LOG_PREFIX, Env, Output
from tests.e2e.conftest import E2E_PURPOSE

pytestmark = pytest.mark.e2e

LISTED, SHOWN = "6TRJ244", "6TRJ241"
REASON = "the crop shows a 1 where the reader saw a 4"


def test_a_supervisor_corrects_a_misread_search_shows_it_and_its_alert_closes_as_misread(
    stack, unit, investigator, aws, tmp_path
):
    # Given a read of a listed plate and its open alert
    outputs = stack.outputs()
    extract = fresh_sample(tmp_path, datetime.now(UTC) - timedelta(hours=2))
    import_file(extract, "NCIC", str(outputs[Output.HOTLIST_BUCKET.value]), stack.endpoint_url)
    image, _ = render_scene(LISTED, "CA", seed=5)
    unit.upload(
        image, UnitCapture(captured_at=datetime.now(UTC) - timedelta(minutes=3), lat=38.0, lon=-122.1)
    )
    alert = wait_for_alert(investigator, LISTED)
    read_id = alert["read_id"]
    path = f"/v1/reads/{read_id}/corrections"
    body = {"plate": SHOWN, "state": "CA", "reason": REASON}

    # When an investigator tries to correct it, they are refused; a supervisor's correction is kept
    with pytest.raises(ApiError) as refused:
        investigator.call("POST", path, json=body)
    assert refused.value.status == 403
    supervisor = AlprClient(stack.api_url, stack.token("supervisor"), purpose=E2E_PURPOSE)
    receipt = supervisor.call("POST", path, json=body)
    assert receipt["alerts_closed"] == [alert["alert_id"]]
    correction = receipt["correction"]
    assert (correction["plate"], correction["original_plate"], correction["by"], correction["reason"]) == (
        SHOWN,
        LISTED,
        "supervisor",
        REASON,
    )

    # Then a search for the plate shown finds the read, marked as corrected, and so does one for the plate read
    window = {
        "from": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "to": datetime.now(UTC).isoformat(),
    }
    for plate in (SHOWN, LISTED):
        found = [r for r in investigator.call("GET", "/v1/reads", params={"plate": plate, **window})["items"]]
        (read,) = [r for r in found if r["read_id"] == read_id]
        assert (read["plate"], read["corrected_plate"]) == (LISTED, SHOWN)
        assert [c["plate"] for c in read["corrections"]] == [SHOWN]
    # And the alert is closed as misread by the supervisor
    closed = investigator.call("GET", f"/v1/alerts/{alert['alert_id']}")
    assert closed["status"] == "closed"
    assert [(d["disposition"], d["by"]) for d in closed["dispositions"]] == [("misread", "supervisor")]
    # And the correction is in the access log with its purpose, both plates and the read
    s3 = aws("s3")
    bucket = stack.deployment.shared_environment()[Env.ACCESS_LOG_BUCKET.value]
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{ACCESS_LOG_PREFIX}dt={today}/"
        )
        for o in page.get("Contents", [])
    ]
    records = [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys]
    # (the stack is shared: the API fuzz run may have corrected other reads before this test)
    (logged,) = [
        r
        for r in records
        if r["action"] == "reads:correct" and r["outcome"] == "allowed" and read_id in r["returned_ids"]
    ]
    assert (logged["username"], logged["case_number"]) == ("supervisor", E2E_PURPOSE.case_number)
    assert logged["query"] == {"correction": SHOWN, "plate": LISTED, "read_id": read_id}
    assert logged["returned_ids"] == [read_id]

    # And `alpr reads correct` records a later correction, which supersedes the first (both kept)
    stated = ["--api", stack.api_url, "--token", stack.token("supervisor"), "--purpose", E2E_PURPOSE.category]
    stated += ["--case", E2E_PURPOSE.case_number, "--reason", "a clearer frame shows a 7 at the end"]
    result = CliRunner().invoke(app, ["reads", "correct", read_id, "--plate", "6TRJ247", *stated])
    assert result.exit_code == 0, result.output
    assert (
        "corrected to 6TRJ247 by supervisor" in result.output and "closed as misread: none" in result.output
    )
    read = investigator.call("GET", f"/v1/reads/{read_id}")
    assert [c["plate"] for c in read["corrections"]] == [SHOWN, "6TRJ247"] and read["plate"] == LISTED
