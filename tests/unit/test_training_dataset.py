"""training/dataset.py: the plates of Open Images train photos read by eye, as training lines."""

from __future__ import annotations

import csv
import itertools

from alpr.recognition.plate_detector import PlateDetector
from tests.unit.test_bench_cost import bench_module
from training.dataset import (
    HEIGHT,
    OPEN_IMAGES,
    STREET_PLATE_TEXT,
    WIDTH,
    labelled_street_photos,
    street_lines,
)

dev_sets = bench_module("dev_sets")


def test_each_plate_read_by_eye_comes_with_its_train_photo_and_box_as_often_as_asked() -> None:
    labels = list(csv.DictReader(STREET_PLATE_TEXT.open()))
    photos = list(labelled_street_photos(2))
    assert len(photos) == 2 * len(labels)
    first, label = photos[len(labels)], labels[0]  # the second copy's first plate
    image, text, box = first
    assert text == label["plate"]
    assert box == dev_sets._box(label)
    x, y, w, h = box
    assert x >= 0 and x + w <= image.shape[1] and y >= 0 and y + h <= image.shape[0]
    # Only photos of the detector's train split, each at one of its boxed plates
    train_boxes = {
        (row["image"], dev_sets._box(row))
        for row in csv.DictReader((OPEN_IMAGES / "boxes.csv").open())
        if row["split"] == "train"
    }
    assert all((row["image"], dev_sets._box(row)) in train_boxes for row in labels)
    # No plate of the street-photos development set (Open Images valid) is trained on
    valid_plates = {row["plate"] for row in csv.DictReader(dev_sets.PLATE_TEXT.open())}
    assert not valid_plates & {row["plate"] for row in labels}


def test_a_street_plate_read_by_eye_becomes_a_line_cut_as_the_engine_cuts_it() -> None:
    photos = list(itertools.islice(labelled_street_photos(1), 6))
    lines = list(street_lines(photos, 1, True, PlateDetector.load(threads=1)))
    assert lines
    assert {line.label for line in lines} <= {text for _, text, _ in photos}
    assert all(line.image.shape == (1, HEIGHT, WIDTH) for line in lines)
