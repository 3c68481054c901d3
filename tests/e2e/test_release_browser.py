"""The commander decides from the email in a real browser (issue 20): headless Chromium signs in
through the local hosted UI (password + TOTP) and uses the decision page as a person would."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from alpr.adapters.mail import local_mailbox
from alpr.cli.release import file_request
from alpr.client.http import AlprClient
from alpr.local.stack import LocalStack
from alpr.names import ACCESS_LOG_PREFIX, Output
from tests.e2e.browser import CHROMIUM_ARGS, chromium_path

SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "release" / "request_form.json").read_text()
)
LETTER = b"%PDF-1.4 the sheriff's signed letter"
pytestmark = pytest.mark.timeout(120)


def _wait(what: str, probe: Any, timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (found := probe()):
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout_s:.0f} s"
        time.sleep(0.2)
    return found


def _links(stack: LocalStack, request_id: str) -> dict[str, str]:
    def probe() -> dict[str, str] | None:
        found = [
            m for m in local_mailbox(stack.endpoint_url) if "commander@" in m.to and request_id in m.subject
        ]
        return found[-1].links if found else None

    links: dict[str, str] = _wait(f"the commander's email about {request_id}", probe)
    return links


def _status(client: AlprClient, request_id: str, *statuses: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        request: dict[str, Any] = client.call("GET", f"/v1/release-requests/{request_id}")
        return request if request["status"] in statuses else None

    found: dict[str, Any] = _wait(f"{request_id} reaching {statuses}", probe, 90)
    return found


def _file(
    stack: LocalStack, user: str = "records", letter: bytes | None = LETTER
) -> tuple[str, dict[str, str]]:
    filer = AlprClient(stack.api_url, stack.token(user))
    request_id = file_request(filer, SAMPLE, letter=letter)["request_id"]
    links = _links(stack, request_id)
    _status(filer, request_id, "awaiting_commander")
    return request_id, links


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with sync_playwright() as playwright:
        yield playwright.chromium, tmp_path_factory


@pytest.fixture
def browser(chromium: Any) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) per test."""
    engine, paths = chromium
    context = engine.launch_persistent_context(
        str(paths.mktemp("chromium-profile")),
        executable_path=str(chromium_path()),
        args=CHROMIUM_ARGS,
        headless=True,
    )
    context.set_default_timeout(20_000)
    yield context
    context.close()


def sign_in(page: Page, stack: LocalStack, username: str) -> None:
    """On the (local) hosted UI's page: username, password and the authenticator's code."""
    state = stack.state()
    assert page.url.startswith(state.sign_in_url + "/oauth2/authorize?"), page.url
    page.fill("#username", username)
    page.fill("#password", state.passwords[username])
    page.fill("#code", state.totp(username))
    page.click("#sign-in")
    page.wait_for_load_state()


def _access_records(stack: LocalStack, aws: Any, request_id: str) -> list[dict[str, Any]]:
    s3, bucket = aws("s3"), stack.outputs()[Output.ACCESS_LOG_BUCKET.value]
    records = []
    for listing in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=ACCESS_LOG_PREFIX):
        for obj in listing.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            records.extend(json.loads(line) for line in body.splitlines())
    return [
        r
        for r in records
        if r.get("query", {}).get("request_id") == request_id or request_id in json.dumps(r.get("query"))
    ]


