"""Creators' videos: the upload (its original), the web copy and poster made by ``tasks.video_process_task``, and
the gifts sent on a video (``VideoGift``, beside ``gifts.GiftSend`` so the gifts app does not know about videos).

Files are not ``FileField``s: each name is a name in the ``videos`` storage (``settings.STORAGES["videos"]``), which
is never served directly; ``views.video_file`` and ``views.video_poster`` check who may see them first.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreatorProfile
from gifts.models import GiftSend


class Audience(models.TextChoices):
    PUBLIC = "public", "Everyone"
    SUBSCRIBERS = "subscribers", "Subscribers only"


class VideoStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Video(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="videos")
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=2000, blank=True)
    audience = models.CharField(max_length=12, choices=Audience.choices, default=Audience.PUBLIC)
    status = models.CharField(max_length=10, choices=VideoStatus.choices, default=VideoStatus.PROCESSING)
    failure_reason = models.CharField(max_length=300, blank=True)
    uploaded_filename = models.CharField(max_length=255, blank=True, help_text="The file's name on the creator's side.")
    original_name = models.CharField(max_length=255, blank=True, help_text="The upload, in the videos storage.")
    web_name = models.CharField(max_length=255, blank=True, help_text="The H.264/AAC MP4 copy that is played.")
    poster_name = models.CharField(max_length=255, blank=True, help_text="The poster frame (JPEG).")
    duration_seconds = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(help_text="The upload's size.")
    processing_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker took the conversion (a lease: another waits until it ends)."
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["creator", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(status="ready") | ~Q(web_name=""), name="video_ready_has_web_copy"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (@{self.creator_id}, {self.status})"

    def get_absolute_url(self) -> str:
        return reverse("video_page", args=[self.public_id])

    @property
    def is_ready(self) -> bool:
        return self.status == VideoStatus.READY

    @property
    def for_subscribers(self) -> bool:
        return self.audience == Audience.SUBSCRIBERS

    @property
    def duration_label(self) -> str:
        if self.duration_seconds is None:
            return ""
        total = round(self.duration_seconds)
        hours, rest = divmod(total, 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class VideoGift(models.Model):
    """A gift sent on a video: the ``GiftSend`` (coins, diamonds, the ledger) is the gifts app's; this row says which
    video it was sent on. Written in the same database transaction as the send (``services.video_gift_send``)."""

    video = models.ForeignKey(Video, on_delete=models.PROTECT, related_name="gifts")
    gift_send = models.OneToOneField(GiftSend, on_delete=models.PROTECT, related_name="video_gift")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["video", "id"])]

    def __str__(self) -> str:
        return f"gift {self.gift_send_id} on video {self.video_id}"
