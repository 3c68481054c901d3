"""The plate verifier: its window and crop at the image's edge, the re-scoring, and the shipped model."""

import hashlib
import json

import numpy as np
import pytest

from alpr.demo.synth import render_scene
from alpr.recognition import decode_image
from alpr.recognition.plate_detector import DEFAULT_MODELS_DIR, PlateDetector, iou_matrix
from alpr.recognition.plate_verifier import NAME, PAD_VALUE, PlateVerifier, crop, window

MODEL_DIR = DEFAULT_MODELS_DIR / NAME


def _marked(h: int, w: int) -> np.ndarray:
    """An image whose every pixel tells its own coordinates."""
    ys, xs = np.mgrid[0:h, 0:w]
    return np.stack([xs % 256, ys % 256, (xs // 256) * 16 + ys // 256], axis=2).astype(np.uint8)


# ---- window and crop ---------------------------------------------------------------------------


def test_window_is_centred_on_the_box_at_the_inputs_aspect() -> None:
    # A plate-shaped box: its width is the longer fit, so the window is twice as wide as it.
    region = window(np.array([100, 50, 200, 80], np.float32), 2.0, 48, 128)
    assert region.tolist() == pytest.approx([50, 27.5, 250, 102.5])
    assert (region[2] - region[0]) / (region[3] - region[1]) == pytest.approx(128 / 48)


def test_window_of_a_tall_box_is_fitted_to_its_height() -> None:
    region = window(np.array([0, 0, 20, 60], np.float32), 2.0, 48, 128)
    assert region[3] - region[1] == pytest.approx(120)
    assert region[2] - region[0] == pytest.approx(320)
    assert ((region[0] + region[2]) / 2, (region[1] + region[3]) / 2) == pytest.approx((10, 30))


def test_crop_at_one_pixel_per_input_pixel_copies_the_image() -> None:
    image = _marked(200, 300)
    out = crop(image, np.array([40, 30, 168, 78], np.float32), 48, 128)
    assert out.shape == (48, 128, 3)
    assert np.array_equal(out, image[30:78, 40:168])


def test_crop_beyond_the_image_edge_is_grey_outside_it() -> None:
    image = _marked(100, 200)
    # The window starts 10 px left of and 5 px above the image.
    out = crop(image, np.array([-10, -5, 118, 43], np.float32), 48, 128)
    assert (out[:, :10] == PAD_VALUE).all()
    assert (out[:5] == PAD_VALUE).all()
    assert np.array_equal(out[5:, 10:], image[0:43, 0:118])


def test_crop_of_a_large_region_is_shrunk_to_the_input() -> None:
    image = np.zeros((400, 1000, 3), np.uint8)
    image[:, 500:] = 255  # right half white
    out = crop(image, np.array([0, 0, 1000, 375], np.float32), 48, 128)
    assert out.shape == (48, 128, 3)
    assert (out[:, :60] == 0).all() and (out[:, 68:] == 255).all()


# ---- the shipped model -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def verifier() -> PlateVerifier:
    return PlateVerifier(MODEL_DIR)


def test_manifest_names_its_file_detector_and_data() -> None:
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text())
    digest = hashlib.sha256((MODEL_DIR / manifest["file"]).read_bytes()).hexdigest()
    assert manifest["sha256"] == digest
    assert manifest["version"] == f"plate-verifier-{digest[:8]}"
    assert manifest["role"] == "verifier"
    assert manifest["detector"] == PlateDetector.load(threads=1, verified=False).version
    assert "openalpr-us-dev" in manifest["training_data"]["never_used"]
    assert "CC BY 4.0" in manifest["training_data"]["openimages-plate-boxes"]
    assert "AGPL-3.0" in manifest["training_data"]["rendered-scenes"]
    assert (MODEL_DIR / manifest["file"]).stat().st_size < 5_000_000


def test_the_detector_loads_with_its_verifier_unless_told_not_to() -> None:
    both = PlateDetector.load(threads=1)
    alone = PlateDetector.load(threads=1, verified=False)
    assert both.verifier is not None and alone.verifier is None
    assert both.version == f"{alone.version}+{both.verifier.version}"
    assert both.threshold == both.verifier.threshold
    assert alone.threshold == alone.manifest["score_threshold"]


@pytest.mark.parametrize("seed", [3, 12, 21])
def test_a_plate_scores_above_what_is_not_one(verifier: PlateVerifier, seed: int) -> None:
    data, (x, y, w, h) = render_scene("7ABC123", "CA", seed=seed)
    image = decode_image(data)
    plate = [x, y, x + w, y + h]
    road = [x - 3 * w, y + 2 * h, x - 2 * w, y + 3 * h]  # a patch of road beside the car
    plate_score, road_score = verifier.scores(image, np.array([plate, road], np.float32))
    assert plate_score >= 0.5 > road_score


def test_rescore_is_the_geometric_mean_best_first(verifier: PlateVerifier) -> None:
    data, (x, y, w, h) = render_scene("7ABC123", "CA", seed=5)
    image = decode_image(data)
    found = np.array([[0, 0, w, h, 0.9], [x, y, x + w, y + h, 0.2]], np.float32)
    probabilities = verifier.scores(image, found)
    out = verifier.rescore(image, found)
    expected = np.sqrt(found[:, 4] * probabilities)
    assert sorted(out[:, 4].tolist(), reverse=True) == pytest.approx(sorted(expected.tolist(), reverse=True))
    assert out[0, 4] >= out[1, 4]
    assert verifier.rescore(image, found[:0]).shape == (0, 5)


def test_detector_with_verifier_finds_the_plate() -> None:
    detector = PlateDetector.load(threads=1)
    data, (x, y, w, h) = render_scene("7ABC123", "CA", seed=40)
    boxes = detector.detect(decode_image(data))
    assert boxes and boxes[0].score >= detector.threshold
    found = np.array([[b.x, b.y, b.x + b.w, b.y + b.h] for b in boxes[:1]], np.float32)
    assert iou_matrix(found, np.array([[x, y, x + w, y + h]], np.float32))[0, 0] >= 0.5
