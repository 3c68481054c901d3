"""Signed capture metadata (issue 23): the key that uploads signs each ticket's capture fields with
and recognize checks every upload against. A secret generated at deploy time, encrypted with the
data key, readable by those two functions alone."""

from __future__ import annotations

from constructs import Construct

from alpr.names import Env
from infra.functions import AlprFunction
from infra.hmac_keys import hmac_key_secret
from infra.storage import Storage


class CaptureSigning(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        uploads: AlprFunction,
        recognize: AlprFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.secret = hmac_key_secret(
            self,
            "CaptureSigningSecret",
            description="HMAC-SHA256 key of the capture metadata (unit, time, position, heading) on uploads",
            key=storage.key,
            why_not_rotated="Rotating the capture key refuses every upload signed with the old one that "
            "recognize has not read yet (in flight, in the ingest queue or its dead-letter queue), which "
            "would quarantine real captures. It is rotated by hand when both queues are empty "
            "(docs/operations.md), not on a schedule; tickets live five minutes.",
        )
        for function in (uploads, recognize):
            self.secret.grant_read(function.role)
            function.set_env(Env.CAPTURE_SIGNING_SECRET, self.secret.secret_arn)
