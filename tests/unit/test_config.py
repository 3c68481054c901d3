"""The one configuration: every variable the CDK app sets is a field, checked once, all errors at once."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from alpr.config import ApiConfig, Config, RecognizeConfig
from alpr.names import Env


def test_every_variable_the_cdk_app_sets_is_a_config_field() -> None:
    fields = {f"ALPR_{name.upper()}" for name in Config.model_fields}
    assert {e.value for e in Env if e is not Env.SERVICE} <= fields


def test_a_function_config_names_every_missing_setting_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in Env:
        monkeypatch.delenv(env.value, raising=False)
    monkeypatch.setenv(Env.READS_TABLE.value, "reads")
    with pytest.raises(ValidationError) as raised:
        RecognizeConfig()
    missing = {error["loc"][0] for error in raised.value.errors()}
    assert {"plates_table", "uploads_bucket", "quarantine_bucket", "hotlist_table"} <= missing
    assert "reads_table" not in missing


def test_retention_under_a_year_fails_the_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(Env.RETENTION_DAYS.value, "364")
    with pytest.raises(ValidationError, match="below the legal minimum"):
        Config()


def test_lists_come_comma_separated_and_unknown_hotlist_categories_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(Env.PURPOSE_CATEGORIES.value, "homicide, robbery ,")
    assert Config().access_policy.purpose.categories == ("homicide", "robbery")
    monkeypatch.setenv(Env.HOTLIST_REFUSED_CATEGORIES.value, "no-such-category")
    with pytest.raises(ValidationError, match="unknown hotlist categories"):
        Config()


def test_the_api_config_requires_its_tables_but_not_the_recognizer() -> None:
    required = {name for name, field in ApiConfig.model_fields.items() if field.is_required()}
    assert {"reads_table", "personnel_table", "access_log_bucket"} <= required
    assert "models_dir" not in required and "quarantine_bucket" not in required


def test_a_training_refresher_longer_than_a_year_fails_the_cold_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(Env.TRAINING_REFRESHER_DAYS.value, "730")
    with pytest.raises(ValidationError, match="365"):
        Config()


def test_the_plate_support_score_is_the_engines_own_unless_the_department_sets_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(Env.PLATE_SUPPORT_SCORE.value, raising=False)
    assert Config().plate_support_score is None
    monkeypatch.setenv(Env.PLATE_SUPPORT_SCORE.value, "0.35")
    assert Config().plate_support_score == 0.35
    monkeypatch.setenv(Env.PLATE_SUPPORT_SCORE.value, "1.5")
    with pytest.raises(ValidationError, match="plate_support_score"):
        Config()
