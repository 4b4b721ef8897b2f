"""Live-room updates: Redis pub/sub when ``REDIS_URL`` is set (Server-Sent Events), polling otherwise.

Under an ASGI server (production: uvicorn) the events endpoint streams from an async generator, holding no thread
per viewer; under a WSGI server (``runserver``, tests) it streams from a plain generator, one thread per viewer.

The database stays the source of truth: a published message only says "session N changed"; clients then fetch
the feed. A lost message is therefore harmless, and the polling fallback shows exactly the same thing.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator

from django.conf import settings

logger = logging.getLogger(__name__)
CHANNEL = "coinshop:live:{session_id}"


@functools.cache
def _client():  # type: ignore[no-untyped-def]
    """One client per process (it keeps a pool of connections, reset after a fork): publishing is on the path of
    every gift in a live room, and opening a connection costs more than the publish."""
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2)


def realtime_enabled() -> bool:
    return bool(settings.REDIS_URL)


def live_event_publish(*, session_id: int, kind: str) -> None:
    if not realtime_enabled():
        return
    try:
        _client().publish(CHANNEL.format(session_id=session_id), json.dumps({"kind": kind}))
    except Exception:  # the feed still updates through polling; never fail a gift for a notification
        logger.warning("could not publish live event for session %s", session_id, exc_info=True)


def live_event_stream(*, session_id: int, max_seconds: int = 55, heartbeat: int = 15) -> Iterator[str]:
    """Server-Sent Events for one live room: a "changed" event per published message, a comment as heartbeat.

    Ends after ``max_seconds`` (the browser's EventSource reconnects by itself), so no worker is held forever.
    """
    pubsub = _client().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL.format(session_id=session_id))
    try:
        yield "retry: 1000\n\n"
        started = last_beat = time.monotonic()
        while time.monotonic() - started < max_seconds:
            message = pubsub.get_message(timeout=1.0)
            if message is not None:
                yield f"event: changed\ndata: {message['data'].decode()}\n\n"
            elif time.monotonic() - last_beat >= heartbeat:
                last_beat = time.monotonic()
                yield ": heartbeat\n\n"
    finally:
        pubsub.close()


async def live_event_stream_async(*, session_id: int, max_seconds: int = 55, heartbeat: int = 15) -> AsyncIterator[str]:
    """The same stream for an ASGI server (uvicorn): no thread is held while a viewer waits for the next gift."""
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(CHANNEL.format(session_id=session_id))
    try:
        yield "retry: 1000\n\n"
        started = last_beat = time.monotonic()
        while time.monotonic() - started < max_seconds:
            message = await pubsub.get_message(timeout=1.0)
            if message is not None:
                yield f"event: changed\ndata: {message['data'].decode()}\n\n"
            elif time.monotonic() - last_beat >= heartbeat:
                last_beat = time.monotonic()
                yield ": heartbeat\n\n"
    finally:
        await pubsub.aclose()
        await client.aclose()
