"""The live-room event log: one event per committed change, in a per-room order, kept in Redis.

When a gift, a cancellation, a chat message, a subscriber badge or the end of a stream commits, ``live_*_published``
builds the event once (already public: an anonymous gifter is "Anonymous" in the event itself) and appends it to the
room's Redis Stream ``coinshop:live:<session id>:events``. The stream entry id (``1733043000000-0``) is the event id:
Redis assigns them in order, so "what did I miss since id X" is one ``XRANGE``. The stream keeps about the last
``LIVE_EVENTS_KEEP`` events (at least 1,000); a viewer further behind is told to resync from the feed.

The room's leaderboard lives beside the log as a sorted set (member ``<sender id>:<visibility>``, score = coins) with
the names in a hash; the same Lua script that appends a gift or a cancellation updates it and stores the resulting
top gifters with the event, atomically, so every event carries the board as of that event and nothing aggregates the
session's gifts per gift or per viewer. Each gift is applied once (a set of applied gift and cancellation tokens), so
the board can be rebuilt from the database at any time (``live_board_rebuild``) and equals the database's aggregate
once gifts stop.

Readers: ``gifts.live.hub`` (the ASGI server: one reader per room per process, fanned out to every open stream),
``live_event_stream`` below (a WSGI server: one reader per stream, for ``runserver`` and tests), and the nchan relay.
Without ``REDIS_URL`` nothing is published and the live room polls the feed instead.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from redis import Redis

    from accounts.models import User

    from ..models import ChatMessage, GiftSend

logger = logging.getLogger(__name__)

PREFIX = "coinshop:live"
ROOMS_CHANNEL = f"{PREFIX}:rooms"  # a room id is published here on every event (the nchan relay listens)
KEYS_TTL_SECONDS = 2 * 24 * 3600  # a room's keys outlive its last event by this long
ENDED_TTL_SECONDS = 3600  # ... and its end by this long
BOARD_LIMIT = 10

Entry = tuple[str, dict[str, str]]  # a stream entry as read: (id, {"e": event json, "b": board json})


def realtime_enabled() -> bool:
    return bool(settings.REDIS_URL)


def keys(session_id: int) -> list[str]:
    """The room's keys, in the order the Lua scripts take them."""
    base = f"{PREFIX}:{session_id}"
    return [f"{base}:events", f"{base}:board", f"{base}:names", f"{base}:applied", f"{base}:built"]


def stream_key(session_id: int) -> str:
    return f"{PREFIX}:{session_id}:events"


@functools.cache
def redis_client() -> Redis:
    """One client per process (it keeps a pool of connections): publishing is on the path of every gift in a live
    room, and opening a connection costs more than the publish."""
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2, decode_responses=True)


# --- publishing -------------------------------------------------------------------------------------------------

# KEYS: events, board, names, applied, built.
# ARGV: 1 event json, 2 maxlen, 3 board op ("" | "apply" | "name"), 4 member, 5 coins delta, 6 token to apply once,
#       7 token that must have been applied first ("" for none), 8 member's display json, 9 board size, 10 ttl,
#       11 rooms channel, 12 room id.
_PUBLISH = """
local op = ARGV[3]
local with_board = op ~= '' and redis.call('EXISTS', KEYS[5]) == 1
if with_board then
  if op == 'apply' then
    local ready = ARGV[7] == '' or redis.call('SISMEMBER', KEYS[4], ARGV[7]) == 1
    if ready and redis.call('SADD', KEYS[4], ARGV[6]) == 1 then
      local score = tonumber(redis.call('ZINCRBY', KEYS[2], ARGV[5], ARGV[4]))
      if score <= 0 then redis.call('ZREM', KEYS[2], ARGV[4]) end
      if ARGV[8] ~= '' then redis.call('HSET', KEYS[3], ARGV[4], ARGV[8]) end
    end
  elseif op == 'name' and redis.call('HEXISTS', KEYS[3], ARGV[4]) == 1 then
    redis.call('HSET', KEYS[3], ARGV[4], ARGV[8])
  end
end
local fields = {'e', ARGV[1]}
if with_board then
  local limit = tonumber(ARGV[9])
  local flat = redis.call('ZREVRANGE', KEYS[2], 0, limit * 2 - 1, 'WITHSCORES')
  local rows = {}
  for i = 1, #flat, 2 do
    local member = flat[i]
    local sender = tonumber(string.match(member, '^(%d+)'))
    rows[#rows + 1] = {member = member, coins = tonumber(flat[i + 1]), sender = sender}
  end
  table.sort(rows, function(a, b)
    if a.coins ~= b.coins then return a.coins > b.coins end
    if a.sender ~= b.sender then return a.sender < b.sender end
    return a.member < b.member
  end)
  local parts = {}
  for i = 1, math.min(limit, #rows) do
    local shown = redis.call('HGET', KEYS[3], rows[i].member) or '{"name":"Anonymous","subscriber":false,"level":0}'
    parts[#parts + 1] = string.sub(shown, 1, -2) .. ',"coins":' .. string.format('%d', rows[i].coins) .. '}'
  end
  fields[3] = 'b'
  fields[4] = '[' .. table.concat(parts, ',') .. ']'
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(fields))
for i = 1, 5 do redis.call('EXPIRE', KEYS[i], ARGV[10]) end
redis.call('PUBLISH', ARGV[11], ARGV[12])
return id
"""

