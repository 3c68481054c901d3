"""The release state machine's payloads, typed: every sample parses, anything else is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from alpr.domain.release_steps import Ask, Fail, Fulfil, NotifyStep, RecordStep, Tell, Validate

EVENTS = Path(__file__).resolve().parents[2] / "events"
notify = TypeAdapter(NotifyStep)
record = TypeAdapter(RecordStep)


def test_the_sample_events_parse_into_their_steps() -> None:
    kinds = {
        p.name: type(notify.validate_python(json.loads(p.read_text())))
        for p in (EVENTS / "release_notify").glob("*.json")
    }
    assert set(kinds.values()) == {Ask, Tell}
    assert (
        type(record.validate_python(json.loads((EVENTS / "release_record" / "validate.json").read_text())))
        is Validate
    )
    Fulfil.model_validate_json((EVENTS / "release_fulfil" / "fulfil.json").read_text())


def test_a_catch_hands_its_error_to_the_fail_step() -> None:
    step = record.validate_python(
        {"action": "fail", "request_id": "R1", "error": {"Error": "States.Timeout", "Cause": "slow"}}
    )
    assert isinstance(step, Fail) and step.error.Error == "States.Timeout"


@pytest.mark.parametrize(
    "payload",
    [
        {
            "action": "ask",
            "request_id": "R1",
            "round": "sheriff",
            "task_token": "t",
            "timeout_seconds": 1,
            "links_base_url": "https://x",
        },
        {"action": "ask", "request_id": "R1", "round": "commander"},
        {"action": "shred", "request_id": "R1"},
        {"action": "tell"},
        {"action": "tell", "request_id": "R1", "extra": "field"},
    ],
)
def test_a_step_the_workflow_does_not_send_is_refused(payload: dict) -> None:
    with pytest.raises(ValidationError):
        notify.validate_python(payload)
