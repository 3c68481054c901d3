"""Hotlist matching speed: 2,000,000 plain entries and 10,000 wildcard entries, 100,000 reads, one core.

    .venv/bin/python bench/matching.py [--entries N] [--wildcards N] [--reads N]

The list is compiled into a snapshot file (what an import stores), then a fresh process pinned
to one core loads it and matches the reads, so load time and memory are those of a recognize
container, not of the generator. Times are the measuring process's CPU time (a busy neighbour
on a shared machine does not count); wall-clock times are printed on the line before. The reads are 1 % plates on the list, 1 % OCR look-alikes of
listed plates, 1 % fits of wildcard entries and the rest random plates. The last line is JSON:
{"entries": N, "wildcards": N, "load_s": ..., "rss_mb": ..., "us_per_read": ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path

from alpr.domain.confusables import CONFUSABLE_CLASSES
from alpr.domain.hotlist import Category, ListVersion
from alpr.domain.matching import CompiledList, build_snapshot

LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
DIGITS = "0123456789"
STATES = ("CA", "CA", "CA", "CA", "NV", "OR", "AZ", "WA", "TX")
CATEGORIES = (Category.STOLEN_VEHICLE, Category.STOLEN_PLATE, Category.FELONY_VEHICLE, Category.WANTED_PERSON)


def plate(rng: random.Random) -> str:
    """A plate in one of the common US shapes (California's 1ABC234 most often)."""
    shape = rng.random()
    if shape < 0.6:
        return f"{rng.choice('123456789')}{''.join(rng.choices(LETTERS, k=3))}{''.join(rng.choices(DIGITS, k=3))}"
    if shape < 0.8:
        return "".join(rng.choices(LETTERS, k=3)) + "".join(rng.choices(DIGITS, k=4))
    return "".join(rng.choices(LETTERS + DIGITS, k=rng.randint(5, 8)))


def wildcard(rng: random.Random) -> str:
    """A partial plate as a witness gives it (4-6 known characters): unread characters, a prefix,
    a suffix, both ends, or only the middle."""
    full = plate(rng)
    while len(full) < 6:
        full = plate(rng)
    form = rng.random()
    if form < 0.35:  # one or two characters unread
        chars = list(full)
        for i in rng.sample(range(len(chars)), k=rng.choice((1, 1, 2))):
            chars[i] = "?"
        return "".join(chars)
    if form < 0.6:
        return full[: rng.randint(4, 5)] + "*"
    if form < 0.8:
        return "*" + full[-rng.randint(4, 5) :]
    if form < 0.97:
        return full[:2] + "*" + full[-3:]
    return "*" + full[1:5] + "*"


def entries(count: int, wildcards: int, seed: int, expires: datetime) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    plates = [plate(rng) for _ in range(count)]
    patterns = [wildcard(rng) for _ in range(wildcards)]
    return plates, patterns


def write_snapshot(path: Path, count: int, wildcards: int, seed: int) -> float:
    now = datetime.now(UTC)
    plates, patterns = entries(count, wildcards, seed, now)
    rng = random.Random(seed + 1)
    version = ListVersion(
        source="NCIC", version="bench", refreshed_at=now, imported_at=now, entries=count, wildcards=wildcards
    )

    entered, expires = now, now + timedelta(days=365)

    def generate() -> Iterator[dict[str, object]]:
        for i, text in enumerate(plates + patterns):
            # Mappings of HotlistEntry's fields, as a bulk import hands them over.
            yield {
                "entry_id": f"V{i:09d}",
                "plate": text,
                "state": rng.choice(STATES),
                "category": rng.choice(CATEGORIES),
                "nic": f"V{i:09d}",
                "ori": "CA0340000",
                "case_number": f"26-{i:06d}",
                "make": "HOND",
                "color": "BLK",
                "entered_at": entered - timedelta(days=rng.randint(1, 900)),
                "expires_at": expires,
            }

    started = time.perf_counter()
    path.write_bytes(build_snapshot(version, generate()))
    return time.perf_counter() - started


def look_alike(rng: random.Random, text: str) -> str:
    chars = list(text)
    for i, ch in enumerate(chars):
        for cls in CONFUSABLE_CLASSES:
            if ch in cls and len(cls) > 1:
                chars[i] = rng.choice(cls.replace(ch, ""))
                return "".join(chars)
    return text


def fit(rng: random.Random, pattern: str) -> str:
    out = []
    for ch in pattern:
        if ch == "?":
            out.append(rng.choice(LETTERS))
        elif ch == "*":
            out.append("".join(rng.choices(DIGITS, k=rng.randint(0, 2))))
        else:
            out.append(ch)
    return "".join(out)[:8]


def write_sample(path: Path, count: int, wildcards: int, reads: int, seed: int) -> None:
    """The reads to match, one `plate,state` a line (written by the parent, so the measuring
    process holds only the list and the reads)."""
    plates, patterns = entries(count, wildcards, seed, datetime.now(UTC))
    rng = random.Random(seed + 2)
    lines = []
    for _ in range(reads):
        roll = rng.random()
        if roll < 0.01:
            text = rng.choice(plates)
        elif roll < 0.02:
            text = look_alike(rng, rng.choice(plates))
        elif roll < 0.03:
            text = fit(rng, rng.choice(patterns))
        else:
            text = plate(rng)
        lines.append(f"{text},{rng.choice(('', 'CA', 'CA', 'NV'))}")
    path.write_text("\n".join(lines))


def _peak_rss_kb() -> int:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss it starts afresh at exec)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(path: Path, sample: Path) -> dict[str, float | int]:
    """Load the snapshot and match the sample's reads; runs in its own process on one core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    reads = [
        (text, state or None) for text, state in (line.split(",") for line in sample.read_text().splitlines())
    ]
    rss_before = _peak_rss_kb()
    # CPU time of this process: the machine may be shared, and a busy neighbour must not count.
    started, wall = time.process_time(), time.perf_counter()
    data = path.read_bytes()
    version = ListVersion.model_validate(CompiledList.header(data))
    compiled = CompiledList(version, data)
    del data
    load_s, load_wall = time.process_time() - started, time.perf_counter() - wall
    now = datetime.now(UTC).timestamp()
    hits = 0
    started, wall = time.process_time(), time.perf_counter()
    for text, state in reads:
        hits += len(compiled.match(text, state, now))
    elapsed, elapsed_wall = time.process_time() - started, time.perf_counter() - wall
    rss_kb = _peak_rss_kb()
    # A yardstick for this machine at this moment: one lookup as the wildcard index makes it.
    take, table, started = itemgetter(0, -2, -1), {"X": 1}, time.process_time()
    for text, _ in reads:
        table.get(take(text))
    probe_ns = (time.process_time() - started) / len(reads) * 1e9
    return {
        "entries": len(compiled.keys),
        "wildcards": len(compiled.patterns),
        "load_s": round(load_s, 3),
        "rss_mb": round(rss_kb / 1024, 1),
        "rss_before_load_mb": round(rss_before / 1024, 1),
        "us_per_read": round(elapsed / len(reads) * 1e6, 2),
        "load_wall_s": round(load_wall, 3),
        "us_per_read_wall": round(elapsed_wall / len(reads) * 1e6, 2),
        "probe_ns": round(probe_ns),
        "hits": hits,
        "reads": len(reads),
    }


def measure_refresh(path: Path, checks: int = 200) -> tuple[float, float]:
    """What recognize pays per batch to follow the lists, on moto in this process: (ms per check
    when nothing changed: one Query of the pointers; ms to load a changed version from S3)."""
    import boto3
    from moto import mock_aws

    from alpr.adapters.hotlist import DynamoHotlistStore
    from alpr.domain.matching import CurrentLists
    from alpr.names import HOTLIST_PK, HOTLIST_SK

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-west-2"
    )
    with mock_aws():
        dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
        dynamodb.create_table(
            TableName="hotlist",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": k, "AttributeType": "S"} for k in (HOTLIST_PK, HOTLIST_SK)
            ],
            KeySchema=[
                {"AttributeName": HOTLIST_PK, "KeyType": "HASH"},
                {"AttributeName": HOTLIST_SK, "KeyType": "RANGE"},
            ],
        )
        s3.create_bucket(Bucket="hotlist", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        store = DynamoHotlistStore("hotlist", "hotlist", lambda: dynamodb, lambda: s3)
        data = path.read_bytes()
        version = ListVersion.model_validate(CompiledList.header(data))
        new = version.model_copy(update={"snapshot_key": store.put_snapshot("NCIC", version.version, data)})
        del data
        store.flip(new, None)
        lists = CurrentLists(store)
        started = time.perf_counter()
        lists.refresh()
        load_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        for _ in range(checks):
            assert lists.refresh().loaded == ()
        return (time.perf_counter() - started) * 1000 / checks, load_ms


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--wildcards", type=int, default=10_000)
    parser.add_argument("--reads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=439)
    parser.add_argument("--measure", type=Path, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.snapshot"
        sample = Path(tmp) / "reads.csv"
        build_s = write_snapshot(path, args.entries, args.wildcards, args.seed)
        print(f"snapshot: {path.stat().st_size / 1e6:.1f} MB, compiled in {build_s:.1f} s (import time)")
        write_sample(sample, args.entries, args.wildcards, args.reads, args.seed)
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(path), str(sample)],
            check=True,
            capture_output=True,
            text=True,
        )
        check_ms, load_ms = measure_refresh(path)
    print(
        f"recognize's per-batch check on moto: {check_ms:.2f} ms when no list changed (one Query); "
        f"{load_ms:.0f} ms to fetch and load a changed version from S3"
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"{result['reads']} reads, {result['hits']} hits; rss {result['rss_before_load_mb']} MB before "
        f"loading (interpreter, alpr, the reads), {result['rss_mb']} MB after; wall clock (shared "
        f"machine): load {result['load_wall_s']} s, {result['us_per_read_wall']} µs per read; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; a bare index lookup (the "
        f"yardstick) took {result['probe_ns']} ns of CPU"
    )
    print(json.dumps({k: result[k] for k in ("entries", "wildcards", "load_s", "rss_mb", "us_per_read")}))


if __name__ == "__main__":
    main()
