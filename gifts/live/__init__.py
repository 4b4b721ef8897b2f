"""Live rooms: the event log in Redis (``events``), the ASGI event server (``hub``), the nchan relay (``relay``)."""
