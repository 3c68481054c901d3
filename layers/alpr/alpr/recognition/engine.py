"""The recognition engine: candidate text lines, an ONNX recognizer, plate-aware decoding."""

from __future__ import annotations

import dataclasses
import json
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np
import onnxruntime as ort

from alpr.recognition import decoder, ranker
from alpr.recognition.detect import (
    Candidate,
    centre_in,
    crop_line,
    find_candidates,
    iou,
    mostly_inside,
    number_band,
    refine,
    rows_around,
    second_look,
)
from alpr.recognition.onnx_session import cpu_session
from alpr.recognition.plate_detector import NAME as DETECTOR
from alpr.recognition.plate_detector import PARTS_VERSION, Box, PlateDetector, margin_box
from alpr.recognition.state import match_state

DEFAULT_MODELS_DIR = pathlib.Path(__file__).resolve().parents[3] / "models"
# Preference order when several recognizers are installed.
RECOGNIZERS = ("plate-crnn", "ppocrv6-rec-small")
# The general text recognizer that reads the words around the number (state names, slogans).
TEXT_READER = "ppocrv6-rec-small"
# The learned choice of which candidate is the plate (trained on plate-crnn's readings).
RANKER = "plate-ranker"
MAX_SIDE = 1600  # larger photos are downscaled before the candidate search
LOW_CONFIDENCE = 0.6
# Of plate-crnn's log-likelihood when the general recognizer gives its second opinion on the best
# plate; the general recognizer has the rest. Chosen, with giving that opinion on every plate, on
# real crops neither model trained on (training/splits/us-crops-tune.txt): plate-crnn is
# overconfident on photographs unlike its training lines.
RESCORE_WEIGHT = 0.5
# Below this glyph height (pixels) the state name is a few pixels high and never read: on the crops
# training split no state was read under 16 px (0 of 15 plates), on 16-20 px half were; each
# attempt costs about 20-40 ms.
STATE_MIN_GLYPH_H = 16.0
# The band below the number (slogans, smaller type) is read only from this glyph height: on the
# crops training split it gave the state for 3 of 17 plates of 16-24 px; on street photos, where
# such plates are common, it found none and cost ~28 ms each.
BELOW_BAND_MIN_GLYPH_H = 24.0
# The second look at dense vertical edges (`detect.second_look`) is skipped when a row already
# reads like a plate: with confidence, a learned score of at least this, and a serial format
# (`plate_found`). It goes with the ranker's scale: with plate-ranker-8d91a05a, 2.0 and 0.5 were as
# accurate. Since the format joined the test (step 22) it runs on 46 % of the street-distance
# scenes of the tuning half's plates (training/scenes.py --far-share 1), 38 % of the nearer ones,
# 39 % of the tuning half and 25 % of dev (34, 18, 9 and 14 % before).
EDGE_LOOK_BELOW = 1.0
# The learned plate detector (issue 17) leads the row search: the region around each of its best
# DETECTOR_TOP boxes (grown by DETECTOR_MARGIN x the box's height) is magnified and searched for rows
# like any plate-shaped blob, and a row centred in a box gains DETECTOR_WEIGHT x the box's score on
# the ranker's scale. The glyphs of a plate are about half its height (DETECTOR_GLYPH_SHARE).
DETECTOR_TOP = 3
DETECTOR_MARGIN = 0.3
DETECTOR_GLYPH_SHARE = 0.5
DETECTOR_WEIGHT = 2.0
# A row found in a detector's box that stops short of the box's sides by more than this x its glyph
# height is also read stretched to them (`stretched_to_plates`): the row finder can leave a thin edge
# glyph (J, 1) out of its row. Named in Engine.model_version with the row search's other rules.
STRETCH_SLACK = 0.3
ROWS_VERSION = "cc-rows-9"  # change it with the row search's rules or their constants
# A reading is on a plate where the detector found one (at its own score threshold): the centre of
# its row inside one of the detector's boxes grown by this share of the box's size on every side.
# Readings on a plate come first; the others are flagged low confidence. On rendered scenes with the
# plate painted out (signs, overlays, dealer text left) 65-74 % of the images gave an unflagged read
# before, 10-15 % with this rule (docs/recognition.md, step 27).
PLATE_SUPPORT_MARGIN = 0.25
# A reading that no box of the detector's supports even at this score (below its own threshold)
# is not reported: text the detector does not take for a plate. Boxes between this and the
# detector's threshold keep their readings, flagged for a person to check, which is worth it where
# they are often plates. On the Open Images `valid` photos (the engine run at 0.1), the readings
# whose best box scores 0.1-0.3 are on a labelled plate 1 time in 16 (1 plate, 15 other readings);
# from 0.3 to 0.4 about half the time (7 and 9). So 0.3, the bottom of the useful band: the
# rendered development sets lose no plate, the rendered plate-free scenes with a read fall from
# 4-6 % to 1.0-3.5 % and the plate-free photos from 14 % to 8 % (docs/recognition.md, step 39).
# Until step 38 it was 0.1, step 29's rule (support 98 % of the readable Open Images plates). The
# default: a department may set its own (`Config.plate_support_score`; the detector's threshold
# reports nothing the detector is unsure of).
PLATE_SUPPORT_SCORE = 0.3
# On a box the detector is unsure of (the support score to its threshold) a reading is reported,
# flagged, only where its text is shaped like a plate too: `decoder.plate_prior` at least this, so
# four to eight characters mixing letters and digits. Words on signs and shop fronts (`PHARMACY`,
# `BUS`) and short runs of digits are not. On the development sets (docs/recognition.md, step 40)
# rendered plate-free near scenes with a read fall from 3.5 % to 1.5 % and plate-free photos from
# 8.0 % to 4.8 %, for one plate of 200 near scenes (`548`) and one of 486 on Open Images `valid`
# (`STAG`); on the detector's sure boxes nothing changes.
UNSURE_PLATE_PRIOR = 0.5
# A plate prints its number larger than anything else on it (the state, a slogan, a dealer's name):
# a reading on a box the detector found whose glyphs are this many times shorter than another
# confident reading's on the same box comes after it (`printed_smaller`). On a near scene a DC
# plate's slogan (`TAXATNV`, glyphs 3.4 x shorter) had been chosen over its number (`2368`); at 2
# and at 2.5 the development sets read that plate and change nothing else (docs/recognition.md,
# step 40).
NUMBER_GLYPH_RATIO = 2.0
# A row's reading that a wider row on the same plate reads whole, with up to this many glyphs more at
# its ends, was cut short by the row finder (`cut_short`); on a Nebraska plate `JT898` (0.998) had
# been chosen over its copy reaching the box's sides, `0JT898` (0.958) (docs/recognition.md, step 43).
MAX_CUT_GLYPHS = 2
# A plate read from glyphs smaller than the reader draws them (its line enlarges them) asks a person
# to check it below this confidence. On the development sets, unflagged readings below 0.9 were right
# 16 times in 18 on plates boxed 53 px tall or more and 18 in 32 below (the box's height standing in
# for the glyphs': about 23 px of glyph in a 53 px box, derived; docs/recognition.md, step 44).
SMALL_GLYPH_CONFIDENCE = 0.9


