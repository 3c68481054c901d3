"""bench/support_bands.py: the plates read and the other readings at each support score."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.test_bench_cost import bench_module
from tests.unit.test_eval_detector import two_rendered_scenes

support_bands = bench_module("support_bands")

PLATE = (100.0, 100.0, 100.0, 50.0)


def test_a_reading_counts_where_its_box_scores_the_support_score() -> None:
    on_the_plate = ((110.0, 105.0, 80.0, 40.0), 0.45)
    on_a_sign = ((400.0, 50.0, 120.0, 40.0), 0.2)
    assert support_bands.counts([on_the_plate, on_a_sign], [PLATE], [0.1, 0.3, 0.5]) == {
        0.1: (1, 1),
        0.3: (1, 0),
        0.5: (0, 0),
    }


def test_two_readings_on_one_plate_read_it_once() -> None:
    readings = [((110.0, 105.0, 80.0, 40.0), 0.6), ((95.0, 100.0, 110.0, 50.0), 0.3)]
    assert support_bands.counts(readings, [PLATE], [0.1]) == {0.1: (1, 0)}


@pytest.mark.parametrize(
    ("reading", "on"),
    [
        ((120.0, 110.0, 60.0, 30.0), True),  # inside
        ((20.0, 100.0, 150.0, 50.0), True),  # centre outside, but overlapping it by IoU 0.39
        ((150.0, 100.0, 200.0, 50.0), False),  # half on it: centre outside, IoU 0.2
        ((300.0, 100.0, 100.0, 50.0), False),  # beside it
    ],
)
def test_a_reading_is_on_a_plate_by_its_centre_or_its_overlap(
    reading: tuple[float, float, float, float], on: bool
) -> None:
    assert support_bands.on_plate(reading, PLATE) is on


def test_one_line_per_score_then_the_totals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    two_rendered_scenes(tmp_path)
    assert support_bands.main([str(tmp_path), "--scores", "0.5,0.1"]) == 0
    low, high, totals = (json.loads(line) for line in capsys.readouterr().out.strip().splitlines())
    assert (low["support_score"], high["support_score"]) == (0.1, 0.5)
    # both rendered plates are read on a box the detector is sure of, and nothing else is read
    assert low["plates_read"] == high["plates_read"] == 2
    assert low["other_readings"] == high["other_readings"] == 0
    assert totals["images"] == totals["plates"] == 2
