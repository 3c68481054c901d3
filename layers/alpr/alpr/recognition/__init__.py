"""Plate recognition: image checks, plate finding and reading in ONNX Runtime.

OpenCV and ONNX Runtime are imported only inside this subpackage, so functions that never read a
plate never load them.
"""

# The one plate normaliser lives in the domain; re-exported under the engine's spelling.
from alpr.domain.plates import normalize_plate as normalise_plate
from alpr.recognition.decoder import ALPHABET
from alpr.recognition.engine import Engine, PlateReading
from alpr.recognition.image import ImageRejected, decode_image

__all__ = ["ALPHABET", "Engine", "ImageRejected", "PlateReading", "decode_image", "normalise_plate"]
