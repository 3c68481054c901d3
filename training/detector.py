"""Train the learned plate detector (issue 17) from scratch on CPU, resumably; export it to ONNX.

    .venv/bin/python training/detector.py [--epochs 40] [--resume] [--threads 1] [--seed 20261203]

An anchor-free, CenterNet-style fully convolutional net (depthwise-separable backbone to stride 32,
a top-down path back to stride 4; heads: plate-centre heatmap, sub-cell offset, log box size). It
trains on random crops of the Open Images plate photographs' `train` split and of rendered scenes
(training/ranker.py's `scenes`, half with a real plate of the crops' TRAINING split pasted in), and
is validated at every epoch on the `valid` split, whole frames letterboxed as at run time. Every
epoch writes training/work/detector-last.pt and training/checkpoints/plate-detector.pt (the
checkpoint to resume from on a fresh machine); a better validation recall (at the chosen threshold)
exports the candidate to training/work/plate-detector/ (model.onnx, manifest.json). Training never
replaces the shipped model: `--export` does, after the engine has been measured with the candidate.
With `--hard-negatives` (a continued run) it also trains on plate-free rendered scenes, and each epoch
centres some views on what the net boxes in its training images that is not a plate.
Never uses openalpr-us-dev nor the crops' tune/test splits.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import os
import pathlib
import random
import sys
import time
from collections import defaultdict

import cv2
import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "layers" / "alpr"))

import torch
import torch.nn.functional as F
from torch import nn

from alpr.recognition.plate_detector import (
    PAD_VALUE,
    boxes_in_image,
    iou_matrix,
    letterbox,
    match_pairs,
    nms,
    to_tensor,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"
BOXES = BENCH / "openimages-plate-boxes"
WORK = ROOT / "training" / "work"
CHECKPOINT = ROOT / "training" / "checkpoints" / "plate-detector.pt"
MODEL_DIR = ROOT / "layers" / "models" / "plate-detector"  # shipped: only `--export` writes it
CANDIDATE_DIR = WORK / "plate-detector"  # the run's best epoch, for measuring the engine with it
SCENES_CACHE = WORK / "detector-scenes.npz"
PLATE_FREE_CACHE = WORK / "detector-plate-free-scenes.npz"
SEED = 20261203
SCENE_SEED = 20261204  # neither the ranker's (20261130) nor training/scenes.py's default (4242)
PLATE_FREE_SEED = 20261205  # nor the development sets' (bench/dev_sets.py renders with 4242)
N_SCENES = 800
N_PLATE_FREE = 400
# Hard negatives (`--hard-negatives`): each epoch the net is run over every image it trains on, and
# in HARD_SHARE of the views of an image a view is centred on one of the HARD_TOP boxes it scored
# highest (at least HARD_SCORE) away from the image's plates (a sign, a sticker, a number). A view
# is only where the loss looks: its targets are the labelled plates as always, so an Open Images
# plate that carries no box weighs as it did. The engine reads text wherever a box reaches its
# support score (PLATE_SUPPORT_SCORE, then 0.1), so that is where a box is a mistake.
HARD_SCORE = 0.1
HARD_TOP = 3  # an Open Images photo has about 14 boxes at 0.1 away from its plates, a scene 1.3
HARD_SHARE = 0.5
STRIDE = 4
INPUT_SIZE = 640  # longer side at run time: the Open Images photos' own size, 1280x720 photos halved
MULTIPLE = 32
CROP = 320  # training crops (the net is fully convolutional; smaller crops, more steps per hour)
MEAN, STD = 0.5, 0.25
NMS_IOU = 0.4
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 19)]
cv2.setNumThreads(1)


# ---- model -------------------------------------------------------------------------------------


def conv_bn(cin: int, cout: int, k: int = 3, s: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Separable(nn.Module):
    """Depthwise 3x3 then pointwise 1x1; residual when the shape is kept."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.dw = conv_bn(cin, cin, 3, stride, groups=cin)
        self.pw = conv_bn(cin, cout, 1, act=stride != 1 or cin != cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pw(self.dw(x))
        return F.relu(x + y) if self.residual else y


# Channels per stage (/2, /4, /8, /16, /32), of the top-down path, and of the head. "small" (95 k
# parameters) underfits: after 80 epochs its recall on its own training photos (0.53) was no better
# than on `valid` (0.61). "wide" (357 k) trains at about twice the time per batch on one thread.
ARCHS = {
    "small": ((16, 32, 64, 96, 128), 48, 32),
    "wide": ((32, 64, 128, 192, 256), 96, 64),
}


class Detector(nn.Module):
    """Output (N, 5, H/4, W/4): centre logit (sigmoid when exported), offset x, y, log w, log h."""

    def __init__(self, arch: str = "small") -> None:
        super().__init__()
        c, n, m = ARCHS[arch]
        self.stem = conv_bn(3, c[0], 3, 2)  # /2
        self.s4 = nn.Sequential(Separable(c[0], c[1], 2), Separable(c[1], c[1]))  # /4
        self.s8 = nn.Sequential(Separable(c[1], c[2], 2), Separable(c[2], c[2]))  # /8
        self.s16 = nn.Sequential(Separable(c[2], c[3], 2), Separable(c[3], c[3]), Separable(c[3], c[3]))
        self.s32 = nn.Sequential(Separable(c[3], c[4], 2), Separable(c[4], c[4]))
        self.l32 = conv_bn(c[4], n, 1)
        self.l16 = conv_bn(c[3], n, 1)
        self.l8 = conv_bn(c[2], n, 1)
        self.l4 = conv_bn(c[1], n, 1)
        self.m16 = Separable(n, n)
        self.m8 = Separable(n, n)
        self.m4 = Separable(n, m)
        self.head = nn.Sequential(Separable(m, m), nn.Conv2d(m, 5, 1))
        with torch.no_grad():
            self.head[-1].bias.zero_()
            self.head[-1].bias[0] = -2.19  # a 10 % prior on the centre map: stable focal loss start

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f4 = self.s4(self.stem(x))
        f8 = self.s8(f4)
        f16 = self.s16(f8)
        f32 = self.s32(f16)
        p = self.l32(f32)
        p = self.m16(self.l16(f16) + F.interpolate(p, scale_factor=2.0, mode="nearest"))
        p = self.m8(self.l8(f8) + F.interpolate(p, scale_factor=2.0, mode="nearest"))
        p = self.m4(self.l4(f4) + F.interpolate(p, scale_factor=2.0, mode="nearest"))
        return self.head(p)


class Exported(nn.Module):
    """The ONNX graph: the letterboxed BGR canvas as uint8 (1, H, W, 3) in, normalised inside (no
    float copy in Python), the centre map as a probability out."""

    def __init__(self, net: Detector) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 3, 1, 2).flip(1).float()
        y = self.net((x / 255.0 - MEAN) / STD)
        return torch.cat([torch.sigmoid(y[:, :1]), y[:, 1:]], dim=1)


