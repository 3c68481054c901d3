"""Prototype (not the engine): what the learned plate detector would give the engine, on a folder in
the end-to-end format (image,x,y,w,h,plate), before the engine integration lands.

    .venv/bin/python training/detector_engine.py DIR [--top 3] [--context 1.0] [--limit N]

For each photo: the engine alone (`Engine.read` on the whole photo), and the detector leading it
(`Engine.read` on each of the detector's best `--top` boxes, cropped with `--context` x the box's
height around it, the most confident reading winning). Also the detector's recall (IoU >= 0.5) and
how often its crop with the manifest's margin holds the whole plate. Run it on development folders
(training/scenes.py with the crops' tuning split, openimages has no text); dev only as a check.
Last line: one JSON object.
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

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--context", type=float, default=1.0, help="crop margin for the engine, x box height")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "layers" / "alpr"))
    import cv2
    import numpy as np

    from alpr.recognition import Engine, normalise_plate
    from alpr.recognition.plate_detector import PlateDetector, crop_with_margin, iou_matrix, margin_box

    cv2.setNumThreads(1)
    engine = Engine.load(threads=1)
    detector = PlateDetector.load(threads=1)
    data = pathlib.Path(args.data)
    rows = list(csv.DictReader((data / "ground_truth.csv").open()))
    if args.limit:
        rows = rows[: args.limit]
    alone = led = found = held = either = 0
    t_alone: list[float] = []
    t_led: list[float] = []
    for row in rows:
        image = cv2.imread(str(data / "images" / row["image"]), cv2.IMREAD_COLOR)
        truth = normalise_plate(row["plate"])
        x, y, w, h = (float(row[k]) for k in "xywh")
        t0 = time.process_time()
        readings = engine.read(image)
        t_alone.append((time.process_time() - t0) * 1000)
        text_alone = readings[0].text if readings else ""
        t0 = time.process_time()
        boxes = detector.detect(image)[: args.top]
        best_text, best_conf = "", -1.0
        for box in boxes:
            for reading in engine.read(crop_with_margin(image, box, args.context))[:1]:
                if reading.confidence > best_conf:
                    best_text, best_conf = reading.text, reading.confidence
        t_led.append((time.process_time() - t0) * 1000)
        truth_box = np.array([[x, y, x + w, y + h]], np.float32)
        if boxes:
            pred = np.array([[b.x, b.y, b.x + b.w, b.y + b.h] for b in boxes], np.float32)
            hit = iou_matrix(pred, truth_box)[:, 0]
            found += bool(hit.max() >= 0.5)
            x0, y0, x1, y1 = margin_box(boxes[int(hit.argmax())], detector.margin, image.shape)
            held += hit.max() >= 0.5 and x0 <= x and y0 <= y and x1 >= x + w and y1 >= y + h
        alone += text_alone == truth
        led += best_text == truth
        either += truth in (text_alone, best_text)
    n = max(len(rows), 1)
    print(
        json.dumps(
            {
                "images": len(rows),
                "detector": detector.version,
                "detector_recall_iou50": round(found / n, 4),
                "crop_holds_plate": round(held / n, 4),
                "engine_exact": round(alone / n, 4),
                "detector_led_exact": round(led / n, 4),
                "either_exact": round(either / n, 4),
                "engine_median_cpu_ms": round(statistics.median(t_alone), 1),
                "detector_led_median_cpu_ms": round(statistics.median(t_led), 1),
                "top": args.top,
                "context": args.context,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
