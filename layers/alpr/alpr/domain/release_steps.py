"""What the release state machine sends its Lambda steps (statemachines/release_approval.asl.json),
as typed payloads: one model per action, a union discriminated on `action` per function."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from alpr.domain.release import Round


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    request_id: str = Field(min_length=1)


class Ask(_Step):
    """Email the commander (or, after a timeout, the designee) links to decide; wait for the token."""

    action: Literal["ask"]
    round: Round
    task_token: str = Field(min_length=1)
    timeout_seconds: int = Field(ge=1)
    links_base_url: str = Field(min_length=1)


class Tell(_Step):
    """Tell the requesting agency the outcome."""

    action: Literal["tell"]


class Validate(_Step):
    action: Literal["validate"]


class Expire(_Step):
    action: Literal["expire"]


class StepError(BaseModel):
    """What a Catch hands on: the error's name and cause."""

    Error: str = ""
    Cause: str = ""


class Fail(_Step):
    action: Literal["fail"]
    error: StepError = StepError()


class Fulfil(_Step):
    """Release what an approved request covers."""


NotifyStep = Annotated[Ask | Tell, Field(discriminator="action")]
RecordStep = Annotated[Validate | Expire | Fail, Field(discriminator="action")]
