"""What the support score costs and saves: the engine's readings on photos with labelled plates, by
the score of the detector's box that supports each (docs/recognition.md, step 39).

Usage: .venv/bin/python bench/support_bands.py [DATA] [--split valid] [--models DIR] [--scores 0.1,0.2]

DATA is a folder as bench/eval_detector.py takes (images/ and boxes.csv or ground_truth.csv); by
default the Open Images `valid` split, a development set. The engine reads every photo once at the
lowest score, and each reading keeps the highest score of a detector box that supports it (the
engine's own rule, `on_a_plate`); at each score the readings it would not report are left out. A
reading is on a plate when its centre is inside a labelled box or it overlaps one by IoU 0.3. One
JSON line per score: `plates_read` (labelled plates with a reading on them) and `other_readings`
(readings on no labelled plate; flagged or not). A reading whose best box scores between two scores
is on a plate about as often as the differences between their lines say: the support score is set
where that stops being worth a person's look (`PLATE_SUPPORT_SCORE`, or a department's
`plate_support_score`).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
from collections.abc import Sequence

# One core, as bench/eval.py measures: set before numpy, OpenCV or ONNX Runtime start threads.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from alpr.recognition.detect import centre_in, iou  # noqa: E402  (after the thread settings)

REPO = pathlib.Path(__file__).resolve().parents[1]
SCORES = (0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5)
ON_PLATE_IOU = 0.3

Box = tuple[float, float, float, float]  # x, y, w, h in the photo's pixels


def on_plate(reading: Box, plate: Box) -> bool:
    """Whether a reading's box is on a labelled plate: its centre inside, or overlapping by IoU 0.3."""
    return centre_in(reading, plate) or iou(reading, plate) >= ON_PLATE_IOU


def counts(
    readings: Sequence[tuple[Box, float]], plates: Sequence[Box], scores: Sequence[float]
) -> dict[float, tuple[int, int]]:
    """For one photo, at each support score: (labelled plates with a kept reading on them, kept
    readings on no labelled plate). A reading is kept where its supporting box scores that much."""
    out = {}
    for score in scores:
        kept = [box for box, support in readings if support >= score]
        read = sum(any(on_plate(box, plate) for box in kept) for plate in plates)
        other = sum(not any(on_plate(box, plate) for plate in plates) for box in kept)
        out[score] = (read, other)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "data", nargs="?", default=str(REPO.parent / "shared" / "bench" / "openimages-plate-boxes")
    )
    parser.add_argument("--split", default="valid", help="the boxes.csv split to read")
    parser.add_argument("--models", default=None, help="models directory (default: layers/models)")
    parser.add_argument(
        "--scores", default=",".join(map(str, SCORES)), help="support scores, comma-separated"
    )
    args = parser.parse_args(argv)
    scores = sorted(float(s) for s in args.scores.split(","))

    import cv2

    sys.path.insert(0, str(REPO / "layers" / "alpr"))
    from eval_detector import read_boxes  # bench/eval_detector.py: on the path as this script's folder

    from alpr.recognition import Engine
    from alpr.recognition.engine import on_a_plate
    from alpr.recognition.plate_detector import DEFAULT_MODELS_DIR, NAME, PlateDetector

    cv2.setNumThreads(1)
    data = pathlib.Path(args.data)
    truth = read_boxes(data, args.split)
    models = pathlib.Path(args.models) if args.models else DEFAULT_MODELS_DIR
    if not (models / NAME / "manifest.json").is_file():
        raise SystemExit(f"no plate detector under {models}: nothing supports a reading")
    engine = Engine.load(models, threads=1, support_score=scores[0])
    # The engine's own detector, loaded again to give each reading its supporting box's score.
    detector = PlateDetector.load(models, threads=1)
    totals = {score: [0, 0] for score in scores}
    for name in sorted(truth):
        image = cv2.imread(str(data / "images" / name), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"cannot read {name}")
        boxes = detector.detect(image, scores[0])
        readings = [
            (reading.box, max((b.score for b in boxes if on_a_plate(reading.box, [b])), default=0.0))
            for reading in engine.read(image)
        ]
        plates = [(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in truth[name]]
        for score, (read, other) in counts(readings, plates, scores).items():
            totals[score][0] += read
            totals[score][1] += other
    n_plates = sum(len(boxes) for boxes in truth.values())
    for score in scores:
        line = {"support_score": score, "plates_read": totals[score][0], "other_readings": totals[score][1]}
        print(json.dumps(line))
    print(json.dumps({"images": len(truth), "plates": n_plates, "detector": detector.version}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
