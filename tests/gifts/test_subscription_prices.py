"""Issue 12: a subscription renews only at the price its subscriber agreed to. A raise is emailed with a link to
accept it; unaccepted, the subscription ends with its period (one email); a cut applies at once. Emails that fail are
retried and never marked sent, and one failure never stops the batch."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail

from gifts.models import Subscription, SubscriptionPeriod, SubscriptionStatus
from gifts.subscriptions.renewals import subscription_reminders_send, subscription_renew
from wallet.models import Asset
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


def _set_price(client, creator, coins: int):
    client.force_login(creator.user)
    return client.post(
        "/subscriptions/plan/", {"name": "Front row", "coins_per_month": coins, "active": "on"}, follow=True
    )


def _accept_link(message) -> str:
    found = re.search(r"https?://[^/\s]+(/subscriptions/\d+/price/)", message.body)
    assert found, message.body
    return found.group(1)


def test_a_raise_after_the_reminder_is_not_charged_and_ends_the_subscription_with_an_email(
    client, viewer, creator, fund, django_capture_on_commit_callbacks
):
    """The finding: 1 coin, subscribe, reminder, raised to 48,998, renewal took the whole balance."""
    assert _set_price(client, creator, 1).status_code == 200
    fund(viewer, 50_000)
    client.force_login(viewer)
    client.post(f"/@{creator.handle}/subscribe/")
    subscription = Subscription.objects.get()
    assert wallet_balance_get(user=viewer) == 49_999
    renewal = subscription.next_renewal_at
    assert subscription_reminders_send(now=renewal - timedelta(days=2)) == 1
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _set_price(client, creator, 48_998)
    [raised] = mail.outbox
    assert raised.to == [viewer.email]
    assert "48,998 coins a month" in raised.body and "nothing more is charged" in raised.body
    subscription.refresh_from_db()
    assert (subscription.coins_per_month, subscription.price_offer_coins) == (1, 48_998)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert subscription_renew(subscription_id=subscription.pk, now=renewal) == "lapsed"
    assert wallet_balance_get(user=viewer) == 49_999  # nothing charged
    assert SubscriptionPeriod.objects.count() == 1
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.LAPSED
    [lapsed] = mail.outbox
    assert "has lapsed" in lapsed.subject
    assert "raised the price to 48,998 coins a month and you did not accept it" in lapsed.body


def test_an_accepted_raise_is_charged_from_the_next_renewal(
    client, viewer, creator, fund, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://coinshop.example"
    _set_price(client, creator, 100)
    fund(viewer, 1_000)
    client.force_login(viewer)
    client.post(f"/@{creator.handle}/subscribe/")
    subscription = Subscription.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        _set_price(client, creator, 300)
    link = _accept_link(mail.outbox[-1])
    assert f"https://coinshop.example{link}" in mail.outbox[-1].body  # the site's address, not the request's host

    client.logout()
    assert client.get(link).status_code == 302  # after login only
    client.force_login(viewer)
    page = client.get(link).content.decode()
    assert "raised the price to <strong>300 coins a month</strong>" in page and 'id="accept-price"' in page
    # A price shown before another change is not accepted blindly.
    stale = client.post(link, {"coins": "250"}, follow=True)
    assert "The price changed while you were reading: it is now 300 coins a month." in stale.content.decode()
    subscription.refresh_from_db()
    assert subscription.coins_per_month == 100
    done = client.post(link, {"coins": "300"}, follow=True)
    assert "You accepted the new price" in done.content.decode()

    assert subscription_renew(subscription_id=subscription.pk, now=subscription.next_renewal_at) == "renewed"
    assert wallet_balance_get(user=viewer) == 1_000 - 100 - 300
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 400


def test_someone_elses_accept_link_is_not_found(client, make_user, viewer, creator, fund):
    _set_price(client, creator, 100)
    fund(viewer, 1_000)
    client.force_login(viewer)
    client.post(f"/@{creator.handle}/subscribe/")
    subscription = Subscription.objects.get()
    _set_price(client, creator, 300)
    client.force_login(make_user("other@example.com"))
    assert client.get(f"/subscriptions/{subscription.pk}/price/").status_code == 404
    assert client.post(f"/subscriptions/{subscription.pk}/price/", {"coins": "300"}).status_code == 404
    assert client.post(f"/subscriptions/{subscription.pk}/price/", {"coins": "x"}).status_code == 404
    subscription.refresh_from_db()
    assert subscription.coins_per_month == 100


def test_a_price_cut_applies_at_once_without_asking(client, viewer, creator, fund, django_capture_on_commit_callbacks):
    _set_price(client, creator, 100)
    fund(viewer, 1_000)
    client.force_login(viewer)
    client.post(f"/@{creator.handle}/subscribe/")
    subscription = Subscription.objects.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _set_price(client, creator, 40)
    assert mail.outbox == []
    assert subscription_renew(subscription_id=subscription.pk, now=subscription.next_renewal_at) == "renewed"
    assert wallet_balance_get(user=viewer) == 1_000 - 100 - 40


def test_a_name_with_a_newline_neither_stops_the_reminders_nor_shows_entities(
    make_user, make_creator, viewer, fund, monkeypatch
):
    from gifts.subscriptions.services import subscription_plan_set, subscription_start

    odd = make_creator("odd")
    odd.display_name = "Tom & Jerry's\nshow"
    odd.save()
    plain = make_creator("plain")
    for creator in (odd, plain):
        subscription_plan_set(creator=creator, coins_per_month=10)
    fund(viewer, 100)
    for creator in (odd, plain):
        subscription_start(subscriber=viewer, creator=creator)
    renewal = Subscription.objects.first().next_renewal_at
    assert subscription_reminders_send(now=renewal - timedelta(days=2)) == 2
    subjects = sorted(m.subject for m in mail.outbox)
    assert "[Coinshop] Your subscription to Tom & Jerry's show renews soon" in subjects
    body = next(m.body for m in mail.outbox if "Tom" in m.subject)
    assert "Tom & Jerry's" in body and "&amp;" not in body and "&#x27;" not in body


def test_a_failed_reminder_is_retried_by_the_next_run_and_the_batch_goes_on(make_creator, viewer, fund, monkeypatch):
    from gifts.subscriptions import renewals
    from gifts.subscriptions.services import subscription_plan_set, subscription_start

    creators = [make_creator(h) for h in ("first", "second")]
    for creator in creators:
        subscription_plan_set(creator=creator, coins_per_month=10)
    fund(viewer, 100)
    for creator in creators:
        subscription_start(subscriber=viewer, creator=creator)
    first = Subscription.objects.get(plan__creator=creators[0])
    renewal = first.next_renewal_at
    real = renewals._reminder_email_send

    def flaky(*, subscription_id: int) -> None:
        if subscription_id == first.pk:
            raise OSError("mail server down")
        real(subscription_id=subscription_id)

    monkeypatch.setattr(renewals, "_reminder_email_send", flaky)
    assert subscription_reminders_send(now=renewal - timedelta(days=2)) == 1
    assert len(mail.outbox) == 1
    first.refresh_from_db()
    assert first.reminder_sent_for is None  # not marked sent
    monkeypatch.setattr(renewals, "_reminder_email_send", real)
    assert subscription_reminders_send(now=renewal - timedelta(days=2, hours=-1)) == 1
    assert len(mail.outbox) == 2
    assert subscription_reminders_send(now=renewal - timedelta(days=1)) == 0


def test_a_failed_lapse_email_is_retried(viewer, creator, plan, fund, monkeypatch, django_capture_on_commit_callbacks):
    from coinshop.celery import app as celery_app
    from gifts.subscriptions import renewals
    from gifts.subscriptions.services import subscription_start

    fund(viewer, 100)
    subscription = subscription_start(subscriber=viewer, creator=creator)
    real = renewals._lapsed_email_send
    calls = {"n": 0}

    def flaky(*, subscription_id: int) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("mail server down")
        real(subscription_id=subscription_id)

    monkeypatch.setattr(renewals, "_lapsed_email_send", flaky)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)  # as a worker: a failure is retried
    with django_capture_on_commit_callbacks(execute=True):
        assert subscription_renew(subscription_id=subscription.pk, now=subscription.next_renewal_at) == "lapsed"
    assert calls["n"] == 2
    assert [m.subject for m in mail.outbox] == ["[Coinshop] Your subscription to Alice has lapsed"]
