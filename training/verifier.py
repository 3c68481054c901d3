"""Train the plate verifier (issue 17), the plate detector's second look, on CPU; export it to ONNX.

    .venv/bin/python training/verifier.py [--epochs 30] [--resume] [--threads 1]
    .venv/bin/python training/verifier.py --export [--threshold T]

The detector sees a photo downscaled to 512 px; the verifier sees a window around each of its boxes
cut from the photo's own pixels (alpr.recognition.plate_verifier). It learns from the boxes the
shipped detector finds, down to CANDIDATE_SCORE, in the same images the detector trained on: the
Open Images plate photographs' `train` split and the rendered scenes with and without a plate. A box
overlapping a plate by POSITIVE_IOU is a plate, one overlapping none by NEAR_IOU is not; each plate
also gives a box jittered as the detector's boxes are off. An auxiliary head regresses the plate's
box in the window; only the score is exported (on `valid` the regressed boxes matched 2 more of the
486 plates than the detector's own, docs/recognition.md step 38).
Every epoch writes training/work/verifier-last.pt and training/checkpoints/plate-verifier.pt (to
resume from on a fresh machine) and prints its figures on the `valid` split: recall and precision
at IoU >= 0.5 of the detector's boxes re-scored by the geometric mean of the two scores. `--export`
writes layers/models/plate-verifier (or `--out`). Never uses openalpr-us-dev nor the crops'
tune/test splits.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import pathlib
import random
import sys
import time

import cv2
import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "layers" / "alpr"))

import torch
import torch.nn.functional as F
from torch import nn

from alpr.recognition.plate_detector import DEFAULT_MODELS_DIR, PlateDetector, iou_matrix, match_pairs
from alpr.recognition.plate_verifier import NAME, combined, crop, window, windows
from training.detector import (
    N_PLATE_FREE,
    N_SCENES,
    Separable,
    colour,
    conv_bn,
    load_openimages,
    load_scenes,
    save,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORK = ROOT / "training" / "work"
CHECKPOINT = ROOT / "training" / "checkpoints" / f"{NAME}.pt"
MODEL_DIR = DEFAULT_MODELS_DIR / NAME
SEED = 20261205
HEIGHT, WIDTH = 48, 128  # the input: about a US plate's aspect with room on either side
CONTEXT = 2.0  # the window: twice the box where the box is the longer fit
CANDIDATE_SCORE = 0.1  # the engine's lowest support score when trained (step 38): every box it read
POSITIVE_IOU = 0.3
NEAR_IOU = 0.1  # between the two a box is only a target for the auxiliary box head
NEGATIVES_PER_PHOTO = 4  # of the detector's boxes away from the plates, each epoch (about 14 a photo)
NEGATIVES_PER_SCENE = 2
SHIFT = 0.25  # a plate's jittered box: centre moved up to this share of its size
STRETCH = (0.7, 1.5)  # and each side scaled in this range
BATCH = 64
BOX_WEIGHT = 5.0
VALID_THRESHOLDS = [round(0.05 * i, 2) for i in range(2, 17)]
cv2.setNumThreads(1)


class Verifier(nn.Module):
    """(N, 48, 128, 3) uint8 BGR in; (N, 5) out: the plate logit and the plate's box in the window
    (x0 y0 x1 y1 as shares of its width and height)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(3, 24, 3, 2),
            Separable(24, 32),
            Separable(32, 64, 2),
            Separable(64, 64),
            Separable(64, 96, 2),
            Separable(96, 96),
            Separable(96, 128, 2),
            Separable(128, 128),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128 * (HEIGHT // 16) * (WIDTH // 16), 128),
            nn.ReLU(inplace=True),
            nn.Linear(128, 5),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 3, 1, 2).flip(1).float()
        return self.head(self.body((x / 255.0 - 0.5) / 0.25))


class Exported(nn.Module):
    """The ONNX graph: the plate probability only."""

    def __init__(self, net: Verifier) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(x)[:, 0])


# ---- data ----------------------------------------------------------------------------------------


