"""HTTP client for the ALPR API, as a vehicle unit or an investigator uses it.

The CLI, the demo and the end-to-end tests all go through this one client, so what
they exercise is what a real caller sends over the wire.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet, InvalidToken

from alpr.domain.access import Purpose


class ApiError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class UnitCapture:
    """Where and when a unit took an image."""

    captured_at: datetime
    lat: float
    lon: float
    heading: float | None = None

    def as_json(self, content_type: str) -> dict[str, Any]:
        return {
            "captured_at": self.captured_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "lat": self.lat,
            "lon": self.lon,
            "heading": self.heading,
            "content_type": content_type,
        }


class AlprClient:
    """`purpose` (category, case number, words) goes with every request as the X-Purpose-*
    headers the access gate requires; `call(..., purpose=...)` overrides it for one request."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout_s: float = 60.0,
        purpose: Purpose | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s
        self.purpose = purpose
        self.session = requests.Session()

    def with_purpose(self, purpose: Purpose | None) -> AlprClient:
        """The same caller with another purpose (None: without one)."""
        return AlprClient(self.base_url, self.token, self.timeout_s, purpose)

    def _headers(self, extra: dict[str, str] | None = None, purpose: Purpose | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        stated = purpose or self.purpose
        return {**headers, **(stated.headers() if stated else {}), **(extra or {})}

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call; raises ApiError on any non-2xx status."""
        headers = self._headers(kwargs.pop("headers", None), kwargs.pop("purpose", None))
        response = self.session.request(
            method, f"{self.base_url}{path}", headers=headers, timeout=self.timeout_s, **kwargs
        )
        body: Any = response.json() if response.content else None
        if not response.ok:
            raise ApiError(response.status_code, body)
        return body

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", "/health")
        return result

    def read_image(self, read_id: str, crop: bool = False) -> bytes:
        """A read's image (or plate crop), through the API's redirect to a short-lived link; the
        redirect drops the token (another host or port), the link needs none."""
        response = self.session.get(
            f"{self.base_url}/v1/reads/{read_id}/image",
            params={"crop": "true"} if crop else None,
            headers=self._headers(),
            timeout=self.timeout_s,
        )
        if not response.ok:
            raise ApiError(response.status_code, response.text)
        return response.content

    def upload(
        self,
        image: bytes,
        capture: UnitCapture,
        content_type: str = "image/jpeg",
        upload_id: str | None = None,
    ) -> str:
        """Ask for a presigned POST, then send the image to it; returns the object key.

        The same `upload_id` on a retry lands on the same key, so the image is read once."""
        body = capture.as_json(content_type) | ({"upload_id": upload_id} if upload_id else {})
        ticket = self.call("POST", "/v1/uploads", json=body)
        response = self.session.post(
            ticket["url"],
            data=ticket["fields"],
            files={"file": ("image", image, content_type)},
            timeout=self.timeout_s,
        )
        if response.status_code not in (200, 201, 204):
            raise ApiError(response.status_code, response.text)
        key: str = ticket["key"]
        return key

    def search_plate(
        self,
        plate: str,
        start: datetime | None = None,
        end: datetime | None = None,
        headers: dict[str, str] | None = None,
        state: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every read of a plate in the window (all pages), newest first."""
        params: dict[str, str] = {"plate": plate}
        if state:
            params["state"] = state
        if start:
            params["from"] = start.astimezone(UTC).isoformat().replace("+00:00", "Z")
        if end:
            params["to"] = end.astimezone(UTC).isoformat().replace("+00:00", "Z")
        reads: list[dict[str, Any]] = []
        while True:
            page = self.call("GET", "/v1/reads", params=params, headers=headers)
            reads.extend(page["items"])
            if not page.get("next"):
                return reads
            params["next"] = page["next"]

    def correct_read(self, read_id: str, plate: str, *, state: str | None, reason: str) -> dict[str, Any]:
        """A supervisor's correction of a misread; the receipt (the correction, the alerts closed)."""
        body = {"plate": plate, "reason": reason, **({"state": state} if state else {})}
        receipt: dict[str, Any] = self.call("POST", f"/v1/reads/{read_id}/corrections", json=body)
        return receipt

    def wait_for_plate(self, plate: str, count: int = 1, timeout_s: float = 60.0) -> list[dict[str, Any]]:
        """Poll the plate search until `count` reads are there (recognition is asynchronous in AWS)."""
        deadline = time.monotonic() + timeout_s
        while True:
            reads = self.search_plate(plate)
            if len(reads) >= count or time.monotonic() > deadline:
                return reads
            time.sleep(0.5)


@dataclass(frozen=True)
class Waiting:
    """One image waiting in the outbox (what `alpr unit status` shows)."""

    upload_id: str
    captured_at: datetime
    size: int


class Outbox:
    """A unit's on-disk queue: an image leaves it only once the upload succeeded, so a patrol car
    that loses signal loses nothing; and once it succeeded, nothing of it stays on the car.

    What waits is encrypted (Fernet: AES-128-CBC + HMAC-SHA256) with a key derived from the unit's
    credential (PBKDF2-HMAC-SHA256 over the outbox's own random salt), one file per image holding
    its capture and its bytes. When the object is stored (the presigned POST answered 2xx) the file
    is deleted and only the image's SHA-256 and its object key are kept (`sent.log`), so the same
    image queued twice is not sent twice.
    """

    LEDGER_LIMIT = 10_000  # hashes kept for de-duplication: far more than a shift's captures
    _ITERATIONS = 200_000

    def __init__(self, directory: Path, *, secret: str) -> None:
        if not secret:
            raise ValueError(
                "the outbox needs the unit's credential (ALPR_UNIT_SECRET) to encrypt what waits"
            )
        self.directory = directory
        self.pending = directory / "pending"
        self.pending.mkdir(parents=True, exist_ok=True)
        self.ledger = directory / "sent.log"
        self._fernet = Fernet(self._key(secret))
        self._forget_legacy()

    def _key(self, secret: str) -> bytes:
        salt_file = self.directory / "salt"
        if not salt_file.exists():
            salt_file.write_bytes(os.urandom(16))
        raw = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt_file.read_bytes(), self._ITERATIONS)
        return base64.urlsafe_b64encode(raw)

    def _forget_legacy(self) -> None:
        """An older outbox kept sent images in `sent/` and waiting ones in the clear: the sent are
        deleted, the waiting encrypted."""
        shutil.rmtree(self.directory / "sent", ignore_errors=True)
        for image in sorted(p for p in self.pending.iterdir() if p.suffix not in (".json", ".alpr", ".tmp")):
            sidecar = image.with_suffix(".json")
            if sidecar.exists():
                meta = json.loads(sidecar.read_text())
                self._store(image.read_bytes(), meta | {"content_type": _content_type(image)})
                sidecar.unlink()
            image.unlink()

    def _store(self, data: bytes, meta: dict[str, Any]) -> Path:
        target = self.pending / f"{meta['upload_id']}.alpr"
        sealed = self._fernet.encrypt(json.dumps(meta).encode() + b"\0" + data)
        partial = target.with_suffix(".tmp")
        partial.write_bytes(sealed)
        partial.replace(target)  # whole or absent
        return target

    def _open(self, path: Path) -> tuple[dict[str, Any], bytes]:
        try:
            plain = self._fernet.decrypt(path.read_bytes())
        except InvalidToken:
            raise ValueError(f"{path.name} does not open with this unit's credential") from None
        header, _, data = plain.partition(b"\0")
        meta: dict[str, Any] = json.loads(header)
        return meta, data

    def sent_keys(self) -> dict[str, str]:
        """SHA-256 of each image sent -> its object key (the de-duplication ledger)."""
        if not self.ledger.exists():
            return {}
        pairs = (line.split(" ", 1) for line in self.ledger.read_text().splitlines() if " " in line)
        return {digest: key for digest, key in pairs}

    def _remember(self, digest: str, key: str) -> None:
        lines = [f"{d} {k}" for d, k in self.sent_keys().items()] + [f"{digest} {key}"]
        partial = self.ledger.with_suffix(".tmp")
        partial.write_text("\n".join(lines[-self.LEDGER_LIMIT :]) + "\n")
        partial.replace(self.ledger)

    def add(self, image: Path, capture: UnitCapture) -> Path | None:
        """Queue the image (encrypted) with its capture and the id every retry will reuse; None when
        this very image was already sent."""
        data = image.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest in self.sent_keys():
            return None
        meta = capture.as_json(_content_type(image)) | {"upload_id": str(uuid.uuid4()), "sha256": digest}
        return self._store(data, meta)

    def waiting(self) -> list[Waiting]:
        """What is waiting, oldest capture first."""
        items = []
        for path in sorted(self.pending.glob("*.alpr")):
            meta, data = self._open(path)
            items.append(Waiting(meta["upload_id"], _instant(meta["captured_at"]), len(data)))
        return sorted(items, key=lambda w: w.captured_at)

    def flush(self, client: AlprClient) -> tuple[int, int]:
        """Upload everything pending; returns (sent, still pending)."""
        sent = failed = 0
        for path in sorted(self.pending.glob("*.alpr")):
            meta, data = self._open(path)
            capture = UnitCapture(
                captured_at=_instant(meta["captured_at"]),
                lat=meta["lat"],
                lon=meta["lon"],
                heading=meta["heading"],
            )
            try:
                key = client.upload(data, capture, meta["content_type"], upload_id=meta["upload_id"])
            except (ApiError, requests.RequestException):
                failed += 1
                continue
            # The object is stored: keep only what de-duplicates (hash and key), then forget the image.
            self._remember(meta.get("sha256") or hashlib.sha256(data).hexdigest(), key)
            path.unlink()
            sent += 1
        return sent, failed


def _content_type(image: Path) -> str:
    return "image/png" if image.suffix.lower() == ".png" else "image/jpeg"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
