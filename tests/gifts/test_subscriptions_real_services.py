"""Subscription renewals on the real stack (PostgreSQL, Redis broker, real Celery workers): each period is paid once
however often beat runs, a worker killed mid-renewal leaves it to be made once by the next worker, and a short
balance lapses the subscription with exactly one email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from gifts.models import Subscription, SubscriptionPeriod, SubscriptionStatus
from gifts.subscriptions.models import subscription_period_key
from gifts.subscriptions.services import subscription_start
from gifts.tasks import subscription_renew_task, subscriptions_renew_due_task
from wallet.models import Asset, LedgerTransaction
from wallet.selectors import wallet_balance_get

from ..concurrency import broker_idle, kill_worker_mid_task, start_worker, wait_for
from ..wallet.conftest import assert_ledger_ok

pytestmark = [pytest.mark.postgres, pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]


def _due(subscriber, creator, *, days_ago: int = 31) -> Subscription:
    """A subscription paid a month ago (so its renewal is due now)."""
    return subscription_start(subscriber=subscriber, creator=creator, now=timezone.now() - timedelta(days=days_ago))


def test_beat_running_twice_renews_each_subscription_once_and_a_short_balance_lapses_with_one_email(
    purged_broker, real_celery_worker, make_user, creator, plan, fund
):
    payers = [make_user(f"payer{i}@example.com") for i in range(4)]
    short = make_user("short@example.com")
    for person in payers:
        fund(person, 250)
        _due(person, creator)
    fund(short, 150)
    lapsing = _due(short, creator)
    mail.outbox.clear()

    # Beat fires twice for the same period (a duplicate schedule, a second beat): both queue renewals on the worker.
    subscriptions_renew_due_task.delay()
    subscriptions_renew_due_task.delay()
    wait_for(broker_idle, 60, "the worker to run both beat tasks and the renewals they queued")
    assert SubscriptionPeriod.objects.filter(renewal=True).count() == 4
    # And once more, every renewal again by hand: nothing changes.
    for subscription in Subscription.objects.all():
        subscription_renew_task.delay(subscription.pk)
    wait_for(broker_idle, 60, "the worker to run the repeated renewals")

    assert SubscriptionPeriod.objects.filter(renewal=True).count() == 4
    assert [wallet_balance_get(user=p) for p in payers] == [50, 50, 50, 50]
    assert wallet_balance_get(user=short) == 50  # nothing was charged for the lapsed month
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 100 * (5 + 4)
    lapsing.refresh_from_db()
    assert lapsing.status == SubscriptionStatus.LAPSED
    assert lapsing.lapse_reason == "Not enough coins: the renewal costs 100 coins."
    lapse_emails = [m for m in mail.outbox if m.subject == "[Coinshop] Your subscription to Alice has lapsed"]
    assert [m.to for m in lapse_emails] == [[short.email]]
    assert_ledger_ok()


def _hold_and_kill(subscription: Subscription, blocker, lock_query: str, name: str, workers) -> None:
    kill_worker_mid_task(
        enqueue=lambda: subscription_renew_task.delay(subscription.pk),
        blocker=blocker,
        lock_query=lock_query,
        name=name,
        workers=workers,
    )


def test_a_worker_killed_mid_renewal_leaves_it_to_the_next_worker_who_renews_once(
    purged_broker, workers, make_user, creator, plan, fund
):
    early, late = make_user("early@example.com"), make_user("late@example.com")
    for person in (early, late):
        fund(person, 1_000)
    kill_before_the_lock = _due(early, creator)
    kill_before_the_ledger = _due(late, creator)

    # Killed while waiting for the subscription's row lock (before anything is decided)...
    _hold_and_kill(
        kill_before_the_lock,
        lambda: Subscription.objects.select_for_update().get(pk=kill_before_the_lock.pk),
        "SELECT %gifts_subscription%",  # (the FOR UPDATE is past pg_stat_activity's 1 kB)
        "doomed-lock",
        workers,
    )
    kill_before_the_lock.refresh_from_db()
    assert kill_before_the_lock.periods.count() == 1, "the killed worker's renewal must not have been committed"
    # ...and while posting the period's ledger transaction (the period row written, not committed). The next worker
    # may first get the first renewal back (redelivered 3 s after its worker died) and make it: that is the point.
    period_start = kill_before_the_ledger.current_period_end
    key = subscription_period_key(subscription_id=kill_before_the_ledger.pk, period_start=period_start)
    _hold_and_kill(
        kill_before_the_ledger,
        lambda: LedgerTransaction.objects.create(kind="subscription", idempotency_key=key),
        "%wallet_ledgertransaction%",
        "doomed-ledger",
        workers,
    )
    kill_before_the_ledger.refresh_from_db()
    assert kill_before_the_ledger.periods.count() == 1, "the killed worker's renewal must not have been committed"

    workers.append(start_worker("rescuer"))  # the broker redelivers both unacknowledged tasks to it
    wait_for(
        lambda: SubscriptionPeriod.objects.filter(renewal=True).count() == 2, 60, "the redelivered renewals to be made"
    )
    subscription_renew_task.delay(kill_before_the_lock.pk)  # and a duplicate for good measure
    wait_for(broker_idle, 60, "every task to be done")
    for person, subscription in ((early, kill_before_the_lock), (late, kill_before_the_ledger)):
        subscription.refresh_from_db()
        assert subscription.periods.filter(renewal=True).count() == 1
        assert subscription.next_renewal_at > timezone.now() - timedelta(minutes=5)
        assert wallet_balance_get(user=person) == 800
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 400
    assert_ledger_ok()
