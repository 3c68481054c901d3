"""The learned plate detector (issue 17): an anchor-free, CenterNet-style ONNX net on a letterboxed,
downscaled frame, giving plate boxes with scores.

The model's output is one tensor (1, 5, H/stride, W/stride): the plate-centre probability, the
centre's sub-cell offset (x, y) and the box's log width and log height in cells. Decoding keeps the
local maxima of the centre map above the score threshold, then a box-overlap NMS. The manifest
(`layers/models/plate-detector/manifest.json`) names the input size, normalisation, stride, score
threshold and crop margin, all chosen on development data (openimages `valid`), never on dev. Where
`plate-verifier` is installed beside it, `PlateDetector.load` takes it too: each box is looked at
again in the photo's own pixels and re-scored (`plate_verifier`), and the threshold is the verifier's.
"""

from __future__ import annotations

import json
import math
import pathlib
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort

from alpr.recognition.detect import mostly_inside
from alpr.recognition.onnx_session import cpu_session
from alpr.recognition.plate_verifier import NAME as VERIFIER_NAME
from alpr.recognition.plate_verifier import PlateVerifier

DEFAULT_MODELS_DIR = pathlib.Path(__file__).resolve().parents[3] / "models"
NAME = "plate-detector"
PAD_VALUE = 114  # grey padding, as in training


@dataclass(frozen=True)
class Box:
    """A detected plate in the original image's pixels (left, top, width, height) with its score."""

    x: float
    y: float
    w: float
    h: float
    score: float

    def xywh(self) -> tuple[int, int, int, int]:
        return (round(self.x), round(self.y), round(self.w), round(self.h))


@dataclass(frozen=True)
class Letterbox:
    """How an image was placed in the network's input: scaled by `scale`, then shifted by the pad."""

    scale: float
    pad_x: int
    pad_y: int
    width: int  # the input's size, a multiple of the network's stride
    height: int

    def to_image(self, x: np.ndarray | float, y: np.ndarray | float) -> tuple[Any, Any]:
        """Input coordinates back to the original image's."""
        return (x - self.pad_x) / self.scale, (y - self.pad_y) / self.scale

    def to_input(self, x: np.ndarray | float, y: np.ndarray | float) -> tuple[Any, Any]:
        return x * self.scale + self.pad_x, y * self.scale + self.pad_y


def letterbox(image: np.ndarray, size: int, multiple: int = 32) -> tuple[np.ndarray, Letterbox]:
    """Scale the image so its longer side is `size`, centred on a grey canvas whose sides are the
    next multiples of `multiple` (a 1280x720 photo at 640 becomes 640x384, not a 640 square)."""
    h, w = image.shape[:2]
    scale = size / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    cw, ch = math.ceil(nw / multiple) * multiple, math.ceil(nh / multiple) * multiple
    pad_x, pad_y = (cw - nw) // 2, (ch - nh) // 2
    canvas = np.full((ch, cw, 3), PAD_VALUE, dtype=np.uint8)
    small = image
    # Anti-aliased halvings first: INTER_AREA at a non-integer factor costs ~35 ms on a 1632 px photo.
    while small.shape[1] >= 2 * nw and small.shape[0] >= 2 * nh:
        small = cv2.pyrDown(small)
    if small.shape[:2] != (nh, nw):
        small = cv2.resize(small, (nw, nh), interpolation=cv2.INTER_LINEAR)
    canvas[pad_y : pad_y + nh, pad_x : pad_x + nw] = small
    return canvas, Letterbox(scale, pad_x, pad_y, cw, ch)


def to_tensor(canvas_bgr: np.ndarray, mean: float, std: float) -> np.ndarray:
    """A BGR uint8 canvas as the network's (1, 3, H, W) RGB float input."""
    rgb = canvas_bgr[:, :, ::-1].astype(np.float32) / 255.0
    return ((rgb - mean) / std).transpose(2, 0, 1)[None].copy()


def _max3x3(a: np.ndarray) -> np.ndarray:
    p = np.pad(a, 1, mode="constant", constant_values=-np.inf)
    h, w = a.shape
    return np.max([p[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)], axis=0)


