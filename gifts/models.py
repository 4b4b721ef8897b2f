"""Gift catalog, events (sale windows), live sessions, and the record of every gift sent.

A gift's coins and diamonds move in one ledger transaction (``wallet.services``); ``GiftSend`` is the business row
that transaction refers to.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreatorProfile, GiftVisibility


class Event(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(unique=True)
    banner = models.CharField(max_length=200, blank=True, help_text="A short line shown on the banner.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start")]

    def __str__(self) -> str:
        return self.name

    def is_on(self, at: object = None) -> bool:
        now = at or timezone.now()
        return bool(self.starts_at <= now < self.ends_at)  # type: ignore[operator]


class Gift(models.Model):
    name = models.CharField(max_length=60)
    slug = models.SlugField(unique=True)
    coin_cost = models.PositiveIntegerField()
    artwork = models.CharField(max_length=200, help_text="Path under static/, e.g. gifts/rose.svg")
    active = models.BooleanField(default=True)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="gifts")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["coin_cost", "sort_order"]
        constraints = [models.CheckConstraint(condition=Q(coin_cost__gt=0), name="gift_cost_positive")]

    def __str__(self) -> str:
        return f"{self.name} ({self.coin_cost} coins)"


class LiveSession(models.Model):
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="live_sessions")
    title = models.CharField(max_length=120)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["creator"], condition=Q(ended_at__isnull=True), name="one_live_session_per_creator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (@{self.creator_id})"

    def get_absolute_url(self) -> str:
        return reverse("live_room", kwargs={"session_id": self.pk})

    @property
    def is_live(self) -> bool:
        return self.ended_at is None


class GiftSendStatus(models.TextChoices):
    UNDOABLE = "undoable", "Can still be cancelled"
    FINAL = "final", "Final"
    CANCELLED = "cancelled", "Cancelled"


class GiftSend(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gifts_sent")
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="gifts_received")
    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="sends")
    live_session = models.ForeignKey(
        LiveSession, null=True, blank=True, on_delete=models.PROTECT, related_name="gift_sends"
    )
    quantity = models.PositiveIntegerField()
    coins = models.PositiveIntegerField(help_text="Coins paid: gift cost x quantity, at the time of sending.")
    diamonds = models.PositiveIntegerField(help_text="Diamonds credited to the creator (the rate snapshotted).")
    visibility = models.CharField(max_length=10, choices=GiftVisibility.choices)
    status = models.CharField(max_length=10, choices=GiftSendStatus.choices, default=GiftSendStatus.FINAL)
    undo_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="gift_send_quantity_positive"),
            models.CheckConstraint(condition=Q(coins__gt=0), name="gift_send_coins_positive"),
            models.CheckConstraint(condition=~Q(status="undoable") | Q(undo_until__isnull=False), name="undo_deadline"),
        ]
        indexes = [
            models.Index(fields=["creator", "created_at"]),
            models.Index(fields=["live_session", "id"]),
            models.Index(fields=["sender", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.gift_id} to @{self.creator_id}"

    @property
    def is_anonymous(self) -> bool:
        return self.visibility == GiftVisibility.ANONYMOUS
