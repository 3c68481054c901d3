"""The access rules, pure: the route and role tables, purpose checks, and the decision's order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpr.domain.access import (
    DEFAULT_CATEGORIES,
    PUBLIC,
    ROLE_ACTIONS,
    ROUTES,
    VAGUE_WORDS,
    AccessPolicy,
    Action,
    Purpose,
    PurposeNeed,
    PurposeRules,
    decide,
    purpose_from_headers,
    roles_for,
    rule_for,
    vague_text_reason,
)
from alpr.domain.errors import Forbidden, InvalidRequest, Unauthenticated
from alpr.domain.models import Caller
from alpr.domain.personnel import PersonnelRecord, Status
from alpr.names import Group
from tests.unit.personnel_records import NOW, investigator

POLICY = AccessPolicy()
GOOD = Purpose(
    category="homicide", case_number="26-001234", text="grey sedan seen leaving the shooting on Main St"
)


def headers(purpose: Purpose | None = GOOD) -> dict[str, str]:
    return {k.lower(): v for k, v in purpose.headers().items()} if purpose else {}


CALLER = Caller(username="ivy", groups=frozenset({"investigator"}))
SEARCH = rule_for("GET", "/v1/reads")


def test_every_action_is_granted_to_some_role_and_every_role_has_an_entry() -> None:
    assert set(ROLE_ACTIONS) == set(Group)
    assert all(roles_for(action) for action in Action)


def test_units_may_only_ask_for_upload_tickets() -> None:
    assert ROLE_ACTIONS[Group.UNIT] == {Action.UPLOADS_CREATE}
    assert roles_for(Action.UPLOADS_CREATE) == {Group.UNIT}


def test_only_the_commander_decides_releases_and_only_administrators_change_accounts() -> None:
    assert roles_for(Action.RELEASE_DECIDE) == {Group.COMMANDER}
    assert roles_for(Action.PERSONNEL_ADMIN) == {Group.ADMINISTRATOR}
    assert Action.READS_SEARCH not in ROLE_ACTIONS[Group.ADMINISTRATOR] | ROLE_ACTIONS[Group.AUDITOR]


def test_public_routes_are_declared_and_carry_no_action() -> None:
    public = {key for key, rule in ROUTES.items() if rule.public}
    assert ("GET", "/health") in public
    assert all(rule is PUBLIC for key, rule in ROUTES.items() if key in public)


def test_a_route_not_in_the_table_has_no_rule() -> None:
    assert rule_for("GET", "/v1/everything") is None
    assert rule_for("get", "/v1/reads") == SEARCH  # methods compare upper-case


def test_allowed_with_a_purpose() -> None:
    decision = decide(SEARCH, CALLER, investigator(), headers(), {}, POLICY, NOW)
    assert decision.allowed and decision.role == "investigator" and decision.purpose == GOOD


@pytest.mark.parametrize(
    ("caller", "person", "stated", "error", "words"),
    [
        (None, investigator(), GOOD, Unauthenticated, "authentication"),
        (CALLER, None, GOOD, Forbidden, "no Personnel record"),
        (CALLER, investigator(training_completed=None), GOOD, Forbidden, "no ALPR training"),
        (CALLER, investigator(training_expires=date(2026, 11, 1)), GOOD, Forbidden, "expired on 2026-11-01"),
        (CALLER, investigator(status=Status.SUSPENDED), GOOD, Forbidden, "suspended"),
        (CALLER, investigator(status=Status.SEPARATED), GOOD, Forbidden, "separated"),
        (CALLER, investigator(roles=[Group.AUDITOR]), GOOD, Forbidden, "may not reads:search"),
        (Caller(username="ivy", groups=frozenset({"auditor"})), investigator(), GOOD, Forbidden, "may not"),
        (CALLER, investigator(), None, InvalidRequest, "purpose is required"),
    ],
)
def test_refusals_and_their_words(
    caller: Caller | None, person: PersonnelRecord | None, stated: Purpose | None, error: type, words: str
) -> None:
    decision = decide(SEARCH, caller, person, headers(stated), {}, POLICY, NOW)
    assert isinstance(decision.error, error)
    assert words in decision.error.message


def test_a_missing_rule_is_refused_after_sign_in_is_checked() -> None:
    assert isinstance(decide(None, None, None, {}, {}, POLICY, NOW).error, Unauthenticated)
    refused = decide(None, CALLER, investigator(), headers(), {}, POLICY, NOW).error
    assert isinstance(refused, Forbidden) and "fail closed" in refused.message


def test_inactivity_refuses_and_asks_for_the_suspension_to_be_kept() -> None:
    person = investigator(last_active=NOW - timedelta(days=91))
    decision = decide(SEARCH, CALLER, person, headers(), {}, POLICY, NOW)
    assert isinstance(decision.error, Forbidden) and decision.suspend
    assert "unused since" in decision.error.message


def test_inactivity_limit_is_configuration() -> None:
    person = investigator(last_active=NOW - timedelta(days=31))
    strict = AccessPolicy.model_validate({"standing": {"inactivity_days": 30}})
    assert decide(SEARCH, CALLER, person, headers(), {}, POLICY, NOW).allowed
    assert not decide(SEARCH, CALLER, person, headers(), {}, strict, NOW).allowed


def test_a_unit_needs_no_record_no_training_no_purpose() -> None:
    unit = Caller(username="unit-01", groups=frozenset({"unit"}))
    rule = rule_for("POST", "/v1/uploads")
    assert decide(rule, unit, None, {}, {}, POLICY, NOW).allowed
    separated = investigator(
        username="unit-01", roles=[Group.UNIT], status=Status.SEPARATED, training_completed=None
    )
    assert not decide(rule, unit, separated, {}, {}, POLICY, NOW).allowed
    # A person is not a unit, whatever their training.
    assert not decide(rule, CALLER, investigator(), {}, {}, POLICY, NOW).allowed


def test_the_release_decision_takes_its_purpose_from_the_request_decided() -> None:
    commander = Caller(username="casey", groups=frozenset({"commander"}))
    person = investigator(username="casey", roles=[Group.COMMANDER])
    rule = rule_for("POST", "/v1/release-requests/{request_id}/decision")
    assert rule is not None and rule.purpose is PurposeNeed.IMPLIED
    decision = decide(rule, commander, person, {}, {"request_id": "01JREQ"}, POLICY, NOW)
    assert decision.allowed and decision.purpose is not None
    assert (decision.purpose.category, decision.purpose.case_number) == ("release-decision", "01JREQ")


@pytest.mark.parametrize(
    "text",
    [
        "investigation",
        "test",
        "n/a",
        "N/A",
        "stolen",
        "ongoing criminal investigation",
        "investigation per case",
        "follow up on case 26-001234",
        "test test test",
        "plate lookup for investigation",
    ],
)
def test_vague_texts_are_refused(text: str) -> None:
    with pytest.raises(InvalidRequest, match="refused"):
        purpose_from_headers(headers(GOOD.model_copy(update={"text": text})), PurposeRules())


@pytest.mark.parametrize(
    "text",
    [
        "grey sedan seen leaving the shooting on Main St",
        "suspect vehicle in the armed robbery of the 7-Eleven",
        "missing teenager last seen in her mother's blue Corolla",
    ],
)
def test_specific_texts_pass(text: str) -> None:
    assert vague_text_reason(text) is None


@given(st.lists(st.sampled_from(sorted(VAGUE_WORDS)), min_size=0, max_size=12))
def test_any_text_made_only_of_vague_words_is_refused(words: list[str]) -> None:
    assert vague_text_reason(" ".join(words)) is not None


@given(st.text(max_size=20).filter(lambda t: len(t.split()) <= 2))
def test_two_words_or_fewer_are_never_enough(text: str) -> None:
    assert vague_text_reason(text) is not None


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"category": "curiosity"}, "not one of the department's"),
        ({"case_number": "12345"}, "not in the department's format"),
        ({"case_number": "26-0012345678"}, "format"),
        ({"text": "x " * 300}, "longer than"),
    ],
)
def test_category_and_case_number_follow_the_configuration(changes: dict[str, str], words: str) -> None:
    with pytest.raises(InvalidRequest, match=words):
        purpose_from_headers(headers(GOOD.model_copy(update=changes)), PurposeRules())


def test_the_purpose_list_and_format_are_configuration() -> None:
    rules = PurposeRules(
        categories=("vice",), case_number_pattern=r"V[0-9]{6}", case_number_example="V000001"
    )
    stated = Purpose(category="vice", case_number="V123456", text="white van at the massage parlour on 3rd")
    assert purpose_from_headers(headers(stated), rules) == stated
    with pytest.raises(InvalidRequest):
        purpose_from_headers(headers(GOOD), rules)


def test_a_bad_case_number_pattern_fails_validation() -> None:
    with pytest.raises(ValueError, match="regular expression"):
        PurposeRules(case_number_pattern="([0-9")
    with pytest.raises(ValueError, match="does not match"):
        PurposeRules(case_number_pattern="[0-9]{3}", case_number_example="26-1")


def test_default_categories_include_the_issues_examples() -> None:
    assert {"stolen-vehicle", "homicide", "robbery", "missing-person", "warrant-service"} <= set(
        DEFAULT_CATEGORIES
    )


ROUTE_KEYS = sorted(ROUTES)


@given(
    route=st.sampled_from(ROUTE_KEYS),
    token_groups=st.frozensets(st.sampled_from(sorted(Group))),
    record_roles=st.frozensets(st.sampled_from(sorted(Group)), min_size=1),
    has_record=st.booleans(),
    status=st.sampled_from(sorted(Status)),
    trained_days_ago=st.one_of(st.none(), st.integers(min_value=0, max_value=1000)),
    idle_days=st.integers(min_value=0, max_value=200),
    stated=st.sampled_from([GOOD, None, GOOD.model_copy(update={"text": "investigation"})]),
)
def test_nothing_allowed_that_the_rules_forbid(
    route: tuple[str, str],
    token_groups: frozenset[Group],
    record_roles: frozenset[Group],
    has_record: bool,
    status: Status,
    trained_days_ago: int | None,
    idle_days: int,
    stated: Purpose | None,
) -> None:
    rule = ROUTES[route]
    caller = Caller(username="x", groups=frozenset(g.value for g in token_groups))
    person = (
        investigator(
            roles=sorted(record_roles),
            status=status,
            training_completed=(NOW - timedelta(days=trained_days_ago)).date()
            if trained_days_ago is not None
            else None,
            last_active=NOW - timedelta(days=idle_days),
        )
        if has_record
        else None
    )
    decision = decide(rule, caller, person, headers(stated), {"request_id": "01J"}, POLICY, NOW)
    if not decision.allowed or rule.action is None:
        return
    held = set(token_groups) if person is None else set(token_groups) & set(record_roles)
    assert held & roles_for(rule.action)  # a role both sources grant allows the action
    if person is not None:
        assert person.status is Status.ACTIVE
    if rule.person:
        assert person is not None and idle_days <= 90
        assert trained_days_ago is not None and trained_days_ago <= 365
    if rule.purpose is PurposeNeed.REQUIRED:
        assert stated == GOOD
