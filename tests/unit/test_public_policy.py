"""The posted usage and privacy policy is written from the settings the system enforces; the
transparency figures list every release outcome."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alpr.domain.access import AccessPolicy, PurposeRules
from alpr.domain.personnel import StandingPolicy
from alpr.domain.public_policy import Administration, transparency_report, usage_and_privacy_policy
from alpr.domain.release import ReleaseStatus

# What Civil Code § 1798.90.51(b) asks the posted policy to state, one section each.
REQUIRED = (
    "Authorized purposes",
    "Who may access the system, and their training",
    "Monitoring, security and audits",
    "Sharing",
    "Custodian",
    "ALPR administrator and the current designee",
    "Accuracy and correcting errors",
    "Retention and destruction",
)


def _text(policy: object, title: str) -> str:
    (section,) = [s for s in policy.sections if s.title == title]  # type: ignore[attr-defined]
    return section.text


def test_every_section_the_law_asks_for_is_there_with_its_statute() -> None:
    policy = usage_and_privacy_policy(
        retention_days=365, access=AccessPolicy(), refused_hotlist_categories=[]
    )
    assert tuple(s.title for s in policy.sections) == REQUIRED
    assert all("1798.90.5" in s.statute for s in policy.sections)


def test_the_figures_are_the_configured_ones() -> None:
    access = AccessPolicy(
        purpose=PurposeRules(categories=("homicide", "stolen-vehicle")),
        standing=StandingPolicy(inactivity_days=60, refresher_days=365),
    )
    policy = usage_and_privacy_policy(
        retention_days=730, access=access, refused_hotlist_categories=["immigration_violator"]
    )
    kept = _text(policy, "Retention and destruction")
    assert "kept until the same calendar date 2 years after capture" in kept
    # the access log is kept as long as the reads
    assert "2 years" in _text(policy, "Monitoring, security and audits")
    purposes = _text(policy, "Authorized purposes")
    assert "homicide, stolen-vehicle" in purposes and "immigration_violator" in purposes
    training = _text(policy, "Who may access the system, and their training")
    assert "every 365 days" in training and "unused for 60 days" in training
    # Every role is named with what it may do
    assert "auditors (auditor): audit:query, personnel:read, release:read" in training


def test_transparency_lists_every_release_outcome_and_counts_them() -> None:
    report = transparency_report(
        now=datetime(2026, 11, 29, tzinfo=UTC),
        retention_days=365,
        reads=1200,
        alerts=7,
        requests=[ReleaseStatus.FULFILLED, ReleaseStatus.REFUSED, ReleaseStatus.FULFILLED],
    )
    assert report.release_requests["fulfilled"] == 2 and report.release_requests["refused"] == 1
    assert set(report.release_requests) == {status.value for status in ReleaseStatus}
    assert report.release_requests["denied"] == 0
    assert (report.reads_stored, report.alerts_stored) == (1200, 7)


def test_a_retention_with_extra_days_is_stated_as_years_and_days() -> None:
    policy = usage_and_privacy_policy(
        retention_days=400, access=AccessPolicy(), refused_hotlist_categories=[]
    )
    assert "the same calendar date 1 year after capture, plus 35 days" in _text(
        policy, "Retention and destruction"
    )


def test_the_policy_states_the_clets_rule_and_what_a_notification_carries() -> None:
    policy = usage_and_privacy_policy(
        retention_days=365, access=AccessPolicy(), refused_hotlist_categories=[]
    )
    who = _text(policy, "Who may access the system, and their training")
    assert "CLETS authorisation" in who and "439.4(e)" in who
    monitoring = _text(policy, "Monitoring, security and audits")
    assert "notification carries only the alert's number, its category and a link" in monitoring


def test_the_policy_says_the_plate_index_expires_with_the_reads() -> None:
    policy = usage_and_privacy_policy(
        retention_days=365, access=AccessPolicy(), refused_hotlist_categories=[]
    )
    kept = _text(policy, "Retention and destruction")
    assert "index of plates" in kept and "with the plate's newest read" in kept
    assert "unit" in kept and "deleted from the vehicle once stored" in kept


def test_the_administrator_and_the_current_designee_are_named_as_configured() -> None:
    # Given the people policy 439.3.1(e) names, as configuration
    named = Administration(
        administrator_title="Administrative Services Division Commander",
        administrator_name="Cmdr. Dana Ortiz",
        designee_title="ALPR Program Sergeant",
        designee_name="Sgt. Lee Park",
    )
    policy = usage_and_privacy_policy(
        retention_days=365, access=AccessPolicy(), refused_hotlist_categories=[], administration=named
    )
    # Then the posted policy names both by title and name
    text = _text(policy, "ALPR administrator and the current designee")
    assert "Administrative Services Division Commander, Cmdr. Dana Ortiz" in text
    assert "current designee overseeing the ALPR operation is ALPR Program Sergeant, Sgt. Lee Park" in text
    # And without a designee configured, it says so rather than inventing one
    default = usage_and_privacy_policy(
        retention_days=365, access=AccessPolicy(), refused_hotlist_categories=[]
    )
    assert "No designee is named" in _text(default, "ALPR administrator and the current designee")


def test_the_api_config_reads_the_people_from_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from alpr.config import Config
    from alpr.names import Env

    monkeypatch.setenv(Env.ADMINISTRATOR_NAME, "Cmdr. Dana Ortiz")
    monkeypatch.setenv(Env.DESIGNEE_TITLE, "ALPR Program Sergeant")
    monkeypatch.setenv(Env.DESIGNEE_NAME, "Sgt. Lee Park")
    administration = Config().administration
    assert administration.administrator_title == "Administrative Services Division Commander"  # the default
    assert (administration.administrator_name, administration.designee_name) == (
        "Cmdr. Dana Ortiz",
        "Sgt. Lee Park",
    )
