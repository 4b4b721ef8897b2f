"""How many viewers hold a room's event stream now: each ASGI process reports its own count (``gifts.live.hub``),
summed here over the fresh reports."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass
from .events import PREFIX, publish, realtime_enabled, redis_client

logger = logging.getLogger(__name__)


def viewers_key(session_id: int) -> str:
    return f"{PREFIX}:{session_id}:viewers"


VIEWERS_FRESH_SECONDS = 40  # a process's count of a room's viewers older than this is left out (the process died)


def live_viewers_get(*, session_id: int) -> int | None:
    """How many viewers hold the room's event stream now, over every ASGI process (each reports its own count
    every 15 s: ``gifts.live.hub``); None without Redis."""
    return live_viewers_many(session_ids=[session_id]).get(session_id)


def live_viewers_many(*, session_ids: Sequence[int]) -> dict[int, int]:
    """The viewer counts of several rooms in one round trip (empty without Redis)."""
    if not realtime_enabled() or not session_ids:
        return {}
    try:
        pipe = redis_client().pipeline(transaction=False)
        for session_id in session_ids:
            pipe.hvals(viewers_key(session_id))
        replies = pipe.execute()
    except Exception:
        logger.warning("could not read the viewer counts of sessions %s", session_ids, exc_info=True)
        return {}
    now, counts = time.time(), {}
    for session_id, values in zip(session_ids, replies, strict=True):
        total = 0
        for value in values:
            count, _, at = str(value).partition(":")
            if now - float(at or 0) <= VIEWERS_FRESH_SECONDS:
                total += int(count)
        counts[session_id] = total
    return counts


def live_viewers_published(*, session_id: int) -> None:
    """Tell the room how many watch it (the count in the page header)."""
    count = live_viewers_get(session_id=session_id)
    if count is not None:
        publish(session_id=session_id, event={"type": "viewers", "count": count})
