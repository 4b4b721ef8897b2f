"""Creators' posts: text, an optional image (kept in the private videos storage) or one of their videos, for everyone,
for subscribers, or for supporters who gifted at least ``min_coins`` in the last ``window_days`` days."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreatorProfile
from videos.models import Video


class PostAudience(models.TextChoices):
    EVERYONE = "everyone", "Everyone"
    SUBSCRIBERS = "subscribers", "Subscribers only"
    SUPPORTERS = "supporters", "Supporters who gifted a set amount recently"


class Post(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="posts")
    text = models.TextField()
    teaser = models.CharField(max_length=200, blank=True, help_text="Shown to everyone, also while the post is locked.")
    image_name = models.CharField(max_length=255, blank=True, help_text="The image, in the videos storage.")
    image_width = models.PositiveIntegerField(null=True, blank=True)
    image_height = models.PositiveIntegerField(null=True, blank=True)
    video = models.ForeignKey(Video, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts")
    audience = models.CharField(max_length=12, choices=PostAudience.choices, default=PostAudience.EVERYONE)
    min_coins = models.PositiveIntegerField(null=True, blank=True, help_text="Supporters: coins gifted at least.")
    window_days = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Supporters: in the last days.")
    hidden_at = models.DateTimeField(
        null=True, blank=True, help_text="Hidden by staff: nobody but the creator sees it."
    )
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["creator", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(audience="supporters") | Q(min_coins__gt=0, window_days__gt=0),
                name="post_supporters_have_amount_and_window",
            ),
            models.CheckConstraint(condition=Q(image_name="") | Q(video__isnull=True), name="post_image_or_video"),
        ]

    def __str__(self) -> str:
        return f"post {self.public_id} by @{self.creator_id}"

    def get_absolute_url(self) -> str:
        return reverse("post_page", args=[self.public_id])

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None
