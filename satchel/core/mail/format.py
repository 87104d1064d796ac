'''PocketBase's mail bytes: the HTML layout, the HTML -> text conversion, Go's
quoted-printable and RFC 2047 encoders and the two message shapes it sends.

Pure functions; :mod:`satchel.core.mail.sender` does the I/O.  Everything here was checked
byte for byte against mails captured from PocketBase 0.40.6
(``tests/fixtures/pocketbase_040/mail.json``):

* over SMTP (mailyak): ``multipart/mixed`` holding a ``multipart/alternative``
  with a quoted-printable text part and HTML part, CRLF line ends;
* through ``sendmail -i -t``: four sorted headers and the bare HTML, unencoded.
'''

from __future__ import annotations

import base64
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = [
    "LAYOUT_HEAD",
    "LAYOUT_TAIL",
    "Envelope",
    "html_to_text",
    "q_encode_header",
    "qp_encode",
    "sendmail_message",
    "smtp_message",
    "wrap_layout",
]

LAYOUT_TAIL = "\n</body>\n</html>\n"
# PocketBase's layout, up to the template body (kept verbatim: the bytes are the contract)
LAYOUT_HEAD = (
    '\n'
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml">\n'
    '<head>\n'
    '    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />\n'
    '    <meta name="viewport" content="width=device-width,initial-scale=1" />\n'
    '    <style>\n'
    '        body, html {\n'
    '            padding: 0;\n'
    '            margin: 0;\n'
    '            border: 0;\n'
    '            color: #16161a;\n'
    '            background: #fff;\n'
    '            font-size: 14px;\n'
    '            line-height: 20px;\n'
    '            font-weight: normal;\n'
    '            font-family: Source Sans Pro, sans-serif, emoji;\n'
    '        }\n'
    '        body {\n'
    '            padding: 20px 30px;\n'
    '        }\n'
    '        strong {\n'
    '            font-weight: bold;\n'
    '        }\n'
    '        em, i {\n'
    '            font-style: italic;\n'
    '        }\n'
    '        p {\n'
    '            display: block;\n'
    '            margin: 10px 0;\n'
    '            font-family: inherit;\n'
    '        }\n'
    '        small {\n'
    '            font-size: 12px;\n'
    '            line-height: 16px;\n'
    '        }\n'
    '        hr {\n'
    '            display: block;\n'
    '            height: 1px;\n'
    '            border: 0;\n'
    '            width: 100%;\n'
    '            background: #e1e6ea;\n'
    '            margin: 10px 0;\n'
    '        }\n'
    '        a {\n'
    '            color: inherit;\n'
    '        }\n'
    '        .hidden {\n'
    '            display: none !important;\n'
    '        }\n'
    '        .btn {\n'
    '            display: inline-block;\n'
    '            vertical-align: top;\n'
    '            border: 0;\n'
    '            cursor: pointer;\n'
    '            color: #fff !important;\n'
    '            background: #16161a !important;\n'
    '            text-decoration: none !important;\n'
    '            line-height: 40px;\n'
    '            width: auto;\n'
    '            min-width: 150px;\n'
    '            text-align: center;\n'
    '            padding: 0 20px;\n'
    '            margin: 5px 0;\n'
    '            font-family: Source Sans Pro, sans-serif, emoji;\n'
    '            font-size: 14px;\n'
    '            font-weight: bold;\n'
    '            border-radius: 6px;\n'
    '            box-sizing: border-box;\n'
    '        }\n'
    '    </style>\n'
    '</head>\n'
    '<body>\n'
    '    '
)


def wrap_layout(body: str) -> str:
    """The HTML document PocketBase sends around a template body."""
    return LAYOUT_HEAD + body + LAYOUT_TAIL


# -- HTML -> text ---------------------------------------------------------------------


def html_to_text(body: str) -> str:
    """The plain-text alternative PocketBase derives from an HTML body."""
    from satchel.core.mail.html_text import html_to_text as convert  # html.parser on first use

    return convert(body)


# -- encoders ---------------------------------------------------------------------------

_MAX_LINE = 76  # including the "=" of a soft break
_LITERAL = frozenset(b for b in range(33, 127) if b != ord("=")) | {ord(" "), ord("\t")}


class _QPWriter:
    def __init__(self) -> None:
        self.out = bytearray()
        self.line = bytearray()

    def soft_break(self) -> None:
        self.out += self.line + b"=\r\n"
        self.line.clear()

    def encoded(self, b: int) -> None:
        if _MAX_LINE - 1 - len(self.line) < 3:
            self.soft_break()
        self.line += b"=%02X" % b

    def literal(self, b: int) -> None:
        if len(self.line) == _MAX_LINE - 1:
            self.soft_break()
        self.line.append(b)

    def trailing_space(self) -> None:
        """White space that would end a line is encoded (it would be lost otherwise)."""
        if self.line and self.line[-1] in (0x20, 0x09):
            b = self.line.pop()
            self.encoded(b)

    def end_line(self) -> None:
        self.trailing_space()
        self.out += self.line + b"\r\n"
        self.line.clear()


