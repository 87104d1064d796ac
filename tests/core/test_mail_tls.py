"""SMTP over TLS and STARTTLS against a real aiosmtpd server with a certificate made
here: delivery only when the certificate is trusted and names the host, as Go's
``net/smtp`` (PocketBase) checks it; never a silent fall-back to plain text."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from satchel.core.mail.sender import DefaultTransport, MailError, MailMessage, build_message
from satchel.core.settings.model import SMTPConfig, default_settings
from tests.auth_support import Inbox, free_port


def _certificate(tmp: Path, names: list[x509.GeneralName]) -> tuple[Path, Path]:
    """A self-signed server certificate for ``names`` -> (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "satchel-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _server_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


@pytest.fixture
def loopback_cert(tmp_path: Path) -> tuple[Path, Path]:
    return _certificate(tmp_path, [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])


def _serve(inbox: Inbox, ctx: ssl.SSLContext, *, implicit: bool) -> tuple[Controller, int]:
    port = free_port()
    if implicit:
        controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=ctx)
    else:
        controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True)
    controller.start()
    return controller, port


@pytest.fixture(params=["starttls", "implicit"])
def tls_server(request: pytest.FixtureRequest, loopback_cert: tuple[Path, Path]) -> Iterator[tuple[Inbox, int, bool]]:
    implicit = request.param == "implicit"
    inbox = Inbox()
    controller, port = _serve(inbox, _server_context(*loopback_cert), implicit=implicit)
    try:
        yield inbox, port, implicit
    finally:
        controller.stop()


def _send(port: int, implicit: bool) -> None:
    settings = default_settings()
    settings = replace(settings, smtp=SMTPConfig(enabled=True, host="127.0.0.1", port=port, tls=implicit),
                       meta=replace(settings.meta, sender_address="support@example.com"))
    message = build_message(settings, MailMessage(to=["user@example.com"], subject="Hi", html="<p>Hello</p>"))
    asyncio.run(DefaultTransport().deliver(settings, message))


def test_untrusted_certificate_is_refused(tls_server: tuple[Inbox, int, bool],
                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    inbox, port, implicit = tls_server
    (tmp_path / "other").mkdir()
    other_ca, _ = _certificate(tmp_path / "other", [x509.DNSName("elsewhere.example")])
    monkeypatch.setenv("SSL_CERT_FILE", str(other_ca))  # trust only an unrelated certificate
    with pytest.raises(MailError, match="(?i)certificate"):
        _send(port, implicit)
    assert inbox.messages == []


def test_trusted_certificate_delivers(tls_server: tuple[Inbox, int, bool], loopback_cert: tuple[Path, Path],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port, implicit = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(loopback_cert[0]))
    _send(port, implicit)
    assert inbox.wait(1)[0]["Subject"] == "Hi"


def test_certificate_for_another_host_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = _certificate(tmp_path, [x509.DNSName("mail.example.com")])
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted, but it does not name 127.0.0.1
    inbox = Inbox()
    controller, port = _serve(inbox, _server_context(cert, key), implicit=False)
    try:
        with pytest.raises(MailError, match="(?i)certificate|match"):
            _send(port, implicit=False)
    finally:
        controller.stop()
    assert inbox.messages == []
