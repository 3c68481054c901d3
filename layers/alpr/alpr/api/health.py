"""GET /health: the function is up and its settings are valid."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

router = Router()


class Health(BaseModel):
    status: str = "ok"


@router.get("/health", summary="Liveness")
def health() -> Health:
    return Health()
