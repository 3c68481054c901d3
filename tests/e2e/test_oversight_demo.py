"""The demo's oversight steps (issue 21) on the local stack: what `make demo` prints of an account
approval and of a corrected misread."""

from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from alpr.client.http import AlprClient, UnitCapture
from alpr.demo.oversight import CORRECTION_REASON, MISREAD, SHOWN, show_account_approval, show_correction
from alpr.demo.synth import render_scene
from alpr.local.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def _console() -> Console:
    return Console(file=io.StringIO(), record=True, width=400)


def test_the_demo_shows_a_proposal_its_refused_self_approval_and_its_approval(stack: LocalStack) -> None:
    console, username = _console(), f"demo-{secrets.token_hex(3)}"

    show_account_approval(console, stack, username)

    shown = console.export_text()
    assert f"alpr personnel propose {username}" in shown and "awaits commander" in shown
    assert f"GET /v1/personnel/{username} → HTTP 404: not in the registry until approved" in shown
    assert (
        "own proposal → refused: HTTP 403: 'admin' (roles: administrator) may not personnel:approve" in shown
    )
    assert f"{username} is active with roles investigator, approved by commander" in shown


def test_the_demo_shows_a_correction_beside_the_read_in_both_searches(
    stack: LocalStack, unit: AlprClient, investigator: AlprClient
) -> None:
    # Given the unit's read of the demo's misread plate (rendered as the tour renders it)
    image, _ = render_scene(MISREAD, "CA", seed=3)
    unit.upload(
        image, UnitCapture(captured_at=datetime.now(UTC) - timedelta(minutes=2), lat=38.0, lon=-122.1)
    )
    console = _console()

    show_correction(console, stack, investigator)

    shown = console.export_text()
    assert f"{MISREAD} corrected to {SHOWN} by supervisor" in shown
    beside = f"corrected to {SHOWN} by supervisor ({CORRECTION_REASON})"
    assert f"The investigator searches {SHOWN} → read" in shown
    assert f"The investigator searches {MISREAD} → read" in shown
    assert shown.count(f"read as {MISREAD}") == 2 and shown.count(beside) == 2