def decode(output: np.ndarray, stride: int, threshold: float, max_boxes: int = 50) -> np.ndarray:
    """Boxes (n, 5): x0, y0, x1, y1, score in input pixels, from one (5, h, w) output: the centre
    map's 3x3 local maxima at or above `threshold`, best first, at most `max_boxes`."""
    heat = output[0]
    peaks = (heat >= threshold) & (heat >= _max3x3(heat))
    ys, xs = np.nonzero(peaks)
    scores = heat[ys, xs]
    order = np.argsort(-scores, kind="stable")[:max_boxes]
    ys, xs, scores = ys[order], xs[order], scores[order]
    cx = (xs + output[1, ys, xs]) * stride
    cy = (ys + output[2, ys, xs]) * stride
    bw = np.exp(np.clip(output[3, ys, xs], -10, 10)) * stride
    bh = np.exp(np.clip(output[4, ys, xs], -10, 10)) * stride
    return np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2, scores], axis=1).astype(np.float32)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of boxes given as x0, y0, x1, y1 (first four columns)."""
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return np.asarray(inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9))


def match_pairs(pred: np.ndarray, truth: np.ndarray, iou: float = 0.5) -> list[tuple[int, int]]:
    """(prediction, true box) pairs: each prediction (x0, y0, x1, y1, best first) takes the unmatched
    true box it overlaps most, if by at least `iou` (greedy, as recall and precision count them)."""
    if len(pred) == 0 or len(truth) == 0:
        return []
    overlaps = iou_matrix(pred, truth)
    used = np.zeros(len(truth), bool)
    pairs = []
    for i, row in enumerate(overlaps):
        cand = np.where(~used & (row >= iou))[0]
        if len(cand):
            j = int(cand[np.argmax(row[cand])])
            used[j] = True
            pairs.append((i, j))
    return pairs


def matches(pred: np.ndarray, truth: np.ndarray, iou: float = 0.5) -> int:
    """How many predictions find a true box: the true positives of recall and precision."""
    return len(match_pairs(pred, truth, iou))


def nms(boxes: np.ndarray, iou: float) -> np.ndarray:
    """Keep the best of boxes (sorted best first) overlapping each other by more than `iou`."""
    if len(boxes) == 0:
        return boxes
    overlaps = iou_matrix(boxes, boxes)
    keep: list[int] = []
    for i in range(len(boxes)):
        if all(overlaps[i, k] <= iou for k in keep):
            keep.append(i)
    return boxes[keep]


def margin_box(
    box: Box | tuple[float, float, float, float], margin: float, shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """The box grown by `margin` x its height on every side (a plate's edge characters are about as
    far from its sides as its height), clipped at the image's edges: x0, y0, x1, y1, never empty."""
    x, y, w, h = (box.x, box.y, box.w, box.h) if isinstance(box, Box) else box
    pad = margin * h
    height, width = shape[:2]
    x0 = min(max(0, math.floor(x - pad)), width - 1)
    y0 = min(max(0, math.floor(y - pad)), height - 1)
    x1 = max(min(width, math.ceil(x + w + pad)), x0 + 1)
    y1 = max(min(height, math.ceil(y + h + pad)), y0 + 1)
    return x0, y0, x1, y1


def crop_with_margin(
    image: np.ndarray, box: Box | tuple[float, float, float, float], margin: float
) -> np.ndarray:
    """The plate's crop with a margin, clipped at the image's edges (a view, not a copy)."""
    x0, y0, x1, y1 = margin_box(box, margin, image.shape)
    return image[y0:y1, x0:x1]


# A plate filling much of the frame (a close car, a tight crop) is boxed in pieces: boxes of about the
# same height (within PART_HEIGHT_RATIO), sharing PART_ROW_OVERLAP of the lower one's rows and apart by
# at most PART_GAP x its height are one plate; a box lying PART_INSIDE inside a surer one is a piece
# of it. Without this the rows read around a piece lose the other piece's edge characters. Chosen on
# the crops' tuning half and openimages `valid` (docs/recognition.md, step 31).
PART_HEIGHT_RATIO = 1.5
PART_ROW_OVERLAP = 0.6
PART_GAP = 0.25
PART_INSIDE = 0.8
PARTS_VERSION = "parts-1"  # in Engine.model_version: change it with the rule or its constants


def _parts_of_one_plate(a: np.ndarray, b: np.ndarray) -> bool:
    ha, hb = a[3] - a[1], b[3] - b[1]
    low = min(ha, hb)
    if max(ha, hb) > PART_HEIGHT_RATIO * low:
        return False
    shared_rows = min(a[3], b[3]) - max(a[1], b[1])
    gap = max(a[0], b[0]) - min(a[2], b[2])
    return bool(shared_rows >= PART_ROW_OVERLAP * low and gap <= PART_GAP * low)


def _xywh(box: np.ndarray) -> tuple[float, float, float, float]:
    return (float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1]))


def _first_pair_of_parts(boxes: list[np.ndarray]) -> tuple[int, int] | None:
    n = len(boxes)
    return next(
        ((i, j) for i in range(n) for j in range(i + 1, n) if _parts_of_one_plate(boxes[i], boxes[j])), None
    )


