"""A vehicle unit that loses signal loses nothing, and a retried upload is read once."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alpr.client.http import AlprClient, Outbox, UnitCapture
from alpr.demo.synth import render_scene
from alpr.local.stack import free_port

pytestmark = pytest.mark.e2e


def test_images_wait_in_the_outbox_until_the_api_answers(stack, unit, investigator, tmp_path: Path):
    # Given a rendered plate queued in a unit's outbox
    image = tmp_path / "capture.jpg"
    image.write_bytes(render_scene("6TRK404", "CA", seed=11)[0])
    outbox = Outbox(tmp_path / "outbox", secret=stack.passwords["unit-01"])
    outbox.add(image, UnitCapture(captured_at=datetime.now(UTC), lat=38.0101, lon=-122.1202, heading=180.0))
    # When the unit has no connection, nothing leaves the outbox
    offline = AlprClient(f"http://127.0.0.1:{free_port()}", unit.token, timeout_s=2)
    assert outbox.flush(offline) == (0, 1)
    # Then once the API answers, the image is sent and read
    assert outbox.flush(unit) == (1, 0)
    assert outbox.flush(unit) == (0, 0)
    reads = investigator.wait_for_plate("6TRK404", count=1)
    assert [read["unit_id"] for read in reads] == ["unit-01"]
    # And the car keeps nothing of it: no image waits, and only its hash and key are remembered
    assert outbox.waiting() == []
    assert list(outbox.sent_keys().values()) == [f"{reads[0]['image_key']}"]


def test_a_retried_upload_lands_on_the_same_key_and_is_read_once(unit, investigator):
    image, _ = render_scene("3RTY918", "CA", seed=12)
    capture = UnitCapture(captured_at=datetime.now(UTC), lat=38.0102, lon=-122.1203)
    upload_id = str(uuid.uuid4())
    first = unit.upload(image, capture, upload_id=upload_id)
    second = unit.upload(image, capture, upload_id=upload_id)
    assert first == second
    reads = investigator.wait_for_plate("3RTY918", count=1)
    assert len(reads) == 1
