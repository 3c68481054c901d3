"""Synthetic licence plates and street scenes, deterministic per seed.

Used by `make demo`, the tests and training, so the project never needs real photographs to run.
Fonts are OpenCV 5's built-in variable fonts: nothing is read from the system or the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PLATE_W, PLATE_H = 360, 180  # 12 x 6 inch US plate at 30 px per inch

Colour = tuple[int, int, int]  # BGR


@dataclass(frozen=True)
class PlateStyle:
    """A state's plate design, coarsely: colours and the words printed around the number."""

    name: str
    background: Colour
    text: Colour
    banner: Colour
    slogan: str
    italic_banner: bool = True


_STYLES: dict[str, PlateStyle] = {
    "CA": PlateStyle("California", (245, 245, 245), (110, 30, 20), (40, 30, 200), "dmv.ca.gov"),
    "NY": PlateStyle("NEW YORK", (70, 200, 240), (110, 45, 15), (110, 45, 15), "EXCELSIOR", False),
    "TX": PlateStyle("TEXAS", (240, 240, 240), (20, 20, 20), (20, 20, 20), "THE LONE STAR STATE", False),
    "FL": PlateStyle("Florida", (235, 240, 240), (40, 110, 10), (20, 110, 230), "Sunshine State"),
    "WA": PlateStyle("Washington", (235, 235, 235), (110, 40, 10), (110, 40, 10), "EVERGREEN STATE"),
    "IL": PlateStyle("Illinois", (240, 240, 240), (40, 20, 150), (40, 20, 150), "Land of Lincoln"),
    "NJ": PlateStyle("NEW JERSEY", (110, 215, 235), (20, 20, 20), (20, 20, 20), "GARDEN STATE", False),
    "AZ": PlateStyle("ARIZONA", (200, 225, 235), (70, 60, 120), (50, 90, 190), "GRAND CANYON STATE", False),
    "NV": PlateStyle("Nevada", (230, 215, 200), (100, 40, 10), (120, 80, 20), "Home Means Nevada"),
    "OR": PlateStyle("OREGON", (240, 240, 235), (100, 50, 20), (50, 100, 30), "", False),
    "MA": PlateStyle("Massachusetts", (245, 245, 245), (40, 30, 170), (40, 30, 170), "The Spirit of America"),
    "PA": PlateStyle("PENNSYLVANIA", (240, 235, 230), (100, 40, 10), (60, 170, 230), "visitPA.com", False),
}

_SANS = cv2.FontFace("sans")
_ITALIC = cv2.FontFace("italic")


def plate_style(state: str) -> PlateStyle:
    """The design used for a state; states without one get a plain white plate with the code."""
    state = state.upper()
    return _STYLES.get(state, PlateStyle(state, (240, 240, 240), (30, 30, 30), (60, 60, 60), "", False))


def known_styles() -> tuple[str, ...]:
    """States whose plate design the renderer knows."""
    return tuple(_STYLES)


def _text_width(text: str, font: cv2.FontFace, size: int, weight: int) -> int:
    canvas = np.zeros((4, 4, 3), np.uint8)
    end, _ = cv2.putText(canvas, text, (0, 2), (0, 0, 0), font, size, weight)
    return int(end[0])


def _draw_centered(
    img: np.ndarray, text: str, cy: int, width: int, font: cv2.FontFace, size: int, weight: int, col: Colour
) -> None:
    """Draw text centred horizontally, squeezed to fit within width (plates use condensed type)."""
    if not text:
        return
    natural = _text_width(text, font, size, weight)
    pad = size
    layer = np.zeros((size * 2, natural + 2 * pad, 3), np.uint8)
    mask = np.zeros(layer.shape[:2], np.uint8)
    cv2.putText(layer, text, (pad, int(size * 1.35)), col, font, size, weight)
    cv2.putText(mask, text, (pad, int(size * 1.35)), 255, font, size, weight)
    scale_x = min(1.0, width / max(natural, 1))
    new_w = max(1, int(layer.shape[1] * scale_x))
    layer = np.asarray(cv2.resize(layer, (new_w, layer.shape[0]), interpolation=cv2.INTER_AREA), np.uint8)
    mask = np.asarray(cv2.resize(mask, (new_w, mask.shape[0]), interpolation=cv2.INTER_AREA), np.uint8)
    x0 = (img.shape[1] - new_w) // 2
    y0 = cy - int(size * 1.0)
    h, w = layer.shape[:2]
    xs, ys = max(0, -x0), max(0, -y0)
    xe, ye = min(w, img.shape[1] - x0), min(h, img.shape[0] - y0)
    if xe <= xs or ye <= ys:
        return
    region = img[y0 + ys : y0 + ye, x0 + xs : x0 + xe].astype(np.float32)
    alpha = mask[ys:ye, xs:xe, None].astype(np.float32) / 255.0
    region = region * (1 - alpha) + layer[ys:ye, xs:xe].astype(np.float32) * alpha
    img[y0 + ys : y0 + ye, x0 + xs : x0 + xe] = region.astype(np.uint8)