def fuse_plate_parts(boxes: np.ndarray, threshold: float) -> np.ndarray:
    """Boxes (x0, y0, x1, y1, score; best first) with the pieces of one plate at or above `threshold`
    made one box (their union, in the surer piece's place) and a piece inside a surer box dropped.
    Boxes below the threshold are left as they are, after the others."""
    sure = [row.copy() for row in boxes[boxes[:, 4] >= threshold]]
    while (pair := _first_pair_of_parts(sure)) is not None:
        i, j = pair
        a, b = sure[i], sure.pop(j)
        sure[i] = np.array([*np.minimum(a[:2], b[:2]), *np.maximum(a[2:4], b[2:4]), a[4]], np.float32)
    kept = [
        a
        for a in sure
        if not any(
            b is not a and b[4] >= a[4] and mostly_inside(_xywh(a), _xywh(b), PART_INSIDE) for b in sure
        )
    ]
    return np.concatenate([np.array(kept, np.float32).reshape(-1, 5), boxes[boxes[:, 4] < threshold]])


class PlateDetector:
    """The ONNX plate detector and its manifest; with a verifier, its boxes re-scored by it."""

    def __init__(
        self,
        model_dir: pathlib.Path,
        threads: int = 1,
        session: ort.InferenceSession | None = None,
        verifier: PlateVerifier | None = None,
    ):
        self.manifest = json.loads((model_dir / "manifest.json").read_text())
        self.session = session or cpu_session(model_dir / self.manifest["file"], threads)
        self.input_name = self.session.get_inputs()[0].name
        spec = self.manifest["input"]
        self.size = int(spec["size"])
        self.multiple = int(spec["multiple"])
        self.mean = float(spec["mean"])
        self.std = float(spec["std"])
        self.stride = int(self.manifest["output"]["stride"])
        self.nms_iou = float(self.manifest["nms_iou"])
        self.margin = float(self.manifest["crop_margin"])
        self.verifier = verifier
        # With a verifier the scores are the combined ones, and so is the threshold.
        self.threshold = float(verifier.threshold if verifier else self.manifest["score_threshold"])
        self.version = str(self.manifest["version"]) + (f"+{verifier.version}" if verifier else "")

    @classmethod
    def load(
        cls, models_dir: pathlib.Path = DEFAULT_MODELS_DIR, threads: int = 1, verified: bool = True
    ) -> PlateDetector:
        """The detector under models_dir, with the verifier when it is installed there and `verified`."""
        verifier = (
            PlateVerifier(models_dir / VERIFIER_NAME, threads)
            if verified and (models_dir / VERIFIER_NAME / "manifest.json").is_file()
            else None
        )
        return cls(models_dir / NAME, threads, verifier=verifier)

    def raw(self, image_bgr: np.ndarray) -> tuple[np.ndarray, Letterbox]:
        """The network's (5, h, w) output for an image, and the letterbox that placed it."""
        canvas, lb = letterbox(image_bgr, self.size, self.multiple)
        # The graph takes the uint8 canvas and normalises it itself (the manifest's mean and std).
        out = self.session.run(None, {self.input_name: canvas[None]})[0]
        return np.asarray(out[0]), lb

    def detect(self, image_bgr: np.ndarray, threshold: float | None = None) -> list[Box]:
        """Plate boxes in the image's pixels, best first, clipped to the image."""
        threshold = self.threshold if threshold is None else threshold
        out, lb = self.raw(image_bgr)
        if self.verifier is None:
            found = nms(boxes_in_image(out, lb, self.stride, threshold), self.nms_iou)
        else:
            lowest = min(threshold, self.verifier.candidate_score)
            found = self.verifier.rescore(
                image_bgr, nms(boxes_in_image(out, lb, self.stride, lowest), self.nms_iou)
            )
            found = found[found[:, 4] >= threshold]
        found = fuse_plate_parts(found, self.threshold)
        return to_boxes(found, image_bgr.shape)


def boxes_in_image(output: np.ndarray, lb: Letterbox, stride: int, threshold: float) -> np.ndarray:
    """Decoded boxes (n, 5) mapped from the input back to the original image's pixels."""
    found = decode(output, stride, threshold)
    found[:, 0], found[:, 1] = lb.to_image(found[:, 0], found[:, 1])
    found[:, 2], found[:, 3] = lb.to_image(found[:, 2], found[:, 3])
    return found


def to_boxes(found: np.ndarray, shape: tuple[int, ...]) -> list[Box]:
    height, width = shape[:2]
    out = []
    for x0, y0, x1, y1, score in found.tolist():
        x0, x1 = max(0.0, x0), min(float(width), x1)
        y0, y1 = max(0.0, y0), min(float(height), y1)
        if x1 > x0 and y1 > y0:
            out.append(Box(x0, y0, x1 - x0, y1 - y0, score))
    return out
