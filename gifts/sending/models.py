"""Gifts sent: one row per gift, with its coins and diamonds."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import CreatorProfile, GiftVisibility

from ..catalog.models import Gift
from ..live.models import LiveSession


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
    effect = models.ForeignKey(
        "ShopItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Effect applied."
    )
    status = models.CharField(max_length=10, choices=GiftSendStatus.choices, default=GiftSendStatus.FINAL)
    undo_until = models.DateTimeField(null=True, blank=True)
    flagged = models.BooleanField(
        default=False,
        help_text="Sent by a fresh account to a fresh creator (``gifts.sending.velocity``): payouts hold such diamonds "
        "for review instead of approving them automatically.",
    )
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


class CreatorGiftReview(models.Model):
    """A creator on the staff review list: fresh accounts sent them gifts faster than the velocity limits allow
    (``gifts.sending.velocity``). One row per creator; listed again, the same row opens again. Staff clear it
    (audited) once they have looked; gifts from fresh accounts then count again from that moment."""

    creator = models.OneToOneField(CreatorProfile, on_delete=models.PROTECT, related_name="gift_review")
    reason = models.CharField(max_length=255)
    listed_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-listed_at"]
        verbose_name = "creator on the gift review list"
        verbose_name_plural = "creators on the gift review list"

    def __str__(self) -> str:
        return f"@{self.creator_id} ({'cleared' if self.is_cleared else 'to review'})"

    @property
    def is_cleared(self) -> bool:
        return self.cleared_at is not None and self.cleared_at >= self.listed_at
