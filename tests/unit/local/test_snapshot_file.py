"""The local stack's snapshot on disk (`alpr local up --data-dir`): a save replaces the last good
snapshot whole or not at all, a crash mid-save leaves it readable, and what the folder holds
(images, passwords) is readable by its owner only."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alpr.local.snapshot import (
    FORMAT,
    DataDir,
    PeriodicSave,
    SnapshotError,
    decode_item,
    encode_item,
    write_atomically,
)


def _state(**buckets: list[dict]) -> dict:
    return {"format": FORMAT, "tables": {}, "buckets": buckets, "queues": {}, "secrets": {}, "users": []}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_save_that_fails_after_writing_keeps_the_last_snapshot_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "snapshot.json"
    write_atomically(path, b"the last good snapshot")

    # When the rename fails (the disk is full, the process is stopped there)
    def refuse(*_: object) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="no space"):
        write_atomically(path, b"a newer snapshot")
    # Then the last good one is whole, and nothing half-written is left beside it
    assert path.read_bytes() == b"the last good snapshot"
    assert _leftovers(tmp_path) == []


def test_a_save_that_fails_while_writing_keeps_the_last_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "snapshot.json"
    write_atomically(path, b"the last good snapshot")

    def fail(_: int) -> None:
        raise OSError("I/O error")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="I/O error"):
        write_atomically(path, b"x" * 1_000_000)
    assert path.read_bytes() == b"the last good snapshot"
    assert _leftovers(tmp_path) == []


WRITER = """
import sys
from pathlib import Path
from alpr.local.snapshot import write_atomically
path, size = Path(sys.argv[1]), int(sys.argv[2])
print("ready", flush=True)
for n in range(10**9):
    write_atomically(path, bytes([n % 2 + 65]) * size)
"""


@pytest.mark.timeout(60)
def test_a_process_killed_mid_save_leaves_one_whole_snapshot(tmp_path: Path) -> None:
    # A process saving 4 MB snapshots over and over, killed without warning (SIGKILL)
    path, size = tmp_path / "snapshot.json", 4 * 1024 * 1024
    for delay in (0.05, 0.13, 0.31):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(size)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        # Then the snapshot is one save whole: all As or all Bs, never a mix or a part
        if path.exists():
            data = path.read_bytes()
            assert len(data) == size and data in (b"A" * size, b"B" * size)
    assert path.exists(), "the writer never completed a save: the test proved nothing"


def test_a_temporary_file_left_by_a_crash_is_not_read_and_the_next_save_replaces_the_snapshot(
    tmp_path: Path,
) -> None:
    data_dir = DataDir(tmp_path / "data")
    data_dir.prepare()
    sha = data_dir.put_body(b"an image")
    data_dir.save(_state(Uploads=[{"key": "a.jpg", "version_id": "v1", "sha256": sha}]))
    (data_dir.root / ".snapshot.json.999.1.tmp").write_text('{"format": 1, "tables": {"cut sh')
    assert data_dir.load()["buckets"]["Uploads"][0]["sha256"] == sha
    data_dir.save(_state())
    assert data_dir.load()["buckets"] == {}
    # And a body nothing refers to any more is gone after the save, not before
    assert not data_dir.has_body(sha)


def test_a_snapshot_that_cannot_be_read_stops_the_start_and_is_left_as_it_is(tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path)
    data_dir.prepare()
    data_dir.snapshot_path.write_text('{"format": 1, "tables": {')
    with pytest.raises(SnapshotError, match="cannot be read"):
        data_dir.load()
    assert data_dir.snapshot_path.read_text() == '{"format": 1, "tables": {'
    data_dir.snapshot_path.write_text(json.dumps({"format": 99}))
    with pytest.raises(SnapshotError, match="format 99"):
        data_dir.load()
    data_dir.snapshot_path.write_text(json.dumps(_state(B=[{"key": "k", "sha256": "0" * 64}])))
    with pytest.raises(SnapshotError, match="missing bodies"):
        data_dir.load()


def test_the_folder_and_its_files_are_for_their_owner_only(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    data_dir = DataDir(root)
    data_dir.prepare()
    sha = data_dir.put_body(b"an image")
    data_dir.save(_state(B=[{"key": "k", "version_id": "v", "sha256": sha}]))
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (root, data_dir.objects, data_dir.snapshot_path)}
    modes["body"] = stat.S_IMODE((data_dir.objects / sha).stat().st_mode)
    assert modes == {"data": 0o700, "objects": 0o700, "snapshot.json": 0o600, "body": 0o600}


def test_items_round_trip_with_binary_values_and_old_version_ids_renamed() -> None:
    item = {
        "request_id": {"S": "01J"},
        "task_token": {"B": b"\x00\xffciphertext"},
        "held_versions": {"M": {"raw/a.jpg": {"S": "old-version"}}},
        "tags": {"L": [{"BS": [b"\x01", b"\x02"]}, {"N": "3"}]},
    }
    encoded = json.loads(json.dumps(encode_item(item)))  # what the file holds is plain JSON
    assert encoded["task_token"] == {"B": "AP9jaXBoZXJ0ZXh0"}
    renamed = decode_item(encoded, lambda value: {"old-version": "new-version"}.get(value, value))
    assert renamed["held_versions"] == {"M": {"raw/a.jpg": {"S": "new-version"}}}
    assert renamed["task_token"] == item["task_token"] and renamed["tags"] == item["tags"]


@pytest.mark.timeout(30)
def test_periodic_saves_go_on_after_a_failed_one_and_stop_when_told() -> None:
    calls: list[int] = []

    def save() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise OSError("disk full for a moment")

    saver = PeriodicSave(save, interval_s=0.01)
    saver.start()
    deadline = time.monotonic() + 10
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    saver.stop()
    stopped_at = len(calls)
    time.sleep(0.05)
    assert stopped_at >= 3 and len(calls) == stopped_at
