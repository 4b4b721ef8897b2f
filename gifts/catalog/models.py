"""The gift catalog: gifts, and the events whose time window sells special gifts."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


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
    subscriber_only = models.BooleanField(
        default=False, help_text="Only a creator's subscribers see this gift in the panel and may send it."
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["coin_cost", "sort_order"]
        constraints = [models.CheckConstraint(condition=Q(coin_cost__gt=0), name="gift_cost_positive")]

    def __str__(self) -> str:
        return f"{self.name} ({self.coin_cost} coins)"
