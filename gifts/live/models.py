"""Live sessions, stream keys and gift goals."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreatorProfile

from ..catalog.models import Gift


class LiveSession(models.Model):
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="live_sessions")
    title = models.CharField(max_length=120)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # True while the creator's encoder publishes to the RTMP ingest (nginx's on_publish .. on_publish_done); when it
    # stopped last: the session ends LIVE_INGEST_GRACE_SECONDS later unless the stream comes back.
    streaming = models.BooleanField(default=False)
    stream_stopped_at = models.DateTimeField(null=True, blank=True)

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


class StreamKey(models.Model):
    """A creator's secret RTMP stream key (what OBS sends as the stream name). Rotating replaces it: the old one
    stops working at once. Shown only after a fresh 2FA code."""

    creator = models.OneToOneField(CreatorProfile, on_delete=models.CASCADE, related_name="stream_key")
    key = models.CharField(max_length=64, unique=True)
    # The secret in the creator's alerts overlay URL (an OBS browser source), rotatable on its own.
    overlay_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"stream key of @{self.creator_id}"


class GoalKind(models.TextChoices):
    COINS = "coins", "Coins"
    GIFTS = "gifts", "A number of one gift"


class GiftGoal(models.Model):
    """A creator's gift goal ("1,000 coins for a new song"): what counts are the gifts (not cancelled) to the creator
    from ``starts_at`` until the deadline, if any. One open goal per creator; reaching it is announced once."""

    creator = models.ForeignKey(CreatorProfile, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=GoalKind.choices, default=GoalKind.COINS)
    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, null=True, blank=True)
    target = models.PositiveIntegerField()
    starts_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(null=True, blank=True)
    reached_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # replaced by another goal, or removed

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(target__gt=0), name="goal_target_positive"),
            models.CheckConstraint(
                condition=Q(kind=GoalKind.COINS, gift__isnull=True) | Q(kind=GoalKind.GIFTS, gift__isnull=False),
                name="goal_gift_only_for_gift_goals",
            ),
            models.UniqueConstraint(fields=["creator"], condition=Q(closed_at__isnull=True), name="one_open_goal"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (@{self.creator_id})"
