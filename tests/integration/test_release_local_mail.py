"""The local mailbox: what moto's SES sent, read back over HTTP as `alpr local mail` does,
with a Lambda function registered (moto's model dump must not need Docker for it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from alpr.adapters.mail import SesMailer, local_mailbox
from alpr.domain.release_mail import Email
from alpr.local import moto_patches
from alpr.local.deploy import zip_placeholder
from tests.integration.moto_server import moto_server

REGION = "us-east-1"


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    with moto_server() as url:
        moto_patches.install(tmp_path)
        try:
            yield url
        finally:
            moto_patches.uninstall()


def test_a_sent_email_is_read_back_with_its_links_while_functions_exist(endpoint: str) -> None:
    # Given a registered function (its model has a Docker client moto's dump would read)
    client = lambda service: boto3.client(service, endpoint_url=endpoint, region_name=REGION)  # noqa: E731
    role = client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    client("lambda").create_function(
        FunctionName="f",
        Runtime="python3.11",
        Role=role,
        Handler="handler.h",
        Code={"ZipFile": zip_placeholder()},
    )
    client("sesv2").create_email_identity(EmailIdentity="alpr-release@example.gov")
    # When an email with links is sent through SESv2
    text = (
        "Please decide.\n\nAPPROVE: http://127.0.0.1:1/a?link=x.y\n\nDENY:    http://127.0.0.1:1/d?link=x.z\n"
    )
    SesMailer("alpr-release@example.gov", lambda: client("sesv2")).send(
        Email(
            to="commander@example.gov",
            subject="[ALPR] Release request R1 § 1798.90.55",
            text=text,
            html="<p>x</p>",
        )
    )
    # Then the mailbox shows it as a mail client would: headers, the text part, the links
    (mail,) = local_mailbox(endpoint)
    assert mail.to == "commander@example.gov" and mail.sender == "alpr-release@example.gov"
    assert mail.subject == "[ALPR] Release request R1 § 1798.90.55"
    assert mail.text.startswith("Please decide.")
    assert mail.links == {"APPROVE": "http://127.0.0.1:1/a?link=x.y", "DENY": "http://127.0.0.1:1/d?link=x.z"}
