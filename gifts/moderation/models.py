"""Moderation rows: who moderates whose rooms, the room rules, who may not chat, removed messages, the action log,
and reports to staff.

Everything is per creator (not per live session): a ban or a timeout holds in every room of that creator.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import CreatorProfile

from ..chat.models import ChatMessage


class Moderator(models.Model):
    """``user`` may moderate ``creator``'s rooms (appointed by the creator, by handle)."""

    creator = models.ForeignKey(CreatorProfile, on_delete=models.CASCADE, related_name="moderators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderating")
    appointed_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["appointed_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["creator", "user"], name="one_moderator_row_per_creator")]

    def __str__(self) -> str:
        return f"moderator {self.user_id} of @{self.creator_id}"


class RoomRules(models.Model):
    """A creator's chat rules: slow mode (seconds between one viewer's messages, 0 = off) and blocked words."""

    creator = models.OneToOneField(CreatorProfile, on_delete=models.CASCADE, related_name="room_rules")
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    blocked_words = models.TextField(blank=True, help_text="One word or phrase a line, matched whole, any case.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "room rules"

    def __str__(self) -> str:
        return f"rules of @{self.creator_id}"


class ChatRestriction(models.Model):
    """What keeps one person out of a creator's chat: a ban (until lifted) and/or a timeout (until a time)."""

    creator = models.ForeignKey(CreatorProfile, on_delete=models.CASCADE, related_name="chat_restrictions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_restrictions")
    banned = models.BooleanField(default=False)
    timed_out_until = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["creator", "user"], name="one_chat_restriction_per_person")]

    def __str__(self) -> str:
        return f"restriction of {self.user_id} in @{self.creator_id}"


class ChatRemoval(models.Model):
    """A chat message a moderator deleted: it is hidden from every room and feed (the row stays for staff)."""

    message = models.OneToOneField(ChatMessage, on_delete=models.PROTECT, related_name="removal")
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"removal of chat #{self.message_id}"


class ModerationKind(models.TextChoices):
    DELETE = "delete", "Deleted a message"
    TIMEOUT = "timeout", "Timed out"
    TIMEOUT_LIFT = "timeout_lift", "Lifted a timeout"
    BAN = "ban", "Banned"
    UNBAN = "unban", "Unbanned"
    WORDS = "words", "Changed the blocked words"
    SLOW_MODE = "slow_mode", "Changed slow mode"
    MODERATOR_ADD = "moderator_add", "Appointed a moderator"
    MODERATOR_REMOVE = "moderator_remove", "Removed a moderator"


class ModerationAction(models.Model):
    """The moderation log, append-only: who did what to whom in which creator's rooms, when, and why."""

    creator = models.ForeignKey(CreatorProfile, on_delete=models.CASCADE, related_name="moderation_actions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=ModerationKind.choices)
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    message = models.ForeignKey(ChatMessage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    seconds = models.PositiveIntegerField(null=True, blank=True)  # a timeout's length, slow mode's interval
    detail = models.CharField(max_length=500, blank=True)  # the reason, or what changed
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["creator", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_id} in @{self.creator_id}"

    @property
    def duration(self) -> str:
        """A timeout's length in words ("5 minutes", "1 hour"); empty for other actions."""
        n = self.seconds or 0
        if self.kind != ModerationKind.TIMEOUT or not n:
            return ""
        value, unit = (n // 3600, "hour") if n % 3600 == 0 else (n // 60, "minute") if n % 60 == 0 else (n, "second")
        return f"{value} {unit}{'' if value == 1 else 's'}"


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam or scam"
    HARASSMENT = "harassment", "Harassment or bullying"
    HATE = "hate", "Hate speech"
    SEXUAL = "sexual", "Sexual content"
    VIOLENCE = "violence", "Violence or self-harm"
    MINOR = "minor", "Child safety"
    OTHER = "other", "Something else"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved (action taken)"
    DISMISSED = "dismissed", "Dismissed"


class Report(models.Model):
    """A viewer's report of a chat message or a creator, for staff. One per person and thing reported."""

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports_made")
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="reports")
    message = models.ForeignKey(ChatMessage, null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    message_text = models.CharField(max_length=500, blank=True)  # the message as reported
    reason = models.CharField(max_length=20, choices=ReportReason.choices)
    text = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    staff_note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "message"], condition=Q(message__isnull=False), name="one_report_per_message"
            ),
            models.UniqueConstraint(
                fields=["reporter", "creator"], condition=Q(message__isnull=True), name="one_report_per_creator"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        what = f"chat #{self.message_id}" if self.message_id else f"@{self.creator_id}"
        return f"report of {what} ({self.status})"

    @property
    def subject(self) -> str:
        return "chat message" if self.message_id else "creator"
