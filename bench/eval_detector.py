"""Plate detector recall, precision (IoU >= 0.5) and latency over a folder, on one CPU core.

Usage: .venv/bin/python bench/eval_detector.py DATA [--split valid] [--models DIR] [--threshold T]

DATA holds images/ and either boxes.csv (image,split,x,y,w,h: one row per plate, several per image;
only the `--split` rows, `valid` by default, when there is a split column) or ground_truth.csv
(image,x,y,w,h,plate: one plate per image). A detection counts when it overlaps an unmatched plate
by IoU >= 0.5 (greedily, best score first). The time is the detector's whole `detect` call
(letterbox, inference, decoding, NMS) per image. Last line: one JSON object with images, boxes,
recall_iou50, precision_iou50, median_ms.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import statistics
import sys
import time
from collections import defaultdict

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--split", default="valid", help="the boxes.csv split to evaluate")
    parser.add_argument("--models", default=None, help="models directory (default: layers/models)")
    parser.add_argument("--threshold", type=float, default=None, help="score threshold (default: manifest's)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args(argv)

    import cv2
    import numpy as np

    sys.path.insert(0, str(REPO / "layers" / "alpr"))
    from alpr.recognition.plate_detector import DEFAULT_MODELS_DIR, PlateDetector, matches

    cv2.setNumThreads(args.threads)
    data = pathlib.Path(args.data)
    truth = read_boxes(data, args.split)
    names = sorted(truth)[: args.limit] if args.limit else sorted(truth)
    detector = PlateDetector.load(
        pathlib.Path(args.models) if args.models else DEFAULT_MODELS_DIR, args.threads
    )

    n_boxes = n_pred = tp = 0
    times: list[float] = []
    # CPU time as well: on a shared machine the wall clock also counts other people's work.
    cpu_times: list[float] = []
    for name in names:
        image = cv2.imread(str(data / "images" / name), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"cannot read {name}")
        start, cpu = time.perf_counter(), time.process_time()
        found = detector.detect(image, args.threshold)
        times.append((time.perf_counter() - start) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
        gt = np.array(truth[name], dtype=np.float32)
        n_boxes += len(gt)
        n_pred += len(found)
        pred = np.array([[b.x, b.y, b.x + b.w, b.y + b.h] for b in found], dtype=np.float32).reshape(-1, 4)
        tp += matches(pred, gt)
    result = {
        "images": len(names),
        "boxes": n_boxes,
        "recall_iou50": round(tp / max(n_boxes, 1), 4),
        "precision_iou50": round(tp / max(n_pred, 1), 4),
        "median_ms": round(statistics.median(times), 1) if times else 0.0,
        "p95_ms": round(float(np.percentile(times, 95)), 1) if times else 0.0,
        "median_cpu_ms": round(statistics.median(cpu_times), 1) if cpu_times else 0.0,
        "detector": detector.version,
        "threshold": detector.threshold if args.threshold is None else args.threshold,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
