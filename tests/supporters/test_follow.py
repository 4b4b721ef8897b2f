"""Following a creator (free), and followers hearing when the creator goes live."""

from __future__ import annotations

from django.core import mail

from gifts.live.services import live_session_start
from notifications.models import Notification
from supporters.models import Follow


def _follow(client, handle: str, follow: bool = True):
    return client.post(f"/@{handle}/follow/", {"follow": "1" if follow else "0"}, follow=True)


def test_following_and_unfollowing_from_the_creator_page(client, viewer, creator):
    client.force_login(viewer)
    page = client.get(f"/@{creator.handle}/").content.decode()
    assert "0 followers" in page and "Follow Alice (free)" in page
    response = _follow(client, creator.handle)
    page = response.content.decode()
    assert "You follow Alice: you will hear when they go live." in page
    assert "1 follower" in page and "Unfollow" in page
    _follow(client, creator.handle)  # twice: still one follow
    assert Follow.objects.filter(creator=creator).count() == 1
    page = _follow(client, creator.handle, follow=False).content.decode()
    assert "You no longer follow Alice." in page and "0 followers" in page
    assert not Follow.objects.exists()


def test_a_creator_cannot_follow_themselves(client, creator):
    client.force_login(creator.user)
    page = client.get(f"/@{creator.handle}/").content.decode()
    assert "Follow Alice" not in page  # no button on one's own page
    assert "You can&#x27;t follow yourself." in _follow(client, creator.handle).content.decode()
    assert not Follow.objects.exists()


def test_following_needs_a_login_and_a_post(client, viewer, creator):
    response = client.post(f"/@{creator.handle}/follow/", {"follow": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(viewer)
    assert client.get(f"/@{creator.handle}/follow/").status_code == 405
    assert client.post("/@nobody-here/follow/", {"follow": "1"}).status_code == 404
    assert not Follow.objects.exists()


def test_the_live_room_has_the_follow_button(client, viewer, creator, live):
    client.force_login(viewer)
    assert "Follow Alice (free)" in client.get(f"/live/{live.pk}/").content.decode()
    _follow(client, creator.handle)
    assert "1 follower" in client.get(f"/live/{live.pk}/").content.decode()


def test_followers_and_only_followers_hear_the_creator_went_live(
    client, make_user, creator, settings, django_capture_on_commit_callbacks
):
    settings.FOLLOWERS_NOTIFY_BATCH = 2  # five followers: three batches, each queued by the one before
    followers = [make_user(f"fan{n}@example.com") for n in range(5)]
    stranger = make_user("stranger@example.com")
    for fan in followers:
        client.force_login(fan)
        _follow(client, creator.handle)
    client.force_login(followers[0])  # this one wants it by email too
    client.post("/notifications/preferences/", {"creator_live__in_app": "on", "creator_live__email": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        session = live_session_start(creator=creator, title="Late night piano")
    notices = Notification.objects.filter(kind="creator_live")
    assert sorted(n.user_id for n in notices) == sorted(f.pk for f in followers)
    assert {n.text for n in notices} == {"Alice is live: Late night piano"}
    assert {n.link for n in notices} == {f"/live/{session.pk}/"}
    assert not Notification.objects.filter(user=stranger).exists()
    assert [m.to for m in mail.outbox] == [[followers[0].email]]
    assert mail.outbox[0].subject == "[Coinshop] Alice is live now"
    # The follower sees it in the header and the inbox.
    client.force_login(followers[1])
    assert 'id="unread-count">1<' in client.get("/").content.decode()
    assert "Alice is live: Late night piano" in client.get("/notifications/").content.decode()
    # The task running again (a redelivery) tells nobody twice.
    from supporters.tasks import followers_notify_live_task

    with django_capture_on_commit_callbacks(execute=True):
        followers_notify_live_task(session.pk, 0)
    assert Notification.objects.filter(kind="creator_live").count() == 5 and len(mail.outbox) == 1


def test_a_stream_started_by_obs_tells_followers_too(client, viewer, creator, django_capture_on_commit_callbacks):
    from gifts.live.ingest import live_ingest_start, stream_key_get

    Follow.objects.create(follower=viewer, creator=creator)
    key = stream_key_get(creator=creator)
    with django_capture_on_commit_callbacks(execute=True):
        live_ingest_start(name=creator.handle, key=key.key)
    with django_capture_on_commit_callbacks(execute=True):  # the encoder reconnects: same session, no new notice
        live_ingest_start(name=creator.handle, key=key.key)
    assert list(Notification.objects.values_list("user_id", "text")) == [(viewer.pk, "Alice is live: Alice is live")]


def test_a_closed_account_follows_nobody_and_nobody_follows_it(client, viewer, creator, make_creator):
    from coinshop.closing import account_close

    other = make_creator("bea")
    client.force_login(viewer)
    _follow(client, creator.handle)
    _follow(client, other.handle)
    client.force_login(other.user)
    _follow(client, creator.handle)
    client.force_login(viewer)
    assert "1 follower" in client.get(f"/@{other.handle}/").content.decode()  # the count is cached now

    account_close(user=other.user)  # a creator who followed one creator and was followed by one viewer
    assert list(Follow.objects.values_list("follower__email", "creator__handle")) == [(viewer.email, creator.handle)]
    assert "1 follower" in client.get(f"/@{creator.handle}/").content.decode()


def test_a_creator_going_live_again_and_again_tells_each_follower_at_most_once_an_hour(
    client, make_user, creator, settings, django_capture_on_commit_callbacks
):
    """Review of issue 14: every start notified every follower again."""
    from datetime import timedelta

    from gifts.live.services import live_session_end
    from gifts.models import LiveSession

    assert settings.FOLLOWERS_LIVE_NOTICE_COOLDOWN_SECONDS == 3600
    early, late = make_user("early@example.com"), make_user("late@example.com")
    Follow.objects.create(follower=early, creator=creator)
    client.force_login(early)  # by email as well: the cooldown holds for both channels
    client.post("/notifications/preferences/", {"creator_live__in_app": "on", "creator_live__email": "on"})

    def go_live(title: str, minutes_ago: int = 0) -> LiveSession:
        with django_capture_on_commit_callbacks(execute=True):
            session = live_session_start(creator=creator, title=title)
        LiveSession.objects.filter(pk=session.pk).update(started_at=session.started_at - timedelta(minutes=minutes_ago))
        return session

    def told(user) -> list[str]:
        return list(
            Notification.objects.filter(user=user, kind="creator_live").order_by("id").values_list("text", flat=True)
        )

    first = go_live("First try")
    LiveSession.objects.filter(pk=first.pk).update(started_at=first.started_at - timedelta(minutes=59))
    live_session_end(session=LiveSession.objects.get(pk=first.pk), by=creator.user)
    Follow.objects.create(follower=late, creator=creator)  # followed in between: not told yet, so told now
    second = go_live("Second try")
    assert told(early) == ["Alice is live: First try"] and told(late) == ["Alice is live: Second try"]
    assert [m.to for m in mail.outbox] == [[early.email]]
    live_session_end(session=LiveSession.objects.get(pk=second.pk), by=creator.user)
    LiveSession.objects.filter(pk=first.pk).update(started_at=first.started_at - timedelta(minutes=61))
    LiveSession.objects.filter(pk=second.pk).update(started_at=second.started_at - timedelta(minutes=30))
    go_live("Third try")  # an hour after the first: early hears it; late heard the second half an hour ago
    assert told(early) == ["Alice is live: First try", "Alice is live: Third try"]
    assert told(late) == ["Alice is live: Second try"]
    assert len(mail.outbox) == 2
