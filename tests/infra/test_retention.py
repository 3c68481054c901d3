"""A retention below the legal minimum never reaches a template."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App
from pydantic import ValidationError

from alpr.domain.canvass import CALIFORNIA
from alpr.names import Env, Function
from infra.app import make_app
from infra.build_assets import Assets
from infra.stack import AlprStack
from tests.infra.conftest import OAKLAND_BOX, Synth


def test_stack_refuses_retention_below_365_days(assets: Assets) -> None:
    with pytest.raises(ValidationError, match="below the legal minimum of 365 days"):
        AlprStack(App(), assets=assets, retention_days=364)


def test_context_retention_below_365_days_is_refused_at_synth(assets: Assets) -> None:
    # Given `cdk synth -c retention_days=30`, as the CLI passes it (a string)
    with pytest.raises(ValidationError, match="below the legal minimum"):
        make_app(assets, context={"retention_days": "30"})


# --- issue 19, item 3: the service area comes from the CDK context ------------------------------


def _service_area(synth: Synth) -> Any:
    (api,) = [
        res
        for res in synth.of_type("AWS::Lambda::Function").values()
        if res["Properties"].get("Environment", {}).get("Variables", {}).get(Env.SERVICE.value)
        == Function.API
    ]
    return json.loads(api["Properties"]["Environment"]["Variables"][Env.SERVICE_AREA.value])


def test_the_api_gets_the_service_area_from_the_context(synth: Synth, synth_730: Synth) -> None:
    # Without context: California's box
    assert _service_area(synth)["coordinates"][0] == [list(p) for p in CALIFORNIA]
    # With `-c service_area='[west, south, east, north]'`: that box, as a closed ring
    ring = _service_area(synth_730)["coordinates"][0]
    west, south, east, north = json.loads(OAKLAND_BOX)
    assert ring == [[west, south], [east, south], [east, north], [west, north], [west, south]]


def test_the_uploads_function_knows_the_backdating_window(synth: Synth) -> None:
    (uploads,) = [
        res
        for res in synth.of_type("AWS::Lambda::Function").values()
        if res["Properties"].get("Environment", {}).get("Variables", {}).get(Env.SERVICE.value)
        == Function.UPLOADS
    ]
    assert uploads["Properties"]["Environment"]["Variables"][Env.UPLOAD_MAX_AGE_HOURS.value] == "48"


def test_a_malformed_service_area_is_refused_at_synth(assets: Assets) -> None:
    with pytest.raises(ValueError, match="west, south, east, north"):
        make_app(assets, context={"service_area": "[-122.15, 37.70, -122.35, 37.88]"})
