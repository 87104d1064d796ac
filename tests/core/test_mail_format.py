"""The mail bytes of :mod:`satchel.core.mail.format` against every mail PocketBase 0.40.6
sent in ``tests/fixtures/pocketbase_040/mail.json``: each one is rebuilt here from its
decoded parts (template body, subject, sender, Date, Message-ID, boundaries) and must
come out byte for byte the same."""

from __future__ import annotations

import email
import email.policy
import quopri
import re
from datetime import datetime
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from satchel.core.mail.format import (
    LAYOUT_HEAD,
    LAYOUT_TAIL,
    Envelope,
    html_to_text,
    q_encode_header,
    qp_encode,
    sendmail_message,
    smtp_message,
)
from tests.oracle import load

MAILS = [(r["name"], m) for r in load("mail.json") for m in r.get("mails", [])]


def _body_of(document: str) -> str:
    assert document.startswith(LAYOUT_HEAD) and document.endswith(LAYOUT_TAIL)
    return document[len(LAYOUT_HEAD):-len(LAYOUT_TAIL)]


def _decoded(value: str) -> str:
    return str(make_header(decode_header(value)))


def _envelope(msg: Any, html_body: str) -> Envelope:
    found = re.fullmatch(r"(.*) <(.*)>", msg["From"])
    assert found
    name, address = found.group(1).strip('"'), found.group(2)
    return Envelope(_decoded(name), address, [msg["To"]], _decoded(msg["Subject"]), html_body)


@pytest.mark.parametrize(("name", "mail"), [m for m in MAILS if m[1]["transport"] == "smtp"], ids=lambda v: v
                         if isinstance(v, str) else "")
def test_smtp_mail_rebuilt_byte_for_byte(name: str, mail: dict[str, Any]) -> None:
    raw = mail["raw"]
    msg = email.message_from_string(raw, policy=email.policy.compat32)
    mixed = msg.get_boundary()
    alternative = re.search(r'multipart/alternative;\r\n\tboundary="([0-9a-f]{60})"', raw)
    assert mixed and re.fullmatch(r"[0-9a-f]{60}", mixed) and alternative
    text_part, html_part = msg.get_payload(0).get_payload()
    text = quopri.decodestring(text_part.get_payload()).decode()
    document = quopri.decodestring(html_part.get_payload()).decode()
    body = _body_of(document.replace("\r\n", "\n"))
    assert html_to_text(body) == text
    now = parsedate_to_datetime(msg["Date"])
    assert isinstance(now, datetime)
    rebuilt = smtp_message(_envelope(msg, body), now=now, boundaries=(mixed, alternative.group(1)),
                           message_id=msg["Message-ID"])
    assert rebuilt.decode() == raw


@pytest.mark.parametrize(("name", "mail"), [m for m in MAILS if m[1]["transport"] == "sendmail"],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_sendmail_mail_rebuilt_byte_for_byte(name: str, mail: dict[str, Any]) -> None:
    raw = mail["raw"]
    assert mail["args"] == ["-i", "-t"]
    head, _, document = raw.partition("\r\n\r\n")
    msg = email.message_from_string(head + "\r\n\r\n", policy=email.policy.compat32)
    rebuilt = sendmail_message(_envelope(msg, _body_of(document)))
    assert rebuilt.decode() == raw


def test_every_mail_of_the_capture_is_covered() -> None:
    assert len(MAILS) >= 30
    assert {m["transport"] for _, m in MAILS} == {"smtp", "sendmail"}


@pytest.mark.parametrize(("data", "expected"), [
    (b"a \r\nb\t\nc\rd", b"a=20\r\nb=09\r\nc\r\nd"),
    (b"x" * 75 + b"y", b"x" * 75 + b"=\r\ny"),
    (b"x" * 73 + b"=", b"x" * 73 + b"=\r\n=3D"),
    (b"x" * 72 + b"=", b"x" * 72 + b"=3D"),
    ("é".encode(), b"=C3=A9"),
    (b"end ", b"end=20"),
])
def test_qp_edges(data: bytes, expected: bytes) -> None:
    assert qp_encode(data) == expected
    assert quopri.decodestring(expected).replace(b"\r\n", b"\n") == data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def test_q_header_ascii_stays_and_long_is_split() -> None:
    assert q_encode_header("Plain = subject?") == "Plain = subject?"
    words = q_encode_header("é" * 40).split(" ")
    assert len(words) > 1 and all(len(w) <= 75 for w in words)
    assert _decoded(" ".join(words)) == "é" * 40


def test_text_of_links_and_blocks() -> None:
    assert html_to_text('<p>a</p>\n<p><a href="u">x <b>y</b></a></p>') == "a \r\n[x y](u)"
    assert html_to_text("<ul><li>1</li><li>2</li></ul>") == "- 1\r\n- 2"
    assert html_to_text("<script>x</script>  ") == ""
