"""On the real stack (PostgreSQL, Redis broker, a real Celery worker): a creator going live reaches every follower
once through the batched fan-out, emails included, however often the fan-out task is delivered; "Thank everyone"
reaches every gifter once in batches; the beat's gifts summary counts each gift once when it runs twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from gifts.live.services import live_session_start
from gifts.models import GiftSend
from gifts.sending.services import gift_send
from notifications.models import Notification, NotificationEmail, NotificationPreference
from supporters.models import Follow, ThankYou
from supporters.services import gifts_received_notify
from supporters.tasks import followers_notify_live_task, thank_everyone_task

from ..concurrency import broker_idle, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]


def test_going_live_reaches_every_follower_once_on_a_real_worker(
    purged_broker, real_celery_worker, make_user, creator, settings
):
    settings.FOLLOWERS_NOTIFY_BATCH = 3
    fans = [make_user(f"fan{n}@example.com") for n in range(7)]
    for fan in fans:
        Follow.objects.create(follower=fan, creator=creator)
    NotificationPreference.objects.create(user=fans[0], kind="creator_live", in_app=True, email=True)
    session = live_session_start(creator=creator, title="Real stack")
    followers_notify_live_task.delay(session.pk, 0)  # delivered twice
    wait_for(broker_idle, 60, "the worker to run the fan-out batches and the email")
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted(f.pk for f in fans)
    assert [m.to for m in mail.outbox] == [[fans[0].email]]
    assert NotificationEmail.objects.get().sent_at is not None


def test_thanking_everyone_reaches_every_gifter_once_on_a_real_worker(
    purged_broker, real_celery_worker, client, make_user, creator, live, catalog, fund, settings
):
    settings.THANK_EVERYONE_BATCH = 4
    fans = [make_user(f"fan{n}@example.com") for n in range(10)]
    for fan in fans:
        fund(fan, 10)
        gift_send(sender=fan, creator=creator, gift=catalog["rose"], live_session=live)
    client.force_login(creator.user)
    response = client.post(f"/thanks/live/{live.pk}/", {"everyone": "on", "note": "Thanks!"})
    assert response.status_code == 302
    up_to = GiftSend.objects.filter(live_session=live).order_by("pk").last().pk
    thank_everyone_task.delay(creator.pk, f"live:{live.pk}", "Thanks!", up_to)  # the first batch, delivered twice
    wait_for(broker_idle, 60, "the worker to thank every gifter in batches")
    wait_for(lambda: ThankYou.objects.count() == 10, 30, "all ten thank-yous")
    assert sorted(Notification.objects.filter(kind="thank_you").values_list("user_id", flat=True)) == sorted(
        f.pk for f in fans
    )


def test_the_gifts_summary_counts_each_gift_once(make_user, creator, catalog, fund):
    ann = make_user("ann@example.com")
    fund(ann, 100)
    for _ in range(3):
        gift_send(sender=ann, creator=creator, gift=catalog["rose"])
    later = timezone.now() + timedelta(minutes=5)
    assert [gifts_received_notify(now=later) for _ in range(2)] == [1, 0]
    assert Notification.objects.get().text == "You received 3 gifts (3 diamonds) from 1 person."
