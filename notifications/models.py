"""In-app notifications, the emails queued for them, and per-kind, per-channel preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NotificationKind(models.TextChoices):
    GIFTS_RECEIVED = "gifts_received", "Gifts you received (a summary every few minutes)"
    CREATOR_LIVE = "creator_live", "A creator you follow goes live"
    THANK_YOU = "thank_you", "Thank-yous from creators"
    PAYOUT = "payout", "Payouts"
    SUBSCRIPTION = "subscription", "Subscriptions"
    SECURITY = "security", "Security (new login, two-factor authentication, email address)"


# (in-app, email) when the person has not chosen. Subscription emails that need an answer (a price raise to accept,
# a lapse) are sent by the subscriptions app whatever this says; this channel adds the in-app line.
KIND_DEFAULTS: dict[str, tuple[bool, bool]] = {
    NotificationKind.GIFTS_RECEIVED: (True, False),
    NotificationKind.CREATOR_LIVE: (True, False),
    NotificationKind.THANK_YOU: (True, False),
    NotificationKind.PAYOUT: (True, True),
    NotificationKind.SUBSCRIPTION: (True, False),
    NotificationKind.SECURITY: (True, True),
}
# Kinds always emailed, whatever the person chose: a security notice is how they learn someone else is in their
# account (who could otherwise turn the emails off first).
ALWAYS_EMAILED: frozenset[str] = frozenset({NotificationKind.SECURITY})


class Notification(models.Model):
    """One line in a person's inbox. ``dedupe_key`` (when set) makes a task that runs twice write it once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    text = models.CharField(max_length=500)
    link = models.CharField(max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["user", "-id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~Q(dedupe_key=""), name="notification_once_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationEmail(models.Model):
    """An email to send for a notification: marked sent only after the mail server took it (the task retries)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    to_email = models.EmailField(
        blank=True, help_text="Sent to this address instead of the person's current one (e.g. their previous one)."
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~Q(dedupe_key=""), name="notification_email_once_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.user_id}"


class NotificationPreference(models.Model):
    """A person's choice for one kind; without a row, ``KIND_DEFAULTS`` applies."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    in_app = models.BooleanField()
    email = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
