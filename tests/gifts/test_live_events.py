"""Live-room events on the real stack: uvicorn serving ``/live/<id>/events`` as production does, real Redis, and
PostgreSQL. What a viewer's browser would receive: every event once and in order, what it missed after a
reconnect, a resync when that is gone, gifts that commit out of id order, cancellations and the end of the stream,
a leaderboard equal to the database's, and no database connection held per open stream."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction

from gifts.live import events, reading, viewers
from gifts.live.selectors import live_feed
from gifts.live.services import live_session_end
from gifts.models import GiftSend, LiveSession
from gifts.sending.leaderboards import _leaderboard
from gifts.sending.services import gift_send, gift_undo

from .live_server import EventStream, uvicorn_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def server() -> Any:
    with uvicorn_server(LIVE_COALESCE_MS="50") as base:
        yield base


@pytest.fixture
def room(make_creator: Any) -> LiveSession:
    session = LiveSession.objects.create(creator=make_creator("mira"), title="Piano")
    _wipe(session.pk)
    return session


def _wipe(session_id: int) -> None:
    events.redis_client().delete(*events.keys(session_id), f"{events.PREFIX}:{session_id}:relayed")


@pytest.fixture
def gifters(make_user: Any, fund: Any) -> list[Any]:
    people = [make_user(f"g{i}@example.com", nickname=f"Gifter {i}") for i in range(3)]
    for person in people:
        fund(person, 100_000)
    return people


def _open(server: str, room: LiveSession, last_event_id: str | None = None) -> EventStream:
    stream = EventStream(server, f"/live/{room.pk}/events", last_event_id=last_event_id).open()
    assert stream.status == 200
    return stream


def _gift(room: LiveSession, sender: Any, gift: Any, **kwargs: Any) -> GiftSend:
    return gift_send(sender=sender, creator=room.creator, gift=gift, live_session=room, **kwargs)


def _nothing_more(stream: EventStream, seconds: float = 0.5) -> None:
    """No further gift or cancellation comes within ``seconds`` (a viewer count may)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = stream.next(timeout=left)
        except TimeoutError:
            return
        assert message is None or all(e["type"] == "viewers" for e in message.data.get("events", [])), message


def _db_board(room: LiveSession) -> list[dict[str, object]]:
    return _leaderboard(GiftSend.objects.filter(live_session=room), 10, room.creator_id)


def test_events_reach_two_viewers_in_order_with_the_board(server, room, gifters, catalog) -> None:
    a, b = _open(server, room), _open(server, room)
    sent = [_gift(room, gifters[i % 3], catalog["rose"]) for i in range(6)]
    for stream in (a, b):
        got = stream.events_until(6)
        assert [e["gift"]["id"] for e in got] == [s.pk for s in sent]
        assert [e["gift"]["name"] for e in got] == ["Gifter 0", "Gifter 1", "Gifter 2"] * 2
        ids = [reading.parse_id(e["id"]) for e in got]
        assert ids == sorted(ids) and len(set(ids)) == 6
    # Every message carries the board as of its last event: here, the database's.
    last_board = [m.data["board"] for m in a.messages if m.event == "batch" and "board" in m.data][-1]
    assert (
        last_board
        == _db_board(room)
        == [
            {"name": "Gifter 0", "coins": 2, "subscriber": False, "level": 1},
            {"name": "Gifter 1", "coins": 2, "subscriber": False, "level": 1},
            {"name": "Gifter 2", "coins": 2, "subscriber": False, "level": 1},
        ]
    )
    a.close()
    b.close()


def test_a_reconnect_with_last_event_id_gets_exactly_what_it_missed(server, room, gifters, catalog) -> None:
    stream = _open(server, room)
    first = [_gift(room, gifters[0], catalog["rose"]) for _ in range(3)]
    assert [e["gift"]["id"] for e in stream.events_until(3)] == [s.pk for s in first]
    seen = stream.last_event_id
    stream.close()
    missed = [_gift(room, gifters[1], catalog["clap"]) for _ in range(2)]
    again = _open(server, room, last_event_id=seen)
    got = again.events_until(2)
    assert [e["gift"]["id"] for e in got] == [s.pk for s in missed]
    later = _gift(room, gifters[2], catalog["rose"])
    assert [e["gift"]["id"] for e in again.events_until(1)] == [later.pk]  # ...then live, with nothing twice
    _nothing_more(again)
    again.close()