@dataclass(frozen=True)
class PlateReading:
    """One plate found in an image."""

    text: str
    confidence: float
    char_confidences: tuple[float, ...]
    box: tuple[int, int, int, int]
    state: str | None
    low_confidence: bool
    candidates: tuple[tuple[str, float], ...]
    crop: np.ndarray


class ScoredRow(NamedTuple):
    """A candidate row with its reading, before the engine chooses among the rows."""

    rank: float  # heuristic: probability x plate prior x row shape x banner penalty
    learned: float  # the ranker's score (the heuristic's log when no ranker is installed)
    cand: Candidate
    best: decoder.Decoded
    options: list[decoder.Decoded]
    features: np.ndarray
    probs: np.ndarray  # the recognizer's per-timestep probabilities over BLANK + ALPHABET


class Search(NamedTuple):
    """The candidate rows of an image, and the detector's boxes (in the image's pixels)."""

    work: np.ndarray  # the working image the rows were found in
    scale: float  # the working image's size over the image's
    rows: list[ScoredRow]
    boxes: list[Box]


def plate_found(rows: list[ScoredRow]) -> bool:
    """Whether some row already reads like a plate (so the engine need not look further): ranked
    as one, read with confidence, and fitting a serial format. A confident bus number or word on a
    sign does not rule out a plate still missing."""
    return any(
        row.learned >= EDGE_LOOK_BELOW
        and row.best.confidence >= LOW_CONFIDENCE
        and decoder.fits_serial_format(row.best.text)
        for row in rows
    )


