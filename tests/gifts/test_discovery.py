"""Discovery: the home page lists live rooms busiest first (viewers, then coins gifted in the last ten minutes), and
creators can be found by name or handle."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from gifts.live.selectors import live_sessions_now
from gifts.models import LiveSession
from gifts.sending.services import gift_send


def test_live_rooms_are_listed_by_recent_gifting(client: Client, make_user, make_creator, catalog, fund):
    quiet = LiveSession.objects.create(creator=make_creator("quiet"), title="Quiet room")
    busy = LiveSession.objects.create(creator=make_creator("busy"), title="Busy room")
    old = LiveSession.objects.create(creator=make_creator("oldie"), title="Was busy an hour ago")
    fan = make_user("fan@example.com")
    fund(fan, 2_000)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    gift_send(sender=fan, creator=old.creator, gift=catalog["crown"], live_session=old, now=an_hour_ago)
    gift_send(sender=fan, creator=busy.creator, gift=catalog["clap"], live_session=busy)
    gift_send(sender=fan, creator=busy.creator, gift=catalog["heart"], live_session=busy)
    rooms = live_sessions_now()
    assert rooms[0] == busy and rooms[0].recent_coins == 15  # type: ignore[attr-defined]
    assert {r.pk: r.recent_coins for r in rooms[1:]} == {quiet.pk: 0, old.pk: 0}  # type: ignore[attr-defined]
    page = client.get("/").content.decode()
    assert page.index("Busy room") < page.index("Quiet room")
    assert "15 coins gifted in the last 10 minutes" in page


def test_creators_are_found_by_name_or_handle(client: Client, make_creator, make_user):
    make_creator("mira_sings")
    make_creator("jazzcat")
    make_creator("closed_one").user.__class__.objects.filter(email="closed_one@example.com").update(is_active=False)
    searches = {"MIRA": {"Mira_Sings"}, "@jazz": {"Jazzcat"}, "  cat ": {"Jazzcat"}, "": {"Jazzcat", "Mira_Sings"}}
    for query, found in searches.items():
        page = client.get("/creators/", {"q": query}).content.decode()
        assert {n for n in ("Mira_Sings", "Jazzcat", "Closed_One") if f">{n}</a>" in page} == found, query
    empty = client.get("/creators/", {"q": "nobody-here"}).content.decode()
    assert "No creator's name or handle contains “nobody-here”" in empty
    too_long = client.get("/creators/", {"q": "x" * 200})
    assert too_long.status_code == 200 and "Ensure this value has at most 60 characters" in too_long.content.decode()


def test_creator_search_pages_keep_the_query(client: Client, make_creator):
    for i in range(30):
        make_creator(f"band{i:02d}")
    first = client.get("/creators/", {"q": "band"}).content.decode()
    assert "30 creators matching “band”" in first and "?q=band&amp;page=2" in first
    second = client.get("/creators/", {"q": "band", "page": "2"}).content.decode()
    assert ">Band29</a>" in second and ">Band00</a>" not in second
