"""Live video: creators' stream keys, and the RTMP ingest's callbacks (nginx's RTMP module, ``deploy/nginx-rtmp.conf``).

OBS (or any RTMP encoder) publishes to ``rtmp://<ingest>/live`` with the stream key ``<handle>?key=<secret>``: the
stream's name is the creator's handle, and the secret travels as an argument, which nginx passes to
``live_ingest_start`` but leaves out of the HLS file names (the public playlist is ``/hls/<handle>.m3u8``). An
unknown or rotated secret, or a creator who is frozen, not an adult or closed, is refused; otherwise the creator's
live session starts (or the one they started by hand gets the video). When the encoder stops, ``live_ingest_stop``
tells the room, and the session ends ``LIVE_INGEST_GRACE_SECONDS`` later unless the stream comes back first (an
encoder reconnecting after a network hiccup goes on in the same room): ``live_sessions_end_idle``, run by Celery.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import CreatorProfile
from coinshop.celery import task_enqueue

from ..models import LiveSession, StreamKey
from .events import live_stream_published
from .services import followers_announce


class IngestRefused(ValidationError):
    """The ingest may not publish this stream; the reason is for the ingest's log, never shown to the public."""


def _new_key() -> str:
    return "live_" + secrets.token_urlsafe(24)


def stream_key_get(*, creator: CreatorProfile) -> StreamKey:
    """The creator's stream key, made on first use."""
    key, _ = StreamKey.objects.get_or_create(creator=creator, defaults={"key": _new_key()})
    return key


def stream_key_rotate(*, creator: CreatorProfile) -> StreamKey:
    """A new key; the old one is refused from now on (a stream already running keeps going until it stops)."""
    with transaction.atomic():
        key = stream_key_get(creator=creator)
        key.key = _new_key()
        key.save(update_fields=["key"])
    return key


def stream_key_text(*, key: StreamKey) -> str:
    """What the creator pastes into OBS's "Stream key" field."""
    return f"{key.creator.handle}?key={key.key}"


def live_ingest_start(*, name: str, key: str) -> LiveSession:
    """The ingest asks whether the stream ``name`` (a handle) may publish with the secret ``key``. Returns the
    live session the stream belongs to."""
    found = (
        StreamKey.objects.select_related("creator", "creator__user").filter(key=key, creator__handle=name).first()
        if key and name
        else None
    )
    if found is None:
        raise IngestRefused("Unknown or rotated stream key.")
    creator, user = found.creator, found.creator.user
    if not user.is_active or user.is_frozen:
        raise IngestRefused(f"@{creator.handle} may not stream now (account restricted or closed).")
    if not user.is_adult:
        raise IngestRefused(f"@{creator.handle} must be 18 or older to go live.")
    with transaction.atomic():
        session = LiveSession.objects.select_for_update().filter(creator=creator, ended_at__isnull=True).first()
        if session is None:
            try:
                with transaction.atomic():
                    session = LiveSession.objects.create(creator=creator, title=f"{creator.display_name} is live")
                    followers_announce(session_id=session.pk)
            except IntegrityError:  # started by hand at this very moment: use that one
                session = LiveSession.objects.select_for_update().get(creator=creator, ended_at__isnull=True)
        if not session.streaming:
            session.streaming = True
            session.stream_stopped_at = None
            session.save(update_fields=["streaming", "stream_stopped_at"])
        session_id = session.pk
        transaction.on_commit(lambda: live_stream_published(session_id=session_id, streaming=True))
    return session


def live_ingest_stop(*, name: str, now: datetime | None = None) -> LiveSession | None:
    """The encoder stopped publishing the stream ``name`` (a handle): the room says so, and the session ends after
    the grace period unless the stream returns (at once when the grace period is 0)."""
    now = now or timezone.now()
    with transaction.atomic():
        session = (
            LiveSession.objects.select_for_update()
            .filter(creator__handle=name, ended_at__isnull=True, streaming=True)
            .first()
        )
        if session is None:
            return None
        session.streaming = False
        session.stream_stopped_at = now
        session.save(update_fields=["streaming", "stream_stopped_at"])
        session_id = session.pk
        transaction.on_commit(lambda: live_stream_published(session_id=session_id, streaming=False))
    grace = settings.LIVE_INGEST_GRACE_SECONDS
    if grace <= 0:
        live_sessions_end_idle(now=now)
    else:
        transaction.on_commit(lambda: task_enqueue("gifts.tasks.live_sessions_end_idle_task", countdown=grace + 1))
    session.refresh_from_db()
    return session


def live_sessions_end_idle(*, now: datetime | None = None) -> int:
    """End the live sessions whose stream stopped more than ``LIVE_INGEST_GRACE_SECONDS`` ago and did not return."""
    from .services import live_session_end

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.LIVE_INGEST_GRACE_SECONDS)
    idle = LiveSession.objects.select_related("creator", "creator__user").filter(
        ended_at__isnull=True, streaming=False, stream_stopped_at__lte=cutoff
    )
    ended = 0
    for session in idle:
        live_session_end(session=session, by=session.creator.user)
        ended += 1
    return ended
