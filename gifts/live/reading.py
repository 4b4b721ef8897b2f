"""Reading a live room's event log: where a viewer resumes (``Last-Event-ID``), the stream's bounds, and the
Server-Sent Events encoding every server shares (``gifts.live.hub``, the WSGI ``live_event_stream`` below, the nchan
relay)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from redis import Redis

from .events import Entry, realtime_enabled, redis_client, stream_key

logger = logging.getLogger(__name__)

_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


def parse_id(value: str | None) -> tuple[int, int] | None:
    """A stream id as a comparable pair, or None for anything else (a missing or forged Last-Event-ID)."""
    if not value or not _ID.match(value):
        return None
    ms, seq = value.split("-")
    return int(ms), int(seq)


@dataclass(frozen=True)
class Position:
    """Where a reader starts: after ``after`` (a stream id); ``gap``: events after the reader's own id were
    already trimmed away, so it must resync from the feed."""

    after: str
    gap: bool


@dataclass(frozen=True)
class StreamInfo:
    """What a room's log holds: its newest id, its oldest kept id, and whether older events were trimmed away."""

    last: str = "0-0"
    first: str = "0-0"
    trimmed: bool = False

    @classmethod
    def parse(cls, info: dict[str, Any]) -> StreamInfo:
        first = info.get("first-entry")
        return cls(
            last=str(info["last-generated-id"]),
            first=str(first[0]) if first else str(info["last-generated-id"]),
            trimmed=int(info.get("entries-added", 0)) > int(info.get("length", 0)),
        )


def _stream_info(client: Redis, key: str) -> StreamInfo:
    try:
        return StreamInfo.parse(client.xinfo_stream(key))  # type: ignore[arg-type]
    except Exception as exc:  # redis.ResponseError: no such key (no event yet)
        if "no such key" not in str(exc).lower():
            raise
        return StreamInfo()


def live_event_position(*, session_id: int, last_event_id: str | None) -> Position:
    """Where a stream for a viewer who saw up to ``last_event_id`` starts: there, or (no id, a forged one, or one
    older than what the room keeps) at the newest event, with ``gap`` set when the viewer must resync."""
    return position_from(last_event_id=last_event_id, info=_stream_info(redis_client(), stream_key(session_id)))


def position_from(*, last_event_id: str | None, info: StreamInfo) -> Position:
    if last_event_id is None or last_event_id == "":
        return Position(after=info.last, gap=False)
    seen = parse_id(last_event_id)
    newest = parse_id(info.last) or (0, 0)
    if seen is None or seen > newest:  # forged, or from another Redis: start afresh
        return Position(after=info.last, gap=True)
    if info.trimmed and seen < (parse_id(info.first) or (0, 0)):  # what came after it may be gone
        return Position(after=info.last, gap=True)
    return Position(after=last_event_id, gap=False)


def live_event_last_id(*, session_id: int) -> str:
    """The id of the room's newest event ("0-0" before the first); pages read it before the database, so the
    stream they open afterwards misses nothing that committed in between."""
    if not realtime_enabled():
        return ""
    try:
        return _stream_info(redis_client(), stream_key(session_id)).last
    except Exception:
        logger.warning("could not read the live event id of session %s", session_id, exc_info=True)
        return ""


def encode_batch(entries: Sequence[Entry]) -> bytes:
    """One Server-Sent Events message for consecutive events: their JSON in order, each with its id, and the board
    of the last one that changed it; the message id is the last event's, for ``Last-Event-ID``."""
    events = ",".join(f'{{"id":"{entry_id}",{fields["e"][1:]}' for entry_id, fields in entries)
    board = next((fields["b"] for _, fields in reversed(entries) if "b" in fields), None)
    data = f'{{"events":[{events}]' + (f',"board":{board}' if board is not None else "") + "}"
    return f"id: {entries[-1][0]}\nevent: batch\ndata: {data}\n\n".encode()


def encode_resync(after: str) -> bytes:
    return f"id: {after}\nevent: resync\ndata: {{}}\n\n".encode()


RETRY = b"retry: 1000\n\n"


HEARTBEAT = b": hb\n\n"


def live_event_stream(
    *, session_id: int, last_event_id: str | None, max_seconds: float | None = None, heartbeat: float = 15
) -> Iterator[bytes]:
    """Server-Sent Events for one viewer under a WSGI server (``runserver``, the test server): one thread and one
    Redis connection per viewer, so only for development; production serves this path from ``gifts.live.hub``.
    Ends after ``max_seconds`` (``LIVE_STREAM_SECONDS``); the browser reconnects with ``Last-Event-ID``."""
    client = redis_client()
    key = stream_key(session_id)
    max_seconds = settings.LIVE_STREAM_SECONDS if max_seconds is None else max_seconds
    yield RETRY
    position = live_event_position(session_id=session_id, last_event_id=last_event_id)
    if position.gap:
        yield encode_resync(position.after)
    after = position.after
    started = last_beat = time.monotonic()
    while time.monotonic() - started < max_seconds:
        got: Any = client.xread({key: after}, count=1000, block=1000)  # RESP2: [[key, [(id, fields), ...]]]
        if got:
            entries: list[Entry] = got[0][1]
            after = entries[-1][0]
            yield encode_batch(entries)
            if any('"type":"ended"' in fields["e"] for _, fields in entries):
                return
        elif time.monotonic() - last_beat >= heartbeat:
            last_beat = time.monotonic()
            yield HEARTBEAT
