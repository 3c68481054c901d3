"""bench/eval_detector.py: where each plate the detector did not box at IoU 0.5 went."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.demo.synth import render_scene
from alpr.recognition import decode_image
from tests.unit.test_bench_cost import bench_module

eval_detector = bench_module("eval_detector")

PLATE = [100.0, 100.0, 200.0, 150.0]


def _found(*boxes: list[float]) -> np.ndarray:
    return np.array(boxes, np.float32).reshape(-1, 5)


@pytest.mark.parametrize(
    ("found", "outcome"),
    [
        (_found([102, 101, 201, 149, 0.9]), "found"),
        # sure of a box that covers a third of the plate: the detector's place or size is off
        (_found([100, 100, 134, 150, 0.9]), "loose_box"),
        # the right box, scored under the threshold: the engine reads it, flagged
        (_found([102, 101, 201, 149, 0.2]), "unsure_box"),
        (_found([400, 400, 500, 450, 0.9]), "no_box"),
        (_found(), "no_box"),
    ],
)
def test_each_plate_gets_one_outcome(found: np.ndarray, outcome: str) -> None:
    truth = np.array([PLATE], np.float32)
    assert eval_detector.plate_outcomes(found, truth, threshold=0.4) == [outcome]


def test_a_sure_box_overlapping_the_plate_loosely_outranks_an_unsure_one_elsewhere_on_it() -> None:
    truth = np.array([PLATE], np.float32)
    found = _found([100, 100, 134, 150, 0.9], [150, 100, 200, 150, 0.2])
    assert eval_detector.plate_outcomes(found, truth, threshold=0.4) == ["loose_box"]


def test_a_sure_box_counts_for_one_plate_only() -> None:
    twins = np.array([PLATE, [101.0, 100.0, 201.0, 150.0]], np.float32)
    found = _found([100, 100, 200, 150, 0.9])
    assert sorted(eval_detector.plate_outcomes(found, twins, threshold=0.4)) == ["found", "loose_box"]


def two_rendered_scenes(folder: Path) -> None:
    """images/ and ground_truth.csv in folder: two rendered street scenes, one plate each."""
    (folder / "images").mkdir()
    with (folder / "ground_truth.csv").open("w", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(["image", "x", "y", "w", "h", "plate"])
        for seed, plate in enumerate(["7ABC123", "5KLM902"]):
            data, (x, y, w, h) = render_scene(plate, "CA", seed=seed)
            cv2.imwrite(str(folder / "images" / f"{seed}.jpg"), decode_image(data))
            rows.writerow([f"{seed}.jpg", x, y, w, h, plate])


def test_the_json_line_splits_the_misses_and_the_recall_by_width(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two_rendered_scenes(tmp_path)
    assert eval_detector.main([str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["boxes"] == 2
    assert sum(result["misses"].values()) == 2 - round(result["recall_iou50"] * 2)
    assert set(result["misses"]) == {"loose_box", "unsure_box", "no_box"}
    by_width = result["recall_by_width"]
    assert list(by_width) == ["0-32", "32-64", "64-128", "128+"]
    assert sum(bucket["boxes"] for bucket in by_width.values()) == 2
    # two plates leave a width empty; it has no recall, not a recall of 0
    empty = [bucket["recall"] for bucket in by_width.values() if bucket["boxes"] == 0]
    assert empty and all(recall is None for recall in empty)
