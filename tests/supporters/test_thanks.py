"""Thank-yous: the creator sees who gifted in a stream (anonymous gifters as "Anonymous" only) and thanks each or all;
only real gifters of that stream can be thanked, once."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from gifts.models import GiftSend, LiveSession
from gifts.sending.services import gift_send
from notifications.models import Notification
from supporters.models import ThankYou


@pytest.fixture
def stream(make_user, make_creator, creator, live, catalog, fund):
    """Alice's ended stream: Ann gifted publicly, Bob anonymously; Cat gifted only to Bruno."""
    ann = make_user("ann@example.com", nickname="Ann")
    bob = make_user("bob@example.com", nickname="Bobby Secret")
    cat = make_user("cat@example.com", nickname="Cat")
    for person in (ann, bob, cat):
        fund(person, 1000)
    gift_send(sender=ann, creator=creator, gift=catalog["clap"], quantity=2, live_session=live)
    gift_send(sender=bob, creator=creator, gift=catalog["heart"], live_session=live, visibility="anonymous")
    bruno = make_creator("bruno")
    bruno_live = LiveSession.objects.create(creator=bruno, title="Bruno's show")
    gift_send(sender=cat, creator=bruno, gift=catalog["rose"], live_session=bruno_live)
    return {"ann": ann, "bob": bob, "cat": cat, "bruno": bruno, "bruno_live": bruno_live}


def _tokens(page: str) -> list[str]:
    return re.findall(r'name="gifter" value="([0-9a-f]+)"', page)


def test_the_creator_sees_gifters_with_anonymous_ones_unnamed(client, creator, live, stream):
    client.force_login(creator.user)
    page = client.get(f"/thanks/live/{live.pk}/").content.decode()
    assert "Evening songs" in page
    assert "Ann" in page and "2 gifts · 20 coins" in page
    assert "Anonymous" in page and "1 gift · 5 coins" in page
    assert "Bobby Secret" not in page and "bob@example.com" not in page and str(stream["bob"].pk) not in _tokens(page)
    assert "Cat" not in page
    assert len(_tokens(page)) == 2
    index = client.get("/thanks/").content.decode()
    assert f"/thanks/live/{live.pk}/" in index and "2 gifters" in index


def test_thanking_one_gifter_reaches_them_once(client, creator, live, stream, django_capture_on_commit_callbacks):
    client.force_login(creator.user)
    ann_token, _ = _tokens(client.get(f"/thanks/live/{live.pk}/").content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/thanks/live/{live.pk}/", {"gifter": ann_token, "note": "You made my night!"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Thank-you sent to 1 gifter." in page and "Thanked ✓" in page
    (notice,) = Notification.objects.filter(kind="thank_you")
    assert notice.user == stream["ann"]
    assert notice.text == "Alice thanked you for your gifts in “Evening songs”: “You made my night!”"
    assert mail.outbox == []  # thank-yous are in the app unless the gifter asks for email
    # Ann sees it in her inbox.
    client.force_login(stream["ann"])
    assert "Alice thanked you for your gifts" in client.get("/notifications/").content.decode()
    # Thanking again: "already thanked", nothing more sent.
    client.force_login(creator.user)
    page = client.post(f"/thanks/live/{live.pk}/", {"gifter": ann_token}, follow=True).content.decode()
    assert "Already thanked: 1." in page
    assert Notification.objects.filter(kind="thank_you").count() == 1


def test_an_anonymous_gifter_gets_the_thank_you_without_the_creator_learning_who(
    client, creator, live, stream, django_capture_on_commit_callbacks
):
    bob = stream["bob"]
    client.force_login(bob)
    client.post("/notifications/preferences/", {"thank_you__in_app": "on", "thank_you__email": "on"})
    client.force_login(creator.user)
    _, bob_token = _tokens(client.get(f"/thanks/live/{live.pk}/").content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"/thanks/live/{live.pk}/", {"gifter": bob_token}, follow=True).content.decode()
    assert "Thank-you sent to 1 gifter." in page and "Bobby Secret" not in page
    notice = Notification.objects.get(kind="thank_you")
    assert notice.user == bob and notice.text == "Alice thanked you for your anonymous gifts in “Evening songs”."
    assert [m.to for m in mail.outbox] == [[bob.email]]  # he asked for email


def test_thanking_everyone_reaches_every_gifter(client, creator, live, stream, django_capture_on_commit_callbacks):
    client.force_login(creator.user)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            f"/thanks/live/{live.pk}/", {"everyone": "on", "note": "Thank you all"}, follow=True
        ).content.decode()
    assert "Thanking 2 gifters: each finds your thank-you in their notifications." in page
    assert sorted(Notification.objects.filter(kind="thank_you").values_list("user__email", flat=True)) == [
        "ann@example.com",
        "bob@example.com",
    ]
    assert not Notification.objects.filter(user=stream["cat"]).exists()
    page = client.post(f"/thanks/live/{live.pk}/", {"everyone": "on"}, follow=True).content.decode()
    assert "Already thanked: 2." in page and ThankYou.objects.count() == 2


