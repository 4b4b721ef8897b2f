"""Creator subscriptions paid in coins: plans, subscriptions, paid periods."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import CreatorProfile

from ..catalog.models import Gift


class SubscriptionPlan(models.Model):
    """A creator's monthly subscription, priced in coins (one tier per creator). ``active``: open to subscribers and
    renewing; a creator who stops offering it lets current periods run out."""

    creator = models.OneToOneField(CreatorProfile, on_delete=models.PROTECT, related_name="subscription_plan")
    name = models.CharField(max_length=60, default="Supporter")
    coins_per_month = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    subscriber_gifts = models.ManyToManyField(
        Gift,
        blank=True,
        related_name="+",
        help_text="Gifts the creator keeps for subscribers: on their page and in their live rooms only subscribers "
        "can send these (besides the gifts staff mark subscriber-only everywhere).",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["creator_id"]
        constraints = [models.CheckConstraint(condition=Q(coins_per_month__gt=0), name="plan_price_positive")]

    def __str__(self) -> str:
        return f"{self.name} of @{self.creator_id} ({self.coins_per_month} coins a month)"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled (runs until the period ends)"
    LAPSED = "lapsed", "Lapsed"


class Subscription(models.Model):
    """One person's subscription to one creator's plan; resubscribing reuses this row.

    Paid through ``current_period_end``. ``next_renewal_at`` is set only while active: Celery beat renews it then.
    A cancelled subscription keeps its benefits until the period ends; a lapsed one (coins were short) has none.
    """

    subscriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(SubscriptionPlan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    next_renewal_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_for = models.DateTimeField(
        null=True, blank=True, help_text="The renewal date the three-days-before email was sent for."
    )
    lapse_reason = models.CharField(max_length=255, blank=True)
    coins_per_month = models.PositiveIntegerField(
        help_text="The price the subscriber agreed to: every renewal charges this, whatever the plan says now."
    )
    price_offer_coins = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="A raised price the subscriber was asked to accept; unaccepted at the renewal, the subscription "
        "ends with the period.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "plan"], name="subscription_one_per_person_plan"),
            models.CheckConstraint(
                condition=Q(current_period_end__gt=F("current_period_start")), name="subscription_period_positive"
            ),
            models.CheckConstraint(
                condition=Q(status="active", next_renewal_at__isnull=False)
                | (~Q(status="active") & Q(next_renewal_at__isnull=True)),
                name="subscription_renews_only_when_active",
            ),
            models.CheckConstraint(condition=Q(coins_per_month__gt=0), name="subscription_agreed_price_positive"),
            models.CheckConstraint(
                condition=Q(price_offer_coins__isnull=True) | Q(price_offer_coins__gt=F("coins_per_month")),
                name="subscription_offer_is_a_raise",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_renewal_at"])]

    def __str__(self) -> str:
        return f"user {self.subscriber_id} -> plan {self.plan_id} ({self.status})"


class SubscriptionPeriod(models.Model):
    """One paid month (the business row of its ledger transaction). Unique per period: a renewal happens once."""

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="periods")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    coins = models.PositiveIntegerField(help_text="Coins paid for this period (the plan's price then).")
    diamonds = models.PositiveIntegerField(help_text="Diamonds credited to the creator (the rate snapshotted).")
    renewal = models.BooleanField(default=False, help_text="Paid by an automatic renewal (not by the person).")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period_start"], name="subscription_period_once"),
            models.CheckConstraint(condition=Q(coins__gt=0), name="subscription_period_coins_positive"),
        ]

    def __str__(self) -> str:
        return f"subscription {self.subscription_id} {self.period_start:%Y-%m-%d}"

    @property
    def idempotency_key(self) -> str:
        return subscription_period_key(subscription_id=self.subscription_id, period_start=self.period_start)


def subscription_period_key(*, subscription_id: int, period_start: object) -> str:
    """The ledger idempotency key of one period: made from the subscription and the period, never from a clock."""
    return f"subscription-{subscription_id}-{period_start:%Y%m%dT%H%M%S%f}"
