"""The two ways in (`python infra/app.py` and the CDK CLI through cdk.json) build the same app."""

from __future__ import annotations

import json
from pathlib import Path

from infra.app import FEATURE_FLAGS, RETENTION_CONTEXT
from infra.build_assets import ROOT

CDK_JSON = json.loads((ROOT / "cdk.json").read_text())


def test_cdk_json_runs_the_app_with_the_project_python() -> None:
    assert CDK_JSON["app"] == ".venv/bin/python infra/app.py"
    assert Path(ROOT / "infra" / "app.py").is_file()


def test_cdk_json_carries_the_same_feature_flags_as_the_app() -> None:
    # cdk.json reaches the app only through the CLI; app.py sets the flags for direct runs.
    assert {k: CDK_JSON["context"].get(k) for k in FEATURE_FLAGS} == FEATURE_FLAGS


def test_cdk_json_default_retention_is_the_legal_minimum() -> None:
    assert CDK_JSON["context"][RETENTION_CONTEXT] == 365
