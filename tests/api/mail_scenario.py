"""One mail scenario, run against PocketBase 0.40.6 and against Satchel.

``tests/fixtures/capture_mail.py`` ran it against the real binary (started with a
fake ``sendmail`` first on PATH and an aiosmtpd server beside it) and stored every
answer and every raw mail in ``pocketbase_040/mail.json``;
``tests/api/test_mail_oracle.py`` runs it against ``satchel serve`` and compares.

A step: ``name``, ``as`` (``su``/``user``/``guest``), ``method``, ``path``, ``body``,
``mails`` (how many mails it sends: the runner waits for them) and ``ua`` (a
User-Agent, for the login alert).  ``login`` steps keep the user's token.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = ["FAKE_SENDMAIL", "Runner", "install_fake_sendmail", "scenario"]

Step = dict[str, Any]
PW = "1234567890"
SU_EMAIL = "test@example.com"
USER_EMAIL = "user@example.com"
META = {"appName": "Acme", "appURL": "http://localhost:8090", "senderName": "Support",
        "senderAddress": "support@example.com"}

# saves its arguments and stdin under $SM_OUT, one pair of files per call
FAKE_SENDMAIL = """#!/bin/sh
n=$(date +%s%N)
printf '%s\\n' "$@" > "$SM_OUT/$n.args"
cat > "$SM_OUT/$n.tmp"
mv "$SM_OUT/$n.tmp" "$SM_OUT/$n.eml"
"""

# template bodies that exercise the HTML -> text conversion and the encoders
SNIPPETS: list[tuple[str, str, str]] = [
    ("headings and lists", "Lists & headings",
     "<h1>Title</h1><h2>Sub  title</h2>\n<ul><li>one</li><li>two <b>bold</b></li></ul>"
     "<ol>\n  <li>first</li>\n  <li>second</li>\n</ol><p>after</p>"),
    ("breaks and divs", "Breaks",
     "line one<br>line two<br/>line three<div>in a div</div><div><div>nested</div></div>tail"),
    ("entities and spaces", "Entities",
     "<p>a &amp; b &lt;c&gt; &quot;d&quot; &nbsp;e&#39;s&nbsp;</p>\n\t<p>  spaced\t\ttabs   </p>"),
    ("links", "Links",
     "<p><a href=\"http://x.test/a\">plain</a> <a href=\"\">empty href</a> <a>no href</a> "
     "<a href=\"http://x.test/b\"></a> <a href=\"http://x.test/c\"><b>bold</b> link</a></p>"),
    ("head style script", "Skipped tags",
     "<style>p{color:red}</style><script>alert(1)</script><p>visible</p><head><title>t</title></head>"
     "<table><tr><td>c1</td><td>c2</td></tr><tr><td>c3</td></tr></table><pre>  pre\n  text</pre>"),
    ("long lines and non-ascii", "Grüße aus Köln — a subject that is long enough to need folding in the header",
     "<p>" + "x" * 74 + "</p><p>" + "y" * 75 + "=</p><p>" + "z" * 76 + "</p>"
     "<p>Grüße, “quotes” — 日本語のテキスト and an emoji 🎉 " + "é" * 30 + "</p>"
     "<p>trailing space \t</p>no tags at all = done"),
    ("record placeholders", "Hi {RECORD:name}",
     "<p>{RECORD:name} / {RECORD:email} / {RECORD:id} / {RECORD:verified} / {APP_NAME} / {APP_URL}</p>"),
    ("crlf and blank", "CRLF", "first\r\nsecond\r\n\r\n<p></p><p> </p>third\n\n\nfourth"),
]


def _req(name: str, who: str, method: str, path: str, body: Any = None, mails: int = 0, **extra: Any) -> Step:
    step: Step = {"name": name, "as": who, "method": method, "path": path, "body": body, "mails": mails}
    step.update(extra)
    return step


def _test_mails(prefix: str, collection: str, mails: int = 1) -> list[Step]:
    return [
        _req(f"{prefix} test {t}", "su", "POST", "/api/settings/test/email",
             {"email": "to@example.com", "template": t, "collection": collection}, mails)
        for t in ("verification", "password-reset", "email-change", "otp", "login-alert")
    ]


def scenario(smtp_port: int) -> list[Step]:
    c = "/api/collections"
    users = f"{c}/users"
    smtp = {"enabled": True, "host": "127.0.0.1", "port": smtp_port}
    steps: list[Step] = [
        _req("settings: smtp", "su", "PATCH", "/api/settings", {"meta": META, "smtp": smtp}, quiet=True),
        _req("create user", "su", "POST", f"{users}/records",
             {"email": USER_EMAIL, "password": PW, "passwordConfirm": PW, "name": "Jo <b>&"}, quiet=True),
        _req("smtp verification", "guest", "POST", f"{users}/request-verification", {"email": USER_EMAIL}, 1),
        _req("smtp password reset", "guest", "POST", f"{users}/request-password-reset", {"email": USER_EMAIL}, 1),
        _req("login 1", "guest", "POST", f"{users}/auth-with-password",
             {"identity": USER_EMAIL, "password": PW}, login=True, ua="agent-one", quiet=True),
        _req("login 2 (new user agent: alert)", "guest", "POST", f"{users}/auth-with-password",
             {"identity": USER_EMAIL, "password": PW}, 1, login=True, ua="agent-two", quiet=True),
        _req("smtp email change", "user", "POST", f"{users}/request-email-change", {"newEmail": "new@example.com"}, 1),
        _req("enable otp", "su", "PATCH", users, {"otp": {"enabled": True}}, quiet=True),
        _req("smtp otp", "guest", "POST", f"{users}/request-otp", {"email": USER_EMAIL}, 1, quiet=True),
        *_test_mails("smtp users", "users"),
        *_test_mails("smtp superusers", "_superusers"),
    ]
    for label, subject, body in SNIPPETS:
        steps.append(_req(f"template: {label}", "su", "PATCH", users,
                          {"verificationTemplate": {"subject": subject, "body": body}}, quiet=True))
        steps.append(_req(f"smtp snippet {label}", "su", "POST", "/api/settings/test/email",
                          {"email": "to@example.com", "template": "verification", "collection": "users"}, 1))
    steps += [
        _req("settings: unicode names", "su", "PATCH", "/api/settings",
             {"meta": {"appName": "Acmé Ünïcode", "senderName": "Süpport, Team"}}, quiet=True),
        _req("smtp unicode sender", "su", "POST", "/api/settings/test/email",
             {"email": "to@example.com", "template": "password-reset", "collection": "users"}, 1),
        _req("settings: no smtp", "su", "PATCH", "/api/settings", {"meta": META, "smtp": {"enabled": False}},
             quiet=True),
        _req("sendmail snippet", "su", "POST", "/api/settings/test/email",
             {"email": "to@example.com", "template": "verification", "collection": "users"}, 1),
        _req("template: default back", "su", "PATCH", users, {"verificationTemplate": {
            "subject": "Verify your {APP_NAME} email",
            "body": "<p>Hello,</p>\n<p>Click <a href=\"{APP_URL}/_/#/auth/confirm-verification/{TOKEN}\">here</a>."
                    "</p>"}}, quiet=True),
        # PocketBase sends nothing here: the same user asked for a verification mail moments ago
        _req("sendmail verification", "guest", "POST", f"{users}/request-verification", {"email": USER_EMAIL}),
        *_test_mails("sendmail users", "users"),
        _req("settings: unicode names (sendmail)", "su", "PATCH", "/api/settings",
             {"meta": {"appName": "Acmé Ünïcode", "senderName": "Süpport, Team"}}, quiet=True),
        _req("sendmail unicode sender", "su", "POST", "/api/settings/test/email",
             {"email": "to@example.com", "template": "password-reset", "collection": "users"}, 1),
        _req("remove sendmail", "", "", "", remove_sendmail=True),
        _req("no transport: test email", "su", "POST", "/api/settings/test/email",
             {"email": "to@example.com", "template": "verification", "collection": "users"}),
        _req("no transport: request verification", "guest", "POST", f"{users}/request-verification",
             {"email": USER_EMAIL}),
    ]
    return steps


def install_fake_sendmail(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / "sendmail"
    path.write_text(FAKE_SENDMAIL)
    path.chmod(0o755)
    return path


@dataclass
class Runner:
    """Runs the steps against ``base``; ``smtp_mails()`` lists what the SMTP server got."""

    base: str
    smtp_mails: Callable[[], list[dict[str, Any]]]
    sendmail_dir: Path
    sendmail_bin: Path
    tokens: dict[str, str] = field(default_factory=dict)
    seen_smtp: int = 0
    seen_sendmail: set[str] = field(default_factory=set)

    def login_superuser(self) -> None:
        r = httpx.post(f"{self.base}/api/collections/_superusers/auth-with-password",
                       json={"identity": SU_EMAIL, "password": PW}, timeout=10)
        r.raise_for_status()
        self.tokens["su"] = r.json()["token"]

    def run(self, step: Step) -> dict[str, Any]:
        if step.get("remove_sendmail"):
            self.sendmail_bin.unlink()
            return {"name": step["name"], "remove_sendmail": True}
        headers = {"User-Agent": step.get("ua", "mail-scenario")}
        if step["as"] in self.tokens:
            headers["Authorization"] = self.tokens[step["as"]]
        r = httpx.request(step["method"], self.base + step["path"], json=step["body"], headers=headers, timeout=30)
        body = r.json() if r.content else None
        if step.get("login") and r.status_code == 200:
            self.tokens["user"] = body["token"]
        # setup steps send no mail; a request that should send none gets a moment to prove it
        grace = 0.1 if step["mails"] else (0.0 if step.get("quiet") else 0.5)
        mails = self._collect(int(step["mails"]), grace=grace)
        return {"name": step["name"], "status": r.status_code, "response": body, "mails": mails}

    def _collect(self, expected: int, grace: float, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait for ``expected`` new mails (and ``grace`` longer, to catch unexpected ones)."""
        deadline = time.monotonic() + timeout
        while len(self._new(peek=True)) < expected and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(grace)
        return self._new(peek=False)

    def _new(self, *, peek: bool) -> list[dict[str, Any]]:
        smtp = self.smtp_mails()[self.seen_smtp:]
        files = sorted(p for p in os.listdir(self.sendmail_dir) if p.endswith(".eml") and p not in self.seen_sendmail)
        out = [{"transport": "smtp", **m} for m in smtp]
        for name in files:
            eml = self.sendmail_dir / name
            args = eml.with_suffix(".args").read_text().splitlines()
            out.append({"transport": "sendmail", "args": args, "raw": eml.read_bytes().decode()})
        if not peek:
            self.seen_smtp += len(smtp)
            self.seen_sendmail.update(files)
        return out
