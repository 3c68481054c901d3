"""bench/dev_sets.py: the development sets rendered once, read by bench/eval.py, judged by their own figures."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import cv2
import pytest

from alpr.domain.confusables import are_equivalent
from tests.unit.test_bench_cost import bench_module

dev_sets = bench_module("dev_sets")


def test_a_plate_free_set_is_judged_by_its_reads_and_one_with_plates_by_its_exact_reads() -> None:
    summary = {
        "images": 200,
        "exact": 0.56,
        "within_one": 0.0,
        "no_plate": 0.56,
        "wrong_unflagged": 0.035,
        "hotlist_match": 0.0,
        "median_ms": 54.7,
    }
    assert dev_sets.figures("plate-free-far", summary) == {
        "images": 200,
        "read": 0.44,
        "unflagged": 0.035,
        "median_ms": 54.7,
    }
    assert dev_sets.figures("far", summary) == {
        "images": 200,
        "exact": 0.56,
        "within_one": 0.0,
        "wrong_unflagged": 0.035,
        "hotlist_match": 0.0,
        "median_ms": 54.7,
    }


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[dict[str, Any]]:
    """dev_sets.main's printed lines, each a JSON object (one per set, then all of them)."""
    assert dev_sets.main(argv) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_the_sets_are_rendered_once_and_read_by_the_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work, out = tmp_path / "work", tmp_path / "out"
    argv = ["--sets", "far,plate-free-near", "--n", "2", "--work", str(work), "--out", str(out)]
    lines = _run(capsys, argv)
    # One line per set, then all of them
    assert [line["set"] for line in lines[:2]] == ["far", "plate-free-near"]
    results = lines[-1]
    assert set(results) == {"far", "plate-free-near"}
    assert results["far"]["images"] == results["plate-free-near"]["images"] == 2
    assert set(results["plate-free-near"]) == {"images", "read", "unflagged", "median_ms"}
    # The plate-free scenes carry no label; the far ones carry the tuning half's plates
    (far,) = work.glob("far-2-*")
    (free,) = work.glob("plate-free-near-2-*")
    assert all(row["plate"] == "" for row in csv.DictReader((free / "ground_truth.csv").open()))
    assert all(row["plate"] for row in csv.DictReader((far / "ground_truth.csv").open()))
    assert (out / "far" / f"{far.name}.csv").is_file()
    # A second run reads the scenes already rendered
    rendered = (far / "images" / "s000.jpg").stat().st_mtime_ns
    assert dev_sets.main(argv) == 0
    assert (far / "images" / "s000.jpg").stat().st_mtime_ns == rendered


def test_the_plate_free_photos_are_open_images_valid_photos_with_every_boxed_plate_painted_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work, out = tmp_path / "work", tmp_path / "out"
    argv = ["--sets", "plate-free-photos", "--photos", "2", "--work", str(work), "--out", str(out)]
    results = _run(capsys, argv)[-1]
    assert results["plate-free-photos"]["images"] == 2
    assert set(results["plate-free-photos"]) == {"images", "read", "unflagged", "median_ms"}
    (folder,) = work.glob("plate-free-photos-2-*")
    rows = list(csv.DictReader((folder / "ground_truth.csv").open()))
    assert [row["plate"] for row in rows] == ["", ""]
    # The first two photos of the valid split, each plate's box no longer what the photo shows there
    boxes = list(csv.DictReader((dev_sets.PHOTOS / "boxes.csv").open()))
    first = sorted({b["image"] for b in boxes if b["split"] == "valid"})[:2]
    assert [row["image"] for row in rows] == first
    for name in first:
        original = cv2.imread(str(dev_sets.PHOTOS / "images" / name))
        painted = cv2.imread(str(folder / "images" / name))
        assert painted.shape == original.shape
        for b in (b for b in boxes if b["image"] == name and b["split"] == "valid"):
            x, y, w, h = (int(float(b[k])) for k in "xywh")
            plate = (slice(y, y + h), slice(x, x + w))
            assert cv2.absdiff(original[plate], painted[plate]).mean() > 5
        # Away from its plates (a corner) the photo is unchanged but for JPEG
        assert cv2.absdiff(original[:20, :20], painted[:20, :20]).mean() < 5


