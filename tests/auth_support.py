"""Test helpers of the auth suite: a real SMTP server (aiosmtpd) and user factories."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from satchel.app import App


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        with self.lock:
            self.messages.append(msg)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def wait(self, count: int = 1, timeout: float = 30.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} mails, got {len(self.messages)}")

    def last(self, count: int | None = None) -> EmailMessage:
        return self.wait(count or len(self.messages) + 0 or 1)[-1]


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def html_of(msg: EmailMessage) -> str:
    part = msg.get_body(("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def token_in(msg: EmailMessage) -> str:
    found = re.search(r"/_/#/auth/[a-z-]+/([A-Za-z0-9_\-.]+)", html_of(msg))
    assert found, html_of(msg)
    return found.group(1)


class _Authenticator:
    def __init__(self, inbox: Inbox, users: dict[str, str]) -> None:
        self.inbox, self.users = inbox, users

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(user) == password:
                self.inbox.logins.append((mechanism, user))
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_Authenticator(inbox, {"mailer": "s3cret-pass"}),
        auth_require_tls=False,
        auth_required=False,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def use_smtp(app: App, port: int, **smtp: Any) -> None:
    app.settings.patch_sync(
        {
            "smtp": {"enabled": True, "host": "127.0.0.1", "port": port, **smtp},
            "meta": {"appName": "TestApp", "appURL": "http://localhost:8090", "senderName": "Support",
                     "senderAddress": "support@example.com"},
        }
    )


def make_user(app: App, email_: str, password: str = "1234567890", collection: str = "users", **extra: Any) -> dict[str, Any]:
    c = app.registry.get(collection)
    assert c is not None
    values = app.records.new_auth_values(c, email_, password)
    values.update(extra)
    return app.db.write_sync(lambda tx: app.records.insert_sync(tx, c, values))


def set_options(app: App, collection: str, **options: Any) -> None:
    """Change auth options directly (the collections API is tested elsewhere)."""
    c = app.registry.get(collection)
    assert c is not None
    for key, value in options.items():
        if isinstance(value, dict) and isinstance(c.options.get(key), dict):
            c.options[key].update(value)
        else:
            c.options[key] = value
