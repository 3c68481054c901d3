"""Recognition accuracy and latency over a folder with ground_truth.csv, on one CPU core.

Usage: .venv/bin/python bench/eval.py [DATA] [--out DIR] [--threads N] [--limit N]

DATA holds images/ and ground_truth.csv in the end-to-end format (image,x,y,w,h,plate) or the
crops format (image,state,plate). Writes DIR/<dataset>.csv with one row per image and prints, as
its last line, one JSON object: images, exact, within_one, no_plate, state, wrong_unflagged (the share
of images read wrongly without the low-confidence flag that asks a person to check), hotlist_match
(the share read so that a hotlist entry of the true plate would alert: exactly or OCR-equivalently,
O for 0 or I for 1, as hotlist matching folds them), median_ms, p95_ms, load_s,
and for end-to-end folders read with the plate detector, per stage: `detector` (version; recall at
IoU 0.5 of the boxes the engine uses; exact where they held the plate and where they did not).
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

# One core, as the targets are stated; set before numpy, OpenCV or ONNX Runtime start threads
# (they are imported inside main()).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

REPO = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "bench" / "openalpr-us-dev"


def rate(hits: list[bool]) -> float | None:
    """The share of True, or None for no cases."""
    return round(sum(hits) / len(hits), 4) if hits else None


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def evaluate(argv: list[str] | None = None) -> dict[str, object]:
    """The run `main` prints: its summary (per-image rows and CPU times go to files and stderr)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--out", default="eval-out")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--models", default=None, help="models directory (default: layers/models)")
    parser.add_argument("--split", default=None, help="file listing the image names to evaluate")
    parser.add_argument(
        "--support", type=float, default=None, help="the detector's support score (a department's setting)"
    )
    args = parser.parse_args(argv)

    data = pathlib.Path(args.data)
    rows = list(csv.DictReader((data / "ground_truth.csv").open()))
    if args.split:
        wanted = set(pathlib.Path(args.split).read_text().split())
        rows = [r for r in rows if r["image"] in wanted]
    if args.limit:
        rows = rows[: args.limit]
    crops_format = "state" in rows[0] if rows else False

    start = time.perf_counter()
    import cv2
    import numpy as np

    from alpr.domain.confusables import are_equivalent
    from alpr.recognition import Engine, ImageRejected, decode_image, normalise_plate
    from alpr.recognition.engine import DETECTOR_TOP
    from alpr.recognition.plate_detector import DEFAULT_MODELS_DIR, NAME, PlateDetector, matches

    cv2.setNumThreads(args.threads)
    engine = Engine.load(
        pathlib.Path(args.models) if args.models else None,
        threads=args.threads,
        support_score=args.support,
    )
    load_s = time.perf_counter() - start
    # Per stage, so a regression shows where it is: did the detector's boxes the engine uses hold
    # the plate (IoU >= 0.5), and how often was the plate read where they did and where they did not.
    models_dir = pathlib.Path(args.models or DEFAULT_MODELS_DIR)
    detector = (
        PlateDetector.load(models_dir, args.threads)
        if not crops_format and (models_dir / NAME / "manifest.json").is_file()
        else None
    )
    found_exact: list[bool] = []
    missed_exact: list[bool] = []

    out_dir = pathlib.Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    out_csv = out_dir / f"{data.name}.csv"
    times: list[float] = []
    # CPU time per image as well: on a shared machine the wall clock also counts other people's work.
    cpu_times: list[float] = []
    exact = within_one = no_plate = state_ok = wrong_unflagged = hotlist = 0
    with out_csv.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "image",
                "truth",
                "predicted",
                "exact",
                "within_one",
                "confidence",
                "low_confidence",
                "state_truth",
                "state_predicted",
                "ms",
                "cpu_ms",
                "candidates",
                "hotlist",
            ]
        )
        for row in rows:
            truth = normalise_plate(row["plate"])
            raw = (data / "images" / row["image"]).read_bytes()
            t0 = time.perf_counter()
            c0 = time.process_time()
            try:
                readings = engine.read(decode_image(raw))
            except ImageRejected:
                readings = []
            ms = (time.perf_counter() - t0) * 1000
            cpu_times.append((time.process_time() - c0) * 1000)
            times.append(ms)
            best = readings[0] if readings else None
            predicted = best.text if best else ""
            is_exact = predicted == truth
            near = best is not None and edit_distance(predicted, truth) <= 1
            alerts = best is not None and are_equivalent(predicted, truth)
            exact += is_exact
            hotlist += alerts
            within_one += near
            no_plate += best is None
            wrong_unflagged += best is not None and not is_exact and not best.low_confidence
            state_truth = row.get("state", "").upper()
            state_pred = (best.state or "") if best else ""
            state_ok += bool(state_truth) and state_pred == state_truth
            if detector is not None and row.get("x"):  # a photo with no plate has no box to find
                x, y, w, h = (float(row[k]) for k in "xywh")
                boxes = detector.detect(decode_image(raw))[:DETECTOR_TOP]
                pred = np.array([[b.x, b.y, b.x + b.w, b.y + b.h] for b in boxes], np.float32).reshape(-1, 4)
                found = matches(pred, np.array([[x, y, x + w, y + h]], np.float32)) > 0
                (found_exact if found else missed_exact).append(is_exact)
            writer.writerow(
                [
                    row["image"],
                    truth,
                    predicted,
                    int(is_exact),
                    int(near),
                    f"{best.confidence:.4f}" if best else "",
                    int(best.low_confidence) if best else "",
                    state_truth,
                    state_pred,
                    f"{ms:.1f}",
                    f"{cpu_times[-1]:.1f}",
                    " ".join(f"{t}:{c:.3f}" for t, c in best.candidates) if best else "",
                    int(alerts),
                ]
            )
    n = len(rows)
    times_sorted = sorted(times)
    summary: dict[str, object] = {
        "images": n,
        "exact": round(exact / n, 4) if n else 0.0,
        "within_one": round(within_one / n, 4) if n else 0.0,
        "no_plate": round(no_plate / n, 4) if n else 0.0,
        "state": round(state_ok / n, 4) if (n and crops_format) else None,
        "wrong_unflagged": round(wrong_unflagged / n, 4) if n else 0.0,
        "hotlist_match": round(hotlist / n, 4) if n else 0.0,
        "median_ms": round(statistics.median(times), 1) if times else 0.0,
        "p95_ms": round(times_sorted[min(n - 1, int(0.95 * n))], 1) if times else 0.0,
        "load_s": round(load_s, 3),
    }
    if detector is not None:
        summary["detector"] = {
            "version": detector.version,
            "recall_iou50": rate([True] * len(found_exact) + [False] * len(missed_exact)),
            "exact_where_found": rate(found_exact),
            "exact_where_missed": rate(missed_exact),
        }
    print(f"per-image results: {out_csv}", file=sys.stderr)
    if cpu_times:
        cpu_sorted = sorted(cpu_times)
        print(
            f"cpu ms per image: median {statistics.median(cpu_times):.1f}, "
            f"p95 {cpu_sorted[min(n - 1, int(0.95 * n))]:.1f}",
            file=sys.stderr,
        )
    return summary


def main(argv: list[str] | None = None) -> int:
    print(json.dumps(evaluate(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
