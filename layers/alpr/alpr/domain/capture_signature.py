"""Signed capture metadata: what a unit says about an image (who, when, where, which way) is signed
with the deployment's key when its ticket is issued, over the object key it may be stored under.

S3 enforces a presigned POST's conditions in the cloud, but moto does not, and nothing stops an
object from being copied to another key or having its metadata replaced by someone who may write
the bucket. The recognize path therefore checks the signature before it reads a byte: an object
without one, with an edited field, or under another key than the one it was signed for is refused.

The canonical form is JSON (unambiguous whatever a value holds): a version tag, the object key,
and each signed field as [name, value] in `SIGNED_METADATA` order; the signature is its
HMAC-SHA256 in hex. An absent field counts as the empty string (S3 may drop an empty metadata
value, and `check_upload` treats both alike).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import replace

from alpr.domain.errors import UploadRejected
from alpr.domain.uploads import META_PREFIX, UploadPlan
from alpr.names import CAPTURE_SIGNATURE_METADATA, UPLOAD_EXPIRES_METADATA, UPLOAD_METADATA

CANONICAL_VERSION = "alpr-capture-v1"
SIGNED_METADATA: tuple[str, ...] = (*UPLOAD_METADATA, UPLOAD_EXPIRES_METADATA)
MIN_KEY_BYTES = 32
SIGNATURE_REASONS = frozenset({"unsigned", "bad-signature"})  # the quarantine reasons of this check


def canonical_capture(object_key: str, metadata: Mapping[str, str]) -> bytes:
    """The bytes that are signed: the object key and the signed fields, in a fixed order."""
    meta = {k.lower(): v for k, v in metadata.items()}
    fields = [[name, meta.get(name, "")] for name in SIGNED_METADATA]
    return json.dumps([CANONICAL_VERSION, object_key, fields], separators=(",", ":")).encode()


def capture_signature(signing_key: bytes, object_key: str, metadata: Mapping[str, str]) -> str:
    if len(signing_key) < MIN_KEY_BYTES:
        raise ValueError(f"the capture signing key must be at least {MIN_KEY_BYTES} bytes")
    return hmac.new(signing_key, canonical_capture(object_key, metadata), hashlib.sha256).hexdigest()


def signed_metadata(signing_key: bytes, object_key: str, metadata: Mapping[str, str]) -> dict[str, str]:
    """The metadata with its signature for `object_key` added."""
    signature = capture_signature(signing_key, object_key, metadata)
    return {**metadata, CAPTURE_SIGNATURE_METADATA: signature}


def sign_plan(plan: UploadPlan, signing_key: bytes) -> UploadPlan:
    """The ticket's plan with the signature as one more form field, pinned by its own condition."""
    metadata = {k.removeprefix(META_PREFIX): v for k, v in plan.fields.items() if k.startswith(META_PREFIX)}
    field = META_PREFIX + CAPTURE_SIGNATURE_METADATA
    signature = capture_signature(signing_key, plan.key, metadata)
    return replace(
        plan, fields={**plan.fields, field: signature}, conditions=[*plan.conditions, {field: signature}]
    )


def check_capture_signature(signing_key: bytes, object_key: str, metadata: Mapping[str, str]) -> None:
    """UploadRejected unless the metadata carries a signature of its capture fields and this key."""
    meta = {k.lower(): v for k, v in metadata.items()}
    given = meta.get(CAPTURE_SIGNATURE_METADATA, "")
    if not given:
        raise UploadRejected(
            "unsigned",
            f"the upload carries no x-amz-meta-{CAPTURE_SIGNATURE_METADATA}: it was not "
            "stored through an upload ticket",
        )
    if not hmac.compare_digest(given.encode(), capture_signature(signing_key, object_key, meta).encode()):
        raise UploadRejected(
            "bad-signature",
            "the capture metadata (unit, time, position, heading, expiry) or the object key is not "
            "what its upload ticket signed: edited after signing, moved, or signed with another key",
        )
