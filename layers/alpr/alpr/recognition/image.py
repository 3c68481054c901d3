"""Checking and decoding uploaded image bytes before any model sees them."""

from __future__ import annotations

import struct

import cv2
import numpy as np

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MIN_SIDE = 32


class ImageRejected(ValueError):
    """The bytes are not an image this system accepts; `reason` says why, in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _declared_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the PNG header or the first JPEG SOF marker, without decoding."""
    if data.startswith(_PNG_MAGIC):
        if len(data) < 24:
            return None
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None


def decode_image(data: bytes, *, max_pixels: int = 40_000_000) -> np.ndarray:
    """Decode JPEG or PNG bytes into a BGR uint8 array, or raise ImageRejected.

    Checks, in order: something was sent, the magic bytes, the declared dimensions (before
    decoding, so a decompression bomb is refused cheaply), then that the whole file decodes.
    """
    if not data:
        raise ImageRejected("empty file")
    if not (data.startswith(_JPEG_MAGIC) or data.startswith(_PNG_MAGIC)):
        raise ImageRejected("not a JPEG or PNG image")
    size = _declared_size(data)
    if size is None:
        raise ImageRejected("truncated or malformed header")
    width, height = size
    if width * height > max_pixels:
        raise ImageRejected(f"too big: {width}x{height} exceeds {max_pixels} pixels")
    if min(width, height) < MIN_SIDE:
        raise ImageRejected(f"too small: {width}x{height}")
    if data.startswith(_JPEG_MAGIC) and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise ImageRejected("truncated JPEG")
    if data.startswith(_PNG_MAGIC) and b"IEND" not in data[-16:]:
        raise ImageRejected("truncated PNG")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.ndim != 3 or image.shape[0] != height or image.shape[1] != width:
        raise ImageRejected("undecodable image")
    return np.ascontiguousarray(image, dtype=np.uint8)
