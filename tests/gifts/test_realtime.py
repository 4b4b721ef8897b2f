"""Real-time delivery with Redis: a published change reaches an open event stream (WSGI and ASGI flavours)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from django.conf import settings

from gifts import realtime

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (set REDIS_URL; .ci/run does)")


def _publish_soon(session_id: int) -> None:
    def later() -> None:
        time.sleep(0.3)
        realtime.live_event_publish(session_id=session_id, kind="gift")

    threading.Thread(target=later).start()


def test_the_wsgi_stream_delivers_a_published_change():
    stream = realtime.live_event_stream(session_id=424242, max_seconds=5)
    assert next(stream) == "retry: 1000\n\n"
    _publish_soon(424242)
    started = time.monotonic()
    assert next(stream) == 'event: changed\ndata: {"kind": "gift"}\n\n'
    assert time.monotonic() - started < 1.5
    stream.close()


def test_the_asgi_stream_delivers_a_published_change():
    async def read() -> list[str]:
        stream = realtime.live_event_stream_async(session_id=434343, max_seconds=5)
        first = await stream.__anext__()
        _publish_soon(434343)
        second = await asyncio.wait_for(stream.__anext__(), timeout=3)
        await stream.aclose()
        return [first, second]

    # In a thread of its own: Playwright's browser tests may leave an event loop running in this one.
    outcome: dict[str, list[str]] = {}
    reader = threading.Thread(target=lambda: outcome.update(lines=asyncio.run(read())))
    reader.start()
    reader.join(timeout=10)
    assert outcome["lines"] == ["retry: 1000\n\n", 'event: changed\ndata: {"kind": "gift"}\n\n']