class _Recognizer:
    """An ONNX line recognizer whose output is mapped onto BLANK + ALPHABET."""

    def __init__(
        self, model_dir: pathlib.Path, threads: int, session: ort.InferenceSession | None = None
    ) -> None:
        self.manifest = json.loads((model_dir / "manifest.json").read_text())
        self.session = session or cpu_session(model_dir / self.manifest["file"], threads)
        self.input_name = self.session.get_inputs()[0].name
        spec = self.manifest["input"]
        self.height = int(spec["height"])
        self.max_width = int(spec["max_width"])
        self.fixed_width = bool(spec.get("fixed_width", False))
        self.gray = spec.get("channels") == "GRAY"
        self.mean = float(spec["mean"])
        self.std = float(spec["std"])
        self.kind = self.manifest["kind"]
        if self.kind == "ppocr-rec":
            chars = self.session.get_modelmeta().custom_metadata_map["character"].split("\n")
            self._columns = self._ppocr_columns(chars)
        self.version = str(self.manifest["version"])

    @staticmethod
    def _ppocr_columns(chars: list[str]) -> list[list[int]]:
        """For each ALPHABET symbol, the output columns that mean it (upper and lower case)."""
        index: dict[str, list[int]] = {}
        for i, ch in enumerate(chars):
            index.setdefault(ch, []).append(i + 1)  # column 0 is the CTC blank
        return [
            index.get(s, []) + (index.get(s.lower(), []) if s.isalpha() else []) for s in decoder.ALPHABET
        ]

    def probabilities(self, lines: list[np.ndarray]) -> list[np.ndarray]:
        """Per-timestep probabilities over BLANK + ALPHABET for each line image."""
        if not lines:
            return []
        width = self.max_width if self.fixed_width else max(line.shape[1] for line in lines)
        batch = np.stack([line_tensor(line, width, self.gray, self.mean, self.std) for line in lines])
        widths = [line.shape[1] for line in lines]
        out = self.session.run(None, {self.input_name: batch})[0]
        results = []
        for i in range(len(lines)):
            steps = out[i]
            if not self.fixed_width:
                # Only the timesteps that cover the line, not the padding.
                keep = max(1, int(np.ceil(steps.shape[0] * widths[i] / width)))
                steps = steps[:keep]
            results.append(self._to_alphabet(steps))
        return results

    def _to_alphabet(self, steps: np.ndarray) -> np.ndarray:
        if self.kind == "ppocr-rec":
            probs = np.zeros((steps.shape[0], decoder.N_CLASSES), np.float32)
            for k, cols in enumerate(self._columns):
                if cols:
                    probs[:, k + 1] = steps[:, cols].sum(axis=1)
            # Everything that is not a plate character (dashes, dots, spaces...) counts as blank.
            probs[:, 0] = np.clip(1.0 - probs[:, 1:].sum(axis=1), 0.0, 1.0)
            return probs
        # Our own models emit logits over BLANK + ALPHABET already.
        e = np.exp(steps - steps.max(axis=1, keepdims=True))
        return np.asarray(e / e.sum(axis=1, keepdims=True), np.float32)

    @property
    def margin(self) -> float:
        """Above and below the glyph row, in glyph heights."""
        return float(self.manifest.get("margin", 0.35))

    @property
    def glyph_height(self) -> float:
        """How tall the reader's line draws a row's glyphs, in its own pixels."""
        return self.height / (1 + 2 * self.margin)

    def line_image(self, image: np.ndarray, cand: Candidate) -> np.ndarray:
        return crop_line(image, cand, self.height, self.max_width, margin=self.margin)


class _TextReader:
    """A general text-line recognizer (PP-OCR rec) returning free text, for the words around a
    plate's number."""

    def __init__(
        self, model_dir: pathlib.Path, threads: int, session: ort.InferenceSession | None = None
    ) -> None:
        self.manifest = json.loads((model_dir / "manifest.json").read_text())
        self.session = session or cpu_session(model_dir / self.manifest["file"], threads)
        self.input_name = self.session.get_inputs()[0].name
        self.chars = ["", *self.session.get_modelmeta().custom_metadata_map["character"].split("\n"), " "]
        self.height = int(self.manifest["input"]["height"])
        self.version = str(self.manifest["version"])

    def read(self, strips: list[np.ndarray], max_width: int = 320) -> list[str]:
        strips = [s for s in strips if s.size and s.shape[0] >= 6 and s.shape[1] >= 12]
        if not strips:
            return []
        resized = []
        for strip in strips:
            w = int(min(max_width, max(16, round(strip.shape[1] * self.height / strip.shape[0]))))
            resized.append(cv2.resize(strip, (w, self.height), interpolation=cv2.INTER_LINEAR))
        width = max(r.shape[1] for r in resized)
        batch = np.stack([line_tensor(r, width, False, 0.5, 0.5) for r in resized])
        out = self.session.run(None, {self.input_name: batch})[0]
        texts = []
        for row in out.argmax(axis=2):
            prev, chars = 0, []
            for k in row.tolist():
                if k != prev and k != 0 and k < len(self.chars):
                    chars.append(self.chars[k])
                prev = k
            texts.append("".join(chars))
        return texts


def _word_strips(image: np.ndarray, cand: Candidate) -> list[np.ndarray]:
    """The bands above and below a number row, where plates print the state and a slogan."""
    x, y, w, h = cand.box
    ch = cand.char_height
    x0, x1 = max(0, int(x - 0.8 * ch)), min(image.shape[1], int(x + w + 0.8 * ch))
    above = image[max(0, int(y - 1.6 * ch)) : max(0, int(y - 0.05 * ch)), x0:x1]
    below = image[
        min(image.shape[0], int(y + h + 0.05 * ch)) : min(image.shape[0], int(y + h + 1.1 * ch)), x0:x1
    ]
    return [above, below]


