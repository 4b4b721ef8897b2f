"""Live-room chat: messages with owned stickers and the armed effect, a length limit and a per-person rate limit.
Refusals say why, in words, and write nothing."""

from __future__ import annotations

import pytest

from gifts.models import ChatMessage
from gifts.shop.services import shop_item_buy

pytestmark = pytest.mark.django_db


def _post(client, live, **data):
    return client.post(f"/live/{live.pk}/chat/", data, HTTP_ACCEPT="application/json")


def test_a_message_with_an_owned_sticker_reaches_the_room_feed(client, viewer, make_user, live, shop_items, fund):
    fund(viewer, 100)
    shop_item_buy(buyer=viewer, item=shop_items["wave"])
    client.force_login(viewer)
    response = _post(client, live, text="  hello   there  ", sticker=shop_items["wave"].pk)
    assert response.status_code == 200 and response.json()["message"] == "Sent."
    message = ChatMessage.objects.get()
    assert (message.text, message.sticker, message.effect) == ("hello there", shop_items["wave"], None)
    # Another viewer's page and feed show it, with the sticker's artwork.
    client.force_login(make_user("other@example.com"))
    chat = client.get(f"/live/{live.pk}/feed.json").json()["chat"]
    assert [(c["text"], c["sticker"]["name"]) for c in chat] == [("hello there", "Wave")]
    assert chat[0]["sticker"]["artwork"].endswith("shop/wave.svg")
    room = client.get(f"/live/{live.pk}/").content.decode()
    assert 'alt="Wave sticker"' in room and "hello there" in room


def test_a_sticker_alone_is_a_message_but_an_empty_one_is_not(client, viewer, live, shop_items, fund, nothing_written):
    fund(viewer, 100)
    shop_item_buy(buyer=viewer, item=shop_items["wave"])
    client.force_login(viewer)
    with nothing_written():
        response = _post(client, live, text="    ")
    assert response.status_code == 400 and response.json()["error"] == "Write a message or pick a sticker."
    assert _post(client, live, text="", sticker=shop_items["wave"].pk).status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({"text": "x" * 201}, 400, "Messages can be at most 200 characters; yours has 201."),
        ({"text": "hi", "sticker": "999999"}, 400, "That sticker does not exist."),
        ({"text": "hi", "sticker": "wave"}, 400, "Enter a whole number."),
        ({"text": "hi", "sticker": "LAUGH"}, 400, "You do not own the Laugh sticker. Buy it in the shop first."),
        ({"text": "hi", "sticker": "GLOW"}, 400, "That is not a sticker."),
    ],
)
def test_bad_chat_input_is_refused_in_words_and_writes_nothing(
    client, viewer, live, shop_items, fund, nothing_written, data, status, error
):
    fund(viewer, 100)
    shop_item_buy(buyer=viewer, item=shop_items["wave"])  # owns Wave, not Laugh; Glow is an effect
    if data.get("sticker", "").isupper():
        data = {**data, "sticker": shop_items[data["sticker"].lower()].pk}
    client.force_login(viewer)
    with nothing_written():
        response = _post(client, live, **data)
    assert response.status_code == status and response.json() == {"ok": False, "error": error}


def test_the_limit_is_exactly_the_setting(client, viewer, live, settings):
    settings.CHAT_MAX_LENGTH = 10
    client.force_login(viewer)
    assert _post(client, live, text="0123456789").status_code == 200
    assert _post(client, live, text="0123456789!").json()["error"] == (
        "Messages can be at most 10 characters; yours has 11."
    )


def test_chatting_faster_than_the_rate_limit_is_refused_and_writes_nothing(
    client, viewer, make_user, live, settings, nothing_written
):
    settings.CHAT_RATE_MESSAGES = 3
    client.force_login(viewer)
    for n in range(3):
        assert _post(client, live, text=f"message {n}").status_code == 200
    with nothing_written():
        response = _post(client, live, text="one too many")
    assert response.status_code == 429
    assert response.json()["error"] == (
        "You are sending messages too fast: at most 3 every 10 seconds. Wait a moment and try again."
    )
    # The limit is per person: somebody else can still talk.
    client.force_login(make_user("other@example.com"))
    assert _post(client, live, text="my turn").status_code == 200
    assert ChatMessage.objects.count() == 4


def test_the_rate_window_reopens_when_it_ends(viewer, live, settings):
    from django.core.cache import cache

    from gifts.chat.services import ChatRefused, chat_message_post

    settings.CHAT_RATE_MESSAGES = 1
    chat_message_post(sender=viewer, session=live, text="first")
    with pytest.raises(ChatRefused, match="too fast"):
        chat_message_post(sender=viewer, session=live, text="second")
    cache.delete(f"chat-rate:{viewer.pk}")  # what the cache does when CHAT_RATE_SECONDS have passed
    chat_message_post(sender=viewer, session=live, text="third")
    assert list(ChatMessage.objects.order_by("pk").values_list("text", flat=True)) == ["first", "third"]


def test_no_chat_when_the_stream_ended_or_the_account_is_restricted_or_logged_out(
    client, viewer, make_user, creator, live, nothing_written
):
    from gifts.live.services import live_session_end

    frozen = make_user("frozen@example.com", is_frozen=True)
    client.force_login(frozen)
    with nothing_written():
        response = _post(client, live, text="hi")
    assert response.json()["error"] == "Your account is restricted, so you cannot chat. Contact support."
    client.logout()
    assert client.post(f"/live/{live.pk}/chat/", {"text": "hi"})["Location"].startswith("/accounts/login/")
    live_session_end(session=live, by=creator.user)
    client.force_login(viewer)
    with nothing_written():
        response = _post(client, live, text="hi")
    assert response.json()["error"] == "This live stream has ended, so its chat is closed."
    assert client.post("/live/999999/chat/", {"text": "hi"}).status_code == 404


def test_without_javascript_the_form_posts_and_comes_back_with_a_message(client, viewer, live):
    client.force_login(viewer)
    response = client.post(f"/live/{live.pk}/chat/", {"text": "plain form"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Sent."]
    assert response.redirect_chain[-1][0] == f"/live/{live.pk}/"
    response = client.post(f"/live/{live.pk}/chat/", {"text": "x" * 500}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Messages can be at most 200 characters; yours has 500."]