def render_plate(text: str, state: str = "CA", *, rng: np.random.Generator) -> np.ndarray:
    """A frontal plate (BGR, PLATE_H x PLATE_W) carrying `text` in the given state's design."""
    style = plate_style(state)
    img = np.empty((PLATE_H, PLATE_W, 3), np.uint8)
    jitter = rng.integers(-12, 12, size=3)
    img[:] = np.clip(np.array(style.background) + jitter, 0, 255).astype(np.uint8)
    # A gentle vertical gradient, as printed sheeting shows under daylight.
    grad = np.linspace(1.0 + rng.uniform(0, 0.06), 1.0 - rng.uniform(0, 0.1), PLATE_H)[:, None, None]
    img[:] = np.clip(img.astype(np.float32) * grad, 0, 255).astype(np.uint8)
    weight = int(rng.integers(650, 900))
    size = int(rng.integers(78, 92))
    _draw_centered(
        img, text, int(PLATE_H * 0.64), int(PLATE_W * rng.uniform(0.8, 0.9)), _SANS, size, weight, style.text
    )
    banner_font = _ITALIC if style.italic_banner else _SANS
    _draw_centered(
        img, style.name, int(PLATE_H * 0.2), int(PLATE_W * 0.7), banner_font, 34, 700, style.banner
    )
    _draw_centered(img, style.slogan, int(PLATE_H * 0.93), int(PLATE_W * 0.6), _SANS, 17, 500, style.banner)
    # Frame and bolt holes.
    frame = tuple(int(c) for c in rng.integers(0, 80, size=3))
    cv2.rectangle(img, (0, 0), (PLATE_W - 1, PLATE_H - 1), frame, int(rng.integers(3, 9)))
    for x in (int(PLATE_W * 0.2), int(PLATE_W * 0.8)):
        cv2.circle(img, (x, int(PLATE_H * 0.09)), 6, (90, 90, 90), -1)
    return img