def candidates(
    detector: PlateDetector, images: dict[str, list[tuple[np.ndarray, np.ndarray]]]
) -> dict[str, list[np.ndarray]]:
    """The detector's boxes (n, 5) down to CANDIDATE_SCORE for every image, cached in training/work
    under the detector's version."""
    cache = WORK / f"verifier-candidates-{detector.version}.npz"
    if not cache.exists():
        arrays = {}
        for part, items in images.items():
            for i, (img, _) in enumerate(items):
                found = detector.detect(img, CANDIDATE_SCORE)
                arrays[f"{part}/{i}"] = np.array(
                    [[b.x, b.y, b.x + b.w, b.y + b.h, b.score] for b in found], np.float32
                ).reshape(-1, 5)
        WORK.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        cache.write_bytes(buf.getvalue())
    data = np.load(cache)
    return {part: [data[f"{part}/{i}"] for i in range(len(items))] for part, items in images.items()}


def jitter(plate: np.ndarray, rng: random.Random) -> np.ndarray:
    """A box near a plate, off as the detector's boxes are."""
    w, h = plate[2] - plate[0], plate[3] - plate[1]
    cx = (plate[0] + plate[2]) / 2 + rng.uniform(-SHIFT, SHIFT) * w
    cy = (plate[1] + plate[3]) / 2 + rng.uniform(-SHIFT, SHIFT) * h
    w *= math.exp(rng.uniform(*map(math.log, STRETCH)))
    h *= math.exp(rng.uniform(*map(math.log, STRETCH)))
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)


def views(
    img: np.ndarray, plates: np.ndarray, found: np.ndarray, rng: random.Random, negatives: int
) -> list[tuple[np.ndarray, int, np.ndarray | None]]:
    """(window, label: 1 plate, 0 not, -1 neither; the plate's box in the window or None) for a
    jittered box on each plate, every detector box near a plate and `negatives` of the others."""
    boxes = [jitter(p, rng) for p in plates]
    if len(found):
        nearest = iou_matrix(found, plates).max(axis=1) if len(plates) else np.zeros(len(found))
        boxes += [b[:4] for b, iou in zip(found, nearest, strict=True) if iou >= NEAR_IOU]
        away = [b[:4] for b, iou in zip(found, nearest, strict=True) if iou < NEAR_IOU]
        boxes += rng.sample(away, min(len(away), negatives))
    out = []
    for box in boxes:
        region = window(box, CONTEXT, HEIGHT, WIDTH)
        view = crop(img, region, HEIGHT, WIDTH)
        label, target = 0, None
        if len(plates):
            overlaps = iou_matrix(box[None], plates)[0]
            j = int(overlaps.argmax())
            if overlaps[j] >= NEAR_IOU:
                p, rw, rh = plates[j], region[2] - region[0], region[3] - region[1]
                target = np.array(
                    [
                        (p[0] - region[0]) / rw,
                        (p[1] - region[1]) / rh,
                        (p[2] - region[0]) / rw,
                        (p[3] - region[1]) / rh,
                    ],
                    np.float32,
                )
                label = 1 if overlaps[j] >= POSITIVE_IOU else -1
        if rng.random() < 0.5:
            view = view[:, ::-1].copy()
            if target is not None:
                target = np.array([1 - target[2], target[1], 1 - target[0], target[3]], np.float32)
        out.append((colour(view, rng), label, target))
    return out


# ---- validation ----------------------------------------------------------------------------------


def probabilities(net: Verifier, img: np.ndarray, found: np.ndarray) -> np.ndarray:
    if not len(found):
        return np.zeros(0, np.float32)
    x = windows(img, found, CONTEXT, HEIGHT, WIDTH)
    with torch.no_grad():
        return torch.sigmoid(net(torch.from_numpy(x))[:, 0]).numpy()


def at_threshold(
    valid: list[tuple[np.ndarray, np.ndarray]], scored: list[np.ndarray], threshold: float
) -> dict[str, float]:
    """Recall and precision at IoU >= 0.5 of the boxes (n, 5; best first) scoring `threshold` or more."""
    plates = sum(len(p) for _, p in valid)
    tp = kept = 0
    for (_, p), b in zip(valid, scored, strict=True):
        b = b[b[:, 4] >= threshold]
        tp += len(match_pairs(b, p))
        kept += len(b)
    return {"recall": round(tp / max(plates, 1), 4), "precision": round(tp / max(kept, 1), 4)}


