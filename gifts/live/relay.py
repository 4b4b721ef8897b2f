"""``manage.py live_relay``: feed nginx's nchan module from the rooms' event logs, for rooms that outgrow one process.

The relay follows every room's Redis Stream with the same reader as the ASGI server (``gifts.live.hub``: events that
arrive within ``LIVE_COALESCE_MS`` go together) and posts each batch, once, to nchan's publisher location
(``NCHAN_PUBLISH_URL``, e.g. ``http://127.0.0.1:8090/_nchan/pub/{session_id}``; ``deploy/nginx-nchan.conf``), which
fans it out to every subscriber as a Server-Sent Event named ``batch`` with the same JSON the built-in server sends.
nchan's own message ids serve ``Last-Event-ID``. The relay learns of rooms from the channel each event is announced on,
and remembers per room what it posted last (``coinshop:live:<id>:relayed``), so a restarted relay posts what it missed.
Run exactly one.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.error
import urllib.request

from django.conf import settings

from . import events, hub

logger = logging.getLogger(__name__)


def _post(url: str, body: bytes) -> None:
    """Publish one batch. A batch nchan refuses for what it is (a 4xx) is logged and skipped, so it cannot block
    its room; a server error or no answer raises, and the room's relay tries again."""
    request = urllib.request.Request(  # noqa: S310 (the operator's own nchan publisher on loopback)
        url, data=body, method="POST", headers={"Content-Type": "application/json", "X-EventSource-Event": "batch"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as exc:
        if not 400 <= exc.code < 500:
            raise
        logger.error("live relay: nchan refused a batch of %d bytes (%s %s); skipped", len(body), exc.code, exc.reason)


def _data(message: bytes) -> bytes | None:
    """The JSON of one encoded batch (nchan writes its own ``id:`` and ``event:`` lines); None for a resync."""
    head, _, data = message.partition(b"\ndata: ")
    if b"event: batch" not in head:
        return None
    return data.rstrip(b"\n")


async def _room(session_id: int) -> None:
    client = hub._aclient()
    relayed_key = f"{events.PREFIX}:{session_id}:relayed"
    url = settings.NCHAN_PUBLISH_URL.format(session_id=session_id)
    while True:
        listener = hub.Listener(deadline=float("inf"))
        room = await hub.HUB.join(session_id, listener)
        pending: list[bytes] = []

        async def collect(body: bytes, into: list[bytes] = pending) -> None:
            into.append(body)

        try:
            # What it missed while it was not running, in posts of at most 100 events.
            await hub.backfill(collect, room, listener, await client.get(relayed_key) or "0-0", chunk=100)
            while not listener.closed:
                while pending or listener.queue:
                    message = pending.pop(0) if pending else listener.take()
                    if message is None:
                        break
                    data = _data(message)
                    if data is None:
                        continue
                    await asyncio.to_thread(_post, url, data)
                    last = message.split(b"\n", 1)[0].removeprefix(b"id: ").decode()
                    await client.set(relayed_key, last, ex=events.KEYS_TTL_SECONDS)
                    if b'"type":"ended"' in data:
                        return
                listener.wake.clear()
                await listener.wake.wait()
        except Exception:
            logger.warning("live relay: room %s failed; starting it again", session_id, exc_info=True)
            await asyncio.sleep(1)
        finally:
            room.leave(listener)


async def relay_run() -> None:
    """Follow every room that has events: those in Redis now, and each new one as its first event is announced."""
    client = hub._aclient()
    tasks: dict[int, asyncio.Task[None]] = {}

    def follow(session_id: int) -> None:
        if session_id not in tasks or tasks[session_id].done():
            tasks[session_id] = asyncio.get_running_loop().create_task(_room(session_id))

    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(events.ROOMS_CHANNEL)
    async for key in client.scan_iter(match=f"{events.PREFIX}:*:events"):
        follow(int(key.split(":")[2]))
    logger.info("live relay: posting to %s", settings.NCHAN_PUBLISH_URL)
    async for message in pubsub.listen():
        follow(int(message["data"]))
