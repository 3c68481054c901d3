"""The synthetic plate and scene renderer."""

import numpy as np

from alpr.demo.synth import PLATE_H, PLATE_W, known_styles, render_plate, render_scene
from alpr.recognition import decode_image


def test_scene_is_deterministic_per_seed() -> None:
    a = render_scene("7ABC123", "CA", seed=5)
    b = render_scene("7ABC123", "CA", seed=5)
    c = render_scene("7ABC123", "CA", seed=6)
    assert a == b
    assert a[0] != c[0]


def test_scene_is_a_decodable_jpeg_with_the_plate_inside() -> None:
    data, (x, y, w, h) = render_scene("KXJ4821", "NY", seed=1, width=800, height=600)
    image = decode_image(data)
    assert image.shape == (600, 800, 3)
    assert x >= 0 and y >= 0 and x + w <= 800 and y + h <= 600
    assert 1.4 < w / h < 2.8


def test_a_far_car_carries_a_smaller_plate_but_never_under_60_px() -> None:
    near = [render_scene("KXJ4821", "NY", seed=seed)[1] for seed in range(8)]
    far = [render_scene("KXJ4821", "NY", seed=seed, distance=3.0)[1] for seed in range(8)]
    assert max(w for _, _, w, _ in far) < min(w for _, _, w, _ in near)
    # The box is the warped plate's extent: a slight turn can make it a pixel or two narrower.
    assert min(w for _, _, w, _ in far) >= 58


def test_plate_has_the_plate_shape_and_ink_where_the_number_is() -> None:
    plate = render_plate("8XYZ091", "TX", rng=np.random.default_rng(0))
    assert plate.shape == (PLATE_H, PLATE_W, 3)
    gray = plate.mean(axis=2)
    middle = gray[int(PLATE_H * 0.4) : int(PLATE_H * 0.8), int(PLATE_W * 0.1) : int(PLATE_W * 0.9)]
    assert (middle < 100).mean() > 0.15  # dark glyphs on a light plate
    assert "CA" in known_styles()


def test_unknown_state_still_renders() -> None:
    plate = render_plate("ABC123", "ZZ", rng=np.random.default_rng(0))
    assert plate.shape == (PLATE_H, PLATE_W, 3)
