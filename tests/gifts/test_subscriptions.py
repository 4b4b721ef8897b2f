"""Creator subscriptions paid in coins: subscribing pays a month like a gift, cancelling runs to the period end,
renewals pay each period once, short coins lapse the subscription with one email, and it can be resumed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from gifts.models import GiftSend, Subscription, SubscriptionPeriod, SubscriptionStatus
from gifts.subscriptions.renewals import subscription_reminders_send, subscription_renew
from gifts.subscriptions.services import SubscriptionRefused, period_end_for, subscription_resume, subscription_start
from gifts.tasks import subscriptions_renew_due_task
from wallet.models import Asset, LedgerEntry, LedgerTransaction, SystemAccount
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db

JAN_31 = datetime(2027, 1, 31, 12, 0, tzinfo=UTC)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_subscribing_pays_a_month_like_a_gift_and_shows_the_next_renewal(client, viewer, creator, plan, fund):
    fund(viewer, 250)
    client.force_login(viewer)
    response = client.post(f"/@{creator.handle}/subscribe/", follow=True)
    subscription = Subscription.objects.get()
    renewal = subscription.current_period_end
    assert _messages(response) == [
        f"You subscribe to Alice. Next renewal: {renewal:%B} {renewal.day}, {renewal.year} (100 coins)."
    ]
    assert wallet_balance_get(user=viewer) == 150
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 100
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.next_renewal_at == renewal
    txn = LedgerTransaction.objects.get(kind="subscription")
    period = SubscriptionPeriod.objects.get()
    assert txn.idempotency_key == period.idempotency_key
    assert LedgerEntry.objects.get(transaction=txn, account__system_code=SystemAccount.COIN_SINK).amount == 100
    page = response.content.decode()
    assert 'id="subscription-status"' in page and "You subscribe to Alice." in page
    assert "Cancel subscription" in page


def test_a_month_is_one_calendar_month_and_the_31st_becomes_the_months_last_day():
    assert period_end_for(start=JAN_31) == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert period_end_for(start=datetime(2027, 12, 15, tzinfo=UTC)) == datetime(2028, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("self", "You cannot spend coins on yourself."),
        ("poor", "Not enough coins: a month of Alice's subscription costs 100 coins. Recharge to subscribe."),
        ("teen", "You must be 18 or older to buy or spend coins"),
        ("frozen", "Your account is restricted, so it cannot buy or spend coins"),
    ],
)
def test_a_refused_subscription_says_why_and_writes_nothing(
    client, make_user, creator, plan, fund, nothing_written, who, message
):
    people = {
        "self": creator.user,
        "poor": make_user("poor@example.com"),
        "teen": make_user("teen@example.com", date_of_birth=timezone.localdate() - timedelta(days=16 * 365)),
        "frozen": make_user("frozen@example.com", is_frozen=True),
    }
    person = people[who]
    fund(person, 99 if who == "poor" else 1_000)
    client.force_login(person)
    with nothing_written():
        response = client.post(f"/@{creator.handle}/subscribe/", follow=True)
    assert response.status_code == 200
    assert _messages(response)[0].startswith(message)
    assert not Subscription.objects.exists()


def test_a_creator_without_a_plan_cannot_be_subscribed_to(client, viewer, creator, fund, nothing_written):
    fund(viewer, 1_000)
    client.force_login(viewer)
    with nothing_written():
        response = client.post(f"/@{creator.handle}/subscribe/", follow=True)
    assert _messages(response) == ["Alice does not offer a subscription right now."]
    assert client.post("/@nobody-here/subscribe/").status_code == 404


def test_subscribing_twice_is_refused_and_charges_once(viewer, creator, plan, fund, nothing_written):
    fund(viewer, 1_000)
    subscription_start(subscriber=viewer, creator=creator)
    with nothing_written(), pytest.raises(SubscriptionRefused, match="You already subscribe to Alice"):
        subscription_start(subscriber=viewer, creator=creator)
    assert wallet_balance_get(user=viewer) == 900


def test_cancelling_keeps_the_benefits_until_the_period_ends_and_resuming_is_free(client, viewer, creator, plan, fund):
    fund(viewer, 1_000)
    subscription = subscription_start(subscriber=viewer, creator=creator, now=JAN_31)
    client.force_login(viewer)
    response = client.post(f"/@{creator.handle}/subscription/cancel/", follow=True)
    assert _messages(response) == [
        "Your subscription to Alice is cancelled. It will not renew; you keep it until February 28, 2027."
    ]
    subscription.refresh_from_db()
    assert (subscription.status, subscription.next_renewal_at) == (SubscriptionStatus.CANCELLED, None)
    # No renewal is due for a cancelled subscription, whatever the date.
    assert subscription_renew(subscription_id=subscription.pk, now=JAN_31 + timedelta(days=60)) == ("not due")
    # Still a subscriber until the period ends (the badge, subscriber-only gifts)...
    from gifts.subscriptions.selectors import subscriber_is_current

    assert subscriber_is_current(subscriber=viewer, creator=creator, at=JAN_31 + timedelta(days=27))
    assert not subscriber_is_current(subscriber=viewer, creator=creator, at=JAN_31 + timedelta(days=29))
    # ...and resuming inside the month charges nothing and renews at the same date.
    subscription_resume(subscription=subscription, by=viewer, now=JAN_31 + timedelta(days=10))
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.next_renewal_at == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert wallet_balance_get(user=viewer) == 900
    assert SubscriptionPeriod.objects.count() == 1


def test_renewal_pays_the_next_period_once_however_often_it_runs(viewer, creator, plan, fund):
    fund(viewer, 1_000)
    subscription = subscription_start(subscriber=viewer, creator=creator, now=JAN_31)
    due = datetime(2027, 2, 28, 12, 0, 1, tzinfo=UTC)
    outcomes = [subscription_renew(subscription_id=subscription.pk, now=due) for _ in range(3)]
    assert outcomes == ["renewed", "not due", "not due"]
    subscription.refresh_from_db()
    assert subscription.current_period_start == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert subscription.next_renewal_at == datetime(2027, 3, 28, 12, 0, tzinfo=UTC)
    assert list(SubscriptionPeriod.objects.order_by("period_start").values_list("renewal", flat=True)) == [False, True]
    assert wallet_balance_get(user=viewer) == 800
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 200


def test_the_beat_task_renews_every_due_subscription_once(
    make_user, creator, plan, fund, django_capture_on_commit_callbacks
):
    people = [make_user(f"fan{i}@example.com") for i in range(3)]
    for person in people:
        fund(person, 300)
        subscription_start(subscriber=person, creator=creator, now=timezone.now() - timedelta(days=40))
    for expected in (3, 0):  # eager Celery: each renewal task runs when the beat task's transaction commits
        with django_capture_on_commit_callbacks(execute=True):
            assert subscriptions_renew_due_task() == expected
    assert [wallet_balance_get(user=p) for p in people] == [100, 100, 100]
    assert SubscriptionPeriod.objects.filter(renewal=True).count() == 3


def test_short_coins_lapse_the_subscription_with_one_email_and_it_can_be_resumed(
    client, viewer, creator, plan, fund, django_capture_on_commit_callbacks
):
    fund(viewer, 150)
    subscription = subscription_start(subscriber=viewer, creator=creator, now=JAN_31)
    due = datetime(2027, 3, 1, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):  # the email goes once the lapse is committed
        assert subscription_renew(subscription_id=subscription.pk, now=due) == "lapsed"
        assert subscription_renew(subscription_id=subscription.pk, now=due) == "not due"
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.LAPSED
    assert subscription.lapse_reason == "Not enough coins: the renewal costs 100 coins."
    assert wallet_balance_get(user=viewer) == 50
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [viewer.email] and email.subject == "[Coinshop] Your subscription to Alice has lapsed"
    assert "You have 50 coins; a month costs 100 coins. Nothing was charged." in email.body
    # The creator page says so and offers to resume; resuming with enough coins starts a new, paid month.
    client.force_login(viewer)
    page = client.get(f"/@{creator.handle}/").content.decode()
    assert "Your subscription lapsed: Not enough coins: the renewal costs 100 coins." in page
    assert "Resume for 100 coins" in page
    fund(viewer, 50)
    response = client.post(f"/@{creator.handle}/subscription/resume/", follow=True)
    assert _messages(response)[0].startswith("Your subscription to Alice is back on. 100 coins paid for a new month.")
    assert wallet_balance_get(user=viewer) == 0
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert SubscriptionPeriod.objects.count() == 2


def test_the_reminder_goes_three_days_before_the_renewal_once(viewer, creator, plan, fund):
    fund(viewer, 120)
    subscription_start(subscriber=viewer, creator=creator, now=JAN_31)
    assert subscription_reminders_send(now=datetime(2027, 2, 24, 12, tzinfo=UTC)) == 0  # 4 days out
    three_days_before = datetime(2027, 2, 25, 13, tzinfo=UTC)
    assert subscription_reminders_send(now=three_days_before) == 1
    assert subscription_reminders_send(now=three_days_before + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "renews on February 28, 2027 for 100 coins" in body
    assert "You have 20 coins. That is not enough: recharge before the renewal date" in body


def test_subscriber_only_gifts_and_the_badge_follow_the_subscription(
    client, viewer, make_user, creator, plan, live, catalog, fund
):
    fund(viewer, 1_000)
    from gifts.sending.services import GiftRefused, gift_send
    from gifts.subscriptions.services import subscription_start

    star = catalog["rose"]
    star.subscriber_only = True
    star.save()
    with pytest.raises(GiftRefused, match=r"for Alice's subscribers\. Subscribe to send it\."):
        gift_send(sender=viewer, creator=creator, gift=star, live_session=live)
    subscription_start(subscriber=viewer, creator=creator)
    gift_send(sender=viewer, creator=creator, gift=star, live_session=live)
    assert GiftSend.objects.count() == 1
    other = make_user("other@example.com")
    client.force_login(other)
    room = client.get(f"/live/{live.pk}/").content.decode()
    badge = 'class="sub-badge" title="Subscribes to this creator"'
    assert room.count(badge) == 2  # beside the name in the gift feed and on the live leaderboard
    feed = client.get(f"/live/{live.pk}/feed.json").json()
    assert [g["subscriber"] for g in feed["gifts"]] == [True]


def test_the_creator_sets_a_plan_with_a_bounded_price(client, creator):
    client.force_login(creator.user)
    response = client.post("/subscriptions/plan/", {"name": "Front row", "coins_per_month": "0", "active": "on"})
    assert response.status_code == 400
    assert not hasattr(creator, "subscription_plan") or creator.subscription_plan is None
    response = client.post(
        "/subscriptions/plan/", {"name": "Front row", "coins_per_month": "250", "active": "on"}, follow=True
    )
    assert _messages(response) == ["Your subscription is offered: 250 coins a month."]
    creator.refresh_from_db()
    assert creator.subscription_plan.coins_per_month == 250


def test_a_creator_keeps_gifts_for_subscribers_on_their_own_pages_only(
    client, viewer, make_creator, creator, plan, live, catalog, fund, nothing_written
):
    from gifts.sending.services import GiftRefused, gift_send
    from gifts.subscriptions.services import subscription_start

    fund(viewer, 1_000)
    heart = catalog["heart"]
    client.force_login(creator.user)
    response = client.post(
        "/subscriptions/plan/",
        {"name": "Front row", "coins_per_month": "100", "active": "on", "subscriber_gifts": [heart.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert list(plan.subscriber_gifts.all()) == [heart]
    assert re.search(rf'value="{heart.pk}"[^>]* checked', client.get("/subscriptions/plan/").content.decode())

    # Not a subscriber: the Heart is not in Alice's panel, and sending it anyway is refused, writing nothing.
    client.force_login(viewer)
    page = client.get(f"/@{creator.handle}/").content.decode()
    assert 'data-gift-name="Heart"' not in page and 'data-gift-name="Rose"' in page
    with nothing_written(), pytest.raises(GiftRefused, match="for Alice's subscribers"):
        gift_send(sender=viewer, creator=creator, gift=heart, live_session=live)
    # Other creators keep it for everyone.
    bob = make_creator("bob")
    assert 'data-gift-name="Heart"' in client.get(f"/@{bob.handle}/").content.decode()
    gift_send(sender=viewer, creator=bob, gift=heart)
    # A subscriber sees it marked, and may send it, in the live room too.
    subscription_start(subscriber=viewer, creator=creator)
    room = client.get(f"/live/{live.pk}/").content.decode()
    heart_label = room.split('data-gift-name="Heart"')[1].split("</label>")[0]
    assert "★ Subscribers only" in heart_label
    gift_send(sender=viewer, creator=creator, gift=heart, live_session=live)
    assert GiftSend.objects.filter(gift=heart).count() == 2


def test_only_gifts_on_sale_can_be_kept_for_subscribers(client, creator, plan, catalog):
    rose = catalog["rose"]
    rose.active = False
    rose.save()
    client.force_login(creator.user)
    response = client.post(
        "/subscriptions/plan/",
        {"name": "Front row", "coins_per_month": "100", "active": "on", "subscriber_gifts": [rose.pk, "nonsense"]},
    )
    assert response.status_code == 400
    assert "not a valid value" in response.content.decode() or "pick again" in response.content.decode()
    assert not plan.subscriber_gifts.exists()
