"""The learned choice of which candidate row is the plate."""

import cv2
import numpy as np
import pytest

from alpr.demo.synth import render_scene
from alpr.recognition import Engine, decode_image
from alpr.recognition.decoder import N_CLASSES, Decoded
from alpr.recognition.detect import Candidate
from alpr.recognition.engine import ScoredRow, plate_found
from alpr.recognition.ranker import FEATURES, features


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(threads=1)


def test_engine_loads_the_ranker_with_matching_features(engine: Engine) -> None:
    assert "plate-ranker" in engine.model_version
    _work, _scale, scored = engine.candidates(decode_image(render_scene("7ABC123", "CA", seed=3)[0]))
    assert scored
    for row in scored:
        assert row.features.shape == (len(FEATURES),)
        assert np.isfinite(row.features).all() and np.isfinite(row.learned)


def test_plate_outranks_a_camera_timestamp(engine: Engine) -> None:
    data, _box = render_scene("KXJ4821", "NY", seed=12)
    img = decode_image(data).copy()
    cv2.putText(
        img,
        "2014-06-12 14:22:05",
        (20, img.shape[0] - 20),
        cv2.FONT_HERSHEY_SIMPLEX,
        1.4,
        (255, 255, 255),
        3,
        cv2.LINE_AA,
    )
    readings = engine.read(img)
    assert readings and readings[0].text == "KXJ4821"


def test_engine_without_the_ranker_for_training_a_new_one() -> None:
    # training/ranker.py loads the engine this way, so a change of FEATURES cannot trip over the
    # installed ranker's weights.
    assert "plate-ranker" not in Engine.load(threads=1, ranked=False).model_version


def test_band_texture_is_a_log_so_a_faint_row_cannot_dominate_the_score() -> None:
    # A flat, faint row between two heavily textured bands: the raw ratio of their spreads is about
    # 15, far beyond anything the ranker trained on (99.9th percentile 2.2); its log is about 2.7.
    gray = np.full((60, 200), 128, np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (60, 200), dtype=np.uint8)
    gray[:22], gray[38:] = noise[:22], noise[38:]
    cand = Candidate((20, 25, 160, 10), 10.0, 0.0, 6, 0.9)
    best = Decoded("ABC123", 0.9, (0.9,) * 6)
    probs = np.full((32, N_CLASSES), 1.0 / N_CLASSES, np.float32)
    image = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    texture = features(cand, best, probs, 1.0, image, gray)[FEATURES.index("log_band_texture")]
    assert 2.5 < texture < 3.5

    flat = np.full((60, 200), 128, np.uint8)
    floor = features(cand, best, probs, 1.0, cv2.cvtColor(flat, cv2.COLOR_GRAY2BGR), flat)
    assert floor[FEATURES.index("log_band_texture")] == pytest.approx(np.log(0.05))


def _row(text: str, learned: float, confidence: float) -> ScoredRow:
    reading = Decoded(text, confidence, (confidence,) * len(text))
    cand = Candidate((0, 0, 70, 20), 20.0, 0.0, len(text), 0.9)
    return ScoredRow(
        0.5, learned, cand, reading, [reading], np.zeros(len(FEATURES)), np.zeros((32, N_CLASSES))
    )


@pytest.mark.parametrize(
    ("rows", "found"),
    [
        ([_row("5RIN962", 2.0, 0.99)], True),
        # A confident bus number or sign word: the plate may still be missing, so look further
        ([_row("29906", 2.0, 0.99)], False),
        ([_row("NOTICE", 2.0, 0.99)], False),
        ([_row("5RIN962", 2.0, 0.3)], False),
        ([_row("5RIN962", -1.0, 0.99)], False),
        ([_row("29906", 2.0, 0.99), _row("5RIN962", 1.5, 0.9)], True),
    ],
)
def test_the_engine_looks_further_until_a_row_reads_like_a_plate(rows: list[ScoredRow], found: bool) -> None:
    assert plate_found(rows) is found
