"""A retention below the legal minimum never reaches a template."""

from __future__ import annotations

import pytest
from aws_cdk import App
from pydantic import ValidationError

from infra.app import make_app
from infra.build_assets import Assets
from infra.stack import AlprStack


def test_stack_refuses_retention_below_365_days(assets: Assets) -> None:
    with pytest.raises(ValidationError, match="below the legal minimum of 365 days"):
        AlprStack(App(), assets=assets, retention_days=364)


def test_context_retention_below_365_days_is_refused_at_synth(assets: Assets) -> None:
    # Given `cdk synth -c retention_days=30`, as the CLI passes it (a string)
    with pytest.raises(ValidationError, match="below the legal minimum"):
        make_app(assets, context={"retention_days": "30"})
