"""App lifecycle and mail hooks."""

from __future__ import annotations

import time
from typing import Any

from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.core.mail.sender import Mailer
from satchel.core.settings.model import Settings
from satchel.hooks import MailerEvent, MailerRecordEvent, MailMessage


class Captured:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def deliver(self, settings: Settings, message: Any) -> None:
        self.sent.append(message)


def _wait_for(items: list[Any], count: int = 1) -> None:
    deadline = time.monotonic() + 5
    while len(items) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(items) >= count


def test_bootstrap_serve_terminate_in_order(app: App) -> None:
    log: list[str] = []
    h = app.hook_app

    @h.on_bootstrap
    def boot(e: Any) -> None:
        log.append("bootstrap")
        e.next()

    @h.on_serve
    async def serve(e: Any) -> None:
        log.append("serve")
        await e.next()
        log.append("served")

    @h.on_terminate
    def stop(e: Any) -> None:
        log.append(f"terminate restart={e.is_restart}")
        e.next()

    with TestClient(build_asgi(app)) as client:
        assert client.get("/api/health").status_code == 200
        assert log == ["bootstrap", "serve", "served"]
    assert log[-1] == "terminate restart=False"


def test_mail_hooks_change_and_stop_mails(app: App, client: TestClient, user_token: str) -> None:
    captured = Captured()
    app.state["mailer"] = Mailer(lambda: app.settings.current, transport=captured, hooks=app.hooks)
    h = app.hook_app
    seen: list[str] = []

    @h.on_mailer_record_verification_send("users")
    def verification(e: MailerRecordEvent) -> None:
        seen.append(f"record {e.record.get('email')} token={bool(e.meta.get('token'))}")
        e.message.subject = "Welcome! " + e.message.subject
        e.next()

    @h.on_mailer_send
    async def every_mail(e: MailerEvent) -> None:
        seen.append("send")
        if "stop" in e.message.subject:
            return  # not calling next: not sent
        await e.next()

    r = client.post("/api/collections/users/request-verification", json={"email": "user@example.com"})
    assert r.status_code == 204
    _wait_for(captured.sent)
    assert captured.sent[0].subject.startswith("Welcome! ")
    assert seen == ["record user@example.com token=True", "send"]

    h.send_mail(MailMessage(to=["a@example.com"], subject="please stop", html="<p>x</p>"))
    h.send_mail(to="b@example.com", subject="hello", html="<p>hi</p>")  # sent before returning
    assert [m.subject for m in captured.sent] == [captured.sent[0].subject, "hello"]


def test_settings_reload_hook(app: App, su: TestClient) -> None:
    names: list[str] = []

    @app.hook_app.on_settings_reload
    def reloaded(e: Any) -> None:
        names.append(e.settings.meta.app_name)
        e.next()

    assert su.patch("/api/settings", json={"meta": {"appName": "Renamed"}}).status_code == 200
    assert names == ["Renamed"]
