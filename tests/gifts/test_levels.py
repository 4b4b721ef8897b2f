"""Gifter levels: the published thresholds, a level that moves with every gift and undo, a badge beside public names
in the live room (feed, chat, leaderboard, pushed events) and none beside a private gifter, who still sees their own."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import user_preferences_update
from gifts.chat.services import chat_message_post
from gifts.live import events
from gifts.sending.levels import gifter_level_for
from gifts.sending.services import gift_send, gift_undo

pytestmark = pytest.mark.django_db

LEVELS = [1, 10, 100, 1000, 5000]


@pytest.fixture(autouse=True)
def _table(settings):
    settings.GIFTER_LEVELS = LEVELS


def _text(response) -> str:
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())
    return re.sub(r" ([:,.])", r"\1", words)


@pytest.mark.parametrize(
    ("coins", "level"),
    [(0, 0), (1, 1), (9, 1), (10, 2), (11, 2), (99, 2), (100, 3), (101, 3), (999, 3), (1000, 4), (4999, 4),
     (5000, 5), (10**9, 5)],
)  # fmt: skip
def test_levels_start_exactly_at_their_thresholds(coins, level):
    assert gifter_level_for(coins=coins) == level


def test_the_levels_page_publishes_the_table_and_is_linked_from_every_page(client):
    page = _text(client.get("/levels/"))
    assert "Gifter levels" in page
    for n, coins in enumerate(LEVELS, start=1):
        assert f"Level {n} {coins:,}" in page
    assert "Log in to see your level" in page
    assert 'href="/levels/"' in client.get("/").content.decode()


def test_a_level_moves_with_each_gift_and_undo_once_committed(
    client, viewer, creator, catalog, fund, django_capture_on_commit_callbacks
):
    fund(viewer, 10_000)
    client.force_login(viewer)
    assert "You have not gifted yet: your first gift of 1 coin reaches level 1." in _text(client.get("/levels/"))
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(9):
            gift_send(sender=viewer, creator=creator, gift=catalog["rose"])  # 9 coins: just below level 2
    assert "You are level 1: 9 coins gifted, 1 to level 2." in _text(client.get("/levels/"))  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"])  # 10: exactly level 2
    assert "You are level 2: 10 coins gifted, 90 to level 3." in _text(client.get("/levels/"))
    with django_capture_on_commit_callbacks(execute=True):
        crown = gift_send(sender=viewer, creator=creator, gift=catalog["crown"])  # 1,010: level 4
    assert "You are level 4: 1,010 coins gifted, 3,990 to level 5." in _text(client.get("/gifts/sent/"))
    with django_capture_on_commit_callbacks(execute=True):
        gift_undo(send=crown, by=viewer)  # cancelled gifts do not count
    assert "You are level 2: 10 coins gifted, 90 to level 3." in _text(client.get("/wallet/"))


def test_a_gift_that_rolls_back_moves_no_level(
    client, viewer, creator, catalog, fund, django_capture_on_commit_callbacks
):
    fund(viewer, 20)
    client.force_login(viewer)
    with django_capture_on_commit_callbacks(execute=True):
        gift_send(sender=viewer, creator=creator, gift=catalog["clap"])
    assert "You are level 2: 10 coins gifted" in _text(client.get("/levels/"))
    with pytest.raises(Exception, match="Not enough coins"), django_capture_on_commit_callbacks(execute=True):
        gift_send(sender=viewer, creator=creator, gift=catalog["doughnut"])
    assert "You are level 2: 10 coins gifted" in _text(client.get("/levels/"))


def test_the_gift_path_reads_no_gifter_totals(
    client, viewer, creator, live, catalog, fund, django_capture_on_commit_callbacks
):
    """A gifter's total is cached and moved by each gift: sending (live, with the room's event built) reads none."""
    fund(viewer, 100)
    client.force_login(viewer)
    client.get("/levels/")  # the viewer's total is cached (as it is after any page that shows their level)
    for gift in (catalog["clap"], catalog["heart"]):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            gift_send(sender=viewer, creator=creator, gift=gift, live_session=live)
        totals = [q["sql"] for q in queries.captured_queries if '"gifts_giftsend"."sender_id" IN' in q["sql"]]
        assert totals == []
    assert "You are level 2: 15 coins gifted" in _text(client.get("/levels/"))


def _room_with_gifts_and_chat(make_user, creator, live, catalog, fund, capture, *, private: bool):
    pub = make_user("pat@example.com", nickname="Pat")
    shy = make_user("sam@example.com", nickname="Sam", show_on_leaderboards=not private)
    for person in (pub, shy):
        fund(person, 2000)
        with capture(execute=True):
            gift_send(sender=person, creator=creator, gift=catalog["crown"], live_session=live)  # 1,000: level 4
            chat_message_post(sender=person, session=live, text=f"hi from {person.nickname}")
    return pub, shy


def test_the_badge_shows_beside_public_names_in_feed_chat_and_board(
    client, make_user, creator, live, catalog, fund, django_capture_on_commit_callbacks
):
    _room_with_gifts_and_chat(
        make_user, creator, live, catalog, fund, django_capture_on_commit_callbacks, private=False
    )
    client.force_login(make_user("watcher@example.com"))
    page = client.get(f"/live/{live.pk}/").content.decode()
    # Pat and Sam: one gift in the feed, one chat line and one leaderboard row each, all with "Gifter level 4".
    assert page.count('title="Gifter level 4"') == 6
    feed = client.get(f"/live/{live.pk}/feed.json").json()
    assert {(g["name"], g["level"]) for g in feed["gifts"]} == {("Pat", 4), ("Sam", 4)}
    assert {(c["name"], c["level"]) for c in feed["chat"]} == {("Pat", 4), ("Sam", 4)}


def test_a_private_gifter_shows_no_level_to_others_but_sees_their_own(
    client, make_user, creator, live, catalog, fund, django_capture_on_commit_callbacks
):
    pub, shy = _room_with_gifts_and_chat(
        make_user, creator, live, catalog, fund, django_capture_on_commit_callbacks, private=True
    )
    client.force_login(make_user("watcher@example.com"))
    page = client.get(f"/live/{live.pk}/").content.decode()
    assert page.count('title="Gifter level 4"') == 3  # Pat's gift, chat line and board row; nothing for Sam
    feed = client.get(f"/live/{live.pk}/feed.json").json()
    assert {(g["name"], g["level"]) for g in feed["gifts"]} == {("Pat", 4), ("Anonymous", 0)}
    assert {(c["name"], c["level"]) for c in feed["chat"]} == {("Pat", 4), ("Anonymous", 0)}
    # An anonymous gift of a public person carries no level either.
    with django_capture_on_commit_callbacks(execute=True):
        gift_send(sender=pub, creator=creator, gift=catalog["rose"], live_session=live, visibility="anonymous")
    newest = client.get(f"/live/{live.pk}/feed.json").json()["gifts"][-1]
    assert (newest["name"], newest["level"]) == ("Anonymous", 0)
    # Sam sees their own level, and why others do not.
    client.force_login(shy)
    own = _text(client.get("/levels/"))
    assert "You are level 4: 1,000 coins gifted, 4,000 to level 5." in own
    assert "Only you see your level: your gifting is private" in own
    # Sam shows their gifting: the badge appears beside their name.
    with django_capture_on_commit_callbacks(execute=True):
        user_preferences_update(user=shy, default_gift_visibility="public", show_on_leaderboards=True, nickname="Sam")
    client.force_login(pub)
    feed = client.get(f"/live/{live.pk}/feed.json").json()
    assert ("Sam", 4) in {(c["name"], c["level"]) for c in feed["chat"]}


def _room_queries(client, live) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/live/{live.pk}/").status_code == 200
    return len(queries.captured_queries)


def test_the_room_page_queries_do_not_grow_with_the_number_of_chatters(
    client, make_user, creator, live, catalog, fund, django_capture_on_commit_callbacks
):
    watcher = make_user("watcher@example.com")
    client.force_login(watcher)

    def chatters(first: int, n: int) -> None:
        for i in range(first, first + n):
            person = make_user(f"fan{i}@example.com", nickname=f"Fan {i}")
            fund(person, 100)
            with django_capture_on_commit_callbacks(execute=True):
                gift_send(sender=person, creator=creator, gift=catalog["clap"], live_session=live)
                chat_message_post(sender=person, session=live, text=f"hello {i}")

    chatters(0, 2)
    from django.core.cache import cache

    cache.clear()  # nobody's level cached: the page reads them all at once
    few = _room_queries(client, live)
    chatters(2, 12)
    cache.clear()
    many = _room_queries(client, live)
    assert many == few
    page = client.get(f"/live/{live.pk}/").content.decode()
    assert page.count('title="Gifter level 2"') == 14 + 14 + 10  # each one's gift and chat line, the top 10's rows


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_pushed_events_carry_the_level_beside_public_names_only(make_user, make_creator, catalog, fund):
    from gifts.models import LiveSession

    room = LiveSession.objects.create(creator=make_creator("mira"), title="Piano")
    events.redis_client().delete(*events.keys(room.pk))
    pat = make_user("pat@example.com", nickname="Pat")
    sam = make_user("sam@example.com", nickname="Sam", show_on_leaderboards=False)
    for person in (pat, sam):
        fund(person, 2000)
        gift_send(sender=person, creator=room.creator, gift=catalog["crown"], live_session=room)
        chat_message_post(sender=person, session=room, text="hi")
    pushed = [json.loads(fields["e"]) for _, fields in events.redis_client().xrange(events.stream_key(room.pk))]
    shown = [(e["type"], e[e["type"]]["name"], e[e["type"]]["level"]) for e in pushed if e["type"] in ("gift", "chat")]
    assert shown == [("gift", "Pat", 4), ("chat", "Pat", 4), ("gift", "Anonymous", 0), ("chat", "Anonymous", 0)]
    boards = [fields["b"] for _, fields in events.redis_client().xrange(events.stream_key(room.pk)) if "b" in fields]
    board = json.loads(boards[-1])
    assert [(r["name"], r["level"]) for r in board] == [("Pat", 4), ("Anonymous", 0)]


def test_an_anonymous_gift_moves_only_the_gifters_own_level_never_the_badge_others_see(
    client, make_user, creator, live, catalog, fund, django_capture_on_commit_callbacks
):
    """Otherwise a badge that jumps just after a big "Anonymous" gift would say who sent it."""
    bob = make_user("bob@example.com", nickname="Bob")
    fund(bob, 5000)
    with django_capture_on_commit_callbacks(execute=True):
        gift_send(sender=bob, creator=creator, gift=catalog["clap"], live_session=live)  # 10, public: level 2
        chat_message_post(sender=bob, session=live, text="hello")
    watcher = make_user("watcher@example.com")
    client.force_login(watcher)
    assert ("Bob", 2) in {(c["name"], c["level"]) for c in client.get(f"/live/{live.pk}/feed.json").json()["chat"]}
    with django_capture_on_commit_callbacks(execute=True):  # the level others see is cached now, and not moved
        gift_send(sender=bob, creator=creator, gift=catalog["crown"], live_session=live, visibility="anonymous")
    chat = client.get(f"/live/{live.pk}/feed.json").json()["chat"]
    assert {(c["name"], c["level"]) for c in chat} == {("Bob", 2)}
    from django.core.cache import cache

    cache.clear()  # computed afresh from the database: the same
    assert client.get(f"/live/{live.pk}/feed.json").json()["chat"][0]["level"] == 2
    board = client.get(f"/live/{live.pk}/").content.decode()
    assert board.count('title="Gifter level 4"') == 0
    # Bob himself sees all his gifts counted, and what counts toward the badge.
    client.force_login(bob)
    own = _text(client.get("/levels/"))
    assert "You are level 4: 1,010 coins gifted, 3,990 to level 5." in own
    assert "Others see level 2 beside your name" in own
    assert "gifts sent with your name shown count toward the level others see" in own


def test_a_gift_with_the_name_shown_moves_both_levels_without_a_query(
    client, viewer, creator, live, catalog, fund, django_capture_on_commit_callbacks
):
    fund(viewer, 100)
    client.force_login(viewer)
    assert "You have not gifted yet" in _text(client.get("/levels/"))  # both totals cached (0)
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        gift_send(sender=viewer, creator=creator, gift=catalog["clap"], live_session=live)
    assert [q["sql"] for q in queries.captured_queries if '"gifts_giftsend"."sender_id" IN' in q["sql"]] == []
    own = _text(client.get("/levels/"))
    assert "You are level 2: 10 coins gifted, 90 to level 3." in own
    assert "Others see" not in own  # the same level: nothing more to say
