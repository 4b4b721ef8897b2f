"""Live-room reads: who is live, the room's feed and its version."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import CreatorProfile

from ..chat.models import ChatMessage
from ..sending.levels import gifter_levels_shown
from ..sending.models import GiftSend, GiftSendStatus
from ..sending.selectors import gift_feed_item
from ..subscriptions.selectors import subscribed_exists
from .models import LiveSession


def live_session_current(*, creator: CreatorProfile) -> LiveSession | None:
    """The creator's live session now, if they are live."""
    return LiveSession.objects.filter(creator=creator, ended_at__isnull=True).first()


ACTIVITY_MINUTES = 10  # "recent gifting" on the home page: coins gifted in the room in the last this many minutes


def live_sessions_now(*, now: datetime | None = None) -> list[LiveSession]:
    """The live rooms, busiest first: by viewers now (with Redis), then by coins gifted in the last
    ``ACTIVITY_MINUTES`` minutes, then the newest. Each has ``viewers`` (None without Redis) and ``recent_coins``."""
    from .viewers import live_viewers_many

    since = (now or timezone.now()) - timedelta(minutes=ACTIVITY_MINUTES)
    recent = (
        GiftSend.objects.filter(live_session=OuterRef("pk"), created_at__gte=since)
        .exclude(status=GiftSendStatus.CANCELLED)
        .order_by()
        .values("live_session")
        .annotate(total=Sum("coins"))
        .values("total")
    )
    sessions = list(
        LiveSession.objects.filter(ended_at__isnull=True)
        .select_related("creator")
        .annotate(recent_coins=Coalesce(Subquery(recent), 0))
    )
    viewers = live_viewers_many(session_ids=[s.pk for s in sessions])
    for session in sessions:
        session.viewers = viewers.get(session.pk)  # type: ignore[attr-defined]
    return sorted(
        sessions,
        key=lambda s: (s.viewers or 0, s.recent_coins, s.started_at),  # type: ignore[attr-defined]
        reverse=True,
    )


def _feed_sends(session: LiveSession) -> QuerySet[GiftSend]:
    return (
        GiftSend.objects.filter(live_session=session)
        .select_related("sender", "sender__creator", "gift", "effect")
        .annotate(sender_subscribed=subscribed_exists(creator_id=session.creator_id, person="sender_id"))
    )


def live_feed(*, session: LiveSession, after_id: int = 0, limit: int = 30) -> list[dict[str, object]]:
    """The newest gifts of a live session (after ``after_id``), oldest first, with combo counts."""
    window = list(_feed_sends(session).order_by("-id")[: limit + 20])[::-1]
    combo_gap = timedelta(seconds=settings.GIFT_COMBO_SECONDS)
    last: dict[tuple[int, int], tuple[datetime, int]] = {}
    levels = gifter_levels_shown(people={send.sender for send in window})  # one query at most, for the whole feed
    items = []
    for send in window:
        key = (send.sender_id, send.gift_id)
        previous = last.get(key)
        combo = previous[1] + 1 if previous and send.created_at - previous[0] <= combo_gap else 1
        if send.status != GiftSendStatus.CANCELLED:
            last[key] = (send.created_at, combo)
        if send.pk > after_id:
            items.append(
                gift_feed_item(
                    send=send,
                    subscribed=send.sender_subscribed,  # type: ignore[attr-defined]
                    combo=combo,
                    level=levels.get(send.sender_id, 0),
                )
            )
    return items[-limit:]


def live_feed_version(*, session: LiveSession) -> str:
    """A fingerprint of what the live room shows: it changes with every gift (whatever order they commit in), every
    cancellation, every chat message (and its deletion by a moderator) and the end of the stream. One query; the
    polling fallback compares it."""
    gifts = GiftSend.objects.filter(live_session=session).order_by().values("live_session")
    chat = ChatMessage.objects.filter(session=session).order_by().values("session")
    row = (
        LiveSession.objects.filter(pk=session.pk)
        .annotate(
            gifts=Coalesce(Subquery(gifts.annotate(n=Count("pk")).values("n")), 0),
            cancelled=Coalesce(
                Subquery(gifts.filter(status=GiftSendStatus.CANCELLED).annotate(n=Count("pk")).values("n")), 0
            ),
            chat=Coalesce(Subquery(chat.annotate(n=Count("pk")).values("n")), 0),
            removed=Coalesce(  # chat messages a moderator deleted
                Subquery(chat.filter(removal__isnull=False).annotate(n=Count("pk")).values("n")), 0
            ),
        )
        .values_list("gifts", "cancelled", "chat", "removed", "ended_at")
        .get()
    )
    return "{}.{}.{}.{}.{}".format(*row[:4], 0 if row[4] is None else 1)


def live_session_get(*, session_id: int, with_creator: bool = False) -> LiveSession | None:
    """One live session (live or ended) by id; ``with_creator`` joins its creator and their user (same one query).
    None when there is no such session."""
    sessions = LiveSession.objects.all()
    if with_creator:
        sessions = sessions.select_related("creator", "creator__user")
    return sessions.filter(pk=session_id).first()