def _banner_factor(cand: Candidate, cands: list[Candidate]) -> float:
    """Below 1 when a row of taller glyphs sits right above or below: this row is then the state
    name or slogan printed around a plate's number, not the number. Only rows that could be that
    number count: adjacent, overlapping, at most three times taller, and not a plate-blob guess."""
    x, y, w, h = cand.box
    tallest = cand.char_height
    for other in cands:
        if other.whole_plate or other.char_height > 3 * cand.char_height:
            continue
        ox, oy, ow, oh = other.box
        if min(x + w, ox + ow) - max(x, ox) <= 0.3 * min(w, ow):
            continue
        if abs((oy + oh / 2) - (y + h / 2)) < 1.2 * other.char_height + cand.char_height:
            tallest = max(tallest, other.char_height)
    ratio = cand.char_height / tallest
    return 1.0 if ratio > 0.85 else ratio**2


def plate_seeds(boxes: Sequence[Box], shape: tuple[int, ...], scale: float) -> list[tuple[Candidate, float]]:
    """The detector's best DETECTOR_TOP boxes (of an image of `shape`) as plate-blob candidates for
    `refine`, in the pixels of the working image (`scale` x the image's), grown by DETECTOR_MARGIN x
    their height and clipped at the image's edges, each with its score."""
    seeds = []
    for box in boxes[:DETECTOR_TOP]:
        x0, y0, x1, y1 = margin_box(box, DETECTOR_MARGIN, shape)
        x, y = round(x0 * scale), round(y0 * scale)
        w, h = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
        glyph_h = DETECTOR_GLYPH_SHARE * box.h * scale
        seeds.append((Candidate((x, y, w, h), glyph_h, 0.0, 6, 0.3, whole_plate=True), box.score))
    return seeds


