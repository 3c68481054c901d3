"""Parameter types the routes share, so the OpenAPI document states each rule once."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

ULID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"  # Crockford base32: no I, L, O or U

UlidPath = Annotated[
    str,
    Path(
        min_length=26,
        max_length=26,
        pattern=ULID_PATTERN,
        description="an id the system gave (a ULID: 26 characters, Crockford base32)",
    ),
]
