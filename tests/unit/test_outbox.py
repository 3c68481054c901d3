"""The unit's outbox: what waits is encrypted, what the API acknowledged is gone (a hash and a key stay)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alpr.cli.main import app
from alpr.client.http import ApiError, Outbox, UnitCapture

SECRET = "unit-01 device credential"
IMAGE = b"\xff\xd8\xff" + b"plate 6TRK404 pixels" * 50
CAPTURE = UnitCapture(
    captured_at=datetime(2026, 12, 3, 21, 0, tzinfo=UTC), lat=38.0101, lon=-122.1202, heading=180.0
)


class FakeUnitClient:
    """Stands in for the API and S3 (an edge: the HTTP round trip is e2e-tested)."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.uploads: list[tuple[bytes, str | None]] = []

    def upload(
        self,
        image: bytes,
        capture: UnitCapture,
        content_type: str = "image/jpeg",
        upload_id: str | None = None,
    ) -> str:
        if self.fail:
            raise ApiError(503, "no signal")
        self.uploads.append((image, upload_id))
        return f"raw/unit-01/2026/12/03/{upload_id}.jpg"


def _queued(tmp_path: Path) -> tuple[Outbox, Path]:
    image = tmp_path / "capture.jpg"
    image.write_bytes(IMAGE)
    outbox = Outbox(tmp_path / "outbox", secret=SECRET)
    outbox.add(image, CAPTURE)
    image.unlink()  # the camera's own file is the camera's business
    return outbox, tmp_path / "outbox"


def _everything_on_disk(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_what_waits_in_the_outbox_is_encrypted_at_rest(tmp_path: Path) -> None:
    outbox, directory = _queued(tmp_path)
    on_disk = _everything_on_disk(directory)
    assert b"plate 6TRK404" not in on_disk and b"38.0101" not in on_disk and b"2026-12-03" not in on_disk
    # and only the unit's credential opens it
    (waiting,) = outbox.waiting()
    assert waiting.captured_at == CAPTURE.captured_at and waiting.size == len(IMAGE)
    with pytest.raises(ValueError, match="credential"):
        Outbox(directory, secret="another unit's credential").waiting()


def test_an_acknowledged_upload_leaves_only_its_hash_and_key(tmp_path: Path) -> None:
    outbox, directory = _queued(tmp_path)
    client = FakeUnitClient()
    assert outbox.flush(client) == (1, 0)  # type: ignore[arg-type]
    assert client.uploads[0][0] == IMAGE
    assert outbox.waiting() == []
    on_disk = _everything_on_disk(directory)
    assert b"plate 6TRK404" not in on_disk and b"38.0101" not in on_disk
    digest = hashlib.sha256(IMAGE).hexdigest()
    assert outbox.sent_keys() == {digest: f"raw/unit-01/2026/12/03/{client.uploads[0][1]}.jpg"}


def test_a_failed_upload_waits_and_an_image_already_sent_is_not_queued_again(tmp_path: Path) -> None:
    outbox, _ = _queued(tmp_path)
    assert outbox.flush(FakeUnitClient(fail=True)) == (0, 1)  # type: ignore[arg-type]
    assert len(outbox.waiting()) == 1
    assert outbox.flush(FakeUnitClient()) == (1, 0)  # type: ignore[arg-type]
    again = tmp_path / "again.jpg"
    again.write_bytes(IMAGE)
    assert outbox.add(again, CAPTURE) is None
    assert outbox.waiting() == []


def test_images_left_in_sent_by_an_older_outbox_are_deleted(tmp_path: Path) -> None:
    directory = tmp_path / "outbox"
    (directory / "sent").mkdir(parents=True)
    (directory / "sent" / "old.jpg").write_bytes(IMAGE)
    (directory / "sent" / "old.json").write_text('{"lat": 38.0101}')
    Outbox(directory, secret=SECRET)
    assert not (directory / "sent").exists()


def test_unit_status_shows_what_is_waiting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, directory = _queued(tmp_path)
    monkeypatch.setenv("ALPR_UNIT_SECRET", SECRET)
    result = CliRunner().invoke(app, ["unit", "status", "--outbox", str(directory)])
    assert result.exit_code == 0, result.output
    assert "1 waiting" in result.output and "2026-12-03 21:00:00Z" in result.output