# KEYS: as above. ARGV: 1 ttl, then triples (member, coins, display json), a "|" and the applied tokens.
_REBUILD = """
if redis.call('EXISTS', KEYS[5]) == 1 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
local i = 2
while ARGV[i] ~= '|' do
  redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i])
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 2])
  i = i + 3
end
for j = i + 1, #ARGV, 500 do
  redis.call('SADD', KEYS[4], unpack(ARGV, j, math.min(j + 499, #ARGV)))
end
redis.call('SET', KEYS[5], '1')
for k = 2, 5 do redis.call('EXPIRE', KEYS[k], ARGV[1]) end
return 1
"""


@functools.cache
def _scripts() -> tuple[Any, Any]:
    client = redis_client()
    return client.register_script(_PUBLISH), client.register_script(_REBUILD)


@dataclass(frozen=True)
class BoardChange:
    """What an event does to the room's leaderboard: ``op`` "apply" adds ``coins`` to ``member`` once (per
    ``token``, and only after ``requires`` was applied), "name" updates a member's shown name and badge."""

    op: str
    member: str
    coins: int = 0
    token: str = ""
    requires: str = ""
    shown: dict[str, object] | None = None


def board_member(*, sender_id: int, visibility: str) -> str:
    return f"{sender_id}:{visibility}"


def publish(*, session_id: int, event: dict[str, object], board: BoardChange | None = None, ttl: int = 0) -> None:
    """Append one event to the room's log (and apply its board change). Never raises: the database already holds
    what happened, and a page reload shows it; a lost event must not turn a committed gift into an error."""
    if not realtime_enabled():
        return
    try:
        append, _ = _scripts()
        if board is not None and not redis_client().exists(keys(session_id)[4]):
            live_board_rebuild(session_id=session_id)
        append(
            keys=keys(session_id),
            args=[
                json.dumps(event, separators=(",", ":")),
                max(settings.LIVE_EVENTS_KEEP, 1000),
                board.op if board else "",
                board.member if board else "",
                board.coins if board else 0,
                board.token if board else "",
                board.requires if board else "",
                json.dumps(board.shown, separators=(",", ":")) if board and board.shown else "",
                BOARD_LIMIT,
                ttl or KEYS_TTL_SECONDS,
                ROOMS_CHANNEL,
                session_id,
            ],
        )
    except Exception:
        logger.warning("could not publish a live event for session %s", session_id, exc_info=True)


def live_board_rebuild(*, session_id: int) -> None:
    """Build the room's leaderboard from the database (the source of truth), once: when Redis lost it, or for a
    room that was live before this code. Gifts applied by concurrent events are not counted twice (tokens)."""
    from ..sending.leaderboards import live_board_rows

    rows, tokens = live_board_rows(session_id=session_id)
    args: list[object] = [KEYS_TTL_SECONDS]
    for member, coins, shown in rows:
        args += [member, coins, json.dumps(shown, separators=(",", ":"))]
    args.append("|")
    args += tokens
    _, rebuild = _scripts()
    rebuild(keys=keys(session_id), args=args)


