"""In-memory fakes of the release ports, for unit tests."""

from __future__ import annotations

from alpr.domain.errors import InvalidRequest
from alpr.domain.release import ReleaseRequest, ReleaseStatus, StaleRequest
from alpr.domain.release_mail import Email


class InMemoryReleaseStore:
    def __init__(self) -> None:
        self.records: dict[str, str] = {}
        self.tokens: dict[str, bytes] = {}

    def create(self, request: ReleaseRequest) -> None:
        if request.request_id in self.records:
            raise InvalidRequest(f"release request {request.request_id} already exists")
        request.version = 1
        self.records[request.request_id] = request.model_dump_json()

    def get(self, request_id: str) -> ReleaseRequest | None:
        raw = self.records.get(request_id)
        return None if raw is None else ReleaseRequest.model_validate_json(raw)

    def all(self, status: ReleaseStatus | None = None) -> list[ReleaseRequest]:
        found = [ReleaseRequest.model_validate_json(raw) for raw in self.records.values()]
        return sorted(
            (r for r in found if status is None or r.status is status),
            key=lambda r: r.received_at,
            reverse=True,
        )

    def save(self, request: ReleaseRequest) -> ReleaseRequest:
        current = self.get(request.request_id)
        if current is None or current.version != request.version:
            raise StaleRequest(f"release request {request.request_id} was changed by someone else")
        saved = request.model_copy(update={"version": request.version + 1})
        self.records[request.request_id] = saved.model_dump_json()
        return saved

    def put_task_token(self, request_id: str, ciphertext: bytes) -> None:
        self.tokens[request_id] = ciphertext

    def task_token(self, request_id: str) -> bytes | None:
        return self.tokens.get(request_id)


class InMemoryMailer:
    def __init__(self) -> None:
        self.sent: list[Email] = []

    def send(self, email: Email) -> str:
        self.sent.append(email)
        return f"message-{len(self.sent)}"