def validate(
    net: Verifier, valid: list[tuple[np.ndarray, np.ndarray]], found: list[np.ndarray]
) -> dict[str, dict[str, float]]:
    """Recall and precision on `valid` of the detector's boxes re-scored as the engine re-scores
    them, at each threshold of the combined score."""
    net.eval()
    rescored = [
        combined(boxes, probabilities(net, img, boxes)) for (img, _), boxes in zip(valid, found, strict=True)
    ]
    net.train()
    return {str(t): at_threshold(valid, rescored, t) for t in VALID_THRESHOLDS}


def choose_threshold(curve: dict[str, dict[str, float]], precision: float) -> float:
    """The lowest threshold at least as precise as `precision` (the detector's alone at its own
    threshold): the verifier is to find more plates, not to box more that are not."""
    ok = [float(t) for t, v in curve.items() if v["precision"] >= precision]
    return min(ok) if ok else max(float(t) for t in curve)


# ---- export --------------------------------------------------------------------------------------


def export(
    net: Verifier,
    state: dict,
    curve: dict,
    threshold: float,
    detector: PlateDetector,
    alone: dict[str, float],
    out: pathlib.Path,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    net.eval()
    path = out / "model.onnx"
    torch.onnx.export(
        Exported(net),
        (torch.zeros(2, HEIGHT, WIDTH, 3, dtype=torch.uint8),),
        str(path),
        input_names=["windows"],
        output_names=["plate_probability"],
        dynamic_axes={"windows": {0: "n"}, "plate_probability": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    at = curve[str(threshold)]
    manifest = {
        "name": NAME,
        "kind": "classifier",
        "role": "verifier",
        "version": f"{NAME}-{digest[:8]}",
        "file": "model.onnx",
        "sha256": digest,
        "source": "trained by this project from scratch: training/verifier.py (make train-verifier)",
        "licence": "Apache-2.0 (the weights; see training_data for the data's terms and attribution)",
        "input": {
            "height": HEIGHT,
            "width": WIDTH,
            "context": CONTEXT,
            "window": "centred on the detector's box, context x its size where the box is the longer fit, "
            "at the input's aspect; cut from the photo's own pixels, grey (114) outside it",
            "tensor": "uint8 (n, height, width, 3), BGR as OpenCV decodes",
            "normalisation": "inside the graph: RGB, (value / 255 - 0.5) / 0.25",
        },
        "output": {"name": "plate_probability", "shape": "(n,)"},
        "detector": state["detector"],  # the detector whose boxes it learned
        "candidate_score": CANDIDATE_SCORE,
        "combined_score": "sqrt(detector score x verifier probability)",
        "score_threshold": threshold,
        "validation": {
            "data": "openimages-plate-boxes valid split, the detector's boxes re-scored, IoU >= 0.5",
            "epoch": state["epoch"],
            "recall_iou50": at["recall"],
            "precision_iou50": at["precision"],
            "detector_alone": {
                "threshold": detector.threshold,
                "recall_iou50": alone["recall"],
                "precision_iou50": alone["precision"],
            },
        },
        "training_data": {
            "openimages-plate-boxes": "train split (as the detector; CC BY 4.0, attribution in the "
            "plate-detector manifest): the detector's boxes and a jittered box on each plate",
            "rendered-scenes": f"the detector's {N_SCENES} scenes with a plate (half a real plate of the "
            "crops' training split: openalpr/benchmarks seg_and_ocr, AGPL-3.0) and its "
            f"{N_PLATE_FREE} without",
            "validation_only": "openimages-plate-boxes valid split",
            "never_used": "openalpr-us-dev and the crops' tune and test splits",
        },
        "training": {
            **{k: state[k] for k in ("epochs", "seed", "threads")},
            "seconds": round(state["seconds"]),
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


# ---- training ------------------------------------------------------------------------------------


def lr_at(epoch: float, epochs: int, base: float = 2e-3) -> float:
    """Cosine from base to 5 % of it (a function of the epoch alone, so a resumed run follows it)."""
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, epoch / epochs))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--epochs", type=int, default=30, help="a new run's length (a resumed run keeps its own)"
    )
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--export",
        action="store_true",
        help="export the latest checkpoint (training/work, else the committed one)",
    )
    parser.add_argument("--out", type=pathlib.Path, default=MODEL_DIR, help="with --export: the folder")
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="with --export: the combined score to ship (default: the lowest as precise on valid as the detector)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    detector = PlateDetector.load(threads=1, verified=False)
    last = WORK / "verifier-last.pt"
    state = {
        "epoch": 0,
        "epochs": args.epochs,
        "seed": args.seed,
        "threads": args.threads,
        "seconds": 0.0,
        "detector": detector.version,
        "history": [],
    }
    net = Verifier()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    source = last if last.exists() else CHECKPOINT if CHECKPOINT.exists() else None
    ck = torch.load(source, map_location="cpu", weights_only=False) if source is not None else None
    if ck is not None and ck["state"]["detector"] != detector.version and not args.export:
        print(f"{source} learned another detector's boxes ({ck['state']['detector']}): a new run", flush=True)
        ck = None
    if (args.resume or args.export) and ck is not None:
        state = ck["state"]
        net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ck["model"].items()})
        opt.load_state_dict(ck["optimizer"])
        print(f"resumed from {source} at epoch {state['epoch']}", flush=True)
    elif args.export:
        parser.error("nothing to export: train first (make train-verifier)")

    if not args.export and state["epoch"] >= state["epochs"]:
        print(f"trained: {state['epoch']} of {state['epochs']} epochs (--export ships it)", flush=True)
        return 0
    valid = load_openimages("valid")
    images = {
        "train": load_openimages("train"),
        "scenes": load_scenes(),
        "free": load_scenes(plate_free=True),
    }
    found = candidates(detector, {**images, "valid": valid})
    if args.export:
        curve = validate(net, valid, found["valid"])
        alone = at_threshold(valid, found["valid"], detector.threshold)
        threshold = choose_threshold(curve, alone["precision"]) if args.threshold is None else args.threshold
        export(net, state, curve, threshold, detector, alone, args.out)
        print(json.dumps({"threshold": threshold, **curve[str(threshold)]}), flush=True)
        return 0

    items = [
        (img, plates, boxes, NEGATIVES_PER_PHOTO if part == "train" else NEGATIVES_PER_SCENE)
        for part in images
        for (img, plates), boxes in zip(images[part], found[part], strict=True)
    ]
    while state["epoch"] < state["epochs"]:
        epoch, start = state["epoch"], time.time()
        rng = random.Random(args.seed * 1000 + epoch)
        torch.manual_seed(args.seed * 1000 + epoch)
        data = [v for img, plates, boxes, n in items for v in views(img, plates, boxes, rng, n)]
        rng.shuffle(data)
        steps = len(data) // BATCH
        sums = np.zeros(2)
        for step in range(steps):
            for group in opt.param_groups:
                group["lr"] = lr_at(epoch + step / steps, state["epochs"])
            batch = data[step * BATCH : (step + 1) * BATCH]
            y = net(torch.from_numpy(np.stack([v for v, _, _ in batch])))
            labels = torch.tensor([label for _, label, _ in batch], dtype=torch.float32)
            known = labels >= 0
            plate_loss = F.binary_cross_entropy_with_logits(y[known, 0], labels[known])
            has_box = torch.tensor([t is not None for _, _, t in batch])
            box_loss = y.new_zeros(())
            if has_box.any():
                box_loss = F.smooth_l1_loss(
                    y[has_box, 1:],
                    torch.from_numpy(np.stack([t for _, _, t in batch if t is not None])),
                    beta=0.02,
                )
            opt.zero_grad()
            (plate_loss + BOX_WEIGHT * box_loss).backward()
            opt.step()
            sums += [plate_loss.item(), box_loss.item()]
        curve = validate(net, valid, found["valid"])
        state["epoch"] += 1
        state["seconds"] += time.time() - start
        state["history"].append(
            {"epoch": state["epoch"], "loss": (sums / max(steps, 1)).round(4).tolist(), "valid": curve}
        )
        save(last, net, opt, state)
        save(CHECKPOINT, net, opt, state, half=True)
        print(
            f"epoch {state['epoch']}: {len(data)} views, loss {sums[0] / steps:.4f} + {sums[1] / steps:.4f}, "
            f"valid at 0.4 {curve['0.4']}, at 0.5 {curve['0.5']} ({time.time() - start:.0f} s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
