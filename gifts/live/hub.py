"""The live-room event server for an ASGI process (uvicorn): ``/live/<id>/events`` for thousands of viewers.

Per process and per room, one reader follows the room's Redis Stream (``gifts.live.events``) and writes each
batch, encoded once, to every stream this process holds for that room. An open stream holds a socket and a small
queue: no thread, no database connection (the room is looked up once per process, in a worker thread that closes
its connection), no Redis connection of its own. Events that arrive within ``LIVE_COALESCE_MS`` of the previous
message go out together, so a room at 20 gifts/s costs each viewer a few writes per second, not 20.

``application`` (in ``coinshop.asgi``) answers this one path itself, in front of Django's ASGI handler: Django's
middleware would cost every viewer a session read, and its request-finished hook only runs when the stream ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from . import events, reading, viewers

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Writer = Callable[[bytes], Awaitable[None]]

PATH = re.compile(r"^/live/([0-9]{1,18})/events$")
STREAM_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
ENDED = b"event: ended\ndata: {}\n\n"
MAX_QUEUED = 200  # messages waiting for one slow viewer before its stream is closed (it reconnects and catches up)


@functools.cache
def _aclient() -> Any:
    import redis.asyncio

    return redis.asyncio.Redis.from_url(
        settings.REDIS_URL, socket_timeout=30, socket_connect_timeout=2, decode_responses=True
    )


class Listener:
    """One open event stream: the messages waiting to be written, and a flag to wake its writer."""

    __slots__ = ("closed", "deadline", "queue", "sent_until", "wake")

    def __init__(self, *, deadline: float) -> None:
        self.queue: deque[tuple[bytes, tuple[int, int] | None]] = deque()  # (message, id of its last event)
        self.wake = asyncio.Event()
        self.closed = False
        # The viewer has everything up to this event (its Last-Event-ID, or what the backfill sent): a message the
        # room's reader pushed meanwhile that ends at or before it is not written again.
        self.sent_until: tuple[int, int] | None = None
        self.deadline = deadline  # when the server ends this stream (the browser reconnects with Last-Event-ID)

    def push(self, message: bytes, last: tuple[int, int] | None) -> None:
        if len(self.queue) >= MAX_QUEUED:
            self.close()
            return
        self.queue.append((message, last))
        self.wake.set()

    def beat(self) -> None:
        self.push(reading.HEARTBEAT, None)

    def take(self) -> bytes | None:
        """The next message to write (None when there is none)."""
        while self.queue:
            message, last = self.queue.popleft()
            if last is None or self.sent_until is None or last > self.sent_until:
                return message
        return None

    def close(self) -> None:
        self.closed = True
        self.wake.set()


class Room:
    """One room in this process: its listeners, and the reader that follows its stream from ``after``."""

    def __init__(self, hub: Hub, session_id: int) -> None:
        self.hub = hub
        self.session_id = session_id
        self.listeners: set[Listener] = set()
        self.after = ""  # the id of the last event handed to the listeners
        self.ready = asyncio.Event()
        self.ended = False
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        client = _aclient()
        key = events.stream_key(self.session_id)
        loop = asyncio.get_running_loop()
        window = settings.LIVE_COALESCE_MS / 1000
        last_flush = 0.0
        try:
            self.after = (await _stream_info(key)).last
        except Exception:
            logger.warning("live room %s: could not read its stream", self.session_id, exc_info=True)
            self.after = "0-0"
        self.ready.set()
        while self.listeners:
            try:
                got = await client.xread({key: self.after}, count=1000, block=5000)
                if not got:
                    continue
                entries = got[0][1]
                wait = window - (loop.time() - last_flush)
                if wait > 0:  # a message went out moments ago: gather what else arrives, send it together
                    await asyncio.sleep(wait)
                    more = await client.xread({key: entries[-1][0]}, count=1000)
                    if more:
                        entries += more[0][1]
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("live room %s: reading its stream failed; retrying", self.session_id, exc_info=True)
                await asyncio.sleep(1)
                continue
            self.after = entries[-1][0]
            last = reading.parse_id(self.after) or (0, 0)
            message = reading.encode_batch(entries)
            for listener in self.listeners:
                listener.push(message, last)
            last_flush = loop.time()
            if b'"type":"ended"' in message:
                self.hub.known[self.session_id] = True
        self.hub.rooms.pop(self.session_id, None)

    def leave(self, listener: Listener) -> None:
        self.listeners.discard(listener)


class Hub:
    """This process's rooms, created when their first viewer arrives and gone when their last one leaves."""

    def __init__(self) -> None:
        self.rooms: dict[int, Room] = {}
        self.known: dict[int, bool] = {}  # session id -> has ended (sessions are looked up once per process)
        self.ticker: asyncio.Task[None] | None = None

    async def join(self, session_id: int, listener: Listener) -> Room:
        if self.ticker is None or self.ticker.done():
            self.ticker = asyncio.get_running_loop().create_task(self._tick())
        room = self.rooms.get(session_id)
        if room is None or room.task.done():
            room = self.rooms[session_id] = Room(self, session_id)
        room.listeners.add(listener)  # before the reader's next message: nothing falls between backfill and live
        await room.ready.wait()
        return room

    async def _tick(self) -> None:
        """One timer for all streams: a heartbeat comment to each (proxies close silent connections), the end of
        those past their deadline, and this process's count of each room's viewers (one process a round then
        tells the room the total)."""
        loop = asyncio.get_running_loop()
        every = settings.LIVE_HEARTBEAT_SECONDS
        me = f"{socket.gethostname()}:{os.getpid()}"
        while True:
            await asyncio.sleep(every)
            now = loop.time()
            for room in list(self.rooms.values()):
                for listener in list(room.listeners):
                    if now >= listener.deadline:
                        listener.close()
                    else:
                        listener.beat()
                with contextlib.suppress(Exception):
                    await self._count(room, me, every)

    async def _count(self, room: Room, me: str, every: float) -> None:
        client = _aclient()
        key = viewers.viewers_key(room.session_id)
        await client.hset(key, me, f"{len(room.listeners)}:{time.time()}")
        await client.expire(key, 3600)
        if await client.set(f"{key}:announce", me, nx=True, ex=max(1, int(every) - 1)):
            await asyncio.to_thread(viewers.live_viewers_published, session_id=room.session_id)


