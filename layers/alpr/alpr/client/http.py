"""HTTP client for the ALPR API, as a vehicle unit or an investigator uses it.

The CLI, the demo and the end-to-end tests all go through this one client, so what
they exercise is what a real caller sends over the wire.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from alpr.domain.access import Purpose


class ApiError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Capture:
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
        self, image: bytes, capture: Capture, content_type: str = "image/jpeg", upload_id: str | None = None
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

    def wait_for_plate(self, plate: str, count: int = 1, timeout_s: float = 60.0) -> list[dict[str, Any]]:
        """Poll the plate search until `count` reads are there (recognition is asynchronous in AWS)."""
        deadline = time.monotonic() + timeout_s
        while True:
            reads = self.search_plate(plate)
            if len(reads) >= count or time.monotonic() > deadline:
                return reads
            time.sleep(0.5)


class Outbox:
    """A unit's on-disk queue: an image leaves it only once the upload succeeded,
    so a patrol car that loses signal loses nothing."""

    def __init__(self, directory: Path) -> None:
        self.pending = directory / "pending"
        self.sent = directory / "sent"
        self.pending.mkdir(parents=True, exist_ok=True)
        self.sent.mkdir(parents=True, exist_ok=True)

    def add(self, image: Path, capture: Capture) -> Path:
        """Queue a copy of the image with its capture and the id every retry will reuse."""
        target = self.pending / image.name
        shutil.copy2(image, target)
        sidecar = capture.as_json("") | {"upload_id": str(uuid.uuid4())}
        target.with_suffix(".json").write_text(json.dumps(sidecar))
        return target

    def flush(self, client: AlprClient) -> tuple[int, int]:
        """Upload everything pending; returns (sent, still pending)."""
        sent = failed = 0
        for image in sorted(p for p in self.pending.iterdir() if p.suffix != ".json"):
            meta = json.loads(image.with_suffix(".json").read_text())
            capture = Capture(
                captured_at=datetime.fromisoformat(meta["captured_at"].replace("Z", "+00:00")),
                lat=meta["lat"],
                lon=meta["lon"],
                heading=meta["heading"],
            )
            content_type = "image/png" if image.suffix.lower() == ".png" else "image/jpeg"
            try:
                client.upload(image.read_bytes(), capture, content_type, upload_id=meta["upload_id"])
            except (ApiError, requests.RequestException):
                failed += 1
                continue
            image.with_suffix(".json").rename(self.sent / image.with_suffix(".json").name)
            image.rename(self.sent / image.name)
            sent += 1
        return sent, failed
