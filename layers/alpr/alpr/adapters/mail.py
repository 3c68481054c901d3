"""Email through SESv2, as a MIME message with a plain-text and an HTML part; and reading it back
(the local stack's mailbox: what moto's SES recorded)."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from alpr.domain.release_mail import Email


def mime(email: Email, sender: str) -> bytes:
    """The message as a mail client receives it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message.as_bytes()


class SesMailer:
    def __init__(self, sender: str, client: Callable[[], Any]) -> None:
        self.sender = sender
        self._client = client

    def send(self, email: Email) -> str:
        """Send one email; returns SES's message id."""
        if not email.to:
            raise ValueError("an email needs a recipient")
        response = self._client().send_email(
            FromEmailAddress=self.sender,
            Destination={"ToAddresses": [email.to]},
            Content={"Raw": {"Data": mime(email, self.sender)}},
        )
        message_id: str = response["MessageId"]
        return message_id


@dataclass(frozen=True)
class ReceivedMail:
    """One message as a mail client shows it."""

    message_id: str
    sender: str
    to: str
    date: str
    subject: str
    text: str
    headers: dict[str, str]

    @property
    def links(self) -> dict[str, str]:
        """The labelled links of the text part (APPROVE, DENY, ...): label -> URL."""
        return {label: url for label, url in _LINK.findall(self.text)}


_LINK = re.compile(r"^([A-Z]+):\s+(https?://\S+)$", re.MULTILINE)


def parse_mail(raw: str | bytes, message_id: str = "") -> ReceivedMail:
    """A MIME message as its parts: headers, and the text part decoded."""
    message = (
        email.message_from_bytes(raw, policy=email.policy.default)
        if isinstance(raw, bytes)
        else email.message_from_string(raw, policy=email.policy.default)
    )
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return ReceivedMail(
        message_id=message_id or str(message.get("Message-ID", "")),
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        date=str(message.get("Date", "")),
        subject=str(message.get("Subject", "")),
        text=str(text),
        headers={k: str(v) for k, v in message.items()},
    )


def local_mailbox(endpoint_url: str, timeout_s: float = 10.0) -> list[ReceivedMail]:
    """What the local (moto) SES sent, oldest first, from moto's model dump."""
    import requests

    data = requests.get(f"{endpoint_url.rstrip('/')}/moto-api/data.json", timeout=timeout_s).json()
    return [
        parse_mail(m["raw_data"], m.get("id", ""))
        for m in data.get("ses", {}).get("RawMessage", [])
        if m.get("raw_data")
    ]
