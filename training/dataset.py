"""Training lines for the plate recognizer, made by the engine's own row finder.

Every sample goes through the same steps as a plate at run time: a plate image (rendered, or a real
crop from the training split) is augmented, the row finder of `alpr.recognition.detect` picks the
number row, `crop_line` cuts it out, and `line_tensor` normalises it. So the recognizer learns on
exactly the kind of input the engine will hand it.
"""

from __future__ import annotations

import csv
import pathlib
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from alpr.demo.synth import known_styles, render_plate
from alpr.recognition import ALPHABET, normalise_plate
from alpr.recognition.detect import (
    Candidate,
    crop_line,
    find_candidates,
    mostly_inside,
    refine,
    rows_around,
    second_look,
)
from alpr.recognition.engine import line_tensor, plate_seeds, working_copy
from alpr.recognition.plate_detector import PlateDetector

HEIGHT, WIDTH = 32, 128
MARGIN = 0.2  # vertical margin around the glyph row, in glyph heights (also in the manifest)
MAX_LABEL = 10
BENCH = pathlib.Path(__file__).resolve().parents[2] / "shared" / "bench"
SPLITS = pathlib.Path(__file__).resolve().parent / "splits"
OPEN_IMAGES = BENCH / "openimages-plate-boxes"
# The text of Open Images train plates, read by eye (never the valid split's: a development set).
STREET_PLATE_TEXT = (
    pathlib.Path(__file__).resolve().parents[1] / "bench" / "labels" / "openimages-train-plates.csv"
)

# Serial formats seen on US plates (A letter, 9 digit); the rest are random alphanumerics. The
# committed plate-crnn learnt from these. Drawing from the fuller alpr.recognition.decoder
# US_SERIAL_FORMATS instead (with space or dash separators and a Missouri design) was tried and
# lost dev plates (docs/recognition.md).
FORMATS = (
    "9AAA999",
    "AAA9999",
    "AAA999",
    "999AAA",
    "AA99999",
    "9AA9999",
    "A999AA",
    "99A999",
    "AAA99A",
    "9999AA",
)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


@dataclass(frozen=True)
class Sample:
    image: np.ndarray  # (1 or 3, HEIGHT, WIDTH) float32
    label: str


def random_plate_text(rng: random.Random) -> str:
    """A plausible US plate serial."""
    if rng.random() < 0.7:
        fmt = rng.choice(FORMATS)
        return "".join(rng.choice(LETTERS) if c == "A" else rng.choice(DIGITS) for c in fmt)
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(4, 8)))


