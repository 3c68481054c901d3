"""What can go wrong in the domain, in the department's words.

Handlers turn these into HTTP statuses in one place (`alpr.api.errors`).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors a caller can be told about."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(DomainError):
    """The request is malformed or asks for something not allowed in any case (400)."""


class Unauthenticated(DomainError):
    """No authenticated user behind the request (401)."""


class Forbidden(DomainError):
    """The user is known but may not do this (403)."""


class NotFound(DomainError):
    """Nothing there (404)."""


class Conflict(DomainError):
    """Someone else changed the record at the same moment, more than once: try again (409)."""


class UploadRejected(DomainError):
    """An uploaded object breaks the upload policy or is not an image: it goes to quarantine.

    `reason` is a short stable code (`too-large`, `expired`, …); `message` says it in words.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
