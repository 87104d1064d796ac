"""The bus: typed messages shared by every serving process (issue 17).

* :mod:`.protocol` -- the :class:`Bus` interface every implementation offers;
* :mod:`.inprocess` -- one process: messages handed to the event loop by reference;
* :mod:`.wire` -- length-prefixed JSON frames (pure);
* :mod:`.relay` -- the parent's relay on a Unix socket, and :class:`LinkBus`, a worker's end;
  :mod:`.listeners` -- which workers listen to commit events (shared memory): the others
  are not sent them;
* :mod:`.nodebus` -- what the buses between nodes share; :mod:`.postgres` (``LISTEN/NOTIFY``),
  :mod:`.redisbus` and :mod:`.natsbus` carry it, :mod:`.frames` cuts big messages for the
  last two, :mod:`.select` picks one from ``serve --bus``.
* :mod:`.cluster` -- one process among many nodes: the cluster bus, its siblings' link,
  and requests to one process anywhere (:class:`ClusterBus`).

The bus knows no domain: messages are JSON-serializable dicts with a ``type``.
"""

from satchel.tools.bus.cluster import ClusterBus
from satchel.tools.bus.inprocess import InProcessBus
from satchel.tools.bus.protocol import Bus, BusTimeout, Message, MessageHandler, RequestHandler

__all__ = ["Bus", "BusTimeout", "ClusterBus", "InProcessBus", "Message", "MessageHandler", "RequestHandler"]
