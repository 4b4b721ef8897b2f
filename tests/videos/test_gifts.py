"""Gifts on a video: sent through the gift panel on the video page, recorded with the video, shown in the video's
total and top gifters, and counted per video on the creator's earnings page."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection

from gifts.models import GiftSend
from tests.gifts import conftest as gift_fixtures
from videos import services
from videos.models import VideoGift

catalog = gift_fixtures.catalog
nothing_written = gift_fixtures.nothing_written


@pytest.fixture
def creator(make_creator):
    return make_creator("vera")


def _gift(client, video, gift, *, visibility="public", key=None, quantity=1):
    return client.post(
        f"/v/{video.public_id}/gift/",
        {"gift": gift.pk, "quantity": quantity, "visibility": visibility, "idempotency_key": key or uuid.uuid4()},
        HTTP_ACCEPT="application/json",
    )


@pytest.mark.django_db
def test_a_gift_on_a_video_is_recorded_with_it_and_counted_per_video(
    client, creator, make_video, make_user, catalog, fund
):
    video = make_video(creator)
    other = make_video(creator, title="Other clip")
    ann = make_user("ann@example.com", nickname="Ann")
    fund(ann, 1_000)
    client.force_login(ann)
    page = client.get(f"/v/{video.public_id}/").content.decode()
    assert f'action="/v/{video.public_id}/gift/"' in page  # the panel posts to the video's own gift view
    key = uuid.uuid4()
    response = _gift(client, video, catalog["rose"], key=key)
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True
    assert "on “Sunset timelapse”" in response.json()["message"]
    assert _gift(client, video, catalog["rose"], key=key).json()["ok"] is True  # the same form twice: sent once
    assert _gift(client, video, catalog["heart"], visibility="anonymous").json()["ok"] is True
    send = GiftSend.objects.get(gift=catalog["rose"])
    assert send.video_gift.video == video
    assert GiftSend.objects.count() == 2
    assert VideoGift.objects.filter(video=video).count() == 2
    page = client.get(f"/v/{video.public_id}/").content.decode()
    assert "2 gifts" in page
    board = page[page.index('id="video-board"') :]
    assert board.index("Ann") > 0 and "Anonymous" in board
    # A gift on the creator page is not a gift on a video.
    client.post(
        f"/@{creator.handle}/gift/",
        {"gift": catalog["heart"].pk, "quantity": 1, "visibility": "public", "idempotency_key": uuid.uuid4()},
    )
    assert GiftSend.objects.count() == 3
    assert VideoGift.objects.count() == 2

    client.force_login(creator.user)
    earnings = client.get("/creator/earnings/").content.decode()
    table = earnings[earnings.index('id="video-earnings"') :]
    rose, heart = catalog["rose"].coin_cost, catalog["heart"].coin_cost
    row = table[table.index("Sunset timelapse") :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">2</td>' in row
    assert f"{rose + heart} 💎" in row
    assert "Other clip" not in table  # no gifts on it
    assert other.pk


@pytest.mark.django_db
def test_no_gifts_on_videos_yet(client, creator):
    client.force_login(creator.user)
    assert "No gifts on your videos yet." in client.get("/creator/earnings/").content.decode()


@pytest.mark.django_db
def test_a_non_subscriber_cannot_gift_on_a_subscriber_only_video(
    client, creator, make_video, make_user, catalog, fund, nothing_written
):
    video = make_video(creator, audience="subscribers")
    ann = make_user("ann@example.com")
    fund(ann, 1_000)
    client.force_login(ann)
    with nothing_written():
        response = _gift(client, video, catalog["rose"])
    assert response.status_code == 400
    assert response.json()["error"] == "This video is for Vera's subscribers. Subscribe to watch it."
    assert not VideoGift.objects.exists()


@pytest.mark.django_db
def test_the_gift_rules_hold_on_a_video(client, creator, make_video, make_user, catalog, nothing_written):
    video = make_video(creator)
    broke = make_user("broke@example.com")
    client.force_login(broke)
    with nothing_written():
        response = _gift(client, video, catalog["rose"])
    assert response.status_code == 400
    assert response.json()["error"].startswith("Not enough coins")
    client.force_login(creator.user)
    assert _gift(client, video, catalog["rose"]).json()["error"] == "You cannot spend coins on yourself."
    assert not VideoGift.objects.exists()


@pytest.mark.django_db
def test_a_cancelled_gift_leaves_the_video_total(client, creator, make_video, make_user, catalog, fund):
    video = make_video(creator)
    ann = make_user("ann@example.com")
    fund(ann, 5_000)
    client.force_login(ann)
    data = _gift(client, video, catalog["crown"]).json()
    assert data["undo_url"]
    assert client.post(data["undo_url"], HTTP_ACCEPT="application/json").json()["ok"] is True
    client.force_login(creator.user)
    assert "No gifts on your videos yet." in client.get("/creator/earnings/").content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_gift_form_sent_twice_at_once_is_one_gift_on_the_video(creator, make_video, make_user, catalog, fund):
    video = make_video(creator)
    ann = make_user("ann@example.com")
    fund(ann, 1_000)
    key = uuid.uuid4()
    barrier = threading.Barrier(2)
    sends: list[int] = []

    def send() -> None:
        try:
            barrier.wait()
            sends.append(
                services.video_gift_send(sender=ann, video=video, gift=catalog["rose"], idempotency_key=key).pk
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sends) == 2 and sends[0] == sends[1]
    assert GiftSend.objects.count() == 1
    assert VideoGift.objects.get().gift_send_id == sends[0]
