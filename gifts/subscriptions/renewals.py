"""Monthly renewals (Celery beat), the reminder before them, and lapsing with one email.

A renewal charges the price the subscriber agreed to (``Subscription.coins_per_month``); a raise they did not accept
ends the subscription with its period. Emails: a reminder is marked sent only once it went out, and one that fails
is tried again by the next run without stopping the others; the other emails go through a task that retries."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from coinshop.celery import task_enqueue
from notifications.models import NotificationKind
from notifications.services import notify
from wallet.selectors import wallet_balance_get
from wallet.services import (
    AccountClosed,
    InsufficientFunds,
)
from wallet.spending import SpendRefused, spend_check

from ..sending.services import leaderboards_changed
from .models import Subscription, SubscriptionStatus
from .services import _period_pay, day_text

logger = logging.getLogger(__name__)


def _renewal_problem(subscription: Subscription, now: datetime) -> str | None:
    plan = subscription.plan
    creator = plan.creator
    if subscription.price_offer_coins is not None:
        return (
            f"{creator.display_name} raised the price to {subscription.price_offer_coins:,} coins a month and you "
            "did not accept it, so the subscription ended with the month you paid for."
        )
    if not plan.active:
        return f"{creator.display_name} no longer offers a subscription."
    if not creator.user.is_active or creator.user.is_deleted:
        return f"{creator.display_name}'s account is closed."
    try:
        spend_check(
            user=subscription.subscriber, coins=subscription.coins_per_month, recipient_id=creator.user_id, now=now
        )
    except SpendRefused as refused:
        return refused.messages[0]
    return None


def subscription_renew(*, subscription_id: int, now: datetime | None = None) -> str:
    """Renew one subscription whose period has ended, once: "renewed", "lapsed" (one email), or "not due".

    The subscription row is locked for the decision; the period row and the ledger key are unique per period, so a
    second run (a duplicate beat, a redelivered task after a worker died) finds the renewal made and does nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("plan", "plan__creator", "plan__creator__user", "subscriber")
            .filter(pk=subscription_id)
            .first()
        )
        if (
            subscription is None
            or subscription.status != SubscriptionStatus.ACTIVE
            or subscription.next_renewal_at is None
            or subscription.next_renewal_at > now
        ):
            return "not due"
        period_start = subscription.current_period_end
        problem = _renewal_problem(subscription, now)
        period = None
        if problem is None:
            try:
                period = _period_pay(subscription=subscription, period_start=period_start, renewal=True, now=now)
            except InsufficientFunds:
                coins = subscription.coins_per_month
                problem = f"Not enough coins: the renewal costs {coins:,} coins."
            except AccountClosed:
                problem = f"{subscription.plan.creator.display_name} closed their account."
        if period is None:
            subscription.status = SubscriptionStatus.LAPSED
            subscription.next_renewal_at = None
            subscription.lapse_reason = (problem or "")[:255]
            subscription.save(update_fields=["status", "next_renewal_at", "lapse_reason", "updated_at"])
            leaderboards_changed(creator_id=subscription.plan.creator_id)
            transaction.on_commit(
                lambda: task_enqueue("gifts.tasks.subscription_email_task", subscription_id, "lapsed"), robust=True
            )
            notify(
                user_id=subscription.subscriber_id,
                kind=NotificationKind.SUBSCRIPTION,
                text=f"Your subscription to {subscription.plan.creator.display_name} ended. {problem or ''}",
                link=reverse("subscriptions"),
                dedupe_key=f"subscription-ended:{subscription.pk}:{period_start.isoformat()}",
            )
            return "lapsed"
        subscription.current_period_start = period.period_start
        subscription.current_period_end = period.period_end
        subscription.next_renewal_at = period.period_end
        subscription.save(update_fields=["current_period_start", "current_period_end", "next_renewal_at", "updated_at"])
        notify(
            user_id=subscription.subscriber_id,
            kind=NotificationKind.SUBSCRIPTION,
            text=f"Your subscription to {subscription.plan.creator.display_name} renewed for "
            f"{subscription.coins_per_month:,} coins, until {day_text(period.period_end)}.",
            link=reverse("subscriptions"),
            dedupe_key=f"subscription-renewed:{subscription.pk}:{period.period_start.isoformat()}",
        )
    return "renewed"


