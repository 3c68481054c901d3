"""Plate recognition: image checks, plate finding and reading in ONNX Runtime.

OpenCV and ONNX Runtime are imported only inside this subpackage, so functions that never read a
plate never load them.
"""

from alpr.recognition.decoder import ALPHABET, normalise_plate
from alpr.recognition.engine import Engine, PlateReading
from alpr.recognition.image import ImageRejected, decode_image

__all__ = ["ALPHABET", "Engine", "ImageRejected", "PlateReading", "decode_image", "normalise_plate"]
