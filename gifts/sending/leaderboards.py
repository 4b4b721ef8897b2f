"""Leaderboards (privacy rules applied): per live session, per creator, cached until a gift changes them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet, Sum
from django.utils import timezone

from accounts.models import CreatorProfile, User
from accounts.selectors import PUBLIC_NAMES_VERSION_KEY

from ..live.models import LiveSession
from ..subscriptions.selectors import subscribed_exists
from .levels import gifter_levels_shown
from .models import GiftSend, GiftSendStatus
from .selectors import ANONYMOUS, public_name

Board = list[dict[str, object]]  # a leaderboard: name, coins, subscriber, best first


def _leaderboard(sends: QuerySet[GiftSend], limit: int, creator_id: int) -> Board:
    """Top gifters by coins. Anonymous gifts, and people who opted out, count but are shown as Anonymous.

    ``subscriber``: the person subscribes to the creator now (the badge; never shown for an anonymous row).
    """
    rows = list(
        sends.exclude(status=GiftSendStatus.CANCELLED)
        .values("sender_id", "visibility")
        .annotate(total=Sum("coins"))
        .order_by("-total", "sender_id")[: limit * 2]
    )
    people = {
        u.pk: u
        for u in User.objects.filter(pk__in={r["sender_id"] for r in rows})
        .select_related("creator")
        .annotate(subscribed=subscribed_exists(creator_id=creator_id, person="pk"))
    }
    levels = gifter_levels_shown(people=people.values())
    board = []
    for r in rows:
        person = people[r["sender_id"]]
        name = public_name(sender=person, anonymous=r["visibility"] == "anonymous")
        shown = name != ANONYMOUS
        board.append(
            {
                "name": name,
                "coins": r["total"],
                "subscriber": shown and person.subscribed,  # type: ignore[attr-defined]
                "level": levels.get(person.pk, 0) if shown else 0,
            }
        )
    return board[:limit]


def live_board_rows(*, session_id: int) -> tuple[list[tuple[str, int, dict[str, object]]], list[str]]:
    """A live room's whole leaderboard from the database, to rebuild the pushed one (``gifts.live.events``): per
    sender and visibility the coins given (cancelled gifts left out) and how the row is shown; and the tokens of
    every gift (``g<id>``) and cancellation (``u<id>``) that it accounts for."""
    session = LiveSession.objects.get(pk=session_id)
    totals = list(
        GiftSend.objects.filter(live_session_id=session_id)
        .exclude(status=GiftSendStatus.CANCELLED)
        .values("sender_id", "visibility")
        .annotate(total=Sum("coins"))
    )
    people = {
        u.pk: u
        for u in User.objects.filter(pk__in={r["sender_id"] for r in totals})
        .select_related("creator")
        .annotate(subscribed=subscribed_exists(creator_id=session.creator_id, person="pk"))
    }
    levels = gifter_levels_shown(people=people.values())
    rows: list[tuple[str, int, dict[str, object]]] = []
    for r in totals:
        person = people[r["sender_id"]]
        name = public_name(sender=person, anonymous=r["visibility"] == "anonymous")
        public = name != ANONYMOUS
        shown = {
            "name": name,
            "subscriber": public and person.subscribed,  # type: ignore[attr-defined]
            "level": levels.get(person.pk, 0) if public else 0,
        }
        rows.append((f"{r['sender_id']}:{r['visibility']}", r["total"], shown))
    tokens = []
    for pk, status in GiftSend.objects.filter(live_session_id=session_id).values_list("pk", "status"):
        tokens.append(f"g{pk}")
        if status == GiftSendStatus.CANCELLED:
            tokens.append(f"u{pk}")
    return rows, tokens


def leaderboard_version_key(*, creator_id: int) -> str:
    """The cache key whose value changes with every gift, undo or subscription change of this creator."""
    return f"gifts:boards:version:{creator_id}"


def _board_cached(key: str, *, creator_id: int, compute: Callable[[], Board], refresh_seconds: float) -> Board:
    """A leaderboard, recomputed only when it may have changed (a gift, an undo, a subscription, a public name:
    their versions are part of the cached value) and at most once per ``refresh_seconds`` while it keeps changing.

    Every page view and every live-feed poll reads one; without this, each read aggregated all the gifts again (for
    a popular creator, a hundred thousand rows per page view: issue 7). Entries also expire after
    ``LEADERBOARD_CACHE_SECONDS``, for what changes with time alone (the 30-day window, ended subscriptions).
    """
    version_key = leaderboard_version_key(creator_id=creator_id)
    got = cache.get_many([key, version_key, PUBLIC_NAMES_VERSION_KEY])
    version = (got.get(version_key), got.get(PUBLIC_NAMES_VERSION_KEY))
    now = time.time()
    hit = got.get(key)
    if hit is not None:
        hit_version, computed_at, board = hit
        if hit_version == version or now - computed_at < refresh_seconds:
            return board  # type: ignore[no-any-return]
    board = compute()
    cache.set(key, (version, now, board), timeout=settings.LEADERBOARD_CACHE_SECONDS)
    return board


def leaderboard_for_session(*, session: LiveSession, limit: int = 10) -> Board:
    """The live room's top gifters: fresh after every gift (the room shows it changing live)."""
    return _board_cached(
        f"gifts:board:session:{session.pk}:{limit}",
        creator_id=session.creator_id,
        compute=lambda: _leaderboard(GiftSend.objects.filter(live_session=session), limit, session.creator_id),
        refresh_seconds=0,
    )


def leaderboard_for_creator(*, creator: CreatorProfile, days: int | None = None, limit: int = 10) -> Board:
    """All-time or last-``days`` top gifters of a creator's page: at most ``LEADERBOARD_REFRESH_SECONDS`` old."""

    def compute() -> Board:
        sends = GiftSend.objects.filter(creator=creator)
        if days:
            sends = sends.filter(created_at__gte=timezone.now() - timedelta(days=days))
        return _leaderboard(sends, limit, creator.pk)

    return _board_cached(
        f"gifts:board:creator:{creator.pk}:{days or 'all'}:{limit}",
        creator_id=creator.pk,
        compute=compute,
        refresh_seconds=settings.LEADERBOARD_REFRESH_SECONDS,
    )
