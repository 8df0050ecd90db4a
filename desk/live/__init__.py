"""The Desk, live: WebSocket consumers and the events the Desk services push to them.

``events`` is what services call (inside their transaction; delivery happens after commit),
``access`` decides which groups a socket may join, ``consumers`` and ``urls`` are the ASGI side.
"""
