"""The learned choice of which candidate row is the plate."""

import cv2
import numpy as np
import pytest

from alpr.recognition import Engine, decode_image
from alpr.recognition.ranker import FEATURES
from alpr.synth import render_scene


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
