"""The one paging token: it continues only what made it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpr.domain.errors import InvalidRequest
from alpr.domain.paging import decode_page, encode_page

keys = st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3)


@given(scope=st.text(max_size=30), position=st.none() | keys, partition=st.text(max_size=12))
def test_a_token_gives_back_its_partition_and_position(
    scope: str, position: dict | None, partition: str
) -> None:
    token = encode_page(scope, position, partition)
    assert decode_page(scope, token, refusal="no") == (partition, position)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "!!!",
        "bm90IGpzb24",
        encode_page("another search", {"a": "b"}),
        encode_page("alerts", {"a": "1"})[:-3],
    ],
)
def test_a_token_not_made_for_this_scope_is_refused_with_the_given_reason(token: str) -> None:
    with pytest.raises(InvalidRequest, match="not valid for this list"):
        decode_page("alerts", token, refusal="the 'next' token is not valid for this list")