def detector_box(seed: Candidate, shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    """The detector's own box (x0, y0, x1, y1) of one of `plate_seeds`: the seed without its
    DETECTOR_MARGIN, or the image's edge on a side where the seed was clipped there."""
    sx, sy, sw, sh = seed.box
    pad = DETECTOR_MARGIN / DETECTOR_GLYPH_SHARE * seed.char_height
    height, width = shape[:2]
    return (
        sx + pad if sx > 0 else 0,
        sy + pad if sy > 0 else 0,
        sx + sw - pad if sx + sw < width else width,
        sy + sh - pad if sy + sh < height else height,
    )


def stretched_to_plates(
    rows: Sequence[Candidate], seeds: Sequence[Candidate], shape: tuple[int, ...]
) -> list[Candidate]:
    """For each row centred in one of `plate_seeds`' boxes that stops short of the `detector_box`'s
    sides by more than STRETCH_SLACK glyph heights, a copy reaching them; the ranker chooses between
    the two. Rows with no box, or already reaching it, get none."""
    copies: list[Candidate] = []
    for row in rows:
        seed = next((s for s in seeds if centre_in(row.box, s.box)), None)
        if seed is None:
            continue
        left, _, right, _ = detector_box(seed, shape)
        x, y, w, h = row.box
        x0, x1 = min(x, round(left)), max(x + w, round(right))
        if x1 - x0 <= w + STRETCH_SLACK * row.char_height:
            continue
        n_chars = max(1, round(row.n_chars * (x1 - x0) / max(w, 1)))
        copies.append(dataclasses.replace(row, box=(x0, y, x1 - x0, h), n_chars=n_chars))
    return copies


def number_bands(
    seeds: Sequence[Candidate], read: Sequence[Candidate], shape: tuple[int, ...]
) -> list[Candidate]:
    """For each of `plate_seeds`' boxes with none of the rows `read` (with confidence) centred in it,
    the `number_band` of its `detector_box`, as a plate-shaped blob's is guessed: a plate too small
    or blurred for the row finder to cut a legible row. Read when nothing in the image reads like a
    plate even after the second look."""
    return [_band(seed, shape) for seed in seeds if not any(centre_in(row.box, seed.box) for row in read)]


def bands_under_small_print(
    seeds: Sequence[Candidate], rows: Sequence[ScoredRow], shape: tuple[int, ...]
) -> list[Candidate]:
    """For each of `plate_seeds`' boxes whose rows (those centred in it) are all printed at most
    1 / NUMBER_GLYPH_RATIO as tall as its `number_band`, one of them read with confidence: that band.
    On two plates filling the frame, a picture among the number's glyphs, no row was cut at the
    number while the county or the state's name was read (docs/recognition.md, step 41)."""
    bands = []
    for seed in seeds:
        band = _band(seed, shape)
        inside = [row for row in rows if centre_in(row.cand.box, seed.box)]
        if any(row.best.confidence >= LOW_CONFIDENCE for row in inside) and all(
            NUMBER_GLYPH_RATIO * row.cand.char_height <= band.char_height for row in inside
        ):
            bands.append(band)
    return bands


def _band(seed: Candidate, shape: tuple[int, ...]) -> Candidate:
    """The `number_band` of one of `plate_seeds`' boxes."""
    x0, y0, x1, y1 = detector_box(seed, shape)
    return number_band(x0, y0, x1 - x0, y1 - y0, 0.3)


def rows_on_plates(work: np.ndarray, seeds: list[Candidate], cands: list[Candidate]) -> list[Candidate]:
    """`rows_around` the detector's boxes, with their copies `stretched_to_plates` that are not
    another row again."""
    rows = rows_around(work, seeds, cands)
    for copy in stretched_to_plates(rows, seeds, work.shape):
        if all(iou(copy.box, row.box) < 0.7 for row in rows):
            rows.append(copy)
    return rows


def on_a_plate(row: tuple[int, int, int, int], plates: Sequence[Box]) -> bool:
    """Whether the centre of a row (x, y, w, h) lies in one of the detector's boxes, grown by
    PLATE_SUPPORT_MARGIN x its size on every side."""
    cx, cy = row[0] + row[2] / 2, row[1] + row[3] / 2
    return any(
        box.x - PLATE_SUPPORT_MARGIN * box.w <= cx <= box.x + (1 + PLATE_SUPPORT_MARGIN) * box.w
        and box.y - PLATE_SUPPORT_MARGIN * box.h <= cy <= box.y + (1 + PLATE_SUPPORT_MARGIN) * box.h
        for box in plates
    )


def _plates_under(
    rows: Sequence[tuple[ScoredRow, tuple[int, int, int, int]]], plates: Sequence[Box]
) -> list[set[int]]:
    """For each row (with its box in the image's pixels), the indexes of the `plates` it is on."""
    return [{j for j, plate in enumerate(plates) if on_a_plate(box, [plate])} for _, box in rows]


def printed_smaller(
    rows: Sequence[tuple[ScoredRow, tuple[int, int, int, int]]], plates: Sequence[Box]
) -> set[int]:
    """The indexes of the rows (each with its box in the image's pixels) printed smaller than a
    plate's number: another row on one of the same detector boxes (`plates`, `on_a_plate`) reads
    with confidence and has glyphs NUMBER_GLYPH_RATIO x as tall or more."""
    on = _plates_under(rows, plates)
    return {
        i
        for i, (row, _) in enumerate(rows)
        if any(
            other.best.confidence >= LOW_CONFIDENCE
            and other.cand.char_height >= NUMBER_GLYPH_RATIO * row.cand.char_height
            and on[i] & on[k]
            for k, (other, _) in enumerate(rows)
        )
    }


def cut_short(rows: Sequence[tuple[ScoredRow, tuple[int, int, int, int]]], plates: Sequence[Box]) -> set[int]:
    """The indexes of the rows (each with its box in the image's pixels) cut short of their plate's
    glyphs: another row overlapping it on one of the same detector boxes (`plates`, `on_a_plate`)
    reads with confidence the same text with 1 to MAX_CUT_GLYPHS more glyphs around it."""
    on = _plates_under(rows, plates)
    return {
        i
        for i, (row, box) in enumerate(rows)
        if any(
            other.best.confidence >= LOW_CONFIDENCE
            and 0 < len(other.best.text) - len(row.best.text) <= MAX_CUT_GLYPHS
            and row.best.text in other.best.text
            and _overlaps(box, other_box)
            and on[i] & on[k]
            for k, (other, other_box) in enumerate(rows)
        )
    }


def low_confidence(best: decoder.Decoded, glyph_height: float, reader_glyph_height: float) -> bool:
    """Whether a reading asks a person to check it: read below LOW_CONFIDENCE, a glyph below 0.5, or
    below SMALL_GLYPH_CONFIDENCE from glyphs (`glyph_height`, in the pixels the row was cut from)
    smaller than the reader draws them."""
    return (
        best.confidence < LOW_CONFIDENCE
        or min(best.char_confidences) < 0.5
        or (best.confidence < SMALL_GLYPH_CONFIDENCE and glyph_height < reader_glyph_height)
    )


def working_copy(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The image the candidate search works on (downscaled to MAX_SIDE at most) and its scale."""
    scale = min(1.0, MAX_SIDE / max(image.shape[:2]))
    if scale == 1.0:
        return image, scale
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), scale


def line_tensor(line: np.ndarray, width: int, gray: bool, mean: float, std: float) -> np.ndarray:
    """A BGR line image as a normalised (C, H, width) float tensor, right-padded by repeating its
    last column (training uses this same function, so the model sees what it saw in training)."""
    if line.shape[1] < width:
        line = cv2.copyMakeBorder(line, 0, 0, 0, width - line.shape[1], cv2.BORDER_REPLICATE)
    line = line[:, :width]
    if gray:
        line = cv2.cvtColor(line, cv2.COLOR_BGR2GRAY)[:, :, None]
    x = (line.astype(np.float32) / 255.0 - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def _plate_box(cand: Candidate, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The whole plate around its number: US plates are about twice the glyph row's height."""
    x, y, w, h = cand.box
    ch = cand.char_height
    x0 = max(0, int(x - 0.35 * ch))
    y0 = max(0, int(y - 0.7 * ch))
    x1 = min(shape[1], int(x + w + 0.35 * ch))
    y1 = min(shape[0], int(y + h + 0.6 * ch))
    return x0, y0, x1 - x0, y1 - y0


class Engine:
    """Finds and reads plates. Create once per process (the ONNX sessions load here)."""

    def __init__(
        self,
        recognizer: _Recognizer,
        text_reader: _TextReader | None,
        second_opinion: _Recognizer | None = None,
        max_candidates: int = 10,
        plate_ranker: ranker.Ranker | None = None,
        plate_detector: PlateDetector | None = None,
        support_score: float | None = None,
    ) -> None:
        self._recognizer = recognizer
        self._detector = plate_detector
        self._support = PLATE_SUPPORT_SCORE if support_score is None else support_score
        self._text_reader = text_reader
        self._second = second_opinion
        self._max_candidates = max_candidates
        self._ranker = plate_ranker
        words = f"+{text_reader.version}" if text_reader else ""
        ranked = f"+{plate_ranker.version}" if plate_ranker else ""
        detected = (
            f"+{plate_detector.version}+support-{self._support}"
            f"+unsure-prior-{UNSURE_PLATE_PRIOR}+number-glyphs-{NUMBER_GLYPH_RATIO}+{PARTS_VERSION}"
            if plate_detector
            else ""
        )
        self.model_version = (
            f"{recognizer.version}{words}{ranked}{detected}+small-glyphs-{SMALL_GLYPH_CONFIDENCE}"
            f"+{ROWS_VERSION}+{decoder.DECODING_VERSION}"
        )

    @property
    def reader_glyph_height(self) -> float:
        """How tall the plate reader draws a row's glyphs: rows with shorter glyphs are enlarged."""
        return self._recognizer.glyph_height

    @classmethod
    def load(
        cls,
        models_dir: pathlib.Path | None = None,
        threads: int = 1,
        ranked: bool = True,
        detected: bool = True,
        support_score: float | None = None,
    ) -> Engine:
        """Load the best plate recognizer under models_dir (default: the repository's layers/models),
        and the general text recognizer when it is there: it reads state names and gives a second
        opinion on low-confidence plates. ranked=False leaves the learned ranker out (training a new
        one, whose features may differ from the installed one's); detected=False the plate detector;
        support_score: the detector's score below which a reading is not reported (a department's
        setting, `Config.plate_support_score`; None: PLATE_SUPPORT_SCORE)."""
        root = models_dir or DEFAULT_MODELS_DIR
        general = (
            _Recognizer(root / TEXT_READER, threads)
            if (root / TEXT_READER / "manifest.json").is_file()
            else None
        )
        reader = _TextReader(root / TEXT_READER, threads, general.session) if general else None
        for name in RECOGNIZERS:
            if (root / name / "manifest.json").is_file():
                if general is not None and name == TEXT_READER:
                    return cls(general, reader)
                # The learned candidate score goes with the recognizer it was trained on.
                chooser = None
                if ranked and name == "plate-crnn" and (root / RANKER / "manifest.json").is_file():
                    chooser = ranker.Ranker(root / RANKER)
                # Loaded only where it is used: the general recognizer alone reads without it.
                finder = (
                    PlateDetector.load(root, threads)
                    if detected and (root / DETECTOR / "manifest.json").is_file()
                    else None
                )
                return cls(
                    _Recognizer(root / name, threads),
                    reader,
                    general,
                    plate_ranker=chooser,
                    plate_detector=finder,
                    support_score=support_score,
                )
        raise FileNotFoundError(f"no recognizer model under {root} (looked for {', '.join(RECOGNIZERS)})")

    def _second_opinion(self, image: np.ndarray, row: ScoredRow, reading: PlateReading) -> PlateReading:
        """Re-read a plate with the general recognizer; the two readings are combined by
        `decoder.combine`."""
        if self._second is None:
            return reading
        second = self._second.probabilities([self._second.line_image(image, row.cand)])[0]
        ranked = decoder.combine(row.probs, second, RESCORE_WEIGHT)
        if not ranked:
            return reading
        best = decoder.contested(row.best, ranked[0])
        return dataclasses.replace(
            reading,
            text=best.text,
            confidence=round(best.confidence, 4),
            char_confidences=tuple(round(c, 4) for c in best.char_confidences),
            low_confidence=low_confidence(best, row.cand.char_height, self.reader_glyph_height),
            candidates=tuple((o.text, round(o.confidence, 4)) for o in ranked[:8]),
        )

    def _state(self, image: np.ndarray, cand: Candidate) -> str | None:
        if self._text_reader is None or cand.char_height < STATE_MIN_GLYPH_H:
            return None
        # Most plates print the state above the number; read below only when above says nothing.
        above, below = _word_strips(image, cand)
        for strip in (above, below) if cand.char_height >= BELOW_BAND_MIN_GLYPH_H else (above,):
            found = [match_state(t) for t in self._text_reader.read([strip])]
            if found and found[0] is not None:
                return found[0][0]
        return None

    def candidates(self, image: np.ndarray) -> tuple[np.ndarray, float, list[ScoredRow]]:
        """Every legible candidate row of a BGR image with its reading, before choosing: the working
        image, its scale, and a ScoredRow per row. `read` chooses among these; `training/ranker.py`
        learns from them."""
        found = self.search(image)
        return found.work, found.scale, found.rows

    def search(self, image: np.ndarray) -> Search:
        """`candidates`, with the detector's boxes they were found with."""
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if image.ndim != 3 or image.shape[0] < 16 or image.shape[1] < 16:
            return Search(image, 1.0, [], [])
        work, scale = working_copy(image)
        gray = cv2.cvtColor(work, cv2.COLOR_BGR2GRAY)
        boxes: list[Box] = []
        plates: list[tuple[Candidate, float]] = []
        if self._detector is not None:
            threshold = self._detector.threshold
            boxes = self._detector.detect(image, min(threshold, self._support))
            plates = plate_seeds([b for b in boxes if b.score >= threshold], image.shape, scale)
        sure = self.rows_in_sure_boxes(work, gray, plates)
        if sure is not None:
            return Search(work, scale, sure, boxes)
        cands = find_candidates(work, max_candidates=self._max_candidates)
        cands += refine(work, cands)
        if plates:
            # Not the fragments of a row already found: on a plate filling the frame the detector
            # also boxes parts of it, and a part ("GUILTY" of "NTGUILTY") may read more confidently.
            rows = [c for c in cands if not c.whole_plate]
            cands += [
                found
                for found in rows_on_plates(work, [plate for plate, _ in plates], cands)
                if not any(mostly_inside(found.box, row.box) for row in rows)
            ]
        out = self._with_small_print_bands(
            work, gray, self._scored(work, gray, cands, cands, plates), cands, plates
        )
        # Without a ranker (training/ranker.py learning one) every image gets the second look, so
        # the ranker learns from all the rows it can bring.
        if self._ranker is None or not plate_found(out):
            # No row reads like a plate yet: look again where vertical strokes are dense (small plates
            # whose glyphs the thresholds fused with the frame).
            extra = second_look(work, gray, cands)
            out += self._scored(work, gray, extra, cands + extra, plates)
            if plates and not plate_found(out):
                # Still none: read the number's band in the detector's boxes no row was read in.
                read = [row.cand for row in out if row.best.confidence >= LOW_CONFIDENCE]
                bands = number_bands([plate for plate, _ in plates], read, work.shape)
                out += self._scored(work, gray, bands, cands + extra + bands, plates)
        return Search(work, scale, out, boxes)

    def rows_in_sure_boxes(
        self, work: np.ndarray, gray: np.ndarray, plates: Sequence[tuple[Candidate, float]]
    ) -> list[ScoredRow] | None:
        """The rows around the detector's boxes at its threshold (`plates`), with their
        `bands_under_small_print`, when one of the rows reads like a plate (`plate_found`); None when
        the whole frame must be searched (docs/recognition.md, steps 24, 39 and 41). Without a
        ranker (training/ranker.py learning one) the whole frame is always searched, for every row
        it brings."""
        if self._ranker is None or not plates:
            return None
        rows = rows_on_plates(work, [plate for plate, _ in plates], [])
        out = self._scored(work, gray, rows, rows, plates)
        # Bands are added only to what is returned anyway: a band read like a plate ending the search
        # would keep the whole frame's rows (and the state read around them) from being found.
        return self._with_small_print_bands(work, gray, out, rows, plates) if plate_found(out) else None

    def _with_small_print_bands(
        self,
        work: np.ndarray,
        gray: np.ndarray,
        rows: list[ScoredRow],
        cands: list[Candidate],
        plates: Sequence[tuple[Candidate, float]],
    ) -> list[ScoredRow]:
        """`rows` (read from `cands`), and the `bands_under_small_print` of the detector's boxes."""
        bands = bands_under_small_print([plate for plate, _ in plates], rows, work.shape)
        return rows + self._scored(work, gray, bands, cands + bands, plates)

    def _scored(
        self,
        work: np.ndarray,
        gray: np.ndarray,
        cands: list[Candidate],
        neighbours: list[Candidate],
        plates: Sequence[tuple[Candidate, float]] = (),
    ) -> list[ScoredRow]:
        """Read candidate rows in one batch and score each legible one (`neighbours`: every row of
        the image, for the banner penalty; `plates`: the detector's boxes and scores)."""
        if not cands:
            return []
        lines = [self._recognizer.line_image(work, c) for c in cands]
        out = []
        for cand, probs in zip(cands, self._recognizer.probabilities(lines), strict=True):
            options = decoder.decode(probs)
            if not options:
                continue
            best = options[0]
            if len(best.text) < decoder.MIN_PLATE_LEN:
                continue
            banner = _banner_factor(cand, neighbours)
            rank = best.confidence * decoder.plate_prior(best.text) * (0.5 + 0.5 * cand.score) * banner
            feats = ranker.features(cand, best, probs, banner, work, gray)
            learned = (
                self._ranker.score(feats) if self._ranker is not None else float(np.log(max(rank, 1e-9)))
            )
            learned += DETECTOR_WEIGHT * max(
                (score for plate, score in plates if centre_in(cand.box, plate.box)), default=0.0
            )
            out.append(ScoredRow(rank, learned, cand, best, options, feats, probs))
        return out

    def read(self, image: np.ndarray) -> list[PlateReading]:
        """Plates in a BGR image, best first; [] when none is legible."""
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        work, scale, scored, boxes = self.search(image)
        plates = [b for b in boxes if self._detector is None or b.score >= self._detector.threshold]
        # Above the detector's threshold the support score also leaves out its less sure plates.
        support = [b for b in boxes if b.score >= self._support]
        readings: list[tuple[ScoredRow, PlateReading, bool]] = []
        for row in scored:
            best = row.best
            x, y, w, h = _plate_box(row.cand, work.shape)
            box = (int(x / scale), int(y / scale), int(w / scale), int(h / scale))
            if self._detector is not None and not on_a_plate(box, support):
                continue  # where the detector saw no plate at all (its support score): no read
            crop = image[box[1] : box[1] + box[3], box[0] : box[0] + box[2]].copy()
            low = low_confidence(best, row.cand.char_height, self.reader_glyph_height)
            readings.append(
                (
                    row,
                    PlateReading(
                        text=best.text,
                        confidence=round(best.confidence, 4),
                        char_confidences=tuple(round(c, 4) for c in best.char_confidences),
                        box=box,
                        state=None,
                        low_confidence=low,
                        candidates=tuple((o.text, round(o.confidence, 4)) for o in row.options),
                        crop=crop,
                    ),
                    self._detector is None or on_a_plate(box, plates),
                )
            )
        # Signs, overlays and stickers read as well as plates do: a reading where the detector found a
        # plate comes before any where it was unsure, and those are flagged (the detector misses some
        # plates, so they are kept, for a person to check) when their text is shaped like a plate;
        # where it saw no plate at all there is no read. On one plate, text printed smaller than
        # its number, and a row a wider one reads whole, come after it. The learned score orders the
        # rest; the heuristic rank still rejects illegible ones.
        boxed = [(row, reading.box) for row, reading, _ in readings]
        after = printed_smaller(boxed, plates) | cut_short(boxed, plates)
        order = sorted(
            range(len(readings)), key=lambda i: (not readings[i][2], i in after, -readings[i][0].learned)
        )
        readings = [readings[i] for i in order]
        out: list[PlateReading] = []
        for row, reading, on_plate in readings:
            if row.rank < 0.05:
                continue
            if any(_overlaps(reading.box, o.box) for o in out):
                continue
            # Each costs another pass of the general recognizer, so: a second opinion for the best
            # plate only (unless plate-crnn is sure of it), and the state for it and for one more
            # plate that reads with confidence (a low-confidence row there is mostly other text, and
            # only ever a lead).
            if not out and decoder.needs_second_opinion(row.best):
                reading = self._second_opinion(work, row, reading)
            if not on_plate:
                if decoder.plate_prior(reading.text) < UNSURE_PLATE_PRIOR:
                    continue  # a word or a number on a box the detector is unsure of: no read
                reading = dataclasses.replace(reading, low_confidence=True)
            if not out or (len(out) < 2 and not reading.low_confidence):
                state = self._state(work, row.cand)
                # The state's serial formats tell 0 from O where its plates print them alike.
                reading = dataclasses.replace(
                    reading, text=decoder.state_serial(reading.text, state), state=state
                )
            out.append(reading)
        return out


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    iw = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return iw * ih > 0.3 * min(a[2] * a[3], b[2] * b[3])
