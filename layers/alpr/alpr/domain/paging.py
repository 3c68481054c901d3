"""The one paging token: an opaque continuation that only continues what made it.

A token carries the scope it was made for (the plate searched, a digest of a search, a list
name), an optional partition (which index part a search was in) and the position in it (the
last key DynamoDB returned). Decoding checks all three: a token from another search, or one
that is not ours, is refused with the same clear message.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from alpr.domain.errors import InvalidRequest

PageKey = dict[str, str]


def encode_page(scope: str, position: PageKey | None, partition: str = "") -> str:
    raw = json.dumps({"s": scope, "p": partition, "k": position}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_page(scope: str, token: str, *, refusal: str) -> tuple[str, PageKey | None]:
    """(partition, position) of a token made for `scope`; InvalidRequest(`refusal`) otherwise."""
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        partition, position = data["p"], data["k"]
        valid = (
            data["s"] == scope
            and isinstance(partition, str)
            and (
                position is None
                or (
                    isinstance(position, dict)
                    and all(isinstance(k, str) and isinstance(v, str) for k, v in position.items())
                )
            )
        )
    except (binascii.Error, ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise InvalidRequest(refusal)
    return partition, position
