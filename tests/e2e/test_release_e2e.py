"""Release to another agency over HTTP on the local stack, as people do it: records staff file
the request, the commander reads the email in the local mailbox, opens the link signed in,
approves; the requester's link downloads a bundle whose hashes match its manifest.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from alpr.adapters.mail import ReceivedMail, local_mailbox
from alpr.cli.release import confirmation_page, decide, file_request
from alpr.client.http import AlprClient, ApiError
from alpr.domain.release_bundle import verify_bundle
from alpr.local.stack import LocalStack
from alpr.names import ACCESS_LOG_PREFIX, Output
from tests.integration.test_release_workflow import put_read

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "events" / "release" / "request_form.json").read_text())


def _mail(stack: LocalStack, to: str, about: str, timeout_s: float = 90.0) -> ReceivedMail:
    deadline = time.monotonic() + timeout_s
    while True:
        found = [m for m in local_mailbox(stack.endpoint_url) if to in m.to and about in m.subject]
        if found or time.monotonic() > deadline:
            assert found, f"no email to {to} about {about}"
            return found[-1]
        time.sleep(0.2)


def _status(client: AlprClient, request_id: str, status: str, timeout_s: float = 90.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        request: dict[str, Any] = client.call("GET", f"/v1/release-requests/{request_id}")
        if request["status"] == status or time.monotonic() > deadline:
            assert request["status"] == status, request
            return request
        time.sleep(0.2)


@pytest.fixture(scope="module")
def plate_reads(stack: LocalStack, aws) -> tuple[str, list[str]]:
    """Two reads of a fresh plate in the sample's window, with images (written as recognize would)."""
    plate = f"9R{uuid.uuid4().hex[:5].upper()}"
    s3 = aws("s3")
    ids = [
        put_read(s3, plate, datetime(2026, 11, 10, hour, tzinfo=UTC), b"\xff\xd8\xff\xe0" + bytes([hour]))
        for hour in (8, 9)
    ]
    return plate, sorted(ids)


def test_request_email_approve_and_a_bundle_that_matches_its_manifest(stack: LocalStack, plate_reads):
    plate, read_ids = plate_reads
    records = AlprClient(stack.api_url, stack.token("records"))
    commander = AlprClient(stack.api_url, stack.token("commander"))
    investigator = AlprClient(stack.api_url, stack.token("investigator"))

    # Given records staff file the written request with its letter
    form = {**SAMPLE, "scope": {**SAMPLE["scope"], "plates": [plate]}}
    request = file_request(records, form, letter=b"%PDF-1.4 request letter")
    request_id = request["request_id"]
    assert request["form"]["letter_key"].startswith("letters/")

    # When the commander's email arrives, it carries approve and deny links
    mail = _mail(stack, "commander@", request_id)
    assert set(mail.links) == {"APPROVE", "DENY"} and plate in mail.text
    _status(records, request_id, "awaiting_commander")

    # Then someone who is not a commander cannot even open the link
    with pytest.raises(ApiError) as refused:
        confirmation_page(investigator, mail.links["APPROVE"])
    assert refused.value.status == 403
    # And a forged link (deny turned into approve) is refused
    forged = mail.links["DENY"].replace(".deny.", ".approve.")
    with pytest.raises(ApiError) as forged_error:
        decide(commander, forged)
    assert forged_error.value.status == 403 and "signature" in str(forged_error.value.body)

    # When the commander opens the link signed in, the page shows the request; confirming approves it
    page = confirmation_page(commander, mail.links["APPROVE"])
    assert request_id in page and "Approve" in page and plate in page
    assert "the request letter" in page  # uploaded to the ticket the filing returned
    assert "on file" in mail.text
    assert decide(commander, mail.links["APPROVE"])["status"] == "approved"
    # And the same link a second time is refused
    with pytest.raises(ApiError) as replayed:
        decide(commander, mail.links["APPROVE"])
    assert replayed.value.status == 403 and "already used" in str(replayed.value.body)

    # Then the workflow fulfils it, and the requester's link downloads a bundle that verifies
    done = _status(records, request_id, "fulfilled")
    assert done["execution_arn"].endswith(f":release-{request_id}")  # the audit trail in Step Functions
    assert done["manifest"]["read_ids"] == read_ids
    told = _mail(stack, "areyes@", request_id)
    (url,) = [line for line in told.text.splitlines() if line.startswith("http")]
    bundle = requests.get(url, timeout=30)
    assert bundle.status_code == 200
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    assert verify_bundle(files) == []
    assert {f"images/{read_id}.jpg" for read_id in read_ids} <= set(files)


def test_an_out_of_state_request_is_refused_with_the_rule_and_no_commander_is_asked(stack: LocalStack):
    records = AlprClient(stack.api_url, stack.token("records"))
    form = {**SAMPLE, "agency_name": f"Reno PD {uuid.uuid4().hex[:6]}", "jurisdiction": "other_state"}
    request_id = file_request(records, form)["request_id"]
    refused = _status(records, request_id, "refused")
    assert "1798.90.55(b)" in refused["rule"]
    told = _mail(stack, "areyes@", request_id)
    assert "refused" in told.text and "1798.90.55(b)" in told.text
    assert not [
        m for m in local_mailbox(stack.endpoint_url) if "commander@" in m.to and request_id in m.subject
    ]


