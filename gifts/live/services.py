"""Live-session writes: start and end a stream by hand."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import CreatorProfile, User
from coinshop.celery import task_enqueue

from .events import live_ended_published
from .models import LiveSession


def live_session_start(*, creator: CreatorProfile, title: str) -> LiveSession:
    title = title.strip()
    if not title:
        raise ValidationError("Give your live stream a title.")
    if not creator.user.is_adult:
        raise ValidationError("You must be 18 or older to go live and earn gifts.")
    try:
        with transaction.atomic():
            session = LiveSession.objects.create(creator=creator, title=title[:120])
            followers_announce(session_id=session.pk)
            return session
    except IntegrityError as exc:
        raise ValidationError("You are already live; end that stream first.") from exc


def followers_announce(*, session_id: int) -> None:
    """A stream started: the supporters app tells the creator's followers, in batches, from a task queued by name
    (this app never imports the apps above it)."""
    transaction.on_commit(
        lambda: task_enqueue("supporters.tasks.followers_notify_live_task", session_id, 0), robust=True
    )


def live_session_end(*, session: LiveSession, by: User) -> LiveSession:
    if session.creator.user_id != by.pk:
        raise ValidationError("Only the creator can end this stream.")
    with transaction.atomic():
        ended = LiveSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), streaming=False
        )
        if ended:
            transaction.on_commit(lambda: live_ended_published(session_id=session.pk))
    session.refresh_from_db()
    return session
