"""Follows, thank-yous, and where the "gifts received" summaries got to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import CreatorProfile
from gifts.models import LiveSession
from videos.models import Video


class Follow(models.Model):
    """A person follows a creator (free; not a subscription): they hear when the creator goes live."""

    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    creator = models.ForeignKey(CreatorProfile, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["follower", "creator"], name="follow_once")]
        indexes = [models.Index(fields=["creator", "id"])]

    def __str__(self) -> str:
        return f"{self.follower_id} follows @{self.creator_id}"


class ThankYou(models.Model):
    """A creator thanked someone who gifted them in a live session or on a video. ``anonymous``: for the gifts they
    sent anonymously (a separate thank-you, so thanking one never tells the creator who the other is)."""

    creator = models.ForeignKey(CreatorProfile, on_delete=models.CASCADE, related_name="thank_yous")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thank_yous")
    live_session = models.ForeignKey(LiveSession, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    video = models.ForeignKey(Video, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    anonymous = models.BooleanField(default=False)
    note = models.CharField(max_length=280, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(live_session__isnull=False, video__isnull=True)
                | Q(live_session__isnull=True, video__isnull=False),
                name="thank_you_for_a_session_or_a_video",
            ),
            models.UniqueConstraint(
                fields=["recipient", "live_session", "anonymous"],
                condition=Q(live_session__isnull=False),
                name="thank_once_per_session",
            ),
            models.UniqueConstraint(
                fields=["recipient", "video", "anonymous"],
                condition=Q(video__isnull=False),
                name="thank_once_per_video",
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.creator_id} thanked {self.recipient_id}"


class GiftNoticeCursor(models.Model):
    """One row: the last gift the creators' "gifts received" summaries have counted."""

    last_gift_send_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"gifts counted up to {self.last_gift_send_id}"
