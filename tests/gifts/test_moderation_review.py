"""Moderation after review (issue 14 follow-up): the report page and the moderators' answers name people as the chat
did and never show a removed message; only recent rooms' messages can be reported; blocked words hold against
look-alike and invisible characters; moderators cannot delete the creator's or other moderators' messages; an
appointment that lets a banned person back in is on the log; a removed message is gone from the room's event log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gifts.chat.services import ChatRefused, chat_message_post
from gifts.models import ChatRemoval, ChatRestriction, LiveSession, ModerationAction, Report
from gifts.moderation.services import chat_message_remove, room_rules_set, viewer_ban
from tests.gifts import test_moderation as moderation

pytestmark = pytest.mark.django_db

JSON = moderation.JSON
ann = moderation.ann
mod = moderation.mod
_moderate = moderation._moderate
_said = moderation._said

REMOVED = "This message was already removed by a moderator."


@pytest.fixture
def shy(make_user):
    """Sam keeps his gifting private: the chat shows him as "Anonymous"."""
    return make_user("sam@example.com", nickname="Shy Sam", show_on_leaderboards=False)


def test_the_report_page_and_the_moderators_name_a_private_chatter_as_the_chat_did(client, creator, live, shy, ann):
    message = _said(shy, live, "hello there")
    client.force_login(ann)
    feed = client.get(f"/live/{live.pk}/feed.json").json()
    assert [c["name"] for c in feed["chat"]] == ["Anonymous"]
    page = client.get(f"/report/chat/{message.pk}/").content.decode()
    assert "Anonymous" in page and "hello there" in page and "Shy Sam" not in page

    client.force_login(creator.user)
    timed_out = _moderate(client, live, message, "timeout", seconds=60).json()["message"]
    assert timed_out.startswith("Anonymous is timed out until ")
    page = client.get(f"/@{creator.handle}/moderation/").content.decode()
    assert "Shy Sam" not in page and "<strong>Anonymous</strong>: timed out until" in page
    restriction = ChatRestriction.objects.get(user=shy)
    lifted = client.post(f"/@{creator.handle}/moderation/", {"action": "lift", "restriction": restriction.pk})
    assert "Anonymous can chat in your rooms again." in client.get(lifted["Location"]).content.decode()


def test_a_removed_message_cannot_be_reported_and_its_text_is_never_shown(client, creator, live, ann, make_user):
    message = _said(ann, live, "my phone is 555-0101 call me")
    chat_message_remove(message=message, by=creator.user, reason="personal data")
    client.force_login(make_user("nosy@example.com"))
    shown = client.get(f"/report/chat/{message.pk}/")
    assert shown.status_code == 410
    text = shown.content.decode()
    assert REMOVED in text and "555-0101" not in text and "Ann" not in text
    posted = client.post(f"/report/chat/{message.pk}/", {"reason": "spam"})
    assert posted.status_code == 410 and REMOVED in posted.content.decode()
    assert not Report.objects.exists()


@pytest.mark.parametrize(("ended_days_ago", "status"), [(None, 200), (6, 200), (8, 404)])
def test_only_messages_of_a_live_or_recent_room_can_be_reported(
    client, creator, ann, make_user, ended_days_ago, status
):
    session = LiveSession.objects.create(creator=creator, title="Old show")
    message = _said(ann, session, "said long ago")
    if ended_days_ago is not None:
        LiveSession.objects.filter(pk=session.pk).update(ended_at=timezone.now() - timedelta(days=ended_days_ago))
    client.force_login(make_user("late@example.com"))
    response = client.get(f"/report/chat/{message.pk}/")
    assert response.status_code == status
    text = response.content.decode()
    if status == 404:
        assert "more than 7 days ago" in text and "said long ago" not in text
        assert client.post(f"/report/chat/{message.pk}/", {"reason": "spam"}).status_code == 404
        assert not Report.objects.exists()
    else:
        assert "said long ago" in text


@pytest.mark.parametrize(
    "variant",
    [
        "SCAM",
        "s\u200bcam",
        "\u0455cam",
        "\uff53\uff43\uff41\uff4d",
        "sc\u00adam",
        "s\u0301cam",
        "scam\u200d",
        "Sc\u00e4m",
    ],
)
def test_blocked_words_hold_against_look_alike_and_invisible_characters(creator, live, ann, variant):
    room_rules_set(creator=creator, by=creator.user, slow_mode_seconds=0, blocked_words=["Scam"])
    with pytest.raises(ChatRefused, match="A word in your message is not allowed in this room"):
        chat_message_post(sender=ann, session=live, text=f"this is a {variant}!")


@pytest.mark.parametrize("text", ["scams everywhere", "escambo", "a scampi dish"])
def test_blocked_words_still_match_whole_words_only(creator, live, ann, text):
    room_rules_set(creator=creator, by=creator.user, slow_mode_seconds=0, blocked_words=["scam", "bad deal"])
    assert chat_message_post(sender=ann, session=live, text=text).text == text


def test_a_blocked_phrase_written_with_look_alikes_in_the_list_is_matched(creator, live, ann):
    room_rules_set(creator=creator, by=creator.user, slow_mode_seconds=0, blocked_words=["\uff42ad de\u0430l"])
    with pytest.raises(ChatRefused):
        chat_message_post(sender=ann, session=live, text="what a BAD   deal.")


def test_a_moderator_cannot_delete_the_creators_or_another_moderators_messages(
    client, creator, live, ann, mod, make_creator
):
    client.force_login(creator.user)
    other = make_creator("cleo")
    assert client.post(f"/@{creator.handle}/moderation/", {"action": "appoint", "handle": "cleo"}).status_code == 302
    by_creator = _said(creator.user, live, "welcome all")
    by_other_mod = _said(other.user, live, "be nice please")
    own = _said(mod.user, live, "oops typo")
    client.force_login(mod.user)
    refused = _moderate(client, live, by_creator, "delete")
    assert refused.status_code == 403
    assert refused.json()["error"] == f"Only {creator.display_name} can delete their own messages."
    refused = _moderate(client, live, by_other_mod, "delete")
    assert refused.status_code == 403
    assert refused.json()["error"] == f"Only {creator.display_name} can delete a moderator's message."
    assert not ChatRemoval.objects.exists()
    assert _moderate(client, live, own, "delete").status_code == 200  # one's own message, yes
    client.force_login(creator.user)
    assert _moderate(client, live, by_other_mod, "delete").status_code == 200
    assert set(ChatRemoval.objects.values_list("message_id", flat=True)) == {own.pk, by_other_mod.pk}


def test_appointing_a_banned_person_lifts_the_ban_on_the_log(client, creator, live, make_creator):
    cleo = make_creator("cleo")
    viewer_ban(creator=creator, by=creator.user, target=cleo.user, reason="spam")
    ChatRestriction.objects.filter(user=cleo.user).update(timed_out_until=timezone.now() + timedelta(hours=1))
    client.force_login(creator.user)
    assert client.post(f"/@{creator.handle}/moderation/", {"action": "appoint", "handle": "cleo"}).status_code == 302
    assert not ChatRestriction.objects.exists()
    kinds = list(ModerationAction.objects.filter(target=cleo.user).order_by("pk").values_list("kind", "detail"))
    assert kinds == [
        ("ban", "spam"),
        ("unban", "Lifted on appointment as a moderator"),
        ("timeout_lift", "Lifted on appointment as a moderator"),
        ("moderator_add", "@cleo"),
    ]
    page = client.get(f"/@{creator.handle}/moderation/").content.decode()
    assert "Unbanned" in page and "Lifted on appointment as a moderator" in page


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_removed_message_is_gone_from_the_rooms_event_log_and_its_replay(make_creator, make_user) -> None:
    """A viewer who reconnects with a Last-Event-ID from before the message never gets its text again."""
    from gifts.live import events

    from .live_server import EventStream, uvicorn_server

    creator = make_creator("mira")
    session = LiveSession.objects.create(creator=creator, title="Piano")
    events.redis_client().delete(*events.keys(session.pk))
    ann = make_user("ann@example.com", nickname="Ann")
    chat_message_post(sender=ann, session=session, text="first, harmless")
    before = events.redis_client().xrange(events.stream_key(session.pk))[-1][0]
    message = chat_message_post(sender=ann, session=session, text="my phone is 555-0101")
    chat_message_post(sender=ann, session=session, text="after it")
    chat_message_remove(message=message, by=creator.user, reason="personal data")
    logged = [fields["e"] for _, fields in events.redis_client().xrange(events.stream_key(session.pk))]
    assert len(logged) == 3 and not any("555-0101" in e for e in logged)
    with uvicorn_server() as base:
        stream = EventStream(base, f"/live/{session.pk}/events", last_event_id=before).open()
        replayed = stream.events_until(2)
        stream.close()
    assert [e["type"] for e in replayed] == ["chat", "chat_removed"]
    assert replayed[0]["chat"]["text"] == "after it"
