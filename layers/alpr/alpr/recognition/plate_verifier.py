"""The plate verifier (issue 17): a second look at each box the plate detector found, in the photo's
own pixels rather than the detector's downscaled frame.

The detector sees a 1280x720 photo at 512 px, so a plate 30 px wide is 12 px to it, and its score
for such a plate is near its score for a sign. The verifier crops a window around each box from the
full-size photo (the box with as much context again, at a fixed aspect), scales it to a small fixed
input and scores it: plate or not. A box's score becomes the geometric mean of the two; the
detector's boxes are kept, only re-scored and re-ordered. The manifest
(`layers/models/plate-verifier/manifest.json`) names the window, the lowest detector score verified
and the score threshold on the combined score, chosen on development data, never on dev.
"""

from __future__ import annotations

import json
import pathlib

import cv2
import numpy as np

from alpr.recognition.onnx_session import cpu_session

NAME = "plate-verifier"
PAD_VALUE = 114  # grey outside the photo, as the detector pads


def window(box: np.ndarray, context: float, height: int, width: int) -> np.ndarray:
    """The region (x0, y0, x1, y1) around a box (x0, y0, x1, y1, ...) that the verifier sees: centred
    on it, `context` times its size where the box is the longer fit, at the input's aspect."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    w, h = max(x1 - x0, 2.0), max(y1 - y0, 2.0)
    per_pixel = max(context * w / width, context * h / height)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = width * per_pixel / 2, height * per_pixel / 2
    return np.array([cx - half_w, cy - half_h, cx + half_w, cy + half_h], np.float32)


def crop(image: np.ndarray, region: np.ndarray, height: int, width: int) -> np.ndarray:
    """The region of a BGR image scaled to (height, width, 3); grey where it leaves the image."""
    per_pixel = float(region[2] - region[0]) / width
    if per_pixel > 1.5:
        # Shrink the region's part of the photo first (area average), so the bilinear warp below
        # does not alias; only that part: shrinking the whole photo cost ~3 ms a box.
        h, w = image.shape[:2]
        x0, y0 = max(0, int(region[0])), max(0, int(region[1]))
        x1, y1 = min(w, int(np.ceil(region[2])) + 1), min(h, int(np.ceil(region[3])) + 1)
        if x1 > x0 and y1 > y0:
            image = cv2.resize(
                image[y0:y1, x0:x1], None, fx=1 / per_pixel, fy=1 / per_pixel, interpolation=cv2.INTER_AREA
            )
            region = (region - np.array([x0, y0, x0, y0], np.float32)) / per_pixel
            per_pixel = float(region[2] - region[0]) / width
    to_input = np.array(
        [[1 / per_pixel, 0, -region[0] / per_pixel], [0, 1 / per_pixel, -region[1] / per_pixel]], np.float32
    )
    return cv2.warpAffine(
        image,
        to_input,
        (width, height),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(PAD_VALUE, PAD_VALUE, PAD_VALUE),
    )


def windows(image: np.ndarray, boxes: np.ndarray, context: float, height: int, width: int) -> np.ndarray:
    """The verifier's input for boxes (n, 4+): (n, height, width, 3) uint8."""
    return np.stack([crop(image, window(b, context, height, width), height, width) for b in boxes])


def combined(found: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Boxes (n, 5: x0 y0 x1 y1 score) with the score the geometric mean of the detector's and the
    verifier's probabilities, best first."""
    out = found.copy()
    out[:, 4] = np.sqrt(found[:, 4] * probabilities)
    return out[np.argsort(-out[:, 4], kind="stable")]


class PlateVerifier:
    """The ONNX plate verifier and its manifest."""

    def __init__(self, model_dir: pathlib.Path, threads: int = 1) -> None:
        self.manifest = json.loads((model_dir / "manifest.json").read_text())
        self.session = cpu_session(model_dir / self.manifest["file"], threads)
        self.input_name = self.session.get_inputs()[0].name
        spec = self.manifest["input"]
        self.height = int(spec["height"])
        self.width = int(spec["width"])
        self.context = float(spec["context"])
        self.candidate_score = float(self.manifest["candidate_score"])
        self.threshold = float(self.manifest["score_threshold"])
        self.version = str(self.manifest["version"])

    def scores(self, image_bgr: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """The verifier's plate probability for each box (n, 4+) in the image's pixels."""
        if not len(boxes):
            return np.zeros(0, np.float32)
        crops = windows(image_bgr, boxes, self.context, self.height, self.width)
        # The graph takes the uint8 crops and normalises them itself; its output is a probability.
        return np.asarray(self.session.run(None, {self.input_name: crops})[0], np.float32).reshape(-1)

    def rescore(self, image_bgr: np.ndarray, found: np.ndarray) -> np.ndarray:
        """Detector boxes (n, 5: x0 y0 x1 y1 score) with the score the geometric mean of the
        detector's and the verifier's, best first."""
        return combined(found, self.scores(image_bgr, found))
