"""Plate detector recall, precision (IoU >= 0.5) and latency over a folder, on one CPU core.

Usage: .venv/bin/python bench/eval_detector.py DATA [--split valid] [--models DIR] [--threshold T]
       [--no-verifier]

DATA holds images/ and either boxes.csv (image,split,x,y,w,h: one row per plate, several per image;
only the `--split` rows, `valid` by default, when there is a split column) or ground_truth.csv
(image,x,y,w,h,plate: one plate per image). A detection counts when it overlaps an unmatched plate
by IoU >= 0.5 (greedily, best score first). The time is the detector's whole `detect` call
(letterbox, inference, decoding, NMS, and the verifier's second look when it is installed) per
image, down to the engine's support score, as the engine calls it; `--no-verifier` measures the
detector's own boxes and scores (the stage before). Last line: one JSON object with images, boxes,
recall_iou50, precision_iou50, median_ms, recall_by_width (plate width in the photo's pixels) and
misses: each plate not found, by the box that came nearest (IoU >= 0.1): `loose_box` (a box at the
threshold, in the wrong place or of the wrong size), `unsure_box` (only boxes under the threshold,
which the engine reads but flags), `no_box`.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import pathlib
import statistics
import sys
import time
from collections import defaultdict
from typing import Any

# One core, as the targets are stated; set before numpy, OpenCV or ONNX Runtime start threads.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

REPO = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "bench" / "openimages-plate-boxes"


def read_boxes(data: pathlib.Path, split: str) -> dict[str, list[tuple[float, float, float, float]]]:
    """Ground-truth boxes (x0, y0, x1, y1) per image name."""
    out: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    path = data / "boxes.csv"
    if not path.exists():
        path = data / "ground_truth.csv"
    for row in csv.DictReader(path.open()):
        if "split" in row and row["split"] != split:
            continue
        x, y, w, h = (float(row[k]) for k in "xywh")
        out[row["image"]].append((x, y, x + w, y + h))
    return out


NEAR_IOU = 0.1  # a box overlapping a plate this much was meant for it
# Plate width in the photo's pixels, below each bound; under 32 px a plate is seldom readable.
WIDTH_BUCKETS = {"0-32": 32.0, "32-64": 64.0, "64-128": 128.0, "128+": math.inf}


def plate_outcomes(found: Any, truth: Any, threshold: float, iou: float = 0.5) -> list[str]:
    """For each true box (m, 4: x0 y0 x1 y1): `found` when a box (n, 5: x0 y0 x1 y1 score, best
    first) at `threshold` or above matches it as recall counts; else `loose_box` when such a box
    overlaps it by NEAR_IOU, `unsure_box` when only a box under the threshold does, `no_box`."""
    from alpr.recognition.plate_detector import iou_matrix, match_pairs

    is_sure = found[:, 4] >= threshold
    matched = {j for _, j in match_pairs(found[is_sure], truth, iou)}
    overlaps = iou_matrix(found, truth) if len(found) else None
    outcomes = []
    for j in range(len(truth)):
        if j in matched:
            outcomes.append("found")
        elif overlaps is None or overlaps[:, j].max() < NEAR_IOU:
            outcomes.append("no_box")
        elif (overlaps[is_sure, j] >= NEAR_IOU).any():
            outcomes.append("loose_box")
        else:
            outcomes.append("unsure_box")
    return outcomes


def width_bucket(box: tuple[float, float, float, float]) -> str:
    return next(name for name, below in WIDTH_BUCKETS.items() if box[2] - box[0] < below)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--split", default="valid", help="the boxes.csv split to evaluate")
    parser.add_argument("--models", default=None, help="models directory (default: layers/models)")
    parser.add_argument("--threshold", type=float, default=None, help="score threshold (default: manifest's)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument(
        "--no-verifier", action="store_true", help="the detector's own boxes and scores, without the verifier"
    )
    args = parser.parse_args(argv)

    import cv2
    import numpy as np

    sys.path.insert(0, str(REPO / "layers" / "alpr"))
    from alpr.recognition.engine import PLATE_SUPPORT_SCORE
    from alpr.recognition.plate_detector import DEFAULT_MODELS_DIR, PlateDetector

    cv2.setNumThreads(args.threads)
    data = pathlib.Path(args.data)
    truth = read_boxes(data, args.split)
    names = sorted(truth)[: args.limit] if args.limit else sorted(truth)
    detector = PlateDetector.load(
        pathlib.Path(args.models) if args.models else DEFAULT_MODELS_DIR,
        args.threads,
        verified=not args.no_verifier,
    )

    threshold = detector.threshold if args.threshold is None else args.threshold
    floor = min(PLATE_SUPPORT_SCORE, threshold)
    n_pred = 0
    outcomes: list[str] = []
    widths: list[str] = []
    times: list[float] = []
    # CPU time as well: on a shared machine the wall clock also counts other people's work.
    cpu_times: list[float] = []
    for name in names:
        image = cv2.imread(str(data / "images" / name), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"cannot read {name}")
        start, cpu = time.perf_counter(), time.process_time()
        found = detector.detect(image, floor)
        times.append((time.perf_counter() - start) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
        boxes = np.array([[b.x, b.y, b.x + b.w, b.y + b.h, b.score] for b in found], np.float32)
        boxes = boxes.reshape(-1, 5)
        n_pred += int((boxes[:, 4] >= threshold).sum())
        outcomes += plate_outcomes(boxes, np.array(truth[name], dtype=np.float32).reshape(-1, 4), threshold)
        widths += [width_bucket(box) for box in truth[name]]
    tp = outcomes.count("found")
    by_width = {}
    for bucket in WIDTH_BUCKETS:
        these = [o for o, w in zip(outcomes, widths, strict=True) if w == bucket]
        by_width[bucket] = {
            "boxes": len(these),
            "recall": round(these.count("found") / len(these), 4) if these else None,
        }
    result = {
        "images": len(names),
        "boxes": len(outcomes),
        "recall_iou50": round(tp / max(len(outcomes), 1), 4),
        "precision_iou50": round(tp / max(n_pred, 1), 4),
        "median_ms": round(statistics.median(times), 1) if times else 0.0,
        "p95_ms": round(float(np.percentile(times, 95)), 1) if times else 0.0,
        "median_cpu_ms": round(statistics.median(cpu_times), 1) if cpu_times else 0.0,
        "detector": detector.version,
        "threshold": threshold,
        "recall_by_width": by_width,
        "misses": {kind: outcomes.count(kind) for kind in ("loose_box", "unsure_box", "no_box")},
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
