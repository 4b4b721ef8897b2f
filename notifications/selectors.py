"""Reads: a person's inbox, their unread count (cached: the header shows it on every page), their preferences."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db.models import QuerySet

from .models import (
    ALWAYS_EMAILED,
    KIND_DEFAULTS,
    Notification,
    NotificationEmail,
    NotificationKind,
    NotificationPreference,
)

UNREAD_CAP = 99  # the header shows "99+" past this: the count never scans a long unread history
UNREAD_CACHE_SECONDS = 300


def unread_cache_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def notification_unread_count(*, user_id: int) -> int:
    """Unread notifications, at most ``UNREAD_CAP + 1``. From the cache (no query) until a notification arrives or
    one is marked read (``services`` forget the cached number on commit); one bounded query otherwise."""
    key = unread_cache_key(user_id)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user_id=user_id, read_at__isnull=True)[: UNREAD_CAP + 1].count()
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return int(count)


def notification_list(*, user_id: int) -> QuerySet[Notification]:
    """A person's inbox, newest first (paginate it)."""
    return Notification.objects.filter(user_id=user_id).order_by("-id")


def notification_preferences_get(*, user_id: int) -> dict[str, tuple[bool, bool]]:
    """Every kind's (in-app, email) for this person: their choice, or the default."""
    chosen = {row.kind: (row.in_app, row.email) for row in NotificationPreference.objects.filter(user_id=user_id)}
    return {kind: _forced(kind, chosen.get(kind, KIND_DEFAULTS[kind])) for kind in NotificationKind.values}


def _forced(kind: str, channels: tuple[bool, bool]) -> tuple[bool, bool]:
    """The email channel of ``ALWAYS_EMAILED`` kinds is on, whatever a (possibly older) preference row says."""
    return (channels[0], True) if kind in ALWAYS_EMAILED else channels


def notification_channels_for(*, user_ids: Iterable[int], kind: str) -> dict[int, tuple[bool, bool]]:
    """(in-app, email) of ``kind`` for each of ``user_ids``, in one query."""
    ids = list(user_ids)
    default = KIND_DEFAULTS[kind]
    chosen = {
        user_id: (in_app, email)
        for user_id, in_app, email in NotificationPreference.objects.filter(user_id__in=ids, kind=kind).values_list(
            "user_id", "in_app", "email"
        )
    }
    return {user_id: _forced(kind, chosen.get(user_id, default)) for user_id in ids}


def notified_user_ids(*, user_ids: Iterable[int], dedupe_keys: Iterable[str]) -> set[int]:
    """Of ``user_ids``, those told something under any of ``dedupe_keys`` (in the app or by email): two queries on
    the (user, key) unique indexes."""
    ids, keys = list(user_ids), [key for key in dedupe_keys if key]
    if not ids or not keys:
        return set()
    found = set(Notification.objects.filter(user_id__in=ids, dedupe_key__in=keys).values_list("user_id", flat=True))
    rest = [user_id for user_id in ids if user_id not in found]
    if rest:
        emailed = NotificationEmail.objects.filter(user_id__in=rest, dedupe_key__in=keys)
        found |= set(emailed.values_list("user_id", flat=True))
    return found
