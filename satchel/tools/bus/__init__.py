"""The bus: typed messages shared by every serving process (issue 17).

* :mod:`.protocol` -- the :class:`Bus` interface every implementation offers;
* :mod:`.inprocess` -- one process: messages handed to the event loop by reference;
* :mod:`.wire` -- length-prefixed JSON frames (pure);
* :mod:`.relay` -- the parent's relay on a Unix socket, and :class:`LinkBus`, a worker's end.

The bus knows no domain: messages are JSON-serializable dicts with a ``type``.
A PostgreSQL ``LISTEN/NOTIFY`` or Redis bus implements the same interface.
"""

from satchel.tools.bus.inprocess import InProcessBus
from satchel.tools.bus.protocol import Bus, BusTimeout, Message, MessageHandler, RequestHandler

__all__ = ["Bus", "BusTimeout", "InProcessBus", "Message", "MessageHandler", "RequestHandler"]
