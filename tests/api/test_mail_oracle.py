"""The mail scenario (tests/api/mail_scenario.py) against a live ``satchel serve``, with
an aiosmtpd server and a fake ``sendmail`` first on PATH, compared with what PocketBase
0.40.6 answered and sent (``pocketbase_040/mail.json``): the same answers, the same mails
over the same transport, byte for byte once Date, Message-ID, boundaries and the
per-run secrets (tokens, OTP codes, alert times) are masked."""

from __future__ import annotations

import email
import email.policy
import quopri
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.api.mail_scenario import PW, SU_EMAIL, Runner, install_fake_sendmail, scenario
from tests.e2e.serve_support import LiveServer, free_port, satchel, start_serve, stop_serve
from tests.oracle import load, mismatches

EXPECTED = load("mail.json")
_SECRETS = [
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), "<token>"),
    (re.compile(r"(one-time password is: (?:<strong>)?)\d+"), r"\1<otp>"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z"), "<time>"),
]


class _Collector:
    def __init__(self) -> None:
        self.mails: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        self.mails.append({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                           "raw": envelope.original_content.decode()})
        return "250 OK"


def _mask(text: str) -> str:
    for pattern, repl in _SECRETS:
        text = pattern.sub(repl, text)
    return text


def _decoded(raw: str) -> str:
    """Head and decoded parts of a quoted-printable mail (a secret's length may differ)."""
    msg = email.message_from_string(raw, policy=email.policy.compat32)
    head = raw.partition("\r\n\r\n")[0]
    parts = [quopri.decodestring(p.get_payload()).decode() for p in msg.get_payload(0).get_payload()]
    return "\n=====\n".join([head, *parts])


def normalize(raw: str) -> str:
    """Date, Message-ID and boundaries masked (their shapes checked); quoted-printable
    parts decoded when they hold a per-run secret."""
    assert re.search(r"^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r$", raw, re.M) or "Date:" not in raw
    plain = _decoded(raw) if "Content-Transfer-Encoding: quoted-printable" in raw else raw
    if _mask(plain) != plain:
        raw = _mask(plain)
    raw = re.sub(r"^Date: .*\r$", "Date: <date>\r", raw, flags=re.M)
    raw = re.sub(r"^Message-ID: <[A-Za-z0-9]{15}@example\.com>\r$", "Message-ID: <id>\r", raw, flags=re.M)
    for i, boundary in enumerate(dict.fromkeys(re.findall(r'boundary="([0-9a-f]{60})"', raw))):
        raw = raw.replace(boundary, f"<boundary{i}>")
    return raw


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, _Collector, Path, Path, int]]:
    root = tmp_path_factory.mktemp("mail")
    data, out = root / "inst" / "pb_data", root / "sendmail-out"
    out.mkdir()
    sendmail = install_fake_sendmail(root / "bin")
    env = {"PATH": f"{root / 'bin'}:{__import__('os').environ['PATH']}", "SM_OUT": str(out)}
    assert satchel("superuser", "upsert", SU_EMAIL, PW, f"--dir={data}").returncode == 0
    collector = _Collector()
    smtp_port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server = start_serve(data, env=env)
    try:
        yield server, collector, out, sendmail, smtp_port
    finally:
        stop_serve(server)
        controller.stop()


def test_mail_scenario_matches_pocketbase(live: tuple[LiveServer, _Collector, Path, Path, int]) -> None:
    server, collector, out, sendmail, smtp_port = live
    runner = Runner(server.base, lambda: list(collector.mails), out, sendmail)
    runner.login_superuser()
    steps = scenario(smtp_port)
    assert [s["name"] for s in steps] == [e["name"] for e in EXPECTED]
    problems: list[str] = []
    for step, expected in zip(steps, EXPECTED, strict=True):
        got = runner.run(step)
        name = step["name"]
        if "status" in expected and got["status"] != expected["status"]:
            problems.append(f"{name}: status {got['status']} != {expected['status']} ({got['response']})")
        if "status" in expected and not step.get("quiet"):
            problems += [f"{name}: {m}" for m in mismatches(expected["response"], got["response"])]
        want, have = expected.get("mails", []), got.get("mails", [])
        if len(want) != len(have):
            problems.append(f"{name}: {len(have)} mails, PocketBase sent {len(want)}")
            continue
        for w, h in zip(want, have, strict=True):
            for key in ("transport", "args", "mail_from", "rcpt_tos"):
                if w.get(key) != h.get(key):
                    problems.append(f"{name}: {key} {h.get(key)!r} != {w.get(key)!r}")
            if normalize(w["raw"]) != normalize(h["raw"]):
                problems.append(f"{name}: mail differs\n--- PocketBase\n{normalize(w['raw'])}\n--- Satchel\n"
                                f"{normalize(h['raw'])}")
    report = Path(server.data_dir).parent / "problems.txt"
    report.write_text("\n".join(problems))
    assert not problems, "\n".join(problems)
