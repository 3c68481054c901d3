"""training/ranker.py's scenes: a real plate photograph pasted over a rendered plate."""

from __future__ import annotations

import numpy as np

from training.ranker import paste_real_plate

CAR = 60  # the car's paint around the plate


def test_nothing_of_the_rendered_plate_shows_around_a_real_plate_pasted_over_it() -> None:
    # A rendered plate: white sheeting with a slogan along its top and bottom edges, on a grey car.
    image = np.full((300, 500, 3), CAR, np.uint8)
    box = (150, 100, 200, 100)
    x, y, w, h = box
    image[y : y + h, x : x + w] = 255
    image[y + 5 : y + 20, x + 20 : x + w - 20] = 0
    image[y + h - 20 : y + h - 5, x + 20 : x + w - 20] = 0
    # A real plate photograph: at 85 % of the plate's width, any more than 1.7 times as wide as high
    # (most crops are about 2) leaves bands of the rendered plate above and below; wider here.
    crop = np.full((30, 100, 3), 128, np.uint8)

    px, py, pw, ph = paste_real_plate(image, box, crop)

    assert (image[py : py + ph, px : px + pw] == 128).all()
    around = np.ones((300, 500), bool)
    around[py : py + ph, px : px + pw] = False
    # Around it, plain sheeting of the photograph's own colour: no other state's slogan to be read
    ring = image[y : y + h, x : x + w][around[y : y + h, x : x + w]]
    assert (ring == 128).all()