def test_the_street_photos_are_the_plates_read_by_eye_each_the_only_plate_left_in_its_photo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work, out = tmp_path / "work", tmp_path / "out"
    argv = ["--sets", "street-photos", "--photos", "3", "--work", str(work), "--out", str(out)]
    results = _run(capsys, argv)[-1]["street-photos"]
    assert results["images"] == 3
    assert set(results) == {
        "images",
        "exact",
        "within_one",
        "wrong_unflagged",
        "hotlist_match",
        "median_ms",
        "north_american_exact",
    }
    # The first three labels (the second and third photos have other plates, painted out below):
    # north_american_exact counts the Canadian and the US plate, not the other
    labels = list(csv.DictReader(dev_sets.PLATE_TEXT.open()))[:3]
    assert [label["region"] for label in labels] == ["other", "ca", "us"]
    (folder,) = work.glob("street-photos-3-*")
    rows = list(csv.DictReader((folder / "ground_truth.csv").open()))
    assert [(row["image"], row["plate"]) for row in rows] == [(lb["image"], lb["plate"]) for lb in labels]
    per_image_csv = out / "street-photos" / f"{folder.name}.csv"
    per_image = {row["image"]: row["exact"] == "1" for row in csv.DictReader(per_image_csv.open())}
    assert results["north_american_exact"] == sum(per_image[lb["image"]] for lb in labels[1:]) / 2
    # A hotlist entry matches a reading equal to it or OCR-equivalent (O for 0, I for 1: domain/confusables.py)
    readings = list(csv.DictReader(per_image_csv.open()))
    matched = [row["predicted"] != "" and are_equivalent(row["predicted"], row["truth"]) for row in readings]
    assert [row["hotlist"] == "1" for row in readings] == matched
    assert results["hotlist_match"] == round(sum(matched) / 3, 4)
    boxes = dev_sets.valid_boxes()
    for label in labels:
        original = cv2.imread(str(dev_sets.PHOTOS / "images" / label["image"]))
        photo = cv2.imread(str(folder / "images" / label["image"]))
        x, y, w, h = dev_sets._box(label)
        # The plate to read is as it was (but for JPEG); every other plate of the photo is painted out
        assert cv2.absdiff(original[y : y + h, x : x + w], photo[y : y + h, x : x + w]).mean() < 5
        for ox, oy, ow, oh in (b for b in boxes[label["image"]] if b != (x, y, w, h)):
            other = (slice(oy, oy + oh), slice(ox, ox + ow))
            assert cv2.absdiff(original[other], photo[other]).mean() > 5


def test_a_run_against_an_earlier_one_counts_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    argv = ["--sets", "far", "--n", "2", "--work", str(work)]
    _run(capsys, [*argv, "--out", str(tmp_path / "before")])
    after = _run(capsys, [*argv, "--out", str(tmp_path / "after"), "--against", str(tmp_path / "before")])
    # The same engine on the same scenes: nothing gained, nothing lost
    far = after[-1]["far"]
    assert (far["gained"], far["lost"], far["sign_p"]) == (0, 0, 1.0)


def test_an_unknown_set_is_refused() -> None:
    with pytest.raises(SystemExit):
        dev_sets.main(["--sets", "dev"])


def _per_image(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A per-image CSV of bench/eval.py's columns that `changes` reads (image, truth, predicted, exact)."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["image", "truth", "predicted", "exact", "low_confidence"])
        for image, truth, predicted in rows:
            writer.writerow([image, truth, predicted, int(truth == predicted), 0])
    return path


def test_the_photos_gained_and_lost_against_an_earlier_run_are_named(tmp_path: Path) -> None:
    before = _per_image(
        tmp_path / "before.csv",
        [("s0.jpg", "7ABC123", "7ABC12"), ("s1.jpg", "JLS011", "JLS011"), ("s2.jpg", "W17K", "W107K")],
    )
    after = _per_image(
        tmp_path / "after.csv",
        [("s0.jpg", "7ABC123", "7ABC123"), ("s1.jpg", "JLS011", "LS011"), ("s2.jpg", "W17K", "W1OK")],
    )
    gained, lost = dev_sets.changes(before, after)
    # A reading that changed but is wrong both times is neither
    assert gained == ["s0.jpg 7ABC123: 7ABC12 -> 7ABC123"]
    assert lost == ["s1.jpg JLS011: JLS011 -> LS011"]


def test_a_trade_of_plates_is_given_its_chance_under_no_difference() -> None:
    # The exact two-sided sign test on the photos that changed: with n of them, each as likely to be
    # gained as lost when the change makes no difference.
    assert dev_sets.sign_p(0, 0) == 1.0
    assert dev_sets.sign_p(2, 0) == pytest.approx(0.5)
    assert dev_sets.sign_p(5, 1) == pytest.approx(2 * 7 / 64)
    assert dev_sets.sign_p(1, 5) == dev_sets.sign_p(5, 1)
    assert dev_sets.sign_p(6, 0) == pytest.approx(2 / 64)
    assert dev_sets.sign_p(3, 3) == 1.0


def test_a_run_against_one_that_read_other_scenes_is_refused_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The earlier run has no CSV of these scenes (the renderer changed since, or it read other sets)
    earlier = tmp_path / "earlier"
    (earlier / "far").mkdir(parents=True)
    argv = ["--sets", "far", "--n", "2", "--work", str(tmp_path / "work"), "--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit):
        dev_sets.main([*argv, "--against", str(earlier)])
    assert "far-2-" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