def live_gift_published(*, send: GiftSend) -> None:
    """A gift in a live room committed: push it (with its combo count and the room's new leaderboard)."""
    from ..sending.levels import gifter_level_shown
    from ..sending.selectors import gift_combo_count, gift_feed_item
    from ..subscriptions.selectors import subscriber_is_current

    subscribed = subscriber_is_current(subscriber=send.sender, creator=send.creator)
    level = gifter_level_shown(person=send.sender)  # from the cache the gift just moved (once per event)
    item = gift_feed_item(send=send, subscribed=subscribed, combo=gift_combo_count(send=send), level=level)
    publish(
        session_id=send.live_session_id,  # type: ignore[arg-type]
        event={"type": "gift", "gift": item},
        board=BoardChange(
            op="apply",
            member=board_member(sender_id=send.sender_id, visibility=send.visibility),
            coins=send.coins,
            token=f"g{send.pk}",
            shown={"name": item["name"], "subscriber": item["subscriber"], "level": item["level"]},
        ),
    )


def live_gift_cancelled(*, send: GiftSend) -> None:
    _live_gift_cancelled(send=send)


def live_goal_published(*, session_id: int, goal: dict[str, object] | None, reached: bool) -> None:
    """The creator's goal moved (or was set, or removed); ``reached``: it was reached just now (said once)."""
    publish(session_id=session_id, event={"type": "goal", "goal": goal, "reached": reached})


def _live_gift_cancelled(*, send: GiftSend) -> None:
    publish(
        session_id=send.live_session_id,  # type: ignore[arg-type]
        event={"type": "undo", "gift_id": send.pk},
        board=BoardChange(
            op="apply",
            member=board_member(sender_id=send.sender_id, visibility=send.visibility),
            coins=-send.coins,
            token=f"u{send.pk}",
            requires=f"g{send.pk}",
        ),
    )


def live_chat_published(*, message: ChatMessage) -> None:
    from ..chat.selectors import chat_feed_item
    from ..sending.levels import gifter_level_shown
    from ..subscriptions.selectors import subscriber_is_current

    subscribed = subscriber_is_current(subscriber=message.sender, creator=message.session.creator)
    item = chat_feed_item(message=message, subscribed=subscribed, level=gifter_level_shown(person=message.sender))
    publish(session_id=message.session_id, event={"type": "chat", "chat": item})


def live_chat_erase(*, session_id: int, message_id: int, sent_at: datetime, chunk: int = 200) -> None:
    """A moderator deleted a chat message: take its event out of the room's log (``XDEL``), so a viewer who
    reconnects with an older ``Last-Event-ID`` is not sent its text again. Reads the log backwards only as far as
    the message's time (less a minute for clocks), on the moderator's request, never on a viewer's path. Never raises.
    nchan keeps its own copy of what the relay posted: see ``gifts.moderation``."""
    if not realtime_enabled():
        return
    marker = f'"type":"chat","chat":{{"id":{message_id},'
    oldest = max(0, int(sent_at.timestamp() * 1000) - 60_000)
    try:
        client, key, upto = redis_client(), stream_key(session_id), "+"
        while True:
            entries: Any = client.xrevrange(key, max=upto, min=f"{oldest}-0", count=chunk)
            found = [entry_id for entry_id, fields in entries if marker in fields.get("e", "")]
            if found:
                client.xdel(key, *found)
                return
            if len(entries) < chunk:
                return
            upto = f"({entries[-1][0]}"
    except Exception:
        logger.warning("could not erase chat %s from the events of session %s", message_id, session_id, exc_info=True)


def live_badge_published(*, creator_id: int, person: User) -> None:
    """``person`` became a subscriber of the creator: if the creator is live, the room's board shows their badge."""
    from ..models import LiveSession
    from ..sending.levels import gifter_level_shown
    from ..sending.selectors import ANONYMOUS, public_name

    session_id = LiveSession.objects.filter(creator_id=creator_id, ended_at__isnull=True).values_list("pk", flat=True)
    name = public_name(sender=person, anonymous=False)
    for pk in session_id:
        publish(
            session_id=pk,
            event={"type": "badge"},
            board=BoardChange(
                op="name",
                member=board_member(sender_id=person.pk, visibility="public"),
                shown={
                    "name": name,
                    "subscriber": name != ANONYMOUS,
                    "level": gifter_level_shown(person=person) if name != ANONYMOUS else 0,
                },
            ),
        )


def live_stream_published(*, session_id: int, streaming: bool) -> None:
    """The creator's encoder started (or stopped) publishing video: the room starts (or stops) its player."""
    publish(session_id=session_id, event={"type": "stream", "streaming": streaming})


def live_ended_published(*, session_id: int) -> None:
    publish(session_id=session_id, event={"type": "ended"}, ttl=ENDED_TTL_SECONDS)
