"""Creator subscriptions paid in coins: subscribe, cancel (runs to the period end), resume, monthly renewals by
Celery beat, the reminder three days before, and lapsing (with one email) when coins are short.

Every paid month is a ``SubscriptionPeriod`` row, unique per (subscription, period start), and one ledger
transaction whose idempotency key is made from that pair: a renewal that runs twice, or again after a worker died
mid-run, pays each period once. Coins move like a gift's: the subscriber's COIN to the sink, the creator's
DIAMOND credited from diamond issuance."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreatorProfile, User
from coinshop.celery import task_enqueue
from notifications.models import NotificationKind
from notifications.services import notify_many
from wallet.models import Asset, SystemAccount, TransactionKind
from wallet.services import (
    AccountClosed,
    InsufficientFunds,
    Posting,
    ledger_account_for_user,
    ledger_system_account,
    ledger_transaction_post,
)
from wallet.spending import spend_check

from ..catalog.models import Gift
from ..live.events import live_badge_published
from ..sending.services import gift_diamonds_for, leaderboards_changed
from .models import (
    Subscription,
    SubscriptionPeriod,
    SubscriptionPlan,
    SubscriptionStatus,
    subscription_period_key,
)
from .selectors import subscription_current_q, subscriptions_annotated


class SubscriptionRefused(ValidationError):
    """A subscription change that may not happen, with the reason in words. Nothing was written."""


def period_end_for(*, start: datetime) -> datetime:
    """One calendar month after ``start`` (the 31st becomes the month's last day)."""
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def day_text(at: datetime) -> str:
    """ "March 5, 2027" (UTC, as every date in emails and pages)."""
    return f"{at:%B} {at.day}, {at.year}"


def subscription_plan_set(
    *,
    creator: CreatorProfile,
    coins_per_month: int,
    active: bool = True,
    name: str = "",
    subscriber_gifts: Iterable[Gift] | None = None,
    base_url: str = "",
    now: datetime | None = None,
) -> SubscriptionPlan:
    """Offer (or change, or stop offering) the creator's monthly subscription. A new price applies to new
    subscribers at once. Current subscribers renew at the price they agreed to: a lower price applies to them at
    once; a higher one only once each accepts it (an email asks, ``subscription_price_accept``), and a subscription
    whose raise is not accepted by its renewal ends with its period. ``base_url``: this site's address, for the
    email's link (default ``SITE_URL``: never the address a request happened to come in on).
    ``subscriber_gifts``: the gifts only subscribers may send this creator (None: leave them)."""
    if type(coins_per_month) is not int or not 1 <= coins_per_month <= settings.SUBSCRIPTION_MAX_COINS:
        raise SubscriptionRefused(f"Choose a monthly price from 1 to {settings.SUBSCRIPTION_MAX_COINS:,} coins.")
    if not creator.user.is_adult:
        raise SubscriptionRefused("You must be 18 or older to earn from subscriptions.")
    name = name.strip()[:60] or "Supporter"
    gifts = None if subscriber_gifts is None else list(subscriber_gifts)
    if gifts is not None and any(not g.active for g in gifts):
        raise SubscriptionRefused("Only gifts on sale can be kept for subscribers.")
    with transaction.atomic():
        plan, _ = SubscriptionPlan.objects.update_or_create(
            creator=creator, defaults={"coins_per_month": coins_per_month, "active": active, "name": name}
        )
        if gifts is not None:
            plan.subscriber_gifts.set(gifts)
        _current_subscribers_reprice(plan=plan, base_url=base_url, now=now or timezone.now())
    return plan


def _current_subscribers_reprice(*, plan: SubscriptionPlan, base_url: str, now: datetime) -> None:
    """The plan's price is now ``plan.coins_per_month``: a cut (or a raise taken back) applies at once to every
    current subscriber; a raise is offered to those who pay less, each emailed once per new price."""
    price = plan.coins_per_month
    current = Subscription.objects.filter(subscription_current_q(now), plan=plan)
    current.filter(coins_per_month__gte=price).update(coins_per_month=price, price_offer_coins=None, updated_at=now)
    current.filter(coins_per_month__lt=price, price_offer_coins__gt=price).update(
        price_offer_coins=price, updated_at=now
    )
    asked = list(
        current.filter(coins_per_month__lt=price)
        .filter(Q(price_offer_coins__isnull=True) | Q(price_offer_coins__lt=price))
        .values_list("pk", flat=True)
    )
    Subscription.objects.filter(pk__in=asked).update(price_offer_coins=price, updated_at=now)
    if asked:
        notify_many(
            user_ids=Subscription.objects.filter(pk__in=asked).values_list("subscriber_id", flat=True),
            kind=NotificationKind.SUBSCRIPTION,
            text=f"{plan.creator.display_name} raised the price to {price:,} coins a month: accept it to keep "
            "your subscription after this month.",
            link=reverse("subscriptions"),
        )
    for subscription_id in asked:
        transaction.on_commit(
            lambda pk=subscription_id: task_enqueue(  # type: ignore[misc]
                "gifts.tasks.subscription_email_task", pk, "price_raised", base_url
            ),
            robust=True,
        )


def subscription_price_accept(*, subscription: Subscription, by: User, coins: object) -> Subscription:
    """The subscriber accepts the raised price they were offered (``coins``: the price the page showed them):
    renewals charge it from now on. Refused, with nothing written, when the offer is gone or no longer that price."""
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("plan").get(pk=subscription.pk)
        if subscription.subscriber_id != by.pk:
            raise SubscriptionRefused("Only the subscriber can accept a new price.")
        offer = subscription.price_offer_coins
        if offer is None:
            raise SubscriptionRefused(
                f"There is no new price to accept: your subscription renews at {subscription.coins_per_month:,} "
                "coins a month.",
                code="no_offer",
            )
        if coins != offer:
            raise SubscriptionRefused(
                f"The price changed while you were reading: it is now {offer:,} coins a month. Look again before "
                "you accept.",
                code="changed",
            )
        subscription.coins_per_month = offer
        subscription.price_offer_coins = None
        subscription.save(update_fields=["coins_per_month", "price_offer_coins", "updated_at"])
    return subscription


def _period_pay(
    *, subscription: Subscription, period_start: datetime, renewal: bool, now: datetime
) -> SubscriptionPeriod:
    """Record one paid period and post its ledger transaction (inside the caller's transaction).

    Raises ``InsufficientFunds`` (and writes nothing) when the subscriber's coins are short, ``AccountClosed`` when
    the creator's account closed after the caller's checks.
    """
    plan = subscription.plan
    coins = subscription.coins_per_month  # the price the subscriber agreed to, never the plan's newer one
    diamonds = gift_diamonds_for(coins=coins)
    with transaction.atomic():
        period = SubscriptionPeriod.objects.create(
            subscription=subscription,
            period_start=period_start,
            period_end=period_end_for(start=period_start),
            coins=coins,
            diamonds=diamonds,
            renewal=renewal,
            created_at=now,
        )
        ledger_transaction_post(
            kind=TransactionKind.SUBSCRIPTION,
            idempotency_key=subscription_period_key(subscription_id=subscription.pk, period_start=period_start),
            postings=[
                Posting(ledger_account_for_user(user=subscription.subscriber_id, asset=Asset.COIN), -coins),
                Posting(ledger_system_account(code=SystemAccount.COIN_SINK), coins),
                Posting(ledger_account_for_user(user=plan.creator.user_id, asset=Asset.DIAMOND), diamonds),
                Posting(ledger_system_account(code=SystemAccount.DIAMOND_ISSUANCE), -diamonds),
            ],
            reference=("subscription_period", period.pk),
            memo=f"{plan.name} subscription to @{plan.creator.handle}, {period_start:%Y-%m-%d}",
            refuse_closed=True,  # the creator closed their account meanwhile: ``AccountClosed``, nothing written
        )
    return period


def _start_problem(*, subscriber: User, creator: CreatorProfile, plan: SubscriptionPlan | None) -> str | None:
    """Why the creator's plan cannot be taken now (the person's own rules are ``spend_check``'s)."""
    if plan is None or not plan.active or not creator.user.is_active:
        return f"{creator.display_name} does not offer a subscription right now."
    return None


def subscription_start(*, subscriber: User, creator: CreatorProfile, now: datetime | None = None) -> Subscription:
    """Subscribe to ``creator``: pay the first month now. Also resumes: a cancelled subscription whose month is still
    running goes on without a charge; a lapsed (or ended) one starts a new month, paid now."""
    now = now or timezone.now()
    plan = SubscriptionPlan.objects.filter(creator=creator).first()
    spend_check(user=subscriber, coins=plan.coins_per_month if plan else 0, recipient_id=creator.user_id, now=now)
    problem = _start_problem(subscriber=subscriber, creator=creator, plan=plan)
    if problem or plan is None:
        raise SubscriptionRefused(problem or f"{creator.display_name} does not offer a subscription right now.")
    plan.creator = creator
    try:
        with transaction.atomic():
            subscription = (
                subscriptions_annotated(at=now).select_for_update().filter(subscriber=subscriber, plan=plan).first()
            )
            if subscription is not None and subscription.is_current:  # type: ignore[attr-defined]
                if subscription.status == SubscriptionStatus.ACTIVE:
                    raise SubscriptionRefused(
                        f"You already subscribe to {creator.display_name}; it renews on "
                        f"{day_text(subscription.current_period_end)}.",
                        code="already",
                    )
                subscription.status = SubscriptionStatus.ACTIVE  # cancelled, month still running: just resume
                subscription.next_renewal_at = subscription.current_period_end
                subscription.lapse_reason = ""
                subscription.save(update_fields=["status", "next_renewal_at", "lapse_reason", "updated_at"])
                leaderboards_changed(creator_id=creator.pk)
                return subscription
            end = period_end_for(start=now)
            if subscription is None:
                subscription = Subscription.objects.create(
                    subscriber=subscriber,
                    plan=plan,
                    current_period_start=now,
                    current_period_end=end,
                    next_renewal_at=end,
                    coins_per_month=plan.coins_per_month,
                    created_at=now,
                )
            else:
                subscription.status = SubscriptionStatus.ACTIVE
                subscription.current_period_start = now
                subscription.current_period_end = end
                subscription.next_renewal_at = end
                subscription.lapse_reason = ""
                subscription.coins_per_month = plan.coins_per_month  # a new month: today's price, agreed now
                subscription.price_offer_coins = None
                subscription.save()
            _period_pay(subscription=subscription, period_start=now, renewal=False, now=now)
            leaderboards_changed(creator_id=creator.pk)  # the subscriber badge
            transaction.on_commit(lambda: live_badge_published(creator_id=creator.pk, person=subscriber))
    except AccountClosed as exc:
        raise SubscriptionRefused(f"{creator.display_name} does not offer a subscription right now.") from exc
    except InsufficientFunds as exc:
        raise SubscriptionRefused(
            f"Not enough coins: a month of {creator.display_name}'s subscription costs {plan.coins_per_month:,} "
            "coins. Recharge to subscribe.",
            code="insufficient_funds",
        ) from exc
    except IntegrityError as exc:  # the same person subscribed at the same moment in another tab: that one stands
        raise SubscriptionRefused(f"You already subscribe to {creator.display_name}.", code="already") from exc
    return subscription


def subscription_cancel(*, subscription: Subscription, by: User, now: datetime | None = None) -> Subscription:
    """Stop renewing. The subscriber keeps the benefits until the period they paid for ends."""
    now = now or timezone.now()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if subscription.subscriber_id != by.pk:
            raise SubscriptionRefused("Only the subscriber can cancel a subscription.")
        if subscription.status == SubscriptionStatus.LAPSED:
            raise SubscriptionRefused("This subscription has already lapsed: there is nothing to cancel.")
        if subscription.status == SubscriptionStatus.ACTIVE:
            subscription.status = SubscriptionStatus.CANCELLED
            subscription.next_renewal_at = None
            subscription.save(update_fields=["status", "next_renewal_at", "updated_at"])
    return subscription


def subscription_resume(*, subscription: Subscription, by: User, now: datetime | None = None) -> Subscription:
    """Undo a cancellation (free while the month runs) or resume a lapsed subscription (a new month, paid now)."""
    if subscription.subscriber_id != by.pk:
        raise SubscriptionRefused("Only the subscriber can resume a subscription.")
    creator = CreatorProfile.objects.select_related("user").get(pk=subscription.plan.creator_id)
    return subscription_start(subscriber=by, creator=creator, now=now)


SUBSCRIBER_CLOSED = "You closed your account."
CREATOR_CLOSED = "The creator closed their account."


def subscriptions_end_now(
    *, person: User, now: datetime | None = None
) -> tuple[list[Subscription], list[Subscription]]:
    """An account closes: end at once, with no refund and no renewal, every current subscription ``person`` holds
    and, when they are a creator, their plan and every subscription to it. Each becomes lapsed with the reason its
    subscriber sees. Inside the caller's transaction; returns (the person's own ended, their subscribers' ended)."""
    now = now or timezone.now()
    current = (
        Subscription.objects.filter(subscription_current_q(now))
        .filter(Q(subscriber=person) | Q(plan__creator__user=person))
        .select_for_update(of=("self",))
        .select_related("plan")
        .order_by("pk")
    )
    own: list[Subscription] = []
    fans: list[Subscription] = []
    for subscription in current:
        mine = subscription.subscriber_id == person.pk
        subscription.status = SubscriptionStatus.LAPSED
        subscription.next_renewal_at = None
        subscription.lapse_reason = SUBSCRIBER_CLOSED if mine else CREATOR_CLOSED
        subscription.save(update_fields=["status", "next_renewal_at", "lapse_reason", "updated_at"])
        (own if mine else fans).append(subscription)
    SubscriptionPlan.objects.filter(creator__user=person).update(active=False)
    for creator_id in sorted({s.plan.creator_id for s in own + fans}):
        leaderboards_changed(creator_id=creator_id)  # subscriber badges
    return own, fans
