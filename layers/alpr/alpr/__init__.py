"""ALPR back office: the shared package deployed as the `alpr` Lambda layer."""

__version__ = "0.1.0"