async def _stream_info(key: str) -> reading.StreamInfo:
    try:
        return reading.StreamInfo.parse(await _aclient().xinfo_stream(key))
    except Exception as exc:  # redis.ResponseError: no such key (no event yet)
        if "no such key" not in str(exc).lower():
            raise
        return reading.StreamInfo()


HUB = Hub()


def _session_state(session_id: int) -> bool | None:
    """Has the session ended (None: no such session)? In a worker thread whose database connection is closed
    before it returns, so no open stream holds one."""
    from ..models import LiveSession

    try:
        found = list(LiveSession.objects.filter(pk=session_id).values_list("ended_at", flat=True))
    finally:
        connection.close()
    return found[0] is not None if found else None


async def _plain(send: Send, status: int, text: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})


def _last_event_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"last-event-id":
            return str(value.decode("latin-1").strip())
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return query.get("last_event_id", [None])[0]


async def live_events_app(scope: Scope, receive: Receive, send: Send, *, session_id: int) -> None:
    """Serve one viewer's event stream: what it missed since ``Last-Event-ID`` (or a resync), then every batch
    of the room as it comes, a heartbeat comment every 15 s, until it leaves or ``LIVE_STREAM_SECONDS`` pass."""
    if scope["method"] not in ("GET", "HEAD"):
        await _plain(send, 405, "Use GET.")
        return
    if not events.realtime_enabled():
        await _plain(send, 404, "Real-time events need REDIS_URL; poll the feed instead.")
        return
    ended = HUB.known.get(session_id)
    if ended is None:
        ended = await sync_to_async(_session_state, thread_sensitive=False)(session_id)
        if ended is None:
            await _plain(send, 404, "No such live stream.")
            return
        HUB.known[session_id] = ended
    asked = _last_event_id(scope)
    loop = asyncio.get_running_loop()
    listener = Listener(deadline=loop.time() + settings.LIVE_STREAM_SECONDS)
    room = await HUB.join(session_id, listener)  # before the answer: from then on, nothing can slip past this viewer
    disconnected = loop.create_task(_wait_disconnect(receive, listener))

    async def write(body: bytes) -> None:
        await send({"type": "http.response.body", "body": body, "more_body": True})

    try:
        await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS})
        await write(reading.RETRY)
        await backfill(write, room, listener, asked)
        if ended:  # nothing more will come: say so (the page stops listening) and close
            await write(ENDED)
            return
        await _relay(send, listener)
    except OSError:
        pass  # the viewer went away mid-write
    finally:
        room.leave(listener)
        disconnected.cancel()
    with contextlib.suppress(Exception):
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _wait_disconnect(receive: Receive, listener: Listener) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            listener.close()
            return


async def backfill(write: Writer, room: Room, listener: Listener, asked: str | None, *, chunk: int = 1000) -> None:
    """Send what the viewer missed: the events after its id up to where the room's reader stands (later ones reach
    it through the reader; ones the reader pushed meanwhile are not written twice), or a resync when they are gone.
    The reader's position is always the end of a message it pushed, so messages are skipped whole."""
    upto = room.after
    if asked is None or asked == "":
        return
    client = _aclient()
    key = events.stream_key(room.session_id)
    position = reading.position_from(last_event_id=asked, info=await _stream_info(key))
    if position.gap:
        # From the newest event on; what this viewer had not seen it fetches from the feed.
        listener.sent_until = reading.parse_id(upto)
        await write(reading.encode_resync(upto))
        return
    after, until = position.after, reading.parse_id(upto) or (0, 0)
    if (reading.parse_id(after) or (0, 0)) >= until:  # the viewer is ahead of this room's reader: nothing to fill
        listener.sent_until = reading.parse_id(after)
        return
    while after != upto:
        entries = await client.xrange(key, min=f"({after}", max=upto, count=chunk)
        if not entries:
            break
        after = entries[-1][0]
        await write(reading.encode_batch(entries))
    listener.sent_until = until


async def _relay(send: Send, listener: Listener) -> None:
    while not listener.closed:
        await listener.wake.wait()
        listener.wake.clear()
        while (message := listener.take()) is not None:
            await send({"type": "http.response.body", "body": message, "more_body": True})
            if b'"type":"ended"' in message:
                return