def test_the_commander_signs_in_from_the_email_sees_letter_and_scope_approves_and_it_is_fulfilled(
    stack: LocalStack, browser: BrowserContext, tmp_path: Path
) -> None:
    # Given records staff filed a request with its letter, and the commander's email arrived
    request_id, links = _file(stack)
    page = browser.new_page()
    # When the commander opens the APPROVE link: no session yet, so the browser goes to sign in
    page.goto(links["APPROVE"])
    sign_in(page, stack, "commander")
    # Then the browser is back on the same link, signed in, with the request in full
    assert page.url == links["APPROVE"]
    assert page.text_content("#user") == "commander"
    assert "Contra Costa County Sheriff" in (page.text_content("#agency") or "")
    assert "7ABC123" in (page.text_content("#scope") or "")
    assert page.get_attribute("#letter-link", "href")
    page.screenshot(path=str(tmp_path / "decision-page.png"), full_page=True)
    # And the page is served under a strict policy and the cookie is HttpOnly
    (session,) = [c for c in browser.cookies() if c["name"] == "alpr_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    # When the commander approves
    page.click("#decide")
    page.wait_for_load_state()
    # Then the page says so, and the workflow fulfils the request
    assert "approved" in (page.text_content("h1") or "")
    page.screenshot(path=str(tmp_path / "approved.png"))
    records = AlprClient(stack.api_url, stack.token("records"))
    done = _status(records, request_id, "fulfilled", "failed")
    assert done["status"] == "fulfilled" and done["decision"]["by"] == "commander"


def test_the_commander_denies_with_a_reason_in_the_browser(
    stack: LocalStack, browser: BrowserContext
) -> None:
    request_id, links = _file(stack)
    page = browser.new_page()
    page.goto(links["DENY"])
    sign_in(page, stack, "commander")
    page.fill("#reason", "The scope is wider than the case needs")
    page.click("#decide")
    page.wait_for_load_state()
    assert "denied" in (page.text_content("h1") or "")
    records = AlprClient(stack.api_url, stack.token("records"))
    denied = _status(records, request_id, "denied")
    assert denied["decision"]["reason"] == "The scope is wider than the case needs"


def test_a_replayed_link_is_refused_and_logged_refused(
    stack: LocalStack, browser: BrowserContext, aws: Any
) -> None:
    # Given a request the commander already approved in the browser
    request_id, links = _file(stack)
    page = browser.new_page()
    page.goto(links["APPROVE"])
    sign_in(page, stack, "commander")
    page.click("#decide")
    page.wait_for_load_state()
    # When the same link is opened again
    response = page.goto(links["APPROVE"])
    # Then it is refused, saying why, and the refusal is in the access log as `refused`
    assert response is not None and response.status == 403
    assert "already used" in (page.text_content("#message") or "")
    refused = [r for r in _access_records(stack, aws, request_id) if r["outcome"] == "refused"]
    assert any("already used" in r["reason"] and r["username"] == "commander" for r in refused)


def test_the_filer_cannot_decide_their_own_request_in_the_browser(
    stack: LocalStack, browser: BrowserContext
) -> None:
    # Given someone with both the records and the commander role filed the request
    request_id, links = _file(stack, user="acting-commander")
    page = browser.new_page()
    # When they open the approve link from the email
    page.goto(links["APPROVE"])
    sign_in(page, stack, "acting-commander")
    # Then the page refuses, saying why, and nothing is decided
    assert "filed release request" in (page.text_content("#message") or "")
    assert page.query_selector("#decide") is None
    records = AlprClient(stack.api_url, stack.token("records"))
    assert _status(records, request_id, "awaiting_commander")


def test_without_the_letter_on_file_approval_is_refused_but_denial_works(
    stack: LocalStack, browser: BrowserContext
) -> None:
    # Given a request filed without its letter
    request_id, links = _file(stack, letter=None)
    page = browser.new_page()
    page.goto(links["APPROVE"])
    sign_in(page, stack, "commander")
    # Then the page says the letter is not on file and offers no approval
    assert "Not on file" in (page.text_content("#letter") or "")
    assert page.is_disabled("#decide")
    # When the form is posted anyway (as a script would), it is refused
    csrf = page.get_attribute("input[name=csrf]", "value")
    token = page.get_attribute("input[name=link]", "value")
    posted = page.request.post(
        links["APPROVE"].split("?", 1)[0], form={"link": token or "", "csrf": csrf or ""}
    )
    assert posted.status == 403 and "letter is not on file" in posted.text()
    # And the commander can still deny it
    page.goto(links["DENY"])
    page.fill("#reason", "No written request received")
    page.click("#decide")
    page.wait_for_load_state()
    records = AlprClient(stack.api_url, stack.token("records"))
    assert _status(records, request_id, "denied")


def test_someone_who_is_not_a_commander_gets_a_page_saying_so_and_it_is_logged(
    stack: LocalStack, browser: BrowserContext, aws: Any
) -> None:
    request_id, links = _file(stack)
    page = browser.new_page()
    response = page.goto(links["APPROVE"])
    sign_in(page, stack, "supervisor")
    assert page.url == links["APPROVE"]
    response = page.reload()
    assert response is not None and response.status == 403
    assert "commander" in (page.text_content("#message") or "")
    assert page.query_selector("#decide") is None
    refused = [r for r in _access_records(stack, aws, request_id) if r["outcome"] == "refused"]
    assert any(r["username"] == "supervisor" for r in refused)
