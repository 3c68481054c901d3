"""Signed decision links: what a forger, a replayer or a latecomer gets."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpr.domain.links import DecisionLink, LinkRefused, sign, verify

KEY = b"k" * 48
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
LINK = DecisionLink(
    "01JDZ0000000000000000000AB", "approve", int((NOW + timedelta(days=3)).timestamp()), "n0nce-_x"
)


def test_a_signed_link_verifies_to_what_was_signed():
    assert verify(sign(LINK, KEY), KEY, NOW) == LINK


def test_a_link_signed_with_another_key_is_refused():
    with pytest.raises(LinkRefused, match="signature"):
        verify(sign(LINK, b"x" * 48), KEY, NOW)


@pytest.mark.parametrize(
    "edit",
    [
        lambda parts: [parts[0], "deny", *parts[2:]],  # approve turned into deny
        lambda parts: [parts[0], parts[1], str(int(parts[2]) + 86400), *parts[3:]],  # expiry pushed back
        lambda parts: ["01JDZ0000000000000000000AC", *parts[1:]],  # another request
        lambda parts: [*parts[:3], "other-nonce", parts[4]],
        lambda parts: [*parts[:4], parts[4][:-2] + ("AA" if not parts[4].endswith("AA") else "BB")],
    ],
)
def test_a_tampered_link_is_refused(edit):
    # Given a genuine link, when any field is changed, then the signature no longer matches.
    token = ".".join(edit(sign(LINK, KEY).split(".")))
    with pytest.raises(LinkRefused):
        verify(token, KEY, NOW)


def test_an_expired_link_is_refused_even_with_a_good_signature():
    token = sign(LINK, KEY)
    with pytest.raises(LinkRefused, match="expired"):
        verify(token, KEY, datetime.fromtimestamp(LINK.expires_at, UTC))


@given(st.text(max_size=200))
def test_garbage_is_refused_never_crashes(token):
    with pytest.raises(LinkRefused):
        verify(token, KEY, NOW)


def test_an_empty_key_cannot_sign():
    with pytest.raises(ValueError):
        sign(LINK, b"")
