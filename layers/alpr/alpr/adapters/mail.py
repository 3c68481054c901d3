"""Email through SESv2, as a MIME message with a plain-text and an HTML part."""

from __future__ import annotations

from collections.abc import Callable
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