def augment(img: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Camera-like degradation: perspective, scale, blur, lighting, noise, JPEG."""
    h, w = img.shape[:2]
    d = 0.06 * strength
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    jitter = rng.uniform(-d, d, size=(4, 2)) * np.array([w, h])
    pad = int(0.15 * h)
    dst = (src + jitter + pad).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    bg = tuple(int(v) for v in rng.integers(0, 255, size=3))
    out = cv2.warpPerspective(
        img, matrix, (w + 2 * pad, h + 2 * pad), borderMode=cv2.BORDER_CONSTANT, borderValue=bg
    )
    scale = rng.uniform(0.25, 1.0) if strength > 0.5 else rng.uniform(0.5, 1.0)
    small = cv2.resize(out, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if rng.random() < 0.4:
        k = int(rng.choice([3, 5]))
        small = cv2.GaussianBlur(small, (k, k), 0)
    f = small.astype(np.float32) * rng.uniform(0.5, 1.3) + rng.uniform(-40, 40)
    f += rng.normal(0, rng.uniform(0, 8), size=f.shape)
    small = np.clip(f, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 90))])
        if ok:
            small = np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8)
    back = cv2.resize(small, (out.shape[1], out.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.asarray(back, np.uint8)


def number_row(plate: np.ndarray, label: str) -> Candidate | None:
    """The row holding the plate number: the tallest row whose glyph count fits the label."""
    rows = [
        c
        for c in find_candidates(plate, max_candidates=8)
        if not c.whole_plate and abs(c.n_chars - len(label)) <= 2
    ]
    return max(rows, key=lambda c: c.char_height) if rows else None


def jitter(cand: Candidate, rng: np.random.Generator) -> Candidate:
    """The row found with a detector's imprecision: shifted and resized by a little."""
    x, y, w, h = cand.box
    ch = cand.char_height
    dx0, dx1 = rng.uniform(-0.25, 0.25, size=2) * ch
    dy = rng.uniform(-0.12, 0.12) * ch
    box = (int(x + dx0), int(y + dy), max(4, int(w - dx0 + dx1)), h)
    return Candidate(box, ch * rng.uniform(0.9, 1.12), cand.angle_deg + rng.uniform(-2, 2), cand.n_chars, 1.0)


def to_sample(plate: np.ndarray, label: str, rng: np.random.Generator, gray: bool) -> Sample | None:
    row = number_row(plate, label)
    if row is None:
        return None
    if rng.random() < 0.7:
        row = jitter(row, rng)
    line = crop_line(plate, row, HEIGHT, WIDTH, margin=MARGIN)
    return Sample(line_tensor(line, WIDTH, gray, 0.5, 0.5), label)


def synthetic(n: int, seed: int, gray: bool) -> Iterator[Sample]:
    """Rendered plates of the styles the renderer knows plus generic ones, augmented."""
    py = random.Random(seed)
    rng = np.random.default_rng(seed)
    states = [*known_styles(), "OH", "GA", "MI", "CO", "VA", "NC"]
    made = 0
    while made < n:
        text = random_plate_text(py)
        plate = render_plate(text, py.choice(states), rng=rng)
        sample = to_sample(augment(plate, rng), text, rng, gray)
        if sample is not None:
            made += 1
            yield sample


def real_crops(dataset: str, names: set[str] | None, copies: int, seed: int, gray: bool) -> Iterator[Sample]:
    """Real plate crops (optionally only the named ones), each augmented `copies` times."""
    root = BENCH / dataset
    rng = np.random.default_rng(seed)
    with (root / "ground_truth.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if names is not None and row["image"] not in names:
            continue
        label = normalise_plate(row["plate"])
        img = cv2.imread(str(root / "images" / row["image"]), cv2.IMREAD_COLOR)
        if img is None or not label or len(label) > MAX_LABEL:
            continue
        # The crops are small: upscale so the row finder sees glyphs of a usable size.
        if img.shape[0] < 100:
            img = cv2.resize(
                img, None, fx=100 / img.shape[0], fy=100 / img.shape[0], interpolation=cv2.INTER_CUBIC
            )
        for k in range(copies):
            src = img if k == 0 else augment(img, rng, strength=0.5)
            sample = to_sample(src, label, rng, gray)
            if sample is not None:
                yield sample


def street_lines(
    scenes: Iterable[tuple[np.ndarray, str, tuple[int, int, int, int]]],
    seed: int,
    gray: bool,
    detector: PlateDetector | None = None,
) -> Iterator[Sample]:
    """The number row of plates seen from street distance, found as the engine finds it at run time
    (downscaled frame, row finder, magnified second looks around small rows and dense edges): the
    few-pixel glyphs of street photos, which a crop upscaled to 100 px never shows. Each scene comes
    with its plate's text and box (`training.ranker.scenes`). With the plate `detector`, the row
    found around its boxes (`rows_around`, which the engine reads alone when the detector is sure)
    is a second line of the scene when it is cut differently."""
    rng = np.random.default_rng(seed)
    for original, label, (px, py, pw, ph) in scenes:
        image, scale = working_copy(original)
        cands = find_candidates(image, max_candidates=10)
        cands += refine(image, cands)
        cands += second_look(image, cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cands)
        box = (px * scale, py * scale, (px + pw) * scale, (py + ph) * scale)
        rows = [row] if (row := _number_row(cands, label, box)) else []
        if detector is not None:
            boxed = rows_around(
                image,
                [plate for plate, _ in plate_seeds(detector.detect(original), original.shape, scale)],
                [],
            )
            found = _number_row(boxed, label, box)
            if found and not any(_same_row(found, r) for r in rows):
                rows.append(found)
        for row in rows:
            if rng.random() < 0.7:
                row = jitter(row, rng)
            line = crop_line(image, row, HEIGHT, WIDTH, margin=MARGIN)
            yield Sample(line_tensor(line, WIDTH, gray, 0.5, 0.5), label)


def labelled_street_photos(copies: int) -> Iterator[tuple[np.ndarray, str, tuple[int, int, int, int]]]:
    """Each plate of bench/labels/openimages-train-plates.csv with its photo, text and box, `copies`
    times (`street_lines` cuts each copy's row with a jitter of its own): real street plates of many
    countries, in the blur, light and size the rendered scenes only imitate."""
    rows = list(csv.DictReader(STREET_PLATE_TEXT.open()))
    for _ in range(copies):
        for row in rows:
            image = np.asarray(cv2.imread(str(OPEN_IMAGES / "images" / row["image"]), cv2.IMREAD_COLOR))
            x, y, w, h = (round(float(row[k])) for k in "xywh")
            yield image, row["plate"], (x, y, w, h)


def _same_row(a: Candidate, b: Candidate) -> bool:
    return mostly_inside(a.box, b.box) and mostly_inside(b.box, a.box)


def _number_row(
    cands: list[Candidate], label: str, plate: tuple[float, float, float, float]
) -> Candidate | None:
    """The tallest row on the plate (left, top, right, bottom) that holds the whole number: a row
    that misses part of it would teach the model to read glyphs it cannot see, so it must count
    about as many glyphs as the label and span most of the plate's width."""
    left, top, right, bottom = plate
    on_plate = [
        c
        for c in cands
        if not c.whole_plate
        and len(label) - 1 <= c.n_chars <= len(label) + 2
        and min(right, c.box[0] + c.box[2]) - max(left, c.box[0]) >= 0.6 * (right - left)
        and top <= c.box[1] + c.box[3] / 2 <= bottom
    ]
    return max(on_plate, key=lambda c: c.char_height) if on_plate else None


def split(name: str) -> set[str]:
    return set((SPLITS / name).read_text().split())
