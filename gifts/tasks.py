"""Thin Celery tasks: take ids, call a service. Every one is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from .sending.services import gift_sends_finalize
from .subscriptions.renewals import subscription_email_send, subscription_reminders_send, subscription_renew
from .subscriptions.selectors import subscriptions_due_ids


@shared_task(acks_late=True, reject_on_worker_lost=True)
def gift_sends_finalize_task() -> int:
    return gift_sends_finalize()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def live_sessions_end_idle_task() -> int:
    """Beat, and after each stopped stream: end the live sessions whose video did not come back in time."""
    from .live.ingest import live_sessions_end_idle

    return live_sessions_end_idle()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def subscriptions_renew_due_task() -> int:
    """Beat: queue a renewal for every subscription whose period has ended (each renews once, however often)."""
    due = subscriptions_due_ids()
    for subscription_id in due:
        transaction.on_commit(lambda pk=subscription_id: subscription_renew_task.delay(pk))  # type: ignore[misc]
    return len(due)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def subscription_renew_task(subscription_id: int) -> str:
    return subscription_renew(subscription_id=subscription_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def subscription_reminders_send_task() -> int:
    return subscription_reminders_send()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=8,
)
def subscription_email_task(subscription_id: int, kind: str, base_url: str = "") -> None:
    """A subscription email ("lapsed", "price_raised"): a failure (the mail server, a bad address) is retried."""
    subscription_email_send(subscription_id=subscription_id, kind=kind, base_url=base_url)