def test_a_gap_that_cannot_be_filled_asks_for_a_resync(server, room, gifters, catalog) -> None:
    stream = _open(server, room)
    _gift(room, gifters[0], catalog["rose"])
    stream.events_until(1)
    seen = stream.last_event_id
    stream.close()
    for _ in range(3):
        _gift(room, gifters[0], catalog["rose"])
    # As if a thousand events had passed: the ones after ``seen`` are gone.
    events.redis_client().xtrim(events.stream_key(room.pk), maxlen=1, approximate=False)
    again = _open(server, room, last_event_id=seen)
    message = again.next()
    assert message is not None and message.event == "resync"
    # It goes on from an event at or before the newest: the page fetches the feed, later events follow.
    newest_id = reading.live_event_last_id(session_id=room.pk)
    assert reading.parse_id(seen) <= reading.parse_id(message.id) <= reading.parse_id(newest_id)  # type: ignore[operator]
    newest = _gift(room, gifters[1], catalog["clap"])
    # (Events between that point and the newest may come first: this process's reader had not sent them yet.)
    got: list[int] = []
    while newest.pk not in got:
        got += [e["gift"]["id"] for e in again.events_until(1) if e["type"] == "gift"]
    assert len(got) == len(set(got)), got
    again.close()
    forged = _open(server, room, last_event_id="99999999999999-0")
    assert forged.next().event == "resync"  # type: ignore[union-attr]
    forged.close()
    junk = _open(server, room, last_event_id="¹²-³")
    assert junk.next().event == "resync"  # type: ignore[union-attr]
    junk.close()


def test_gifts_that_commit_out_of_id_order_all_arrive_once(server, room, gifters, catalog, monkeypatch) -> None:
    shards = itertools.count()  # the two gifts credit different balance shards, so neither waits for the other
    monkeypatch.setattr("wallet.ledger.random.randrange", lambda n: next(shards) % n)
    stream = _open(server, room)
    first = _gift(room, gifters[2], catalog["rose"])  # the creator's diamond account exists from here on
    assert [e["gift"]["id"] for e in stream.events_until(1)] == [first.pk]
    inside, release = threading.Event(), threading.Event()
    held: dict[str, GiftSend] = {}

    def slow_gift() -> None:
        with transaction.atomic():
            held["send"] = _gift(room, gifters[0], catalog["rose"])
            inside.set()
            release.wait(10)
        connection.close()

    worker = threading.Thread(target=slow_gift)
    worker.start()
    assert inside.wait(10)
    quick = _gift(room, gifters[1], catalog["clap"])  # a higher id, committed first
    assert quick.pk > held["send"].pk
    assert [e["gift"]["id"] for e in stream.events_until(1)] == [quick.pk]
    release.set()
    worker.join(10)
    assert [e["gift"]["id"] for e in stream.events_until(1)] == [held["send"].pk]
    _nothing_more(stream)
    stream.close()


def test_a_cancellation_and_the_end_of_the_stream_arrive_as_events(server, room, gifters, catalog) -> None:
    stream = _open(server, room)
    big = _gift(room, gifters[0], catalog["universe"])
    _gift(room, gifters[1], catalog["rose"])
    stream.events_until(2)
    gift_undo(send=big, by=gifters[0])
    undo = stream.events_until(1)
    assert undo == [{"id": undo[0]["id"], "type": "undo", "gift_id": big.pk}]
    board = [{"name": "Gifter 1", "coins": 1, "subscriber": False, "level": 1}]  # gifter level 1 (1 coin)
    assert stream.messages[-1].data["board"] == _db_board(room) == board
    live_session_end(session=room, by=room.creator.user)
    assert stream.events_until(1)[0]["type"] == "ended"
    assert stream.next(timeout=2) is None  # the server closes the stream: nothing more will come
    stream.close()
    # A viewer arriving after the end is told at once.
    late = _open(server, room)
    assert late.next().event == "ended"  # type: ignore[union-attr]
    late.close()


