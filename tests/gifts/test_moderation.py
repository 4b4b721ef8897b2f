"""Moderation of a creator's live rooms (issue 14, acceptance 2): timeouts end when they say, bans hold in every room
of that creator and nowhere else, blocked words are refused in words, slow mode, a moderator acts only in the rooms of
the creator who appointed them, every action is on the log; viewers' reports reach staff's queue in the admin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from accounts.models import AuditLog
from gifts.chat.services import ChatRefused, chat_message_post
from gifts.models import (
    ChatMessage,
    ChatRemoval,
    ChatRestriction,
    LiveSession,
    ModerationAction,
    Moderator,
    Report,
    RoomRules,
)
from tests.conftest import fresh_totp_code, otp_login

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def _chat(client, session, text):
    return client.post(f"/live/{session.pk}/chat/", {"text": text}, **JSON)


def _moderate(client, session, message, action, **extra):
    data = {"action": action, "message": message.pk, **extra}
    return client.post(f"/live/{session.pk}/moderate/", data, **JSON)


def _said(person, session, text) -> ChatMessage:
    return chat_message_post(sender=person, session=session, text=text)


def _moderation_counts() -> tuple[int, int, int]:
    return ModerationAction.objects.count(), ChatRemoval.objects.count(), ChatRestriction.objects.count()


@pytest.fixture
def ann(make_user):
    return make_user("ann@example.com", nickname="Ann")


@pytest.fixture
def mod(make_creator, creator, client):
    """Bob, a creator himself, whom Alice appointed as a moderator of her rooms (on her moderation page)."""
    bob = make_creator("bob")
    client.force_login(creator.user)
    response = client.post(f"/@{creator.handle}/moderation/", {"action": "appoint", "handle": "@Bob"})
    assert response.status_code == 302
    assert Moderator.objects.filter(creator=creator, user=bob.user).exists()
    return bob


def test_a_timed_out_viewer_cannot_chat_until_the_time_ends(client, creator, live, ann, mod, nothing_written):
    message = _said(ann, live, "first!")
    client.force_login(mod.user)
    response = _moderate(client, live, message, "timeout", seconds=600, reason="calm down")
    assert response.status_code == 200
    until = ChatRestriction.objects.get(creator=creator, user=ann).timed_out_until
    shown = f"{timezone.localtime(until):%H:%M}"
    assert response.json()["message"] == f"Ann is timed out until {shown} UTC."

    client.force_login(ann)
    with nothing_written():
        refused = _chat(client, live, "why?")
    assert refused.status_code == 403 and refused.json()["error"] == f"You are timed out until {shown} UTC."
    # The chat box says why instead of offering a form that fails.
    room = client.get(f"/live/{live.pk}/").content.decode()
    assert f"You are timed out until {shown} UTC." in room and 'id="chat-form"' not in room

    # The time ends (the row's end moved into the past): Ann may chat again.
    ChatRestriction.objects.filter(user=ann).update(timed_out_until=timezone.now() - timedelta(seconds=1))
    assert _chat(client, live, "back again").status_code == 200
    assert 'id="chat-form"' in client.get(f"/live/{live.pk}/").content.decode()
    log = ModerationAction.objects.get(kind="timeout")
    assert (log.kind, log.actor, log.target, log.seconds, log.detail) == ("timeout", mod.user, ann, 600, "calm down")


def test_a_banned_viewer_cannot_chat_in_any_room_of_that_creator_but_can_elsewhere(
    client, creator, live, ann, make_creator, nothing_written
):
    message = _said(ann, live, "spam spam")
    client.force_login(creator.user)
    response = _moderate(client, live, message, "ban", reason="spam")
    assert response.json() == {"ok": True, "message": "Ann is banned from chatting in Alice's rooms."}
    banned = "You are banned from this creator's chat, so you cannot send messages in their rooms."

    client.force_login(ann)
    with nothing_written():
        assert _chat(client, live, "let me talk").json()["error"] == banned
    # The next stream of the same creator: still banned. Watching is allowed; the chat box says why.
    live.ended_at = timezone.now()
    live.save()
    second = LiveSession.objects.create(creator=creator, title="Morning coffee")
    room = client.get(f"/live/{second.pk}/")
    assert room.status_code == 200 and escape(banned) in room.content.decode()
    with nothing_written():
        refused = _chat(client, second, "still me")
    assert refused.status_code == 403 and refused.json()["error"] == banned
    # Another creator's room is not Alice's to moderate.
    other = LiveSession.objects.create(creator=make_creator("carol"), title="Carol live")
    assert _chat(client, other, "hello Carol").status_code == 200

    # Alice unbans her on the moderation page: she may chat again, and both actions are on the log.
    client.force_login(creator.user)
    page = client.get(f"/@{creator.handle}/moderation/").content.decode()
    assert "Ann</strong>: banned" in page
    restriction = ChatRestriction.objects.get(user=ann)
    response = client.post(f"/@{creator.handle}/moderation/", {"action": "lift", "restriction": restriction.pk})
    assert response.status_code == 302
    client.force_login(ann)
    assert _chat(client, second, "thanks").status_code == 200
    assert list(ModerationAction.objects.order_by("pk").values_list("kind", flat=True)) == ["ban", "unban"]


def test_a_blocked_word_is_refused_in_words_and_nothing_is_stored(client, creator, live, ann, nothing_written):
    client.force_login(creator.user)
    response = client.post(
        f"/@{creator.handle}/moderation/",
        {"action": "rules", "slow_mode_seconds": "0", "blocked_words": "Spoiler\n  bad   word \nspoiler"},
    )
    assert response.status_code == 302
    assert RoomRules.objects.get(creator=creator).blocked_words == "bad word\nSpoiler"
    client.force_login(ann)
    for text in ["SPOILER: he dies", "this is a Bad  word indeed", "no spoiler!"]:
        with nothing_written():
            refused = _chat(client, live, text)
        assert refused.status_code == 400
        assert refused.json()["error"] == "A word in your message is not allowed in this room. Please rephrase it."
        assert "spoiler" not in refused.json()["error"].lower()  # the list is not echoed
    # Whole words only: "spoilers" and "badword" are other words.
    assert _chat(client, live, "no spoilers please, badword").status_code == 200
    # The creator is not checked in her own room.
    client.force_login(creator.user)
    assert _chat(client, live, "I love a spoiler").status_code == 200


def test_slow_mode_spaces_one_viewers_messages(client, creator, live, ann, make_user, nothing_written):
    client.force_login(creator.user)
    client.post(f"/@{creator.handle}/moderation/", {"action": "rules", "slow_mode_seconds": "30"})
    client.force_login(ann)
    assert "slow mode: one message every 30 seconds" in client.get(f"/live/{live.pk}/").content.decode()
    assert _chat(client, live, "one").status_code == 200
    with nothing_written():
        refused = _chat(client, live, "two")
    assert refused.status_code == 429
    assert re.fullmatch(r"Slow mode is on: one message every 30 seconds\. Wait (29|30) s\.", refused.json()["error"])
    # Someone else is not slowed by Ann's message; the creator is never slowed.
    client.force_login(make_user("ben@example.com"))
    assert _chat(client, live, "ben here").status_code == 200
    client.force_login(creator.user)
    assert _chat(client, live, "a").status_code == 200 and _chat(client, live, "b").status_code == 200
    # 31 seconds later Ann may write again.
    later = timezone.now() + timedelta(seconds=31)
    assert chat_message_post(sender=ann, session=live, text="three", now=later).text == "three"
    with pytest.raises(ChatRefused, match="Wait 30 s"):
        chat_message_post(sender=ann, session=live, text="four", now=later)


def test_a_deleted_message_leaves_the_room_and_its_feed(client, creator, live, ann, mod, make_user):
    message = _said(ann, live, "rude words")
    kept = _said(make_user("ben@example.com"), live, "nice words")
    client.force_login(ann)
    before = client.get(f"/live/{live.pk}/feed.json").json()
    client.force_login(mod.user)
    assert _moderate(client, live, message, "delete", reason="rude").json() == {
        "ok": True,
        "message": "Message deleted.",
    }
    client.force_login(ann)
    feed = client.get(f"/live/{live.pk}/feed.json?v={before['v']}").json()
    assert feed["v"] != before["v"]  # a polling page sees the change
    assert [c["text"] for c in feed["chat"]] == ["nice words"] and feed["chat_removed"] == [message.pk]
    room = client.get(f"/live/{live.pk}/").content.decode()
    assert "rude words" not in room and "nice words" in room
    assert ChatMessage.objects.filter(pk=message.pk).exists()  # kept for staff
    # Deleting it again changes nothing; the log has it once.
    client.force_login(mod.user)
    assert _moderate(client, live, message, "delete").status_code == 200
    assert ModerationAction.objects.filter(kind="delete", message=message, actor=mod.user).count() == 1
    assert kept.pk not in ChatRemoval.objects.values_list("message_id", flat=True)


def test_a_moderator_cannot_act_in_another_creators_room(client, creator, ann, mod, make_creator, make_user):
    carol = make_creator("carol")
    carol_live = LiveSession.objects.create(creator=carol, title="Carol live")
    message = _said(ann, carol_live, "hello Carol")
    for person in [mod.user, creator.user, make_user("nobody@example.com")]:  # Alice's moderator, Alice, a viewer
        client.force_login(person)
        for action, extra in [("delete", {}), ("timeout", {"seconds": 600}), ("ban", {})]:
            response = _moderate(client, carol_live, message, action, **extra)
            assert response.status_code == 403
            assert response.json()["error"] == "Only Carol and their moderators can moderate this room."
        page = client.get(f"/@{carol.handle}/moderation/")
        assert page.status_code == 403 and "Only Carol and their moderators can see this page." in page.content.decode()
        refused = client.post(f"/@{carol.handle}/moderation/", {"action": "rules", "slow_mode_seconds": "60"})
        assert refused.status_code == 403
    assert ModerationAction.objects.exclude(kind="moderator_add").count() == 0
    assert (ChatRemoval.objects.count(), ChatRestriction.objects.count(), RoomRules.objects.count()) == (0, 0, 0)
    client.force_login(ann)
    assert _chat(client, carol_live, "still here").status_code == 200
    # A message from another room cannot be acted on through a room the moderator does moderate.
    alice_live = LiveSession.objects.create(creator=creator, title="Alice live")
    client.force_login(mod.user)
    response = _moderate(client, alice_live, message, "delete")
    assert response.status_code == 404 and response.json()["error"] == "That message is not in this room's chat."


def test_only_the_creator_appoints_and_removes_moderators(client, creator, mod, make_creator, ann):
    client.force_login(mod.user)
    page = client.get(f"/@{creator.handle}/moderation/").content.decode()
    assert "Only Alice can appoint or remove moderators." in page
    assert client.post(f"/@{creator.handle}/moderation/", {"action": "appoint", "handle": "dora"}).status_code == 403
    client.force_login(creator.user)
    response = client.post(f"/@{creator.handle}/moderation/", {"action": "appoint", "handle": "nobody-here"})
    assert response.status_code == 400 and "Nobody has the handle @nobody-here. Check the spelling." in (
        response.content.decode()
    )
    response = client.post(f"/@{creator.handle}/moderation/", {"action": "appoint", "handle": "bob"})
    assert "@bob is already one of your moderators." in response.content.decode()
    moderator = Moderator.objects.get(user=mod.user)
    client.post(f"/@{creator.handle}/moderation/", {"action": "remove_moderator", "moderator": moderator.pk})
    assert not Moderator.objects.exists()
    client.force_login(mod.user)
    assert client.get(f"/@{creator.handle}/moderation/").status_code == 403
    kinds = list(ModerationAction.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["moderator_add", "moderator_remove"]


def test_the_creator_appoints_a_viewer_from_the_chat_who_then_moderates_only_her_rooms(
    client, creator, live, ann, make_user, make_creator
):
    """A viewer has no handle: the creator appoints one from a chat line in her room ("Make moderator")."""
    cleo = make_user("cleo@example.com", nickname="Cleo")
    helpful = _said(ann, live, "welcome everyone!")
    rude = _said(cleo, live, "boring")
    client.force_login(creator.user)
    room = client.get(f"/live/{live.pk}/").content.decode()
    assert 'value="appoint"' in room  # the creator's panel offers it
    response = _moderate(client, live, helpful, "appoint")
    assert response.json() == {"ok": True, "message": "Ann is now a moderator of your rooms."}
    assert _moderate(client, live, helpful, "appoint").json()["error"] == "Ann is already one of your moderators."
    page = client.get(f"/@{creator.handle}/moderation/").content.decode()
    assert "Ann" in page and "Appointed a moderator" in page

    # Ann moderates Alice's room: she may time Cleo out, but not appoint anyone, and her panel has no such button.
    client.force_login(ann)
    room = client.get(f"/live/{live.pk}/").content.decode()
    assert 'data-moderator="1"' in room and 'value="appoint"' not in room
    assert _moderate(client, live, rude, "timeout", seconds=60).status_code == 200
    refused = _moderate(client, live, rude, "appoint")
    assert refused.status_code == 403 and refused.json()["error"] == "Only the creator can appoint moderators."
    assert not Moderator.objects.filter(user=cleo).exists()
    # Someone the chat shows as "Anonymous" is not appointed (the moderators list would name them), nor from a
    # removed message.
    shy = make_user("shy@example.com", nickname="Shy Sam", show_on_leaderboards=False)
    hidden = _said(shy, live, "hi from nobody")
    client.force_login(creator.user)
    refused = _moderate(client, live, hidden, "appoint")
    assert refused.status_code == 400 and refused.json()["error"].startswith("This viewer chats as Anonymous.")
    assert _moderate(client, live, rude, "delete").status_code == 200
    refused = _moderate(client, live, rude, "appoint")
    assert refused.json()["error"] == "This message was removed: appoint its sender from another of their messages."
    assert "Shy Sam" not in client.get(f"/@{creator.handle}/moderation/").content.decode()
    assert set(Moderator.objects.filter(creator=creator).values_list("user", flat=True)) == {ann.pk}
    client.force_login(ann)
    # Nowhere else: another creator's room is not hers to moderate.
    carol = make_creator("carol")
    elsewhere = LiveSession.objects.create(creator=carol, title="Other room")
    there = _said(cleo, elsewhere, "hi")
    assert _moderate(client, elsewhere, there, "delete").status_code == 403
    log = [(a.kind, a.actor, a.target, a.detail) for a in ModerationAction.objects.order_by("pk")]
    assert log == [
        ("moderator_add", creator.user, ann, "Ann"),
        ("timeout", ann, cleo, ""),
        ("delete", creator.user, cleo, ""),
    ]


def test_the_action_log_is_on_the_creators_page_paginated(client, creator, live, ann, mod):
    message = _said(ann, live, "x")
    client.force_login(mod.user)
    for _ in range(30):
        assert _moderate(client, live, message, "timeout", seconds=60).status_code == 200
    client.force_login(creator.user)
    page = client.get(f"/@{creator.handle}/moderation/").content.decode()
    assert "Page 1 of 2" in page and page.count("Timed out for 1 minute") == 25
    assert "Bob" in page and "Ann" in page
    assert "Appointed a moderator" in client.get(f"/@{creator.handle}/moderation/?page=2").content.decode()


def test_a_report_reaches_staff_who_resolve_it_in_the_admin(client, creator, live, ann, make_user, enable_2fa):
    message = _said(ann, live, "buy followers at scam.example")
    ben = make_user("ben@example.com")
    client.force_login(ben)
    form = client.get(f"/report/chat/{message.pk}/").content.decode()
    assert "buy followers at scam.example" in form and "What is wrong?" in form
    response = client.post(f"/report/chat/{message.pk}/", {"reason": "spam", "text": "a scam link"})
    assert response.status_code == 302 and response["Location"] == f"/live/{live.pk}/"
    again = client.post(f"/report/chat/{message.pk}/", {"reason": "spam"})
    assert again.status_code == 400 and "You already reported this message." in again.content.decode()
    assert client.post(f"/report/chat/{message.pk}/", {"reason": "nonsense"}).status_code == 400
    assert client.post(f"/@{creator.handle}/report/", {"reason": "other", "text": "odd stream"}).status_code == 302
    assert Report.objects.count() == 2

    staff = make_user("boss@example.com", is_staff=True, is_superuser=True)
    device, _ = enable_2fa(staff)
    client.logout()
    assert otp_login(client, staff.email, fresh_totp_code(device)).status_code == 302
    queue = client.get("/admin/gifts/report/?state=open").content.decode()
    assert "buy followers at scam.example" in queue and "odd stream" not in queue  # the text is on the report
    report = Report.objects.get(message=message)
    chosen = {"action": "resolve", "_selected_action": [report.pk]}
    asked = client.post("/admin/gifts/report/", chosen)
    assert asked.status_code == 200 and "add a note" in asked.content.decode()
    no_note = client.post("/admin/gifts/report/", {**chosen, "apply": "1", "note": ""})
    assert "Write a note" in no_note.content.decode()
    report.refresh_from_db()
    assert report.status == "open"
    done = client.post("/admin/gifts/report/", {**chosen, "apply": "1", "note": "Deleted, user warned"}, follow=True)
    assert "Resolved (action taken): 1 report(s)." in done.content.decode()
    report.refresh_from_db()
    assert (report.status, report.handled_by, report.staff_note) == ("resolved", staff, "Deleted, user warned")
    audit = AuditLog.objects.get(action="report.resolved")
    assert audit.actor == staff and audit.details["note"] == "Deleted, user warned"
    assert "buy followers" not in client.get("/admin/gifts/report/?state=open").content.decode()
    assert "buy followers" in client.get("/admin/gifts/report/?state=closed").content.decode()
    assert client.get("/admin/gifts/moderationaction/").status_code == 200
