"""Who is calling (Cognito claims) and what a plate is."""

import pytest

from alpr.domain.callers import caller_from_claims, require_group
from alpr.domain.errors import Forbidden, InvalidRequest, Unauthenticated
from alpr.domain.plates import normalize_plate, plate_for_search


@pytest.mark.parametrize(
    ("raw", "groups"),
    [
        ("unit", {"unit"}),
        ("investigator,supervisor", {"investigator", "supervisor"}),
        ("[investigator supervisor]", {"investigator", "supervisor"}),
        (["auditor"], {"auditor"}),
        (None, set()),
    ],
)
def test_groups_in_every_shape_the_authorizer_uses(raw: object, groups: set[str]) -> None:
    claims = {"cognito:username": "jdoe", "cognito:groups": raw}
    assert caller_from_claims(claims).groups == groups


@pytest.mark.parametrize("claims", [None, {}, {"sub": "x"}])
def test_no_user_is_unauthenticated(claims: dict | None) -> None:
    with pytest.raises(Unauthenticated):
        caller_from_claims(claims)


def test_group_required() -> None:
    caller = caller_from_claims({"cognito:username": "jdoe", "cognito:groups": "investigator"})
    require_group(caller, "investigator")
    with pytest.raises(Forbidden):
        require_group(caller, "unit")


@pytest.mark.parametrize(("text", "plate"), [("7abc 123", "7ABC123"), ("AB-12.3", "AB123"), ("ÄB1", "B1")])
def test_normalised_plate(text: str, plate: str) -> None:
    assert normalize_plate(text) == plate


@pytest.mark.parametrize("text", ["", "7AB*", "7AB?", "123456789", "  "])
def test_search_refuses_what_is_not_a_plate(text: str) -> None:
    with pytest.raises(InvalidRequest):
        plate_for_search(text)