def test_a_request_with_an_unknown_field_is_rejected_and_nothing_is_filed(stack: LocalStack):
    records = AlprClient(stack.api_url, stack.token("records"))
    with pytest.raises(ApiError) as invalid:
        records.call("POST", "/v1/release-requests", json={**SAMPLE, "agency_kind": "police"})
    assert invalid.value.status == 422


def test_the_confirmation_pages_form_denies_with_a_reason(stack: LocalStack):
    # Given a request awaiting the commander, and the DENY link from the email
    records = AlprClient(stack.api_url, stack.token("records"))
    request_id = file_request(records, SAMPLE)["request_id"]
    deny = _mail(stack, "commander@", request_id).links["DENY"]
    _status(records, request_id, "awaiting_commander")
    commander = AlprClient(stack.api_url, stack.token("commander"))
    page = confirmation_page(commander, deny)
    assert 'name="reason"' in page and '<form method="post"' in page
    # When the page's form is submitted as a browser sends it (form-encoded, to the same address)
    response = commander.session.post(
        deny.split("?", 1)[0],
        data={"link": deny.split("link=", 1)[1], "reason": "Purpose too broad for the scope asked"},
        headers=commander._headers(),
        timeout=30,
    )
    # Then the request is denied with the reason, and the requester is told it
    assert response.status_code == 200, response.text
    denied = _status(records, request_id, "denied")
    assert denied["decision"]["reason"] == "Purpose too broad for the scope asked"
    assert "Purpose too broad" in _mail(stack, "areyes@", request_id).text


def test_the_cli_files_a_request_lists_it_and_shows_the_commanders_mail(stack: LocalStack):
    from typer.testing import CliRunner

    from alpr.cli.main import app

    runner = CliRunner()
    port = ["--port", str(stack.port)]
    filed = runner.invoke(
        app,
        ["release", "request", str(ROOT / "events/release/request_form.json"), "--user", "records", *port],
    )
    assert filed.exit_code == 0, filed.output
    request_id = filed.output.split()[1]
    _mail(stack, "commander@", request_id)
    listed = runner.invoke(app, ["release", "list", "--user", "commander", *port], env={"COLUMNS": "250"})
    assert listed.exit_code == 0 and request_id in listed.output, listed.output
    mail = runner.invoke(app, ["local", "mail", "--to", "commander@", *port], env={"COLUMNS": "250"})
    assert mail.exit_code == 0, mail.output
    assert "Subject: [ALPR] Release request" in mail.output and "approve link: http" in mail.output


def test_an_auditor_reviews_the_register_of_release_requests(stack: LocalStack):
    # Given a filed request
    records = AlprClient(stack.api_url, stack.token("records"))
    form = {**SAMPLE, "agency_name": f"Fresno County DA {uuid.uuid4().hex[:6]}"}
    request_id = file_request(records, form)["request_id"]
    # When an auditor reads the register and the request
    auditor = AlprClient(stack.api_url, stack.token("auditor"))
    register = auditor.call("GET", "/v1/release-requests")
    # Then both are there to review
    assert request_id in {entry["request_id"] for entry in register}
    assert auditor.call("GET", f"/v1/release-requests/{request_id}")["request_id"] == request_id


def test_links_come_from_the_configured_base_url_whatever_host_the_filer_sent(stack: LocalStack):
    # Given a filing request that names another host in its Host header
    token = stack.token("records")
    response = requests.post(
        stack.api_url + "/v1/release-requests",
        json=SAMPLE,
        headers={"Authorization": f"Bearer {token}", "Host": "evil.example:8080"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    request_id = response.json()["request"]["request_id"]
    # Then the commander's links start with the configured base URL, and the email says so
    mail = _mail(stack, "commander@", request_id)
    assert all(url.startswith(stack.api_url + "/v1/") for url in mail.links.values())
    assert "evil.example" not in mail.text
    assert f"Valid decision links start with {stack.api_url}/" in mail.text


def test_a_forged_link_is_logged_refused_with_its_reason(stack: LocalStack, aws):
    # Given a request awaiting the commander and its DENY link turned into an approval
    records = AlprClient(stack.api_url, stack.token("records"))
    request_id = file_request(records, SAMPLE)["request_id"]
    deny = _mail(stack, "commander@", request_id).links["DENY"]
    forged = deny.replace(".deny.", ".approve.")
    commander = AlprClient(stack.api_url, stack.token("commander"))
    # When the commander opens it
    with pytest.raises(ApiError) as refused:
        confirmation_page(commander, forged)
    assert refused.value.status == 403
    # Then the access log has it as refused, with the reason
    s3, bucket = aws("s3"), stack.outputs()[Output.ACCESS_LOG_BUCKET.value]
    lines = []
    for listing in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=ACCESS_LOG_PREFIX):
        for obj in listing.get("Contents", []):
            lines.extend(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode().splitlines())
    records_ = [json.loads(line) for line in lines if request_id in line]
    assert any(
        r["outcome"] == "refused" and "signature" in r["reason"] and r["method"] == "GET" for r in records_
    ), records_