# ---- data --------------------------------------------------------------------------------------


def load_openimages(split: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(image BGR, boxes (n, 4) x0 y0 x1 y1) for every photo of the split."""
    rows: dict[str, list[list[float]]] = defaultdict(list)
    for r in csv.DictReader((BOXES / "boxes.csv").open()):
        if r["split"] == split:
            x, y, w, h = (float(r[k]) for k in "xywh")
            rows[r["image"]].append([x, y, x + w, y + h])
    out = []
    for name in sorted(rows):
        img = cv2.imread(str(BOXES / "images" / name), cv2.IMREAD_COLOR)
        if img is not None:
            out.append((img, np.array(rows[name], dtype=np.float32)))
    return out


def load_scenes(plate_free: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rendered scenes, longer side INPUT_SIZE as at run time, cached in training/work as JPEG. With
    `plate_free`, other scenes (their own seed, half at street distance) with the plate painted out
    as in the development sets' plate-free scenes, and no boxes."""
    cache = PLATE_FREE_CACHE if plate_free else SCENES_CACHE
    if not cache.exists():
        from training.ranker import scenes  # the renderer, only when the cache is missing
        from training.scenes import paint_out

        n, seed = (N_PLATE_FREE, PLATE_FREE_SEED) if plate_free else (N_SCENES, SCENE_SEED)
        blobs, boxes = [], []
        for image, _text, (x, y, w, h) in scenes(n, seed, "us-crops-train.txt", 0.5, 0.5):
            if plate_free:
                image = paint_out(image, (x, y, w, h))
            scale = INPUT_SIZE / max(image.shape[:2])
            small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            blobs.append(
                np.frombuffer(cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 90])[1], np.uint8)
            )
            boxes.append([x * scale, y * scale, (x + w) * scale, (y + h) * scale])
        WORK.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez(buf, boxes=np.array(boxes, np.float32), **{f"i{i}": b for i, b in enumerate(blobs)})
        cache.write_bytes(buf.getvalue())
    data = np.load(cache)
    boxes = data["boxes"]
    return [
        (cv2.imdecode(data[f"i{i}"], cv2.IMREAD_COLOR), boxes[:0] if plate_free else boxes[i : i + 1])
        for i in range(len(boxes))
    ]


