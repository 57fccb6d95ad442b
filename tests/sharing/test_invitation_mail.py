"""Invitation e-mails, received by a real SMTP server (aiosmtpd) on loopback. Mail never decides
anything: without SMTP nothing is sent, and an unreachable server does not fail the invite."""

from __future__ import annotations

import asyncio
import email
import socket
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from conftest import PASSWORD, TEST_HOST, make_settings
from miniaistudio.app import create_app
from miniaistudio.config import Settings
from miniaistudio.services.invitation_mail import InvitationMail
from miniaistudio.studio import Studio


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.messages.append((envelope, email.message_from_bytes(content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def settings(tmp_path: Path, smtp_server: tuple[Inbox, int]) -> Settings:
    return make_settings(tmp_path, smtp_host="127.0.0.1", smtp_port=smtp_server[1],
                         smtp_from="studio@example.com", smtp_starttls=False)


async def received(inbox: Inbox, count: int) -> list[tuple[Envelope, Message]]:
    for _ in range(100):
        if len(inbox.messages) >= count:
            return inbox.messages
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} message(s), got {len(inbox.messages)}")


async def test_an_invitation_is_mailed_once_per_invitation(smtp_server: tuple[Inbox, int],
                                                            make_user: Callable[..., Any]) -> None:
    inbox, _ = smtp_server
    owner = await make_user("owner@example.com")
    sid = (await owner.new_session("Launch\r\nBcc: everyone@example.com"))["id"]
    r = await owner.post(f"/api/v2/session/{sid}/share", json={"email": "Guest@Example.com", "role": "runner"})
    assert r.status_code == 201, r.text
    [(envelope, message)] = await received(inbox, 1)
    assert envelope.mail_from == "studio@example.com" and envelope.rcpt_tos == ["guest@example.com"]
    assert message["To"] == "guest@example.com" and message["From"] == "studio@example.com"
    assert "owner@example.com" in message["Subject"] and "Bcc" not in message
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes) and b"as runner" in body and b"guest@example.com" in body

    # A change of role is no new invitation; re-opening a declined one is.
    r = await owner.post(f"/api/v2/session/{sid}/share", json={"email": "guest@example.com", "role": "viewer"})
    assert r.status_code == 200, r.text
    guest = await make_user("guest@example.com")
    assert (await guest.post(f"/api/v2/invitations/{r.json()['id']}/decline")).status_code == 200
    r = await owner.post(f"/api/v2/session/{sid}/share", json={"email": "guest@example.com", "role": "editor"})
    assert r.status_code == 200 and r.json()["status"] == "pending", r.text
    messages = await received(inbox, 2)
    await asyncio.sleep(0.3)
    assert len(messages) == 2 and b"as editor" in (messages[1][1].get_payload(decode=True) or b"")


async def test_without_smtp_nothing_is_sent_and_a_dead_server_fails_nothing(
        tmp_path: Path, smtp_server: tuple[Inbox, int], make_user: Callable[..., Any], studio: Studio) -> None:
    inbox, _ = smtp_server
    assert make_settings(tmp_path / "plain").smtp is None  # the default: no mail
    quiet = Studio(make_settings(tmp_path / "quiet"))
    try:
        assert not quiet.sharing.mailer.enabled
    finally:
        quiet.close()

    # A configured server that does not answer: the invite succeeds, the failure is only logged.
    dead = Studio(make_settings(tmp_path / "dead", smtp_host="127.0.0.1", smtp_port=free_port(),
                                smtp_from="studio@example.com", smtp_starttls=False))
    try:
        dead.accounts.create_user("owner@example.com", PASSWORD)
        transport = httpx.ASGITransport(app=create_app(dead.settings, dead))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{TEST_HOST}") as client:
            token = (await client.post("/api/v2/auth/login",
                                       json={"email": "owner@example.com", "password": PASSWORD})).json()["token"]
            client.cookies.clear()
            headers = {"Authorization": f"Bearer {token}"}
            sid = (await client.post("/api/v2/sessions", json={"name": "s"}, headers=headers)).json()["id"]
            r = await client.post(f"/api/v2/session/{sid}/share", headers=headers,
                                  json={"email": "x@example.com", "role": "viewer"})
            assert r.status_code == 201, r.text
        future = dead.sharing.mailer.send(InvitationMail("x@example.com", "o@example.com", "s", "viewer"))
        assert future is not None and await asyncio.wrap_future(future) is False  # what the invite met
    finally:
        dead.close()
    assert inbox.messages == []
