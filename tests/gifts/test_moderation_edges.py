"""Moderation's edges: timeouts only from 1 minute to a day, the creator and moderators cannot be moderated, reports
once per thing and rate-limited, odd ids refused in words, the deletion as an event on the real stream (Redis,
uvicorn), and the moderation home. The acceptance tests are in ``test_moderation``."""

from __future__ import annotations

import pytest

from gifts.chat.services import chat_message_post
from gifts.models import LiveSession, ModerationAction, Report
from tests.gifts import test_moderation as moderation

pytestmark = pytest.mark.django_db

JSON = moderation.JSON
ann = moderation.ann
mod = moderation.mod
_chat = moderation._chat
_moderate = moderation._moderate
_said = moderation._said
_moderation_counts = moderation._moderation_counts


def test_a_timeout_lasts_one_minute_to_a_day(client, creator, live, ann):
    message = _said(ann, live, "hi")
    client.force_login(creator.user)
    for seconds in ["30", "86401", "abc"]:
        response = _moderate(client, live, message, "timeout", seconds=seconds)
        assert response.status_code == 400
        assert response.json()["error"] == "A timeout lasts from 1 minute to 24 hours: pick one of the choices."
    assert _moderate(client, live, message, "timeout").json()["error"] == "Choose how long the timeout lasts."
    assert _moderation_counts() == (0, 0, 0)
    assert _moderate(client, live, message, "timeout", seconds="86400").status_code == 200


def test_moderators_and_the_creator_cannot_be_moderated(client, creator, live, mod):
    client.force_login(mod.user)
    own = _said(creator.user, live, "welcome all")
    assert _moderate(client, live, own, "ban").json()["error"] == (
        "The creator cannot be timed out or banned in their own rooms."
    )
    client.force_login(creator.user)
    modded = _said(mod.user, live, "hi from the mod")
    assert "is a moderator here" in _moderate(client, live, modded, "timeout", seconds=60).json()["error"]
    assert ModerationAction.objects.exclude(kind="moderator_add").count() == 0


def test_reports_are_one_per_thing_and_rate_limited(client, creator, live, ann, make_user):
    client.force_login(ann)
    own = _said(ann, live, "mine")
    refused = client.post(f"/report/chat/{own.pk}/", {"reason": "spam"})
    assert refused.status_code == 400 and "You cannot report your own message." in refused.content.decode()
    others = [_said(make_user(f"p{i}@example.com"), live, f"message {i}") for i in range(11)]
    for message in others[:10]:
        assert client.post(f"/report/chat/{message.pk}/", {"reason": "spam"}).status_code == 302
    limited = client.post(f"/report/chat/{others[10].pk}/", {"reason": "spam"})
    assert limited.status_code == 400 and "many reports in the last hour" in limited.content.decode()
    assert Report.objects.count() == 10


@pytest.mark.parametrize("raw", ["²", "9" * 4400, "9" * 19, "-1", "x"])
def test_odd_ids_are_refused_in_words(client, creator, live, ann, raw):
    client.force_login(creator.user)
    response = client.post(f"/live/{live.pk}/moderate/", {"action": "delete", "message": raw}, **JSON)
    assert response.status_code == 404 and response.json()["error"] == "That message is not in this room's chat."
    for data in [{"action": "lift", "restriction": raw}, {"action": "remove_moderator", "moderator": raw}]:
        assert client.post(f"/@{creator.handle}/moderation/", data).status_code == 302
    assert client.post(f"/@{creator.handle}/moderation/", {"action": raw}).status_code == 400
    assert client.get(f"/report/chat/{raw}/").status_code == 404
    assert _moderation_counts() == (0, 0, 0)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_deleted_message_leaves_open_rooms_through_the_event_stream(make_creator, make_user) -> None:
    """With Redis, the deletion is one event on the room's stream (served by uvicorn, as in production)."""
    from gifts.live import events
    from gifts.moderation.services import chat_message_remove

    from .live_server import EventStream, uvicorn_server

    creator = make_creator("mira")
    session = LiveSession.objects.create(creator=creator, title="Piano")
    events.redis_client().delete(*events.keys(session.pk))
    ann = make_user("ann@example.com", nickname="Ann")
    with uvicorn_server(LIVE_COALESCE_MS="50") as base:
        stream = EventStream(base, f"/live/{session.pk}/events").open()
        assert stream.status == 200
        message = chat_message_post(sender=ann, session=session, text="rude words")
        assert [e["type"] for e in stream.events_until(1)] == ["chat"]
        chat_message_remove(message=message, by=creator.user, reason="rude")
        removed = stream.events_until(1)
        assert removed == [{"id": removed[0]["id"], "type": "chat_removed", "message_id": message.pk}]
        stream.close()


def test_the_moderation_home_leads_each_person_to_their_pages(client, creator, mod, ann):
    client.force_login(creator.user)
    assert client.get("/moderation/")["Location"] == f"/@{creator.handle}/moderation/"
    client.force_login(mod.user)  # a creator who also moderates Alice's rooms: both are listed
    page = client.get("/moderation/").content.decode()
    assert "/@bob/moderation/" in page and "Alice's rooms" in page
    client.force_login(ann)
    assert "You do not moderate any creator's rooms." in client.get("/moderation/").content.decode()
    client.logout()
    assert client.get(f"/@{creator.handle}/moderation/")["Location"].startswith("/accounts/login/")
