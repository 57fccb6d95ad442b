"""Invitation e-mails: sent through the configured SMTP server, off the event loop and off the request.

Mail is a courtesy: the invitation waits in the invitee's inbox (``GET /api/v2/invitations``) whether or
not a message goes out, so a failure is logged and never fails the invite. Without SMTP settings
nothing is sent.
"""

from __future__ import annotations

import logging
import smtplib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 15.0


@dataclass(frozen=True)
class InvitationMail:
    to: str
    inviter: str
    session_name: str
    role: str


def _one_line(text: str, limit: int = 200) -> str:
    """Header-safe: no line breaks or control characters (they would end the header)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())[:limit]


def render(mail: InvitationMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = _one_line(f"{mail.inviter} shared \u201c{mail.session_name}\u201d with you")
    message.set_content(
        f"{mail.inviter} invited you to the Mini AI Studio session \u201c{_one_line(mail.session_name)}\u201d "
        f"as {mail.role}.\n\n"
        f"Sign in (or create your account with this address, {mail.to}) and open your invitations to "
        "accept or decline.\n")
    return message


class InvitationMailer:
    """Sends on one background thread, in order; ``send`` returns at once (None: SMTP not configured)."""

    def __init__(self, config: SmtpConfig | None) -> None:
        self.config = config
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="invitation-mail") if config else None

    @property
    def enabled(self) -> bool:
        return self._pool is not None

    def send(self, mail: InvitationMail) -> Future[bool] | None:
        if self._pool is None:
            return None
        return self._pool.submit(self._deliver, mail)

    def _deliver(self, mail: InvitationMail) -> bool:
        config = self.config
        assert config is not None
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
                if config.starttls:
                    smtp.starttls()
                if config.username:
                    smtp.login(config.username, config.password or "")
                smtp.send_message(render(mail, config.sender))
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            log.warning("could not send the invitation e-mail to %s: %s", mail.to, exc)
            return False
        return True

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
