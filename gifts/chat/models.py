"""Live-room chat messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..live.models import LiveSession
from ..shop.models import ShopItem


class ChatMessage(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.PROTECT, related_name="chat_messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chat_messages")
    text = models.CharField(max_length=500, blank=True)
    sticker = models.ForeignKey(ShopItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    effect = models.ForeignKey(ShopItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text="") | Q(sticker__isnull=False), name="chat_message_not_empty")
        ]
        indexes = [models.Index(fields=["session", "id"])]

    def __str__(self) -> str:
        return f"chat #{self.pk} in session {self.session_id}"
