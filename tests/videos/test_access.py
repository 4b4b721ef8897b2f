"""Who may watch: public videos, anyone; subscriber-only ones, current subscribers and the creator, on every URL
(page, file, poster). Files are served with byte ranges (or handed to nginx)."""

from __future__ import annotations

import html

import pytest

from gifts.models import SubscriptionPlan
from gifts.subscriptions.services import subscription_start

pytestmark = pytest.mark.django_db

LOCKED = "This video is for Vera's subscribers."


@pytest.fixture
def creator(make_creator):
    return make_creator("vera")


@pytest.fixture
def people(creator, make_user, fund):
    SubscriptionPlan.objects.create(creator=creator, name="Inner circle", coins_per_month=100)
    subscriber = make_user("sub@example.com", nickname="Sub")
    fund(subscriber, 500)
    subscription_start(subscriber=subscriber, creator=creator)
    return {"anonymous": None, "stranger": make_user("stranger@example.com"), "subscriber": subscriber,
            "creator": creator.user}  # fmt: skip


def _urls(video) -> dict[str, str]:
    pid = video.public_id
    return {"page": f"/v/{pid}/", "file": f"/v/{pid}/video.mp4", "poster": f"/v/{pid}/poster.jpg"}


@pytest.mark.parametrize(
    ("who", "allowed"), [("anonymous", False), ("stranger", False), ("subscriber", True), ("creator", True)]
)
def test_a_subscriber_only_video_is_refused_to_others_on_every_url(client, creator, make_video, people, who, allowed):
    video = make_video(creator, audience="subscribers")
    if people[who] is not None:
        client.force_login(people[who])
    for kind, url in _urls(video).items():
        response = client.get(url)
        if allowed:
            assert response.status_code == 200, (kind, response.status_code)
        else:
            assert response.status_code == 403, (kind, response.status_code)
            body = html.unescape(response.content.decode())
            assert LOCKED in body
            assert "Log in" in body if who == "anonymous" else "Subscribe to watch it." in body
            assert "video.mp4" not in body if kind == "page" else True
    page = client.get(_urls(video)["page"])
    if allowed:
        assert page.templates[0].name == "videos/page.html"


def test_a_lapsed_subscription_locks_the_video_again(client, creator, make_video, people):
    from gifts.models import Subscription

    video = make_video(creator, audience="subscribers")
    client.force_login(people["subscriber"])
    assert client.get(_urls(video)["file"]).status_code == 200
    Subscription.objects.update(status="expired", next_renewal_at=None)
    assert client.get(_urls(video)["file"]).status_code == 403


def test_a_public_video_plays_for_anyone_and_unknown_ones_are_404(client, creator, make_video):
    video = make_video(creator)
    for url in _urls(video).values():
        assert client.get(url).status_code == 200
    assert client.get("/v/00000000-0000-0000-0000-000000000000/video.mp4").status_code == 404


def test_the_file_answers_byte_ranges(client, creator, make_video, video_root):
    video = make_video(creator)
    data = (video_root / video.web_name).read_bytes()
    url = _urls(video)["file"]
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole["Content-Type"] == "video/mp4"
    assert whole["Accept-Ranges"] == "bytes"
    assert int(whole["Content-Length"]) == len(data)
    assert b"".join(whole.streaming_content) == data
    part = client.get(url, HTTP_RANGE="bytes=0-99")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 0-99/{len(data)}"
    assert b"".join(part.streaming_content) == data[:100]
    rest = client.get(url, HTTP_RANGE="bytes=1000-")
    assert rest.status_code == 206
    assert b"".join(rest.streaming_content) == data[1000:]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == data[-10:]
    assert client.get(url, HTTP_RANGE=f"bytes={len(data)}-").status_code == 416
    poster = client.get(_urls(video)["poster"])
    assert poster["Content-Type"] == "image/jpeg"


def test_behind_nginx_the_file_is_handed_over_after_the_check(client, creator, make_video, settings, people):
    settings.VIDEO_ACCEL_REDIRECT_PREFIX = "/_videos/"
    video = make_video(creator, audience="subscribers")
    client.force_login(people["subscriber"])
    response = client.get(_urls(video)["file"])
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_videos/{video.web_name}"
    assert response.content == b""
    client.force_login(people["stranger"])
    response = client.get(_urls(video)["file"])
    assert response.status_code == 403
    assert "X-Accel-Redirect" not in response


def test_the_creator_page_lists_ready_videos_with_a_lock_for_non_subscribers(client, creator, make_video, people):
    open_video = make_video(creator, title="Open rehearsal")
    locked_video = make_video(creator, audience="subscribers", title="Backstage")
    client.force_login(people["stranger"])
    page = client.get("/@vera/").content.decode()
    assert "Open rehearsal" in page and "Backstage" in page
    assert f"/v/{open_video.public_id}/poster.jpg" in page
    assert f"/v/{locked_video.public_id}/poster.jpg" not in page
    assert "🔒 For subscribers" in page
    client.force_login(people["subscriber"])
    page = client.get("/@vera/").content.decode()
    assert f"/v/{locked_video.public_id}/poster.jpg" in page
    assert "🔒" not in page


@pytest.mark.parametrize("odd", ["bytes=" + "9" * 5000 + "-", "bytes=٣-", "bytes=-" + "9" * 30, "bytes=²-"])
def test_an_odd_byte_range_is_no_error(client, creator, make_video, odd):
    """Issue 12: a Range header of 5,000 digits (``int`` refuses over 4,300) or of non-ASCII digits is ignored."""
    video = make_video(creator)
    response = client.get(_urls(video)["file"], HTTP_RANGE=odd)
    assert response.status_code == 200
