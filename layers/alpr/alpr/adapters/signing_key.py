"""An HMAC key kept in Secrets Manager, read through Powertools parameters (cached per container)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

# A key replaced by hand reaches every warm container within this long, without a read per upload.
KEY_MAX_AGE_SECONDS = 300
MIN_KEY_CHARACTERS = 32


class SecretSigningKey:
    """The key's bytes on each call; Secrets Manager is asked again only once the cache is stale."""

    def __init__(self, secret_id: str, secretsmanager: Callable[[], Any], *, purpose: str) -> None:
        self.secret_id = secret_id
        self.purpose = purpose
        self._secretsmanager = secretsmanager
        self._provider: SecretsProvider | None = None

    def __call__(self) -> bytes:
        if self._provider is None:
            self._provider = SecretsProvider(boto3_client=self._secretsmanager())
        value = self._provider.get(self.secret_id, max_age=KEY_MAX_AGE_SECONDS)
        text = value.decode() if isinstance(value, bytes) else str(value)
        if len(text) < MIN_KEY_CHARACTERS:
            raise RuntimeError(f"the {self.purpose} secret is shorter than {MIN_KEY_CHARACTERS} characters")
        return text.encode()
