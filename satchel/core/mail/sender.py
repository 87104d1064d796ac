"""Outgoing mail: templates with PocketBase's placeholders, MIME building and delivery.

* :func:`render` replaces ``{APP_NAME}``, ``{APP_URL}``, ``{TOKEN}``, ``{OTP}``,
  ``{OTP_ID}``, ``{ALERT_INFO}`` and ``{RECORD:<field>}`` (non-hidden fields,
  HTML-escaped except bool/number/date values) by plain substitution.
* :func:`build_message` gives the :class:`~satchel.core.mail.format.Envelope` that
  :mod:`satchel.core.mail.format` turns into PocketBase's exact bytes (its layout,
  its plain-text alternative, its MIME structure over SMTP and its bare HTML for
  ``sendmail``).
* :class:`Mailer` delivers through SMTP (``settings.smtp``: implicit TLS or
  STARTTLS when offered, PLAIN or LOGIN auth) or ``sendmail -i -t`` when SMTP is
  disabled.  :meth:`Mailer.send_background` never blocks a handler: the task is
  owned by the mailer, failures are logged, and :meth:`Mailer.aclose` cancels
  whatever is still running at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from satchel.core.collections.model import Collection
from satchel.core.hook_events import AppHooks
from satchel.core.mail.format import Envelope, html_to_text, sendmail_message, smtp_message
from satchel.core.mail.hook_events import MailerEvent, MailerRecordEvent
from satchel.core.records.model import Record
from satchel.core.settings.model import Settings

if TYPE_CHECKING:
    from satchel.app import App

__all__ = [
    "MailError",
    "MailMessage",
    "Mailer",
    "Transport",
    "build_message",
    "get_mailer",
    "html_to_text",
    "record_placeholders",
    "render",
    "send_template",
]

log = logging.getLogger("satchel.mail")
SMTP_TIMEOUT = 30.0
_NOT_ESCAPED_TYPES = frozenset({"bool", "number", "date", "autodate"})


class MailError(Exception):
    """Delivery failed (connection, auth, refused recipient, no sendmail)."""


@dataclass(slots=True)
class MailMessage:
    """A mail to send; mutable so a mail hook can change it (``e.message.subject = ...``).

    ``hook``/``record``/``meta`` say which ``on_mailer_record_*_send`` hook wraps the send
    (a template mail of an auth collection); they are not part of the mail."""

    to: Sequence[str]
    subject: str
    html: str
    text: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    hook: str = ""
    record: Any = None
    meta: Mapping[str, Any] = field(default_factory=dict)


# the record hook of each template mail of an auth collection
TEMPLATE_HOOKS = {
    "verificationTemplate": "on_mailer_record_verification_send",
    "resetPasswordTemplate": "on_mailer_record_password_reset_send",
    "confirmEmailChangeTemplate": "on_mailer_record_email_change_send",
    "otp": "on_mailer_record_otp_send",
    "authAlert": "on_mailer_record_auth_alert_send",
}


# -- templates -------------------------------------------------------------------


def record_placeholders(c: Collection, record: Mapping[str, Any]) -> dict[str, str]:
    """``{RECORD:<field>}`` values of the non-hidden fields of ``record``."""
    import html  # here: its entity table costs start-up time (~1 %) and only mail needs it

    out: dict[str, str] = {}
    for f in c.fields:
        if f.hidden or f.type == "password" or f.name == "tokenKey":
            continue
        value = record.get(f.name, "")
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif value is None:
            text = ""
        elif isinstance(value, list | dict):
            import orjson

            text = orjson.dumps(value).decode()
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value)
        out[f"{{RECORD:{f.name}}}"] = text if f.type in _NOT_ESCAPED_TYPES else html.escape(text)
    return out


def render(template: str, placeholders: Mapping[str, str]) -> str:
    for key, value in placeholders.items():
        template = template.replace(key, value)
    return template


def build_message(settings: Settings, message: MailMessage) -> Envelope:
    """What to send, in the shape :mod:`satchel.core.mail.format` turns into bytes."""
    meta = settings.meta
    return Envelope(meta.sender_name, meta.sender_address, tuple(message.to), message.subject, message.html,
                    message.text, tuple(message.headers.items()))


# -- delivery ------------------------------------------------------------------------


class Transport(Protocol):
    async def deliver(self, settings: Settings, message: Envelope) -> None: ...


class DefaultTransport:
    """SMTP when ``settings.smtp.enabled``; otherwise the local ``sendmail`` binary."""

    async def deliver(self, settings: Settings, message: Envelope) -> None:
        if settings.smtp.enabled:
            await self._smtp(settings, message)
        else:
            await self._sendmail(message)

    async def _smtp(self, settings: Settings, message: Envelope) -> None:
        import aiosmtplib

        smtp = settings.smtp
        client = aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.port or None,
            use_tls=smtp.tls,
            start_tls=False if smtp.tls else None,  # None: STARTTLS when offered
            local_hostname=smtp.local_name or "localhost",
            timeout=SMTP_TIMEOUT,
        )
        try:
            async with client:
                if smtp.username or smtp.password:
                    if smtp.auth_method.upper() == "LOGIN":
                        await client.auth_login(smtp.username, smtp.password)
                    else:
                        await client.auth_plain(smtp.username, smtp.password)
                await client.sendmail(message.sender_address, list(message.to), smtp_message(message))
        except aiosmtplib.SMTPException as exc:
            raise MailError(str(exc)) from exc
        except OSError as exc:
            raise MailError(str(exc)) from exc

    async def _sendmail(self, message: Envelope) -> None:
        binary = next(
            (p for p in ("/usr/sbin/sendmail", "/usr/bin/sendmail") if os.path.exists(p)),
            shutil.which("sendmail"),
        )
        if not binary:
            raise MailError("failed to locate a sendmail executable path.")
        proc = await asyncio.create_subprocess_exec(
            binary, "-i", "-t", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate(sendmail_message(message))
        if proc.returncode:
            raise MailError(err.decode(errors="replace").strip() or f"sendmail exited with {proc.returncode}")


class Mailer:
    """Sends mail for one App; owns the background sends."""

    def __init__(
        self, settings: Callable[[], Settings], transport: Transport | None = None, hooks: AppHooks | None = None
    ) -> None:
        self._settings = settings
        self.transport: Transport = transport or DefaultTransport()
        self.hooks = hooks
        self._tasks: set[asyncio.Task[None]] = set()

    async def send(self, message: MailMessage) -> None:
        """Deliver now, through the mail hooks (a record template's ``on_mailer_record_*_send``
        around ``on_mailer_send``; a hook that doesn't call ``e.next()`` stops the mail);
        raises :class:`MailError`."""
        hooks = self.hooks
        if hooks is None:
            await self._deliver(message)
            return

        async def deliver(e: MailerEvent) -> None:
            await self._deliver(e.message)

        async def generic(e: MailerEvent) -> None:
            await hooks.on_mailer_send.trigger(MailerEvent(app=hooks.app, message=e.message), deliver)

        if message.hook:
            event = MailerRecordEvent(app=hooks.app, message=message, record=message.record, meta=dict(message.meta))
            await hooks.get(message.hook).trigger(event, generic)
        else:
            await generic(MailerEvent(app=hooks.app, message=message))

    async def _deliver(self, message: MailMessage) -> None:
        settings = self._settings()
        await self.transport.deliver(settings, build_message(settings, message))

    def send_background(
        self,
        message: MailMessage,
        *,
        on_done: Callable[[BaseException | None], Awaitable[None] | None] | None = None,
    ) -> asyncio.Task[None]:
        """Start sending without waiting; ``on_done(error)`` runs after the attempt."""

        async def run() -> None:
            error: BaseException | None = None
            try:
                await self.send(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reported through on_done and the log
                error = exc
                log.error("failed to send mail %r to %s: %s", message.subject, ", ".join(message.to), exc)
            if on_done is not None:
                try:
                    result = on_done(error)
                    if result is not None:
                        await result
                except Exception:  # noqa: BLE001
                    log.exception("mail completion callback failed")

        task = asyncio.get_running_loop().create_task(run(), name=f"mail:{message.subject}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def later(self, work: Callable[[], Awaitable[None]], name: str) -> asyncio.Task[None]:
        """Run ``work`` (a lookup, then maybe a send) after the handler has answered.

        The requests that mail an account (password reset, verification) answer
        the same whether the account exists or not; doing the lookup and the mail
        here keeps the answer's timing from telling them apart."""

        async def run() -> None:
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the client already has its answer
                log.exception("background %s failed", name)

        task = asyncio.get_running_loop().create_task(run(), name=f"mail-work:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the background work and sends, including the sends that work
        started meanwhile (tests, graceful shutdown)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return
            await asyncio.wait(list(self._tasks), timeout=left)

    async def aclose(self) -> None:
        """Cancel what is still being sent (shutdown)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def get_mailer(app: App) -> Mailer:
    """The App's mailer (created on first use, kept in ``app.state["mailer"]``)."""
    mailer = app.state.get("mailer")
    if not isinstance(mailer, Mailer):
        mailer = Mailer(lambda: app.settings.current, hooks=app.hooks)
        app.state["mailer"] = mailer
    return mailer


def base_placeholders(settings: Settings) -> dict[str, str]:
    return {"{APP_NAME}": settings.meta.app_name, "{APP_URL}": settings.meta.app_url}


def template_message(
    app: App,
    c: Collection,
    record: Mapping[str, Any],
    template: Mapping[str, Any],
    to: str,
    extra: Mapping[str, str] | None = None,
) -> MailMessage:
    """A message from an auth collection template for ``record``."""
    placeholders = base_placeholders(app.settings.current)
    placeholders.update(extra or {})
    placeholders.update(record_placeholders(c, record))
    subject = render(str(template.get("subject") or ""), placeholders)
    body = render(str(template.get("body") or ""), placeholders)
    return MailMessage(to=[to], subject=subject, html=body)


def send_template(
    app: App,
    c: Collection,
    record: Mapping[str, Any],
    option: str,
    to: str,
    extra: Mapping[str, str] | None = None,
) -> MailMessage:
    """Build the message of collection option ``option`` (e.g. ``verificationTemplate``,
    ``otp`` or ``authAlert``, whose template is under ``emailTemplate``)."""
    config: Mapping[str, Any] = c.options.get(option) or {}
    template = config.get("emailTemplate", config) if option in ("otp", "authAlert") else config
    message = template_message(app, c, record, template, to, extra)
    message.hook = TEMPLATE_HOOKS.get(option, "")
    if message.hook:
        message.record = Record.from_stored(c, record)
        message.meta = {key.strip("{}").lower(): value for key, value in (extra or {}).items()}
    return message
