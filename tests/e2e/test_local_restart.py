"""`alpr local up --data-dir DIR` keeps the pilot's state across a restart (issue 23 item 3): a
read, the access log of the search that found it and a release request still waiting for the
commander are there after a clean stop and a new start, and the request can still be decided.

The command runs as a process of its own (as a department runs it), stopped with SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from alpr.cli.release import decide, file_request
from alpr.client.http import AlprClient, ApiError, UnitCapture
from alpr.client.search import get_read
from alpr.demo.synth import render_scene
from alpr.local.stack import REGION, LocalState, free_port, state_file
from alpr.names import ACCESS_LOG_PREFIX, Output
from tests.e2e.conftest import E2E_PURPOSE
from tests.e2e.test_release_e2e import _mail, _status  # they need only `.endpoint_url`
from tests.e2e.test_walking_skeleton import unique_plate

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
SAMPLE = json.loads((ROOT / "events" / "release" / "request_form.json").read_text())
START_S = 300.0


@contextmanager
def local_up(port: int, data_dir: Path, log: Path) -> Iterator[LocalState]:
    """`alpr local up` in its own process until the block ends; then SIGTERM, as Ctrl-C would."""
    command = [sys.executable, "-c", "from alpr.cli.main import main; main()", "local", "up"]
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--data-dir", str(data_dir)],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "200"},
        )
    try:
        state = _ready(process, port, log)
        yield state
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, log.read_text()[-3000:]


def _ready(process: subprocess.Popen[bytes], port: int, log: Path) -> LocalState:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`alpr local up` exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if state_file(port).exists():
            state = LocalState.load(state_file(port))
            if requests.get(f"{state.api_url}/health", timeout=5).ok:
                return state
        time.sleep(0.5)
    pytest.fail(f"`alpr local up` not ready in {START_S:.0f} s:\n{log.read_text()[-3000:]}")


def _access_records(state: LocalState) -> list[dict[str, Any]]:
    s3 = boto3.client(
        "s3",
        endpoint_url=state.endpoint_url,
        region_name=REGION,
        aws_access_key_id="local",  # moto takes any; this process has none of its own
        aws_secret_access_key="local",
    )
    bucket = state.outputs[Output.ACCESS_LOG_BUCKET.value]
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=ACCESS_LOG_PREFIX)
        for item in page.get("Contents", [])
    ]
    return [json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys]


@pytest.mark.timeout(900)
def test_a_read_its_access_log_and_a_pending_release_survive_a_restart(tmp_path: Path) -> None:
    port, data_dir = free_port(), tmp_path / "alpr-data"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    plate = unique_plate()
    captured_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    image, _ = render_scene(plate, "CA", seed=7)

    with local_up(port, data_dir, first_log) as first:
        # Given a read of an uploaded image, found by a search (which the access log records)
        unit = AlprClient(first.api_url, first.token("unit-01"))
        key = unit.upload(image, UnitCapture(captured_at=captured_at, lat=38.0194, lon=-122.1341))
        investigator = AlprClient(first.api_url, first.token("investigator"), purpose=E2E_PURPOSE)
        (read,) = investigator.wait_for_plate(plate, count=1, timeout_s=90)
        searches = [r for r in _access_records(first) if read["read_id"] in r.get("returned_ids", [])]
        assert searches, "the search was not in the access log before the restart"
        # And a release request of that plate, waiting for the commander
        records = AlprClient(first.api_url, first.token("records"))
        scope = {"plates": [plate], "start": f"{captured_at - timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"}
        scope["end"] = f"{captured_at + timedelta(minutes=1):%Y-%m-%dT%H:%M:%SZ}"
        form = {**SAMPLE, "scope": scope}
        request_id = file_request(records, form, letter=b"%PDF-1.4 request letter")["request_id"]
        lost_link = _mail(first, "commander@", request_id).links["APPROVE"]
        _status(records, request_id, "awaiting_commander")
    # When the stack is stopped cleanly (SIGTERM) and started again on the same data directory
    assert "Stopped; state saved" in first_log.read_text()
    assert (data_dir / "snapshot.json").exists()

    with local_up(port, data_dir, second_log) as second:
        # Then the read is there, with its image
        investigator = AlprClient(second.api_url, second.token("investigator"), purpose=E2E_PURPOSE)
        (again,) = investigator.search_plate(plate)
        assert {k: again[k] for k in ("read_id", "image_key", "captured_at")} == {
            "read_id": read["read_id"],
            "image_key": key,
            "captured_at": read["captured_at"],
        }
        detail = get_read(investigator, read["read_id"])
        assert requests.get(detail["image_url"], timeout=30).content == image
        crop = requests.get(detail["crop_url"], timeout=30)
        assert crop.status_code == 200 and crop.content[:2] == b"\xff\xd8"
        # And the access log still holds the search made before the restart
        before = {r["event_id"] for r in searches}
        assert before <= {r["event_id"] for r in _access_records(second)}
        # And the request is still pending: asked again, since the workflow execution was lost
        records = AlprClient(second.api_url, second.token("records"))
        pending = _status(records, request_id, "awaiting_commander")
        assert any("asked again" in change["note"] for change in pending["history"])
        commander = AlprClient(second.api_url, second.token("commander"))
        # The link emailed before the restart no longer decides it; the new email's link does
        with pytest.raises(ApiError) as refused:
            decide(commander, lost_link)
        assert refused.value.status == 403 and "no longer valid" in str(refused.value.body)
        fresh = _mail(second, "commander@", request_id).links["APPROVE"]
        assert decide(commander, fresh)["status"] == "approved"
        done = _status(records, request_id, "fulfilled")
        assert done["manifest"]["read_ids"] == [read["read_id"]]
    assert "1 release requests asked again" in second_log.read_text()
