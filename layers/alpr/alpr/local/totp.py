"""TOTP codes (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps), as an authenticator app shows them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

STEP_S = 30


def totp(secret: str, at: float | None = None) -> str:
    """The code for base32 `secret` at time `at` (now)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // STEP_S)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def fresh_totp(secret: str, margin_s: float = 3.0) -> str:
    """A code that stays valid for at least `margin_s` (waits for the next step if needed)."""
    left = STEP_S - time.time() % STEP_S
    if left < margin_s:
        time.sleep(left + 0.05)
    return totp(secret)