def qp_encode(data: bytes) -> bytes:
    """Quoted-printable as Go's ``mime/quotedprintable.Writer`` (text mode) writes it:
    any of CR, LF or CRLF becomes CRLF, lines of at most 76 characters."""
    w = _QPWriter()
    after_cr = False
    for b in data:
        if b in (0x0A, 0x0D):
            if after_cr and b == 0x0A:
                after_cr = False
                continue
            after_cr = b == 0x0D
            w.end_line()
            continue
        after_cr = False
        if b in _LITERAL:
            w.literal(b)
        else:
            w.encoded(b)
    w.trailing_space()
    return bytes(w.out + w.line)


_Q_PLAIN = frozenset(chr(b) for b in range(0x21, 0x7F)) - {"=", "?", "_"}
_MAX_WORD = 75


def _needs_encoding(text: str) -> bool:
    return any(c not in " \t" and not (" " < c <= "~") for c in text)


def q_encode_header(text: str, charset: str = "UTF-8") -> str:
    """RFC 2047 Q encoding as Go's ``mime.QEncoding.Encode``: unchanged when printable
    ASCII, else encoded words of at most 75 characters joined by a space (a character
    is never split between two words)."""
    if not _needs_encoding(text):
        return text
    prefix, suffix = f"=?{charset}?q?", "?="
    words: list[str] = []
    current = ""
    for ch in text:
        piece = "_" if ch == " " else ch if ch in _Q_PLAIN else "".join(f"={b:02X}" for b in ch.encode())
        if current and len(prefix) + len(current) + len(piece) + len(suffix) > _MAX_WORD:
            words.append(prefix + current + suffix)
            current = ""
        current += piece
    words.append(prefix + current + suffix)
    return " ".join(words)


def _b_encode_header(text: str) -> str:
    """Go's ``mime.BEncoding.Encode("utf-8", text)`` for a short display name."""
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


# -- messages ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Envelope:
    """The sender and recipients of a mail, as SMTP sees them."""
    sender_name: str
    sender_address: str
    to: Sequence[str]
    subject: str
    html: str  # the template body, before the layout
    text: str = ""  # "" = derived from the HTML
    headers: tuple[tuple[str, str], ...] = ()  # extra headers (hooks), after the standard ones


def _smtp_address(name: str, address: str) -> str:
    return f"{q_encode_header(name)} <{address}>" if name else address


def _random_token(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def smtp_message(env: Envelope, *, now: datetime | None = None, boundaries: tuple[str, str] | None = None,
                 message_id: str | None = None) -> bytes:
    """The bytes PocketBase hands to the SMTP server."""
    now = now or datetime.now(UTC)
    mixed, alternative = boundaries or (secrets.token_hex(30), secrets.token_hex(30))
    domain = env.sender_address.rpartition("@")[2]
    message_id = message_id or f"<{_random_token(15)}@{domain}>"
    text = env.text or html_to_text(env.html)
    document = wrap_layout(env.html)
    head = (
        f"From: {_smtp_address(env.sender_name, env.sender_address)}\r\n"
        "MIME-Version: 1.0\r\n"
        f"Date: {now.astimezone(UTC).strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
        f"Subject: {q_encode_header(env.subject)}\r\n"
        f"To: {', '.join(env.to)}\r\n"
        f"Message-ID: {message_id}\r\n"
        + "".join(f"{k}: {q_encode_header(v)}\r\n" for k, v in env.headers)
        +
        f'Content-Type: multipart/mixed;\r\n\tboundary="{mixed}"; charset=UTF-8\r\n'
        "\r\n"
        f"--{mixed}\r\n"
        f'Content-Type: multipart/alternative;\r\n\tboundary="{alternative}"\r\n'
        "\r\n"
    )
    parts = b""
    for subtype, content in (("plain", text), ("html", document)):
        parts += (
            f"--{alternative}\r\nContent-Transfer-Encoding: quoted-printable\r\n"
            f"Content-Type: text/{subtype}; charset=UTF-8\r\n\r\n"
        ).encode() + qp_encode(content.encode()) + b"\r\n"
    tail = f"--{alternative}--\r\n\r\n--{mixed}--\r\n"
    return head.encode() + parts + tail.encode()


def _sendmail_address(name: str, address: str) -> str:
    if not name:
        return f"<{address}>"
    if _needs_encoding(name):
        return f"{_b_encode_header(name)} <{address}>"
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>'


def sendmail_message(env: Envelope) -> bytes:
    """The bytes PocketBase pipes into ``sendmail -i -t``: sorted headers, bare HTML."""
    headers = {
        "Content-Type": "text/html; charset=UTF-8",
        "From": _sendmail_address(env.sender_name, env.sender_address),
        "Subject": q_encode_header(env.subject, "utf-8"),
        "To": ",".join(env.to),
    }
    headers.update((k, q_encode_header(v, "utf-8")) for k, v in env.headers)
    head = "".join(f"{k}: {v}\r\n" for k, v in sorted(headers.items()))
    return (head + "\r\n" + wrap_layout(env.html)).encode()

