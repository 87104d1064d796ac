"""The realtime hub's transport is the app's bus (:mod:`satchel.tools.bus`).

Kept as the realtime package's name for it: ``Broker`` is the bus interface and
``InProcessBroker`` its single-process implementation.
"""

from __future__ import annotations

from satchel.tools.bus import Bus as Broker
from satchel.tools.bus import InProcessBus as InProcessBroker
from satchel.tools.bus import Message, MessageHandler

__all__ = ["Broker", "InProcessBroker", "Message", "MessageHandler"]
