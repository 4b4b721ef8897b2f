"""Creators hear about gifts received in batches: one summary per run, never one notice per gift."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gifts.sending.services import gift_send, gift_undo
from notifications.models import Notification
from supporters.services import gifts_received_notify

LATER = timedelta(minutes=5)  # the run after the gifts settled (past the undo window)


def test_many_gifts_make_one_summary_with_the_right_totals(make_user, make_creator, creator, catalog, fund):
    ann, bob, cat = (make_user(f"{n}@example.com") for n in ("ann", "bob", "cat"))
    for person in (ann, bob, cat):
        fund(person, 1000)
    gift_send(sender=ann, creator=creator, gift=catalog["rose"], quantity=10)  # 10 gifts, 10 coins
    gift_send(sender=ann, creator=creator, gift=catalog["clap"], quantity=2)  # 2 gifts, 20 coins
    gift_send(sender=bob, creator=creator, gift=catalog["heart"], quantity=3, visibility="anonymous")  # 3, 15
    gift_send(sender=cat, creator=creator, gift=catalog["doughnut"])  # 1, 30
    other = make_creator("bruno")
    gift_send(sender=cat, creator=other, gift=catalog["rose"])
    assert not Notification.objects.exists()  # the gifts themselves notify nobody
    assert gifts_received_notify(now=timezone.now() + LATER) == 2
    (summary,) = Notification.objects.filter(user=creator.user)
    assert summary.kind == "gifts_received"
    assert summary.text == "You received 16 gifts (75 diamonds) from 3 people."
    assert summary.link == "/gifts/received/"
    assert Notification.objects.get(user=other.user).text == "You received 1 gift (1 diamond) from 1 person."
    # The next run has nothing new: no notification.
    assert gifts_received_notify(now=timezone.now() + LATER) == 0
    assert Notification.objects.count() == 2


def test_no_gifts_no_notification_and_cancelled_gifts_do_not_count(viewer, creator, catalog, fund, settings):
    assert gifts_received_notify(now=timezone.now() + LATER) == 0
    fund(viewer, 5000)
    settings.GIFT_UNDO_MIN_COINS = 1000
    crown = gift_send(sender=viewer, creator=creator, gift=catalog["crown"])
    gift_undo(send=crown, by=viewer)
    gift_send(sender=viewer, creator=creator, gift=catalog["rose"])
    assert gifts_received_notify(now=timezone.now() + LATER) == 1
    assert Notification.objects.get().text == "You received 1 gift (1 diamond) from 1 person."


def test_gifts_that_could_still_be_undone_wait_for_the_next_run(viewer, creator, catalog, fund):
    fund(viewer, 100)
    gift_send(sender=viewer, creator=creator, gift=catalog["rose"])
    assert gifts_received_notify(now=timezone.now()) == 0  # just sent: counted next time
    assert gifts_received_notify(now=timezone.now() + LATER) == 1
    assert Notification.objects.count() == 1


def test_the_creator_can_turn_the_summaries_off(client, viewer, creator, catalog, fund):
    client.force_login(creator.user)
    client.post("/notifications/preferences/", {"payout__in_app": "on"})  # every gifts box unticked
    fund(viewer, 100)
    gift_send(sender=viewer, creator=creator, gift=catalog["rose"])
    gifts_received_notify(now=timezone.now() + LATER)
    assert not Notification.objects.exists()


def test_the_summary_task_is_on_the_beat_schedule(settings):
    from coinshop.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["gifts-received-notify"]
    assert entry["task"] == "supporters.tasks.gifts_received_notify_task"
    import supporters.tasks  # noqa: F401 - autodiscovered by workers

    assert entry["task"] in app.tasks


def test_a_public_and_an_anonymous_gift_of_one_person_count_as_two_gifters(make_user, creator, catalog, fund):
    """As on the thank-you page: "from 1 person" would tell the creator that the "Anonymous" gift was Bob's."""
    bob = make_user("bob@example.com", nickname="Bob")
    fund(bob, 1000)
    gift_send(sender=bob, creator=creator, gift=catalog["rose"], visibility="public")
    gift_send(sender=bob, creator=creator, gift=catalog["rose"], visibility="anonymous")
    gift_send(sender=bob, creator=creator, gift=catalog["rose"], visibility="anonymous")
    assert gifts_received_notify(now=timezone.now() + LATER) == 1
    assert Notification.objects.get(user=creator.user).text == "You received 3 gifts (3 diamonds) from 2 people."
