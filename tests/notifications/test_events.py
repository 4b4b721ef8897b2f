"""Payout and subscription events reach the person's notifications (and email, as they chose)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core import mail

from gifts.subscriptions.renewals import subscription_renew
from gifts.subscriptions.services import subscription_plan_set, subscription_start
from notifications.models import Notification
from payouts import services as payouts


def test_payout_events_are_in_the_creators_notifications(
    client, payee, earn, make_user, django_capture_on_commit_callbacks
):
    creator, _ = payee
    earn(creator, 30_001)
    with django_capture_on_commit_callbacks(execute=True):
        payout = payouts.payout_request_create(creator=creator, diamonds=30_001)
        payouts.payout_reject(payout=payout, staff=make_user("staff@example.com", is_staff=True), reason="Odd gifts")
    texts = list(Notification.objects.filter(user=creator.user, kind="payout").values_list("text", flat=True))
    assert texts == [
        "Your payout of 30,000 diamonds ($150.00) is now: Rejected (diamonds returned). Odd gifts",
        "Your payout of 30,000 diamonds ($150.00) is now: Waiting for review.",
    ]
    assert [m.subject for m in mail.outbox] == [
        "[Coinshop] Payout waiting for review",
        "[Coinshop] Payout rejected (diamonds returned)",
    ]
    # The creator turns payout emails off: the next event is in the app only.
    client.force_login(creator.user)
    client.post("/notifications/preferences/", {"payout__in_app": "on"})
    earn(creator, 30_000)
    with django_capture_on_commit_callbacks(execute=True):
        payouts.payout_request_create(creator=creator, diamonds=30_000)
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(user=creator.user, kind="payout").count() == 3
    page = client.get("/notifications/").content.decode()
    assert "is now: Waiting for review." in page and f"/creator/payouts/{payout.public_id}/" in page


JAN_31 = datetime(2027, 1, 31, 12, 0, tzinfo=UTC)


def test_subscription_renewed_price_raise_and_end_are_notified(
    viewer, creator, plan, fund, django_capture_on_commit_callbacks
):
    fund(viewer, 250)
    subscription = subscription_start(subscriber=viewer, creator=creator, now=JAN_31)
    with django_capture_on_commit_callbacks(execute=True):
        assert subscription_renew(subscription_id=subscription.pk, now=datetime(2027, 3, 1, tzinfo=UTC)) == "renewed"
    notice = Notification.objects.get(user=viewer, kind="subscription")
    assert notice.text == "Your subscription to Alice renewed for 100 coins, until March 28, 2027."
    with django_capture_on_commit_callbacks(execute=True):
        subscription_plan_set(creator=creator, coins_per_month=120, base_url="http://testserver")
    assert Notification.objects.filter(user=viewer, kind="subscription").first().text == (
        "Alice raised the price to 120 coins a month: accept it to keep your subscription after this month."
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert subscription_renew(subscription_id=subscription.pk, now=datetime(2027, 4, 1, tzinfo=UTC)) == "lapsed"
    ended = Notification.objects.filter(user=viewer, kind="subscription").first()
    assert ended.text.startswith("Your subscription to Alice ended. Alice raised the price to 120 coins")
    assert Notification.objects.filter(user=viewer).count() == 3
