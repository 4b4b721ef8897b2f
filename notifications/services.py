"""Writes: ``notify`` (the one way any app tells a person something), marking read, preferences, sending emails.

``notify`` writes the inbox line when the person keeps that kind in the app, and queues an email (by task name, on
commit) when they want it by email. Emails are rows (``NotificationEmail``) marked sent only after the mail server
took them; the task retries a failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from coinshop.celery import task_enqueue

from .models import (
    ALWAYS_EMAILED,
    KIND_DEFAULTS,
    Notification,
    NotificationEmail,
    NotificationKind,
    NotificationPreference,
)
from .selectors import notification_channels_for, unread_cache_key

EMAIL_TASK = "notifications.tasks.notification_email_task"


def _one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def notify(
    *,
    user_id: int,
    kind: str,
    text: str,
    link: str = "",
    subject: str = "",
    email_body: str = "",
    dedupe_key: str = "",
    also_email: str = "",
) -> bool:
    """Tell one person something of ``kind``: an inbox line and/or an email, as they chose. True when anything was
    written. ``subject`` and ``email_body`` default to ``text``; ``dedupe_key`` makes a repeat do nothing.
    ``also_email``: an address that gets the email too, whatever the person chose (the previous address of an
    account whose address changed)."""
    if also_email:
        notification_email_queue(
            user_id=user_id, kind=kind, to_email=also_email, subject=subject or text, body=email_body or text, link=link
        )
    return bool(
        notify_many(
            user_ids=[user_id],
            kind=kind,
            text=text,
            link=link,
            subject=subject,
            email_body=email_body,
            dedupe_key=dedupe_key,
        )
    )


def notify_many(
    *,
    user_ids: Iterable[int],
    kind: str,
    text: str,
    link: str = "",
    subject: str = "",
    email_body: str = "",
    dedupe_key: str = "",
) -> int:
    """``notify`` for many people at once (a fan-out batch): one preferences query, one insert per channel.
    Returns how many people got something."""
    if kind not in KIND_DEFAULTS:
        raise ValueError(f"no notification kind {kind!r}")
    channels = notification_channels_for(user_ids=user_ids, kind=kind)
    in_app = [user_id for user_id, (app, _) in channels.items() if app]
    by_email = [user_id for user_id, (_, email) in channels.items() if email]
    line, now = _one_line(text, 500), timezone.now()
    with transaction.atomic():
        if in_app:
            Notification.objects.bulk_create(
                [
                    Notification(user_id=uid, kind=kind, text=line, link=link, dedupe_key=dedupe_key, created_at=now)
                    for uid in in_app
                ],
                ignore_conflicts=bool(dedupe_key),
            )
            keys = [unread_cache_key(uid) for uid in in_app]
            cache.delete_many(keys)  # now, and again once committed (a page rendered meanwhile may have cached it)
            transaction.on_commit(lambda: cache.delete_many(keys))
        if by_email:
            NotificationEmail.objects.bulk_create(
                [
                    NotificationEmail(
                        user_id=uid,
                        kind=kind,
                        subject=_one_line(subject or text, 200),
                        body=email_body or text,
                        link=link,
                        dedupe_key=dedupe_key,
                        created_at=now,
                    )
                    for uid in by_email
                ],
                ignore_conflicts=bool(dedupe_key),
            )
            # The ids of what waits to be sent (bulk_create with ignore_conflicts returns none; a repeat finds the
            # same rows and their tasks find them sent or send them once).
            waiting = NotificationEmail.objects.filter(user_id__in=by_email, kind=kind, sent_at__isnull=True)
            waiting = waiting.filter(dedupe_key=dedupe_key) if dedupe_key else waiting.filter(created_at=now)
            for email_id in waiting.values_list("pk", flat=True):
                transaction.on_commit(lambda pk=email_id: task_enqueue(EMAIL_TASK, pk), robust=True)  # type: ignore[misc]
    return len(set(in_app) | set(by_email))


def notification_email_queue(*, user_id: int, kind: str, to_email: str, subject: str, body: str, link: str) -> None:
    """One email about ``user_id``'s account to ``to_email`` rather than their current address, sent by the same
    retrying task once committed."""
    row = NotificationEmail.objects.create(
        user_id=user_id, to_email=to_email, kind=kind, subject=_one_line(subject, 200), body=body, link=link
    )
    transaction.on_commit(lambda: task_enqueue(EMAIL_TASK, row.pk), robust=True)


def notification_mark_read(*, user_id: int, notification_id: int) -> bool:
    """Mark one of the person's own notifications read; False when it is not theirs (or does not exist)."""
    found = Notification.objects.filter(pk=notification_id, user_id=user_id)
    if not found.exists():
        return False
    found.filter(read_at__isnull=True).update(read_at=timezone.now())
    cache.delete(unread_cache_key(user_id))
    return True


def notifications_mark_all_read(*, user_id: int) -> int:
    marked = Notification.objects.filter(user_id=user_id, read_at__isnull=True).update(read_at=timezone.now())
    cache.delete(unread_cache_key(user_id))
    return marked


def notification_preferences_set(*, user_id: int, choices: Mapping[str, tuple[bool, bool]]) -> None:
    """Save (in-app, email) per kind; kinds left out keep what they had. The email of ``ALWAYS_EMAILED`` kinds
    (security) cannot be turned off: it stays on whatever is asked."""
    with transaction.atomic():
        for kind, (in_app, email) in choices.items():
            if kind not in NotificationKind.values:
                raise ValueError(f"no notification kind {kind!r}")
            email = email or kind in ALWAYS_EMAILED
            NotificationPreference.objects.update_or_create(
                user_id=user_id, kind=kind, defaults={"in_app": in_app, "email": email}
            )


def notification_email_send(*, email_id: int, now: datetime | None = None) -> bool:
    """Send one queued email, once: the row is locked, sent, then marked (a failure rolls back and the task retries;
    a second run finds it marked). Nothing goes to a closed account. True when it was sent now."""
    with transaction.atomic():
        row = (
            NotificationEmail.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=email_id, sent_at__isnull=True)
            .first()
        )
        if row is None:
            return False
        user = row.user
        to = row.to_email or user.email
        closed = getattr(user, "deleted_at", None) is not None or not user.is_active or not to
        if not closed:
            site = settings.SITE_URL.rstrip("/")
            context = {
                "body": row.body,
                "link": f"{site}{row.link}" if row.link else "",
                "preferences": site + reverse("notification_preferences"),
                "previous_address": bool(row.to_email),
                "always": row.kind in ALWAYS_EMAILED,
            }
            send_mail(
                subject=f"[Coinshop] {row.subject}",
                message=render_to_string("notifications/email.txt", context),
                from_email=None,
                recipient_list=[to],
            )
        row.sent_at = now or timezone.now()
        row.save(update_fields=["sent_at"])
    return not closed


def notifications_erase(*, user_id: int) -> None:
    """A closing account: its notifications, unsent emails and choices go (their texts name people and addresses)."""
    Notification.objects.filter(user_id=user_id).delete()
    NotificationEmail.objects.filter(user_id=user_id).delete()
    NotificationPreference.objects.filter(user_id=user_id).delete()
    cache.delete(unread_cache_key(user_id))
