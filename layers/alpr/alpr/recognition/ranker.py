"""Which candidate is the plate: a learned linear score over cheap features of each candidate.

The features are the recognizer's own certainty about the reading, how plate-like the string is,
how row-like the glyphs are, and what surrounds the row (a plate's number sits on flat sheeting with
a state name or slogan above it; a camera timestamp sits at the picture's edge on arbitrary
background). The weights are trained by `training/ranker.py` on rendered scenes with synthetic
non-plate text and on the training split of the crops, never on an evaluation set, and ship in
`layers/models/plate-ranker/`.
"""

from __future__ import annotations

import json
import pathlib

import cv2
import numpy as np

from alpr.recognition import decoder
from alpr.recognition.detect import Candidate

FEATURES = (
    "log_confidence",
    "log_min_char",
    "log_plate_prior",
    "row_score",
    "log_banner",
    "whole_plate",
    "log_rel_height",
    "border_distance",
    "count_mismatch",
    "row_contrast",
    "log_band_texture",
    "band_brightness",
    "saturation",
    "dark_on_light",
    "blank_share",
)


def features(
    cand: Candidate,
    best: decoder.Decoded,
    probs: np.ndarray,
    banner: float,
    image: np.ndarray,
    gray: np.ndarray,
) -> np.ndarray:
    """One candidate's feature vector (order: FEATURES)."""
    h_img, w_img = gray.shape
    x, y, w, h = cand.box
    ch = max(1.0, cand.char_height)
    yc = y + h / 2
    x0, x1 = max(0, x), min(w_img, x + w)
    y0, y1 = max(0, y), min(h_img, y + h)
    row = gray[y0:y1, x0:x1]
    # The bands just above and below the row (half a glyph high): plate sheeting, for a plate.
    band_h = max(1, int(0.5 * ch))
    above = gray[max(0, y0 - band_h - int(0.15 * ch)) : max(0, y0 - int(0.15 * ch)), x0:x1]
    below = gray[min(h_img, y1 + int(0.15 * ch)) : min(h_img, y1 + int(0.15 * ch) + band_h), x0:x1]
    bands = [b for b in (above, below) if b.size]
    row_mean = float(row.mean()) if row.size else 128.0
    row_std = float(row.std()) if row.size else 0.0
    if bands:
        band_mean = float(np.mean([b.mean() for b in bands]))
        band_std = float(np.mean([b.std() for b in bands]))
    else:
        band_mean, band_std = row_mean, row_std
    colour = image[y0:y1, x0:x1]
    s = cv2.cvtColor(colour, cv2.COLOR_BGR2HSV)[:, :, 1] if colour.size else colour
    blank = float((probs[:, decoder.BLANK] > 0.5).mean()) if probs.size else 1.0
    return np.array(
        [
            np.log(max(best.confidence, 1e-6)),
            np.log(max(min(best.char_confidences), 1e-6)),
            np.log(decoder.plate_prior(best.text)),
            cand.score,
            np.log(max(banner, 1e-3)),
            float(cand.whole_plate),
            np.log(ch / h_img),
            min(yc, h_img - yc) / h_img,
            abs(cand.n_chars - len(best.text)) / 4.0,
            row_std / 64.0,
            # A log: the ratio is unbounded (a textured band over a faint row reaches 3.6 on a real
            # photo, beyond the training rows' 99.9th percentile of 2.2), and a linear score
            # would follow it that far.
            np.log(max(band_std / max(row_std, 4.0), 0.05)),
            (band_mean - row_mean) / 128.0,
            float(s.mean()) / 255.0 if s.size else 0.0,
            float(band_mean > row_mean),
            blank,
        ],
        dtype=np.float32,
    )


class Ranker:
    """A linear score over standardised FEATURES, loaded from a model folder."""

    def __init__(self, model_dir: pathlib.Path) -> None:
        self.manifest = json.loads((model_dir / "manifest.json").read_text())
        weights = json.loads((model_dir / self.manifest["file"]).read_text())
        if tuple(weights["features"]) != FEATURES:
            raise ValueError(f"{model_dir}: features {weights['features']} do not match {FEATURES}")
        self.mean = np.asarray(weights["mean"], np.float32)
        self.std = np.asarray(weights["std"], np.float32)
        self.coef = np.asarray(weights["coef"], np.float32)
        self.bias = float(weights["bias"])
        self.version = str(self.manifest["version"])

    def score(self, feats: np.ndarray) -> float:
        """A logit: higher is more likely the plate's number, read right."""
        return float(((feats - self.mean) / self.std) @ self.coef + self.bias)