def subscription_reminders_send(*, now: datetime | None = None) -> int:
    """Email every active subscriber whose renewal is at most ``SUBSCRIPTION_REMINDER_DAYS`` away, once per renewal.

    Each reminder is marked sent only after it went out (in one transaction with the row locked, so two runs do not
    both send it); one that fails is logged, left unmarked for the next run, and the batch goes on."""
    now = now or timezone.now()
    due = Subscription.objects.filter(
        status=SubscriptionStatus.ACTIVE,
        next_renewal_at__gt=now,
        next_renewal_at__lte=now + timedelta(days=settings.SUBSCRIPTION_REMINDER_DAYS),
    ).exclude(reminder_sent_for=F("next_renewal_at"))
    sent = 0
    for pk, renewal_at in list(due.values_list("pk", "next_renewal_at")):
        try:
            sent += _reminder_send_once(subscription_id=pk, renewal_at=renewal_at)
        except Exception:  # one failed email never stops the batch: the next run tries it again
            logger.exception("Subscription reminder for subscription %s failed; the next run retries it", pk)
    return sent


def _reminder_send_once(*, subscription_id: int, renewal_at: datetime) -> int:
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=subscription_id, status=SubscriptionStatus.ACTIVE, next_renewal_at=renewal_at)
            .exclude(reminder_sent_for=renewal_at)
            .first()
        )
        if subscription is None:  # sent by another run meanwhile, or no longer due
            return 0
        _reminder_email_send(subscription_id=subscription_id)  # raises: rolled back, not marked sent
        subscription.reminder_sent_for = renewal_at
        subscription.save(update_fields=["reminder_sent_for", "updated_at"])
    return 1


def subscription_email_send(*, subscription_id: int, kind: str, base_url: str = "") -> None:
    """Send one subscription email (the task ``subscription_email_task`` retries it when it fails)."""
    if kind == "lapsed":
        _lapsed_email_send(subscription_id=subscription_id)
    elif kind == "price_raised":
        _price_raised_email_send(subscription_id=subscription_id, base_url=base_url)
    else:
        raise ValueError(f"no subscription email {kind!r}")


def _email(subscription: Subscription, template: str, subject: str, **extra: object) -> None:
    subscriber = subscription.subscriber
    if subscriber.is_deleted or not subscriber.email:
        return
    creator = subscription.plan.creator
    context = {
        "subscription": subscription,
        "plan": subscription.plan,
        "creator": creator,
        "balance": wallet_balance_get(user=subscriber.pk),
        **extra,
    }
    send_mail(
        subject=" ".join(subject.split()),  # a header is one line, whatever a display name holds
        message=render_to_string(f"emails/{template}.txt", context),
        html_message=render_to_string(f"emails/{template}.html", context),
        from_email=None,
        recipient_list=[subscriber.email],
    )


def _subscription_for_email(subscription_id: int) -> Subscription:
    return Subscription.objects.select_related("plan", "plan__creator", "subscriber").get(pk=subscription_id)


def _reminder_email_send(*, subscription_id: int) -> None:
    subscription = _subscription_for_email(subscription_id)
    name = subscription.plan.creator.display_name
    _email(subscription, "subscription_reminder", f"[Coinshop] Your subscription to {name} renews soon")


def _lapsed_email_send(*, subscription_id: int) -> None:
    subscription = _subscription_for_email(subscription_id)
    name = subscription.plan.creator.display_name
    _email(subscription, "subscription_lapsed", f"[Coinshop] Your subscription to {name} has lapsed")


def _price_raised_email_send(*, subscription_id: int, base_url: str) -> None:
    subscription = _subscription_for_email(subscription_id)
    if subscription.price_offer_coins is None:  # accepted, or the price came down again, before this went out
        return
    name = subscription.plan.creator.display_name
    accept_url = (base_url or settings.SITE_URL).rstrip("/") + reverse("subscription_price", args=[subscription.pk])
    _email(
        subscription,
        "subscription_price_raised",
        f"[Coinshop] {name} raised the price of your subscription: accept it to keep it",
        accept_url=accept_url,
    )
