"""The learned plate detector: crops at the image's edge, letterbox, decoding, and the shipped model."""

import hashlib
import json
import math

import numpy as np
import pytest

from alpr.demo.synth import render_scene
from alpr.recognition import decode_image
from alpr.recognition.plate_detector import (
    DEFAULT_MODELS_DIR,
    NAME,
    PAD_VALUE,
    Box,
    PlateDetector,
    crop_with_margin,
    decode,
    fuse_plate_parts,
    iou_matrix,
    letterbox,
    margin_box,
    matches,
    nms,
    to_tensor,
)

MODEL_DIR = DEFAULT_MODELS_DIR / NAME


def _marked(h: int, w: int) -> np.ndarray:
    """An image whose every pixel tells its own coordinates."""
    ys, xs = np.mgrid[0:h, 0:w]
    return np.stack([xs % 256, ys % 256, (xs // 256) * 16 + ys // 256], axis=2).astype(np.uint8)


# ---- cropping ----------------------------------------------------------------------------------


def test_crop_with_margin_grows_by_the_height_on_every_side() -> None:
    image = _marked(200, 300)
    crop = crop_with_margin(image, Box(100, 80, 60, 20, 0.9), 0.25)
    assert crop.shape[:2] == (20 + 2 * 5, 60 + 2 * 5)
    assert tuple(crop[0, 0, :2]) == (95, 75)  # its first pixel is the image's (x=95, y=75)


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((-10.0, -4.0, 50.0, 20.0), (0, 0, 45, 21)),  # partly outside the top left
        ((270.0, 185.0, 50.0, 20.0), (265, 180, 300, 200)),  # partly outside the bottom right
        ((2.0, 3.0, 40.0, 20.0), (0, 0, 47, 28)),  # the margin alone would leave the image
        ((400.0, 300.0, 40.0, 20.0), (299, 199, 300, 200)),  # wholly outside: one edge pixel
    ],
)
def test_crop_is_clipped_at_the_image_edge(
    box: tuple[float, float, float, float], expected: tuple[int, int, int, int]
) -> None:
    image = _marked(200, 300)
    assert margin_box(box, 0.25, image.shape) == expected
    x0, y0, x1, y1 = expected
    crop = crop_with_margin(image, box, 0.25)
    assert crop.shape[:2] == (y1 - y0, x1 - x0)
    assert tuple(crop[0, 0, :2]) == (x0 % 256, y0 % 256)
    assert tuple(crop[-1, -1, :2]) == ((x1 - 1) % 256, (y1 - 1) % 256)


# ---- pre-processing ----------------------------------------------------------------------------


@pytest.mark.parametrize(("h", "w"), [(720, 1280), (1080, 1920), (480, 640), (1632, 918), (199, 300)])
def test_letterbox_scale_and_offset_round_trip(h: int, w: int) -> None:
    image = np.full((h, w, 3), 30, np.uint8)
    image[h // 3 : h // 3 + h // 10, w // 4 : w // 4 + w // 10] = 250  # a bright patch
    canvas, lb = letterbox(image, 640, 32)
    assert max(lb.width, lb.height) == 640 and lb.width % 32 == 0 and lb.height % 32 == 0
    assert canvas.shape == (lb.height, lb.width, 3)
    assert lb.scale == pytest.approx(640 / max(h, w))
    # Image points land in the input and come back.
    xs, ys = np.array([0.0, w / 4, w - 1.0]), np.array([0.0, h / 3, h - 1.0])
    ix, iy = lb.to_input(xs, ys)
    back_x, back_y = lb.to_image(ix, iy)
    np.testing.assert_allclose(back_x, xs, atol=1e-6)
    np.testing.assert_allclose(back_y, ys, atol=1e-6)
    # The patch's centre is bright where to_input says; the padding is grey.
    cx, cy = lb.to_input(w // 4 + w / 20, h // 3 + h / 20)
    assert canvas[int(cy), int(cx)].min() > 200
    if lb.pad_y:
        assert (canvas[0] == PAD_VALUE).all()
    if lb.pad_x:
        assert (canvas[:, 0] == PAD_VALUE).all()


def test_to_tensor_is_rgb_planes_normalised() -> None:
    canvas = np.zeros((32, 64, 3), np.uint8)
    canvas[..., 0] = 255  # blue in BGR
    x = to_tensor(canvas, 0.5, 0.25)
    assert x.shape == (1, 3, 32, 64) and x.dtype == np.float32
    assert x[0, 2].min() == pytest.approx(2.0)  # blue is the third RGB plane: (1 - 0.5) / 0.25
    assert x[0, 0].max() == pytest.approx(-2.0)


# ---- post-processing ---------------------------------------------------------------------------


def _maps(h: int = 24, w: int = 40) -> np.ndarray:
    out = np.zeros((5, h, w), np.float32)
    out[0] = 0.01
    return out


def test_decode_reads_centre_offset_and_size_at_local_maxima() -> None:
    out = _maps()
    out[0, 10, 20] = 0.9
    out[0, 10, 21] = 0.6  # a shoulder of the same peak, not a second box
    out[1:3, 10, 20] = (0.25, 0.75)
    out[3:5, 10, 20] = (math.log(10.0), math.log(2.5))
    out[0, 5, 5] = 0.7
    out[3:5, 5, 5] = (0.0, 0.0)
    out[0, 20, 30] = 0.2  # below the threshold
    boxes = decode(out, 4, 0.3)
    assert boxes.shape == (2, 5)
    np.testing.assert_allclose(
        boxes[0], [(20.25 - 5) * 4, (10.75 - 1.25) * 4, (20.25 + 5) * 4, (10.75 + 1.25) * 4, 0.9]
    )
    np.testing.assert_allclose(boxes[1], [5 * 4 - 2, 5 * 4 - 2, 5 * 4 + 2, 5 * 4 + 2, 0.7])
    assert len(decode(out, 4, 0.95)) == 0
    assert len(decode(out, 4, 0.1, max_boxes=1)) == 1


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    boxes = np.array(
        [[0, 0, 40, 10, 0.9], [2, 0, 42, 10, 0.8], [100, 100, 140, 110, 0.7], [0, 0, 15, 10, 0.6]], np.float32
    )
    kept = nms(boxes, 0.4)
    np.testing.assert_array_equal(kept[:, 4], np.array([0.9, 0.7, 0.6], np.float32))


def test_the_halves_of_a_plate_filling_the_frame_become_one_box() -> None:
    # On a tight crop the detector boxes a plate in overlapping pieces at the same height; each
    # piece's rows would lose the other's edge characters (issue 17's edge-character misses).
    pieces = np.array([[132, 24, 313, 99, 0.74], [31, 24, 226, 104, 0.71]], np.float32)
    fused = fuse_plate_parts(pieces, 0.35)
    np.testing.assert_allclose(fused, [[31, 24, 313, 104, 0.74]])


def test_plates_of_two_cars_side_by_side_stay_two() -> None:
    plates = np.array([[100, 300, 160, 330, 0.8], [400, 302, 462, 331, 0.7]], np.float32)
    np.testing.assert_array_equal(fuse_plate_parts(plates, 0.35), plates)


def test_a_part_inside_a_surer_plate_box_is_dropped() -> None:
    boxes = np.array(
        [[24, 12, 320, 122, 0.86], [194, 46, 320, 110, 0.48], [6, 130, 51, 150, 0.54]], np.float32
    )
    np.testing.assert_array_equal(fuse_plate_parts(boxes, 0.35), boxes[[0, 2]])


def test_boxes_below_the_threshold_are_left_as_they_are() -> None:
    # The engine asks for boxes down to a low score only to know where the detector saw nothing:
    # a weak box beside a plate must not stretch the plate's box.
    boxes = np.array(
        [[100, 300, 160, 330, 0.8], [158, 300, 200, 330, 0.2], [110, 305, 150, 325, 0.1]], np.float32
    )
    np.testing.assert_array_equal(fuse_plate_parts(boxes, 0.35), boxes)


def test_fusing_keeps_the_boxes_best_first() -> None:
    # The surest piece's place holds the fused box, ahead of a box that scored between the pieces
    boxes = np.array([[9, 0, 20, 5, 0.9], [100, 0, 120, 10, 0.7], [0, 0, 10, 5, 0.5]], np.float32)
    np.testing.assert_allclose(fuse_plate_parts(boxes, 0.35)[:, 4], [0.9, 0.7])


def test_matching_counts_each_true_box_once() -> None:
    truth = np.array([[0, 0, 40, 10], [100, 100, 140, 110]], np.float32)
    pred = np.array([[1, 0, 41, 10], [0, 1, 40, 11], [300, 300, 310, 310]], np.float32)
    assert iou_matrix(pred, truth)[0, 0] == pytest.approx(390 / 410)
    assert matches(pred, truth) == 1
    assert matches(pred[:0], truth) == 0


# ---- the shipped model -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def detector() -> PlateDetector:
    return PlateDetector.load(threads=1)


def test_manifest_names_its_file_data_and_licences() -> None:
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text())
    digest = hashlib.sha256((MODEL_DIR / manifest["file"]).read_bytes()).hexdigest()
    assert manifest["sha256"] == digest
    assert manifest["version"] == f"plate-detector-{digest[:8]}"
    assert manifest["role"] == "detector"
    data = manifest["training_data"]
    assert "CC BY 4.0" in data["openimages-plate-boxes"]
    assert "AGPL-3.0" in data["rendered-scenes"]
    assert "openalpr-us-dev" in data["never_used"]
    assert (MODEL_DIR / manifest["file"]).stat().st_size < 5_000_000


@pytest.mark.parametrize("seed", [3, 12, 21, 40, 57])
def test_detector_finds_the_plate_in_rendered_scenes(detector: PlateDetector, seed: int) -> None:
    data, (x, y, w, h) = render_scene("7ABC123", "CA", seed=seed)
    image = decode_image(data)
    boxes = detector.detect(image)
    assert boxes, "no plate found"
    truth = np.array([[x, y, x + w, y + h]], np.float32)
    best = max(
        iou_matrix(np.array([[b.x, b.y, b.x + b.w, b.y + b.h] for b in boxes], np.float32), truth)[:, 0]
    )
    assert best >= 0.5
    # The crop with the manifest's margin holds the whole plate.
    x0, y0, x1, y1 = margin_box(boxes[0], detector.margin, image.shape)
    assert x0 <= x + 0.05 * w and x1 >= x + 0.95 * w
    assert y0 <= y + 0.05 * h and y1 >= y + 0.95 * h


def test_detector_finds_nothing_on_a_blank_frame(detector: PlateDetector) -> None:
    rng = np.random.default_rng(0)
    image = np.clip(rng.normal(120, 6, (720, 1280, 3)), 0, 255).astype(np.uint8)
    assert detector.detect(image) == []