def _car_background(
    rng: np.random.Generator, width: int, height: int, distance: float = 1.0
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A street with the back of a car (smaller by `distance`); returns the image and the bumper
    area where a plate goes."""
    top = np.array(rng.integers(120, 230, size=3), np.float32)
    bottom = np.array(rng.integers(40, 120, size=3), np.float32)
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    img = (top * (1 - t) + bottom * t) * np.ones((1, width, 1), np.float32)
    img += rng.normal(0, 6, size=img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    # Road clutter: a few rectangles and lines (signs, kerbs, other cars).
    for _ in range(int(rng.integers(4, 10))):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(20, width // 3)), int(rng.integers(10, height // 4))
        col = tuple(int(c) for c in rng.integers(0, 255, size=3))
        cv2.rectangle(img, (x, y), (x + w, y + h), col, -1 if rng.random() < 0.6 else 3)
    # The car: body, rear window, lights, bumper.
    cw = int(width * rng.uniform(0.45, 0.7) / distance)
    ch = int(height * rng.uniform(0.5, 0.7) / distance)
    cx = int(rng.integers(int(width * 0.05), max(int(width * 0.05) + 1, width - cw - int(width * 0.05))))
    cy = int(height - ch - rng.integers(0, max(1, height // 10)))
    body = tuple(int(c) for c in rng.integers(20, 235, size=3))
    cv2.rectangle(img, (cx, cy + ch // 5), (cx + cw, cy + ch), body, -1)
    cv2.rectangle(img, (cx + cw // 8, cy), (cx + cw - cw // 8, cy + ch // 5 + 5), body, -1)
    glass = tuple(int(c) for c in rng.integers(20, 90, size=3))
    cv2.rectangle(img, (cx + cw // 6, cy + 8), (cx + cw - cw // 6, cy + ch // 4), glass, -1)
    lights = (30, 30, int(rng.integers(150, 255)))
    cv2.rectangle(img, (cx + 10, cy + ch // 3), (cx + cw // 5, cy + ch // 3 + ch // 8), lights, -1)
    cv2.rectangle(img, (cx + cw - cw // 5, cy + ch // 3), (cx + cw - 10, cy + ch // 3 + ch // 8), lights, -1)
    bumper = tuple(int(c * 0.5) for c in body)
    cv2.rectangle(img, (cx, cy + int(ch * 0.78)), (cx + cw, cy + ch), bumper, -1)
    plate_area = (cx + cw // 2, cy + int(ch * 0.6), cw, ch)
    return img, plate_area


def render_scene(
    text: str,
    state: str = "CA",
    *,
    seed: int = 0,
    width: int = 1280,
    height: int = 720,
    distance: float = 1.0,
) -> tuple[bytes, tuple[int, int, int, int]]:
    """A JPEG of a car carrying the plate, and the plate's box (x, y, w, h) in that image.

    Background, plate size, angle, lighting, blur and noise all follow from the seed. At distance 1
    the car fills half the frame or more and the plate is at least 90 px wide; at distance 2-3 the
    car is as far as in a patrol car's street photo (plates 60-130 px wide in 1280 px; never under 60).
    """
    rng = np.random.default_rng(seed)
    scene, (centre_x, centre_y, car_w, _) = _car_background(rng, width, height, distance)
    plate = render_plate(text, state, rng=rng)
    pw = int(np.clip(car_w * rng.uniform(0.22, 0.3), max(60.0, 90 / distance), width * 0.4))
    ph = pw // 2
    # A mild perspective: the plate seen a little from the side and from above.
    yaw = rng.uniform(-0.12, 0.12)
    pitch = rng.uniform(-0.06, 0.06)
    roll = rng.uniform(-0.05, 0.05)
    src = np.array([[0, 0], [PLATE_W, 0], [PLATE_W, PLATE_H], [0, PLATE_H]], dtype=np.float32)
    corners = np.array(
        [
            [-pw / 2, -ph / 2 * (1 - yaw)],
            [pw / 2, -ph / 2 * (1 + yaw)],
            [pw / 2 * (1 - pitch), ph / 2 * (1 + yaw)],
            [-pw / 2 * (1 - pitch), ph / 2 * (1 - yaw)],
        ],
        dtype=np.float32,
    )
    rot = np.array([[np.cos(roll), -np.sin(roll)], [np.sin(roll), np.cos(roll)]], dtype=np.float32)
    dst = corners @ rot.T + np.array([centre_x, centre_y], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    warped = cv2.warpPerspective(plate, matrix, (width, height), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full(plate.shape[:2], 255, np.uint8), matrix, (width, height))
    alpha = mask[:, :, None].astype(np.float32) / 255.0
    img = scene.astype(np.float32) * (1 - alpha) + warped.astype(np.float32) * alpha
    # Lighting, blur, sensor noise.
    img = img * rng.uniform(0.6, 1.25) + rng.uniform(-20, 20)
    kernel = int(rng.choice([1, 1, 3, 3, 5]))
    if kernel > 1:
        img = cv2.GaussianBlur(img, (kernel, kernel), 0)
    img = img + rng.normal(0, rng.uniform(1, 6), size=img.shape)
    out = np.clip(img, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 95))])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 image
        raise RuntimeError("JPEG encoding failed")
    xs, ys = dst[:, 0], dst[:, 1]
    x0, y0 = max(0, int(np.floor(xs.min()))), max(0, int(np.floor(ys.min())))
    x1, y1 = min(width, int(np.ceil(xs.max()))), min(height, int(np.ceil(ys.max())))
    return buf.tobytes(), (x0, y0, x1 - x0, y1 - y0)
