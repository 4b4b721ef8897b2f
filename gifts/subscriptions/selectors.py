"""Subscription reads: who subscribes now (one definition, ``subscription_current_q``), plans, renewals due."""

from __future__ import annotations

from datetime import datetime

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import CreatorProfile, User

from .models import Subscription, SubscriptionPlan, SubscriptionStatus


def subscription_current_q(now: datetime) -> Q:
    """THE definition of a current subscription (its benefits hold now): active (paid, or its renewal is being
    made), or cancelled but paid until a period end still ahead. Every question about it filters with this."""
    return Q(status=SubscriptionStatus.ACTIVE) | Q(status=SubscriptionStatus.CANCELLED, current_period_end__gt=now)


def subscriptions_annotated(*, at: datetime | None = None) -> QuerySet[Subscription]:
    """Subscriptions, each with ``is_current`` (``subscription_current_q``) read in the same statement."""
    current = ExpressionWrapper(subscription_current_q(at or timezone.now()), output_field=BooleanField())
    return Subscription.objects.annotate(is_current=current)


def subscribed_exists(*, creator_id: int, person: str, at: datetime | None = None) -> Exists:
    """An ``Exists`` to annotate rows with: does the person in column ``person`` subscribe to the creator now?"""
    return Exists(
        Subscription.objects.filter(subscription_current_q(at or timezone.now()), plan__creator_id=creator_id).filter(
            subscriber_id=OuterRef(person)
        )
    )


def subscriber_is_current(*, subscriber: User, creator: CreatorProfile, at: datetime | None = None) -> bool:
    """Whether ``subscriber`` has a subscription to ``creator`` whose benefits hold now (badge, subscriber gifts)."""
    if not subscriber.is_authenticated:
        return False
    return Subscription.objects.filter(
        subscription_current_q(at or timezone.now()), plan__creator=creator, subscriber=subscriber
    ).exists()


def subscription_plan_get(*, creator: CreatorProfile) -> SubscriptionPlan | None:
    return SubscriptionPlan.objects.filter(creator=creator).first()


def subscription_get(*, subscriber: User, creator: CreatorProfile) -> Subscription | None:
    """A person's subscription to a creator (whatever its status), with its plan and ``is_current``."""
    if not subscriber.is_authenticated:
        return None
    return (
        subscriptions_annotated()
        .filter(subscriber=subscriber, plan__creator=creator)
        .select_related("plan", "plan__creator")
        .first()
    )


def subscription_list(*, subscriber: User) -> list[Subscription]:
    return list(
        Subscription.objects.filter(subscriber=subscriber)
        .select_related("plan", "plan__creator")
        .order_by("status", "current_period_end")
    )


def subscriber_count(*, creator: CreatorProfile, at: datetime | None = None) -> int:
    return Subscription.objects.filter(subscription_current_q(at or timezone.now()), plan__creator=creator).count()


def subscriptions_due_ids(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Active subscriptions whose period has ended: each needs its renewal (oldest first)."""
    now = now or timezone.now()
    return list(
        Subscription.objects.filter(status=SubscriptionStatus.ACTIVE, next_renewal_at__lte=now)
        .order_by("next_renewal_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
