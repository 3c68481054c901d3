"""Every test has a time bound: a hung test fails on its own instead of stalling CI."""

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_pytest_bounds_every_test_by_default(pytestconfig) -> None:
    # Given the project's pytest settings, then a default timeout applies to every test
    settings = tomllib.loads(PYPROJECT.read_text())["tool"]["pytest"]["ini_options"]
    assert 0 < float(settings["timeout"]) <= 600
    # And pytest-timeout is the plugin that enforces it in this very run
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    assert float(pytestconfig.getini("timeout")) == float(settings["timeout"])
