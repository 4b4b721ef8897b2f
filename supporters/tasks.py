"""Thin Celery tasks: take ids, call a service. Safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError, transaction

from coinshop.celery import task_enqueue

from .services import LIVE_TASK, THANKS_TASK, followers_notify_live, gifts_received_notify, thank_everyone_batch


@shared_task(acks_late=True, reject_on_worker_lost=True)
def gifts_received_notify_task() -> int:
    """Beat: the creators' "gifts received" summaries since the last run."""
    return gifts_received_notify()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def followers_notify_live_task(session_id: int, after_follow_id: int = 0) -> int | None:
    """A creator went live: tell one batch of followers, then queue the next batch."""
    next_after = followers_notify_live(session_id=session_id, after_follow_id=after_follow_id)
    if next_after is not None:
        transaction.on_commit(lambda: task_enqueue(LIVE_TASK, session_id, next_after))
    return next_after


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=10,
)
def thank_everyone_task(creator_id: int, scope_key: str, note: str, up_to: int) -> bool:
    """Thank everyone: one batch of thank-yous, then queue the next batch."""
    more = thank_everyone_batch(creator_id=creator_id, scope_key=scope_key, note=note, up_to=up_to)
    if more:
        transaction.on_commit(lambda: task_enqueue(THANKS_TASK, creator_id, scope_key, note, up_to))
    return more