def test_thanking_a_stream_with_hundreds_of_gifters_runs_in_batches_outside_the_request(
    client, creator, live, make_user, fund, catalog, settings, django_capture_on_commit_callbacks
):
    """A big stream's "Thank everyone": the request only counts and queues; a worker thanks ``THANK_EVERYONE_BATCH``
    gifters per run and queues the next run, until all are thanked once. The page lists the gifters 50 at a time."""
    from supporters import services

    settings.THANK_EVERYONE_BATCH = 40
    gifters = [make_user(f"fan{i}@example.com", nickname=f"Fan {i}") for i in range(101)]
    for i, fan in enumerate(gifters):
        fund(fan, 100)
        gift_send(sender=fan, creator=creator, gift=catalog["clap"], quantity=1 + i % 3, live_session=live)
    client.force_login(creator.user)
    page = client.get(f"/thanks/live/{live.pk}/").content.decode()
    assert "Thank everyone (101)" in page and len(_tokens(page)) == 50 and "Page 1 of 3" in page
    assert len(_tokens(client.get(f"/thanks/live/{live.pk}/?page=3").content.decode())) == 1

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(f"/thanks/live/{live.pk}/", {"everyone": "on", "note": "Thank you all"})
    assert response.status_code == 302 and ThankYou.objects.count() == 0  # nothing sent inside the request
    assert len(queued) == 1
    late = make_user("late@example.com", nickname="Late Lou")
    fund(late, 100)
    thanked_after_each_run = []
    while queued:  # each run of the task: one batch, then the next run queued after its commit (and the emails)
        callback = queued.pop(0)
        before = ThankYou.objects.count()
        with django_capture_on_commit_callbacks(execute=False) as more:
            callback()
        queued.extend(more)
        if ThankYou.objects.count() != before:
            thanked_after_each_run.append(ThankYou.objects.count())
            if len(thanked_after_each_run) == 1:  # a gift after the press, while the thank-yous go out
                gift_send(sender=late, creator=creator, gift=catalog["clap"], live_session=live)
    assert thanked_after_each_run == [40, 80, 101]
    assert not ThankYou.objects.filter(recipient=late).exists()  # the note was written before Lou's gift
    page = client.get(response["Location"]).content.decode()
    assert "Thanking 101 gifters: each finds your thank-you in their notifications." in page
    assert Notification.objects.filter(kind="thank_you").values("user").distinct().count() == 101
    # A redelivered run, or a second press, sends nobody a second thank-you.
    last = GiftSend.objects.filter(sender__in=gifters).order_by("pk").last()
    services.thank_everyone_batch(creator_id=creator.pk, scope_key=f"live:{live.pk}", note="again", up_to=last.pk)
    assert ThankYou.objects.count() == 101 and Notification.objects.filter(kind="thank_you").count() == 101
    # Lou is thanked by the next press; everyone else is "already thanked".
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"/thanks/live/{live.pk}/", {"everyone": "on"}, follow=True).content.decode()
    assert "Thanking 1 gifter:" in page and "Already thanked: 101." in page
    assert ThankYou.objects.filter(recipient=late).count() == 1 and ThankYou.objects.count() == 102


