"""Signed cookies, PKCE, TOTP and the letter's presentation: the pure parts of the pages (issue 20)."""

import base64
import hashlib

import pytest

from alpr.domain.release import letter_presentation
from alpr.local.totp import totp
from alpr.services.container import use
from alpr.web.pages import CONTENT_SECURITY_POLICY, render, security_headers
from alpr.web.session import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    csrf_matches,
    new_session,
    pkce_challenge,
    pkce_pair,
    read_cookie,
    seal,
    unseal,
)

KEY = b"k" * 64
NOW = 1_800_000_000.0


def test_a_sealed_session_reads_back_until_it_expires():
    session = new_session("commander", frozenset({"commander"}), NOW, 900)
    value = seal(SESSION_COOKIE, session.payload(), KEY)
    assert unseal(SESSION_COOKIE, value, KEY, NOW + 899)["u"] == "commander"
    assert unseal(SESSION_COOKIE, value, KEY, NOW + 900) is None  # expired


@pytest.mark.parametrize("change", ["payload", "key", "purpose"])
def test_a_changed_session_is_refused(change):
    value = seal(SESSION_COOKIE, new_session("records", frozenset({"records"}), NOW, 900).payload(), KEY)
    if change == "payload":  # the holder promotes themself to commander
        forged = seal(
            SESSION_COOKIE, new_session("records", frozenset({"commander"}), NOW, 900).payload(), b"x" * 64
        )
        value = forged.split(".")[0] + "." + value.split(".")[1]
        assert unseal(SESSION_COOKIE, value, KEY, NOW) is None
    elif change == "key":
        assert unseal(SESSION_COOKIE, value, b"other" * 13, NOW) is None
    else:  # a sign-in state cookie is not a session
        assert unseal(SIGN_IN_COOKIE, value, KEY, NOW) is None


def test_the_csrf_token_must_match_the_sessions():
    session = new_session("commander", frozenset({"commander"}), NOW, 900)
    assert csrf_matches(session, session.csrf)
    assert not csrf_matches(session, "") and not csrf_matches(session, session.csrf + "x")


def test_pkce_uses_s256_of_the_verifier():
    verifier, challenge = pkce_pair()
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == expected == pkce_challenge(verifier) and 43 <= len(verifier) <= 128


def test_cookies_are_read_by_name():
    assert read_cookie("a=1; alpr_session=xyz.abc; b=2", "alpr_session") == "xyz.abc"
    assert read_cookie("alpr_session_x=1", "alpr_session") is None


def test_totp_matches_rfc_6238_test_vector():
    # RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T=59 → 94287082 (8 digits; 6 shown)
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp(secret, 59) == "287082"


@pytest.mark.parametrize(
    ("head", "content_type", "inline"),
    [
        (b"%PDF-1.4 ...", "application/pdf", True),
        (b"\x89PNG\r\n\x1a\n....", "image/png", True),
        (b"\xff\xd8\xff\xe0..", "image/jpeg", True),
        (b"<html><script>", "application/octet-stream", False),  # whatever the uploader declared
        (b"<svg onload=", "application/octet-stream", False),
    ],
)
def test_a_letter_opens_only_as_pdf_or_image_and_anything_else_downloads(head, content_type, inline):
    served_type, disposition = letter_presentation(head)
    assert served_type == content_type
    assert (disposition == "inline") is inline and (inline or disposition.startswith("attachment"))


def test_pages_escape_what_requesters_write_and_carry_a_strict_policy():
    page = render(
        "message.html", title="<b>x</b>", message="<script>alert(1)</script>", username="", logout_url=""
    )
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>x</b>" not in page
    headers = security_headers()
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert (
        "script-src 'none'" in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    )
    assert headers["Referrer-Policy"] == "no-referrer" and headers["X-Content-Type-Options"] == "nosniff"


def test_the_session_cookie_is_httponly_lax_short_lived_and_secure_over_https(monkeypatch):
    from alpr.api import web
    from alpr.names import Env

    monkeypatch.setenv(Env.WEB_BASE_URL.value, "https://alpr.example.gov/prod")
    use(None)
    try:
        text = str(web.cookie(SESSION_COOKIE, "v.m", 900))
    finally:
        use(None)
    assert text.startswith("alpr_session=v.m; Path=/; Max-Age=900")
    assert "HttpOnly" in text and "Secure" in text and "SameSite=Lax" in text
