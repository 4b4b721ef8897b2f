"""Thin Celery tasks: take ids, call a service. Safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .services import notification_email_send


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=8,
)
def notification_email_task(email_id: int) -> bool:
    """One notification email: a failure (the mail server, a bad address) is retried; it is marked sent only once
    it went out."""
    return notification_email_send(email_id=email_id)