def test_thanking_one_gifter_on_a_later_page_comes_back_to_that_page(client, creator, live, make_user, fund, catalog):
    for i in range(51):
        fan = make_user(f"fan{i}@example.com", nickname=f"Fan {i}")
        fund(fan, 100)
        gift_send(sender=fan, creator=creator, gift=catalog["clap"], live_session=live)
    client.force_login(creator.user)
    (token,) = _tokens(client.get(f"/thanks/live/{live.pk}/?page=2").content.decode())
    response = client.post(f"/thanks/live/{live.pk}/?page=2", {"gifter": token})
    assert response.status_code == 302 and response["Location"] == f"/thanks/live/{live.pk}/?page=2"
    page = client.get(response["Location"]).content.decode()
    assert "Thank-you sent to 1 gifter." in page and "Page 2 of 2" in page and "Thanked ✓" in page


@pytest.mark.parametrize("who", ["forged", "other_creators_gifter", "non_gifter_id", "empty"])
def test_a_forged_thank_you_reaches_nobody_and_says_so(client, creator, live, stream, who):
    client.force_login(stream["bruno"].user)
    cats_token = _tokens(client.get(f"/thanks/live/{stream['bruno_live'].pk}/").content.decode())[0]
    token = {
        "forged": "0123456789abcdef01234567",
        "other_creators_gifter": cats_token,
        "non_gifter_id": str(stream["cat"].pk),
        "empty": "",
    }[who]
    client.force_login(creator.user)
    response = client.post(f"/thanks/live/{live.pk}/", {"gifter": token, "note": "hi"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nobody was thanked: that person did not gift you here." in page or "Choose whom to thank." in page
    assert not ThankYou.objects.exists() and not Notification.objects.filter(kind="thank_you").exists()


def test_only_the_creator_opens_their_streams_thank_you_page(client, viewer, creator, live, stream):
    client.force_login(stream["bruno"].user)
    assert client.get(f"/thanks/live/{live.pk}/").status_code == 404  # Alice's stream
    assert client.post(f"/thanks/live/{live.pk}/", {"everyone": "on"}).status_code == 404
    client.force_login(viewer)  # not a creator
    assert client.get("/thanks/").status_code == 404
    assert not ThankYou.objects.exists()


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("line one\nline two", "may not contain line breaks, control characters"),
        ("right-to-left \u202e trick", "may not contain line breaks, control characters"),
        ("x" * 281, "A thank-you note is at most 280 characters."),
    ],
)
def test_a_bad_note_is_refused_and_sends_nothing(client, creator, live, stream, note, message):
    client.force_login(creator.user)
    response = client.post(f"/thanks/live/{live.pk}/", {"everyone": "on", "note": note})
    assert response.status_code == 400 and message in response.content.decode()
    assert not ThankYou.objects.exists()


def test_the_live_room_links_the_creator_to_thank_after_the_stream(client, creator, live, stream):
    from gifts.live.services import live_session_end

    client.force_login(creator.user)
    assert "Thank your gifters" not in client.get(f"/live/{live.pk}/").content.decode()  # still live
    live_session_end(session=live, by=creator.user)
    assert f'href="/thanks/live/{live.pk}/"' in client.get(f"/live/{live.pk}/").content.decode()


def test_gifters_on_a_video_can_be_thanked_too(
    client, make_user, creator, catalog, fund, stream, django_capture_on_commit_callbacks
):
    from videos.models import Video
    from videos.services import video_gift_send

    video = Video.objects.create(creator=creator, title="Piano cover", status="ready", web_name="x.mp4", size_bytes=1)
    dan = make_user("dan@example.com", nickname="Dan")
    fund(dan, 100)
    video_gift_send(sender=dan, video=video, gift=catalog["heart"])
    client.force_login(creator.user)
    assert "Piano cover" in client.get("/thanks/").content.decode()
    page = client.get(f"/thanks/video/{video.public_id}/").content.decode()
    assert "Dan" in page and "Ann" not in page  # Ann gifted in the stream, not on the video
    (token,) = _tokens(page)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/thanks/video/{video.public_id}/", {"gifter": token})
    assert (
        Notification.objects.get(kind="thank_you").text
        == "Alice thanked you for your gifts on the video “Piano cover”."
    )
    # The stream's gifters cannot be thanked through the video.
    ann_token = _tokens(client.get(f"/thanks/live/{stream['bruno_live'].pk}/").content.decode())
    assert ann_token == []  # Bruno's stream is not Alice's: 404 page has no tokens
    client.force_login(stream["bruno"].user)
    assert client.get(f"/thanks/video/{video.public_id}/").status_code == 404
