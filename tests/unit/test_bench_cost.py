"""bench/cost.py's arithmetic: known counts priced into known dollars, and DynamoDB's size rules."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
GB = 1024**3


def bench_module(name: str) -> ModuleType:
    """bench/<name>.py (a script folder, not a package), as the script itself imports it."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


cost = bench_module("cost")
metering = bench_module("metering")


def counts(**changes: object) -> object:
    """One second of a 1 GB function per image, ten images an invocation, a GB stored or logged
    per million of everything, no searches."""
    base: dict[str, object] = dict(
        lambda_ms=1000.0,
        lambda_memory_mb=1024,
        images_per_invocation=10.0,
        calls={"s3:GetObject": 1.0, "s3:PutObject": 1.0, "sns:Publish": 0.001},
        dynamodb_wru=10.0,
        dynamodb_rru=2.0,
        dynamodb_bytes=GB / 1e6,
        s3_bytes=GB / 1e6,
        log_bytes=GB / 1e6,
        retention_months=12.0,
        searches_per_million=0.0,
        search_ms=0.0,
        search_calls={},
        search_wru=0.0,
        search_rru=0.0,
    )
    return cost.Counts(**(base | changes))


def test_known_counts_price_into_known_dollars() -> None:
    breakdown = cost.price(counts())
    assert breakdown == pytest.approx(
        {
            "lambda_compute": 1e6 * 0.0000166667,  # a million GB-s
            "lambda_requests": 1e5 * 0.20 / 1e6,  # a hundred thousand invocations
            "dynamodb_writes": 10e6 * 0.625 / 1e6,
            "dynamodb_reads": 2e6 * 0.125 / 1e6,
            "dynamodb_storage": 12 * 0.25,  # a GB for twelve months
            "s3_storage": 12 * 0.023,
            "s3_requests": 1e3 * 0.005 + 1e3 * 0.0004,  # a million PUTs, a million GETs
            "sqs": (1e6 + 2 * 1e5) * 0.40 / 1e6,  # a notification per image, receive + delete per batch
            "sns": 1e3 * 0.50 / 1e6,
            "cloudwatch_logs": 0.50 + 12 * 0.03,
            "kms": 0.0,
            "api_gateway": 0.0,
            "xray": 1e5 * 5.00 / 1e6,
        }
    )
    summary = cost.summary(counts())
    total = sum(breakdown.values())
    assert summary["usd_per_million_reads"] == round(total, 2) == 33.70
    assert summary["usd_per_camera_year"] == round(total * 2000 * 365 / 1e6, 2)


def test_searches_add_api_requests_function_time_and_their_calls() -> None:
    without = cost.price(counts())
    with_searches = cost.price(
        counts(
            searches_per_million=1000.0,
            search_ms=100.0,
            search_calls={"dynamodb:Query": 1.0, "s3:PutObject": 1.0},
            search_rru=2.0,
        )
    )
    assert with_searches["api_gateway"] == pytest.approx(1000 * 3.50 / 1e6)
    # 512 MB for 0.1 s, a thousand times: 50 GB-s
    assert with_searches["lambda_compute"] - without["lambda_compute"] == pytest.approx(50 * 0.0000166667)
    assert with_searches["dynamodb_reads"] - without["dynamodb_reads"] == pytest.approx(2000 * 0.125 / 1e6)
    assert with_searches["s3_requests"] - without["s3_requests"] == pytest.approx(1000 * 0.005 / 1000)


@pytest.mark.parametrize(
    ("item", "size"),
    [
        ({"plate": {"S": "7ABC123"}}, 5 + 7),
        ({"n": {"N": "12345"}}, 1 + 4),  # five digits: ceil(5 / 2) + 1
        ({"ok": {"BOOL": True}, "x": {"NULL": True}}, 2 + 1 + 1 + 1),
        ({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}, 1 + 3 + (1 + 2) + (1 + 2)),
        ({"m": {"M": {"k": {"S": "v"}}}}, 1 + 3 + 1 + 1 + 1),
        ({"s": {"SS": ["AB", "CDE"]}}, 1 + 5),
    ],
)
def test_item_sizes_follow_dynamodbs_rules(item: dict, size: int) -> None:
    assert metering.item_size(item) == size


def test_units_round_up_per_kb_written_and_4_kb_read() -> None:
    assert [metering.write_units(n) for n in (0, 1024, 1025)] == [1, 1, 2]
    assert metering.read_units(4097, consistent=True) == 2.0
    assert metering.read_units(10, consistent=False) == 0.5
