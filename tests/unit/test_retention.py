"""Retention: never under a year; expiry from capture time; expired reads are recognised."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from alpr.domain.retention import MIN_RETENTION_DAYS, Retention, expires_at, is_expired

CAPTURED = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("days", [0, 30, 364])
def test_retention_under_a_year_is_refused(days: int) -> None:
    with pytest.raises(ValidationError, match="legal minimum"):
        Retention(days=days)


def test_default_is_the_legal_minimum() -> None:
    assert Retention().days == MIN_RETENTION_DAYS == 365


def test_expiry_is_capture_plus_retention() -> None:
    assert expires_at(CAPTURED, Retention(days=365)) == int(
        datetime(2027, 1, 31, 12, 0, tzinfo=UTC).timestamp()
    )
    assert expires_at(CAPTURED, Retention(days=730)) == int(
        datetime(2028, 1, 31, 12, 0, tzinfo=UTC).timestamp()
    )


def test_expired_from_the_expiry_instant_on() -> None:
    expiry = expires_at(CAPTURED, Retention())
    assert not is_expired(expiry, datetime(2027, 1, 31, 11, 59, 59, tzinfo=UTC))
    assert is_expired(expiry, datetime(2027, 1, 31, 12, 0, 0, tzinfo=UTC))


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        expires_at(datetime(2026, 1, 31, 12, 0), Retention())


def test_read_without_expiry_never_expires() -> None:
    # A legal hold removes the scheduled expiry.
    assert not is_expired(None, datetime(2099, 1, 1, tzinfo=UTC))


def test_a_year_is_the_same_calendar_date_a_year_later() -> None:
    # Gov. Code § 34090.6: a read of 2027-03-01 is kept until 2028-03-01, across 2028's leap day.
    captured = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
    assert expires_at(captured, Retention()) == int(datetime(2028, 3, 1, 9, 30, tzinfo=UTC).timestamp())


def test_years_and_extra_days_add_as_calendar_years_then_days() -> None:
    captured = datetime(2027, 3, 1, tzinfo=UTC)
    assert (Retention(days=730).years, Retention(days=730).extra_days) == (2, 0)
    assert expires_at(captured, Retention(days=730)) == int(datetime(2029, 3, 1, tzinfo=UTC).timestamp())
    assert expires_at(captured, Retention(days=400)) == int(datetime(2028, 4, 5, tzinfo=UTC).timestamp())


def test_a_leap_day_capture_is_kept_until_the_first_of_march() -> None:
    # No 29 February next year: never a day short, so the first of March.
    captured = datetime(2028, 2, 29, 8, 0, tzinfo=UTC)
    assert expires_at(captured, Retention()) == int(datetime(2029, 3, 1, 8, 0, tzinfo=UTC).timestamp())


def test_the_search_horizon_is_the_same_calendar_date_back() -> None:
    now = datetime(2028, 3, 1, 12, 0, tzinfo=UTC)
    assert Retention().horizon(now) == datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    assert Retention(days=400).horizon(now) == datetime(
        2027, 1, 26, 12, 0, tzinfo=UTC
    )  # 35 days, then a year
