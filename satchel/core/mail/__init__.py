"""Mail: templates, MIME building, delivery, and PocketBase's message format.

* :mod:`.format` -- PocketBase's mail bytes: the HTML layout, the HTML -> text conversion, Go's;
* :mod:`.hook_events` -- the hook events of this domain (re-exported by :mod:`satchel.hooks`);
* :mod:`.sender` -- Outgoing mail: templates with PocketBase's placeholders, MIME building and delivery.

The names below are the package's face: code outside the package (and above all
``satchel.hooks``) imports them from here.  They load on first use, so importing
one module of the package does not import the rest (no import cycle runs through
a face, and the CLI starts as fast as before).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from satchel.core._face import lazy_names

if TYPE_CHECKING:
    from satchel.core.mail.hook_events import (
        MailerEvent,
        MailerRecordEvent,
    )
    from satchel.core.mail.sender import MailError, MailMessage, get_mailer, send_template

_WHERE = {
    "MailerEvent": "hook_events",
    "MailerRecordEvent": "hook_events",
    "MailError": "sender",
    "MailMessage": "sender",
    "get_mailer": "sender",
    "send_template": "sender",
}
__all__ = [
    "MailerEvent",
    "MailerRecordEvent",
    "MailError",
    "MailMessage",
    "get_mailer",
    "send_template",
]
__getattr__ = lazy_names(__name__, _WHERE)