def test_the_board_is_rebuilt_from_the_database_and_equals_it(server, room, gifters, catalog, settings) -> None:
    _gift(room, gifters[0], catalog["universe"], visibility="anonymous")
    _gift(room, gifters[1], catalog["rose"])
    _wipe(room.pk)  # Redis lost the room (a restart without persistence)
    stream = _open(server, room)
    _gift(room, gifters[1], catalog["clap"])
    stream.events_until(1)
    assert stream.messages[-1].data["board"] == _db_board(room)
    assert [row["name"] for row in _db_board(room)] == ["Anonymous", "Gifter 1"]
    # Concurrent gifts from many threads: the pushed board still equals the database's once they stop.
    threads = [
        threading.Thread(target=lambda p=p: ([_gift(room, p, catalog["rose"]) for _ in range(5)], connection.close()))
        for p in gifters
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    stream.events_until(15, timeout=10)
    assert stream.messages[-1].data["board"] == _db_board(room)
    stream.close()


def test_open_streams_hold_no_database_connection(server, room, gifters, catalog) -> None:
    def connections() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [connection.settings_dict["NAME"]],
            )
            return int(cursor.fetchone()[0])

    before = connections()
    streams = [_open(server, room) for _ in range(50)]
    sent = _gift(room, gifters[0], catalog["rose"])
    for stream in streams:
        assert [e["gift"]["id"] for e in stream.events_until(1)] == [sent.pk]
    during = connections()
    assert during - before <= 1, f"{during - before} database connections for 50 open streams"
    for stream in streams:
        stream.close()


def test_the_room_is_told_how_many_watch(room) -> None:
    with uvicorn_server(LIVE_HEARTBEAT_SECONDS="1") as server:
        _count_viewers(server, room)


def _count_viewers(server: str, room: LiveSession) -> None:
    streams = [_open(server, room) for _ in range(3)]
    deadline = time.monotonic() + 10
    counts: list[int] = []
    while 3 not in counts and time.monotonic() < deadline:
        counts += [e["count"] for e in streams[0].events_until(1, viewers=True) if e["type"] == "viewers"]
    assert 3 in counts, counts
    assert viewers.live_viewers_get(session_id=room.pk) == 3
    for stream in streams:
        stream.close()


def test_unknown_rooms_and_other_methods_are_refused(server, room) -> None:
    missing = EventStream(server, "/live/999999/events").open()
    assert missing.status == 404 and missing.response.read() == b"No such live stream."  # type: ignore[union-attr]
    import http.client

    conn = http.client.HTTPConnection(server.removeprefix("http://"), timeout=5)
    conn.request("POST", f"/live/{room.pk}/events")
    assert conn.getresponse().status == 405


def test_the_development_stream_resumes_the_same_way(room, gifters, catalog) -> None:
    """The WSGI flavour (``runserver``, the browser tests' server) speaks the same protocol."""
    _gift(room, gifters[0], catalog["rose"])
    last = reading.live_event_last_id(session_id=room.pk)
    missed = _gift(room, gifters[1], catalog["clap"])
    stream = reading.live_event_stream(session_id=room.pk, last_event_id=last, max_seconds=3)
    assert next(stream) == reading.RETRY
    message = next(stream).decode()
    assert f'"id":{missed.pk},' in message and message.startswith("id: ")
    stream.close()
    stale = reading.live_event_stream(session_id=room.pk, last_event_id="junk", max_seconds=1)
    next(stale)
    assert next(stale).decode().startswith("id: ") and b"event: resync" in reading.encode_resync("1-0")
    stale.close()


def test_the_pushed_gift_is_what_the_feed_shows(room, gifters, catalog) -> None:
    for _ in range(3):
        _gift(room, gifters[0], catalog["rose"])
    _gift(room, gifters[1], catalog["clap"], visibility="anonymous")
    entries = events.redis_client().xrange(events.stream_key(room.pk))
    pushed = [reading.encode_batch([entry]).decode() for entry in entries]
    feed = live_feed(session=room)
    for item, message in zip(feed, pushed, strict=True):
        assert f'"combo":{item["combo"]},' in message and f'"id":{item["id"]},' in message
    assert '"name":"Anonymous"' in pushed[-1] and "g1@example.com" not in "".join(pushed)