def frame_boxes(net: Detector, img: np.ndarray, size: int, threshold: float) -> np.ndarray:
    """The net's boxes (n, 5: x0 y0 x1 y1 score) on a whole frame letterboxed to `size` as at run
    time, after NMS, in the frame's pixels (call under torch.no_grad, the net in eval mode)."""
    canvas, lb = letterbox(img, size, MULTIPLE)
    y = net(torch.from_numpy(to_tensor(canvas, MEAN, STD)))[0].numpy()
    y[0] = 1 / (1 + np.exp(-y[0]))
    return nms(boxes_in_image(y, lb, STRIDE, threshold), NMS_IOU)


def mine_negatives(net: Detector, images: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """For each image, the HARD_TOP boxes (n, 4) the net scores highest, at least HARD_SCORE, at run
    time's letterbox that overlap none of its plates: the hard negatives to centre views on."""
    net.eval()
    out = []
    with torch.no_grad():
        for img, gt in images:
            found = frame_boxes(net, img, INPUT_SIZE, HARD_SCORE)
            if len(found) and len(gt):
                found = found[iou_matrix(found, gt).max(axis=1) < 0.1]
            found = found[np.argsort(-found[:, 4])][:HARD_TOP, :4]
            out.append(found.astype(np.float32))
    net.train()
    return out


def augment(
    img: np.ndarray, boxes: np.ndarray, rng: random.Random, hard: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A CROP x CROP training view: random scale, a crop near a hard negative (HARD_SHARE of the
    views of an image that has some), near a plate, or anywhere; flip, colour, blur, JPEG. Boxes
    whose centre leaves the crop are dropped."""
    scale = math.exp(rng.uniform(math.log(0.5), math.log(1.8)))
    img = cv2.resize(
        img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    boxes = boxes * scale
    h, w = img.shape[:2]
    focus = None
    if hard is not None and len(hard) and rng.random() < HARD_SHARE:
        focus = hard[rng.randrange(len(hard))] * scale
    elif len(boxes) and rng.random() < 0.7:
        focus = boxes[rng.randrange(len(boxes))]
    if focus is not None:
        b = focus
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        x0 = int(cx - rng.uniform(0.1, 0.9) * CROP)
        y0 = int(cy - rng.uniform(0.1, 0.9) * CROP)
    else:
        x0 = rng.randint(min(0, w - CROP), max(0, w - CROP))
        y0 = rng.randint(min(0, h - CROP), max(0, h - CROP))
    canvas = np.full((CROP, CROP, 3), PAD_VALUE, np.uint8)
    sx0, sy0 = max(0, x0), max(0, y0)
    sx1, sy1 = min(w, x0 + CROP), min(h, y0 + CROP)
    if sx1 > sx0 and sy1 > sy0:
        canvas[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = img[sy0:sy1, sx0:sx1]
    boxes = boxes - np.array([x0, y0, x0, y0], np.float32)
    if len(boxes):
        cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
        boxes = boxes[(cx >= 0) & (cx < CROP) & (cy >= 0) & (cy < CROP)]
    if rng.random() < 0.5:
        canvas = canvas[:, ::-1].copy()
        boxes = boxes.copy()
        boxes[:, [0, 2]] = CROP - boxes[:, [2, 0]]
    canvas = colour(canvas, rng)
    return canvas, boxes


def colour(img: np.ndarray, rng: random.Random) -> np.ndarray:
    if rng.random() < 0.8:
        hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV).astype(np.int16)
        hsv[..., 0] = (hsv[..., 0] + rng.randint(-8, 8)) % 180
        hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.6, 1.4), 0, 255)
        img = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)
        img = cv2.convertScaleAbs(img, alpha=rng.uniform(0.6, 1.4), beta=rng.uniform(-30, 30))
    if rng.random() < 0.1:
        img = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    if rng.random() < 0.2:
        k = rng.choice([3, 5])
        img = cv2.GaussianBlur(img, (k, k), 0)
    if rng.random() < 0.3:
        _, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(30, 90)])
        img = cv2.imdecode(enc, cv2.IMREAD_COLOR)
    return img


def targets(boxes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre heatmap (1, s, s); regression targets (4, s, s): offset x, y, log w, log h in cells;
    regression weights (2, s, s): offset at the centre cell only, size wherever the heatmap >= 0.5
    (summing to one per plate)."""
    s = size // STRIDE
    heat = np.zeros((s, s), np.float32)
    reg = np.zeros((4, s, s), np.float32)
    wts = np.zeros((2, s, s), np.float32)
    ys, xs = np.mgrid[0:s, 0:s].astype(np.float32)
    # Larger boxes first, so a small plate's target wins where they overlap.
    for b in sorted(boxes.tolist(), key=lambda b: -(b[2] - b[0]) * (b[3] - b[1])):
        bw, bh = max(b[2] - b[0], 1.0) / STRIDE, max(b[3] - b[1], 1.0) / STRIDE
        cx, cy = (b[0] + b[2]) / 2 / STRIDE, (b[1] + b[3]) / 2 / STRIDE
        ix, iy = min(int(cx), s - 1), min(int(cy), s - 1)
        sx, sy = max(bw / 6, 0.4), max(bh / 6, 0.4)
        g = np.exp(-((xs - ix) ** 2) / (2 * sx * sx) - ((ys - iy) ** 2) / (2 * sy * sy))
        heat = np.maximum(heat, g)
        heat[iy, ix] = 1.0
        area = g >= 0.5
        reg[2][area], reg[3][area] = math.log(bw), math.log(bh)
        # Each plate weighs the same in the size loss: by cell count, the large ones had drowned
        # the small ones (after 10 epochs, found plates under 32 px had a median IoU of 0.25).
        wts[1][area] = g[area] / g[area].sum()
        reg[0, iy, ix], reg[1, iy, ix] = cx - ix, cy - iy
        wts[0, iy, ix] = 1.0
    return heat[None], reg, wts


def focal(logits: torch.Tensor, heat: torch.Tensor) -> torch.Tensor:
    """Quality focal loss (GFL) towards the Gaussian targets, per plate. Every cell near a centre
    pulls its score towards its target, not only the centre cell as in CenterNet's focal loss,
    which after 3 epochs from scratch had not yet lifted any plate above the background."""
    p = torch.sigmoid(logits)
    bce = F.binary_cross_entropy_with_logits(logits, heat, reduction="none")
    return (bce * (p - heat).abs().pow(2)).sum() / heat.eq(1).float().sum().clamp(min=1.0)


def loss_fn(
    out: torch.Tensor, heat: torch.Tensor, reg: torch.Tensor, wts: torch.Tensor
) -> tuple[torch.Tensor, ...]:
    lh = focal(out[:, :1], heat)
    off_w, size_w = wts[:, :1], wts[:, 1:2]
    lo = (F.l1_loss(out[:, 1:3], reg[:, :2], reduction="none") * off_w).sum() / off_w.sum().clamp(min=1.0)
    ls = (F.l1_loss(out[:, 3:5], reg[:, 2:4], reduction="none") * size_w).sum() / size_w.sum().clamp(min=1.0)
    return lh + lo + ls, lh, lo, ls


# ---- validation --------------------------------------------------------------------------------


WIDTHS = ((0, 16), (16, 32), (32, 64), (64, 10_000))  # plate width buckets (px in the 640 px photo)


def validate(
    net: Detector, valid: list[tuple[np.ndarray, np.ndarray]], size: int = INPUT_SIZE
) -> dict[str, dict]:
    """Recall and precision at IoU >= 0.5 on whole frames letterboxed to `size` for every threshold,
    with the recall by plate width and the margin (x box height, each side) that would have held each
    found plate whole."""
    net.eval()
    tp = dict.fromkeys(THRESHOLDS, 0)
    npred = dict.fromkeys(THRESHOLDS, 0)
    need: dict[float, list[float]] = {t: [] for t in THRESHOLDS}
    hit_w: dict[float, list[float]] = {t: [] for t in THRESHOLDS}
    all_w: list[float] = []
    with torch.no_grad():
        for img, gt in valid:
            found = frame_boxes(net, img, size, THRESHOLDS[0])
            all_w.extend((gt[:, 2] - gt[:, 0]).tolist())
            for t in THRESHOLDS:
                kept = found[found[:, 4] >= t]
                pairs = match_pairs(kept, gt)
                tp[t] += len(pairs)
                npred[t] += len(kept)
                for i, j in pairs:
                    p, g = kept[i], gt[j]
                    outside = max(0.0, p[0] - g[0], g[2] - p[2], p[1] - g[1], g[3] - p[3])
                    need[t].append(float(outside / max(p[3] - p[1], 1.0)))
                    hit_w[t].append(float(g[2] - g[0]))
    net.train()
    ngt = len(all_w)
    widths = np.array(all_w)
    curve = {}
    for t in THRESHOLDS:
        hits = np.array(hit_w[t])
        by_width = {
            f"{lo}-{hi}": round(
                float(((hits >= lo) & (hits < hi)).sum() / max(((widths >= lo) & (widths < hi)).sum(), 1)), 4
            )
            for lo, hi in WIDTHS
        }
        curve[str(t)] = {
            "recall": tp[t] / max(ngt, 1),
            "precision": tp[t] / max(npred[t], 1),
            "predicted": npred[t],
            "recall_by_width": by_width,
            "margin_p95": float(np.percentile(need[t], 95)) if need[t] else 0.0,
        }
    return curve


def choose_threshold(curve: dict[str, dict[str, float]]) -> float:
    """The highest recall at a precision of at least 0.5 (the reader and ranker drop what is not a
    plate; a missed plate is lost for good), ties to the higher threshold."""
    ok = [(v["recall"], float(t)) for t, v in curve.items() if v["precision"] >= 0.5]
    if not ok:
        return max(float(t) for t in curve)
    best = max(r for r, _ in ok)
    return max(t for r, t in ok if r == best)


# ---- export ------------------------------------------------------------------------------------


def export(
    net: Detector,
    state: dict,
    curve: dict,
    threshold: float,
    counts: dict[str, int],
    model_dir: pathlib.Path,
    size: int = INPUT_SIZE,
) -> None:
    model_dir.mkdir(parents=True, exist_ok=True)
    net.eval()
    tmp = model_dir / "model.onnx.tmp"
    torch.onnx.export(
        Exported(net),
        torch.zeros(1, 384, 640, 3, dtype=torch.uint8),
        str(tmp),
        input_names=["image"],
        output_names=["maps"],
        dynamic_axes={"image": {1: "height", 2: "width"}, "maps": {2: "rows", 3: "cols"}},
        opset_version=17,
        dynamo=False,
    )
    net.train()
    tmp.replace(model_dir / "model.onnx")
    digest = hashlib.sha256((model_dir / "model.onnx").read_bytes()).hexdigest()
    at = curve[str(threshold)]
    manifest = {
        "name": "plate-detector",
        "kind": "centernet",
        "role": "detector",
        "version": f"plate-detector-{digest[:8]}",
        "file": "model.onnx",
        "sha256": digest,
        "source": "trained by this project from scratch: training/detector.py (make train-detector)",
        "licence": "Apache-2.0 (the weights; see training_data for the data's terms and attribution)",
        "input": {
            "size": size,
            "multiple": MULTIPLE,
            "letterbox": "longer side scaled to size, centred on a grey (114) canvas padded to multiples",
            "tensor": "uint8 (1, height, width, 3), BGR as OpenCV decodes",
            "normalisation": "inside the graph: RGB, (value / 255 - mean) / std",
            "mean": MEAN,
            "std": STD,
        },
        "output": {
            "name": "maps",
            "stride": STRIDE,
            "channels": [
                "centre probability",
                "offset x (cells)",
                "offset y (cells)",
                "log width (cells)",
                "log height (cells)",
            ],
        },
        "score_threshold": threshold,
        "nms_iou": NMS_IOU,
        "crop_margin": crop_margin(at),
        "crop_margin_note": (
            "x box height, each side: the 95th percentile of what the found plates of the valid split "
            "needed to be held whole, rounded up to 0.05, at least plate-crnn's own 0.2"
        ),
        "architecture": state.get("arch", "small"),
        "parameters": sum(p.numel() for p in net.parameters()),
        "validation": {
            "data": "openimages-plate-boxes valid split (351 photos, 486 plates), IoU >= 0.5",
            "epoch": state["epoch"],
            "recall_iou50": round(at["recall"], 4),
            "precision_iou50": round(at["precision"], 4),
        },
        "training_data": {
            "images": counts,
            "openimages-plate-boxes": (
                "train split: 'Google Licence Plates' export of Open Images photos (Roboflow Universe, "
                "CC BY 4.0; the photos Open Images, CC BY 2.0), via github.com/unknowncz/LP_recognition "
                "(LP_Detection). Attribution: Google Licence Plates dataset, Roboflow Universe, CC BY 4.0."
            ),
            "rendered-scenes": (
                f"training/ranker.py scenes (the project's render_scene), seed {SCENE_SEED}, half at street "
                "distance; half carry a real plate from openalpr/benchmarks seg_and_ocr (AGPL-3.0), images "
                "listed in training/splits/us-crops-train.txt"
            ),
            **(
                {
                    "plate-free-scenes": (
                        f"from epoch {state['hard_negatives_from']}: the same renderer, seed {PLATE_FREE_SEED}, the "
                        "plate painted out; views centred on the boxes the net scored >= "
                        f"{HARD_SCORE} there and away from the plates of every training image (hard negatives)"
                    )
                }
                if state.get("hard_negatives_from")
                else {}
            ),
            "validation_only": (
                "openimages-plate-boxes valid split: each epoch's figures, the crop margin; the shipped epoch and "
                "threshold were chosen by the engine's reads on the development sets (docs/recognition.md)"
            ),
            "never_used": (
                "openalpr-us-dev (end-to-end evaluation set, a check only) and the held-out crops, "
                "training/splits/us-crops-tune.txt (read only as one of the development sets) and "
                "us-crops-test.txt"
            ),
        },
        "training": {
            "epochs": state["epoch"],
            "seed": state["seed"],
            "threads": state["threads"],
            "seconds": round(state["seconds"]),
            "crop": CROP,
        },
    }
    (model_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def crop_margin(at: dict) -> float:
    """The margin (x box height, each side) that held 95 % of the found valid plates whole, rounded
    up to 0.05; never under the 0.2 plate-crnn was trained with (its manifest)."""
    return max(0.2, math.ceil(at["margin_p95"] * 20 - 1e-9) / 20)


# ---- training ----------------------------------------------------------------------------------


def lr_at(epoch: float, epochs: int, base: float = 3e-3) -> float:
    """Linear warm-up over the first epoch, then cosine to 5 % of base (a function of the epoch
    alone, so a resumed run follows the same schedule)."""
    if epoch < 1:
        return base * max(epoch, 0.05)
    t = min(1.0, (epoch - 1) / max(epochs - 1, 1))
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))


def save(
    path: pathlib.Path, net: nn.Module, opt: torch.optim.Optimizer, state: dict, half: bool = False
) -> None:
    model = {k: (v.half() if half and v.is_floating_point() else v) for k, v in net.state_dict().items()}
    optimizer = opt.state_dict()
    if half:
        # bfloat16, not float16: Adam's second moments go below float16's range. Loading casts them
        # back to the parameters' float32.
        optimizer["state"] = {
            i: {k: v.bfloat16() if k != "step" and v.is_floating_point() else v for k, v in moments.items()}
            for i, moments in optimizer["state"].items()
        }
    payload = {"model": model, "state": state, "optimizer": optimizer}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument(
        "--arch", choices=sorted(ARCHS), default="wide", help="a new run's net (a resumed run keeps its own)"
    )
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--steps", type=int, default=0, help="batches per epoch (0: one pass; smoke runs)")
    parser.add_argument(
        "--valid-limit", type=int, default=0, help="validate on the first N photos (smoke runs)"
    )
    parser.add_argument("--scenes-per-epoch", type=int, default=400)
    parser.add_argument(
        "--hard-negatives",
        action="store_true",
        help=f"also train on {N_PLATE_FREE} plate-free scenes, views centred on what the net mistakes for plates",
    )
    parser.add_argument(
        "--export",
        action="store_true",
        help="ship training/work/detector-best.pt: re-validate it and export it to layers/models/plate-detector",
    )
    parser.add_argument(
        "--from",
        dest="source",
        type=pathlib.Path,
        default=WORK / "detector-best.pt",
        help="with --export: the checkpoint to export (training/work/detector-epoch-N.pt: epoch N)",
    )
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=MODEL_DIR,
        help="with --export: the folder to write (a candidate's, to measure the engine with it)",
    )
    parser.add_argument(
        "--input-size",
        type=int,
        default=INPUT_SIZE,
        help="with --export: the longer side the shipped model runs at (its threshold is chosen there)",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="with --export: the score threshold to ship (default: the best recall at precision 0.5 on valid)",
    )
    args = parser.parse_args(argv)
    if args.threshold is not None and args.threshold not in THRESHOLDS:
        parser.error(f"--threshold must be one of the validated scores {THRESHOLDS}")
    torch.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    state = {
        "arch": args.arch,
        "epoch": 0,
        "seed": args.seed,
        "threads": args.threads,
        "seconds": 0.0,
        "best": -1.0,
        "history": [],
    }
    last = WORK / "detector-last.pt"
    ck = None
    if args.export:
        if not args.source.exists():
            parser.error(f"no {args.source}: train first (make train-detector)")
        ck = torch.load(args.source, map_location="cpu", weights_only=False)
    elif args.resume:
        source = last if last.exists() else CHECKPOINT if CHECKPOINT.exists() else None
        if source is not None:
            ck = torch.load(source, map_location="cpu", weights_only=False)
            print(f"resumed from {source} at epoch {ck['state']['epoch']}", flush=True)
    if ck is not None:
        state = ck["state"]
        state.setdefault("arch", "small")  # checkpoints from before there was a choice
    net = Detector(state["arch"])
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    if ck is not None:
        net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ck["model"].items()})
        if "optimizer" in ck and not args.export:
            opt.load_state_dict(ck["optimizer"])
    print(f"{state['arch']}: parameters {sum(p.numel() for p in net.parameters())}", flush=True)
    if args.export:
        curve = validate(net, load_openimages("valid"), args.input_size)
        threshold = choose_threshold(curve) if args.threshold is None else args.threshold
        counts = {"openimages-train": len(load_openimages("train")), "rendered-scenes": N_SCENES}
        if state.get("hard_negatives_from"):
            counts["plate-free-scenes"] = N_PLATE_FREE
        export(net, state, curve, threshold, counts, args.out, args.input_size)
        print(json.dumps({"threshold": threshold, **curve[str(threshold)]}), flush=True)
        return 0

    t0 = time.time()
    train = load_openimages("train")
    valid = load_openimages("valid")
    if args.valid_limit:
        valid = valid[: args.valid_limit]
    scenes = load_scenes()
    counts = {"openimages-train": len(train), "rendered-scenes": len(scenes)}
    plate_free = load_scenes(plate_free=True) if args.hard_negatives else []
    if plate_free:
        state.setdefault("hard_negatives_from", state["epoch"] + 1)
        counts["plate-free-scenes"] = len(plate_free)
    print(
        f"data: {len(train)} train, {len(valid)} valid, {len(scenes)} scenes ({time.time() - t0:.0f} s)",
        flush=True,
    )

    while state["epoch"] < args.epochs:
        epoch = state["epoch"]
        rng = random.Random(args.seed * 1000 + epoch)
        torch.manual_seed(args.seed * 1000 + epoch)
        rendered = rng.sample(scenes, min(args.scenes_per_epoch, len(scenes))) + plate_free
        start = time.time()
        images = train + rendered
        hard = mine_negatives(net, images) if plate_free else [None] * len(images)
        if plate_free:
            print(
                f"hard negatives: {sum(len(h) for h in hard)} boxes in {sum(len(h) > 0 for h in hard)} "
                f"of {len(images)} images ({time.time() - start:.0f} s)",
                flush=True,
            )
        order = [(img, boxes, h) for (img, boxes), h in zip(images, hard, strict=True)]
        rng.shuffle(order)
        steps = len(order) // args.batch if not args.steps else args.steps
        sums = np.zeros(4)
        for step in range(steps):
            for group in opt.param_groups:
                group["lr"] = lr_at(epoch + step / steps, args.epochs)
            views = [
                augment(img, boxes, rng, h)
                for img, boxes, h in order[step * args.batch : (step + 1) * args.batch]
            ]
            x = torch.from_numpy(np.concatenate([to_tensor(v, MEAN, STD) for v, _ in views]))
            ts = [targets(b, CROP) for _, b in views]
            heat, reg, wts = (torch.from_numpy(np.stack([t[k] for t in ts])) for k in range(3))
            out = net(x)
            total, lh, lo, ls = loss_fn(out, heat, reg, wts)
            opt.zero_grad()
            total.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
            opt.step()
            sums += [total.item(), lh.item(), lo.item(), ls.item()]
            if step % 20 == 0:
                print(
                    f"epoch {epoch + 1} step {step}/{steps} loss {total.item():.3f} "
                    f"(heat {lh.item():.3f} off {lo.item():.3f} size {ls.item():.3f}) "
                    f"{(time.time() - start) / (step + 1):.2f} s/batch",
                    flush=True,
                )
        train_s = time.time() - start
        curve = validate(net, valid)
        threshold = choose_threshold(curve)
        at = curve[str(threshold)]
        state["epoch"] = epoch + 1
        state["seconds"] += time.time() - start
        record = {
            "epoch": epoch + 1,
            "loss": round(sums[0] / steps, 4),
            "train_s": round(train_s),
            "valid_s": round(time.time() - start - train_s),
            "threshold": threshold,
            "recall": round(at["recall"], 4),
            "precision": round(at["precision"], 4),
            "recall_by_width": at["recall_by_width"],
            "crop_margin": crop_margin(at),
            "recall_at_0.3": round(curve["0.3"]["recall"], 4),
            "precision_at_0.3": round(curve["0.3"]["precision"], 4),
        }
        state["history"].append(record)
        print("EPOCH " + json.dumps(record), flush=True)
        improved = at["recall"] + 0.25 * at["precision"] > state["best"]
        if improved:
            state["best"] = at["recall"] + 0.25 * at["precision"]
            export(net, state, curve, threshold, counts, CANDIDATE_DIR)
            save(WORK / "detector-best.pt", net, opt, state)
            print(f"exported epoch {epoch + 1} to {CANDIDATE_DIR}", flush=True)
        save(last, net, opt, state)
        save(WORK / f"detector-epoch-{epoch + 1}.pt", net, opt, state)  # any epoch can be measured
        save(CHECKPOINT, net, opt, state, half=True)  # small, committed: resumable on a fresh machine
        (WORK / "detector-history.json").write_text(json.dumps(state["history"], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
