"""Gifter levels: a person's level grows with the coins they have gifted in all (``settings.GIFTER_LEVELS``).

What counts: every gift that stands (live, on a creator's page, on a video; cancelled ones do not). Shop items and
subscriptions are not gifts and do not count. The total is read from ``GiftSend`` (the rows the gift path writes
anyway: the gift path gets no extra statement) and cached per person; each gift and undo moves the cached total once
it commits (``gifter_level_moved``, an atomic ``incr`` of the cache), and an entry lives at most
``GIFTER_LEVEL_CACHE_SECONDS`` (what a lost increment can leave wrong heals by then).

Privacy: a level is shown to others only beside a public name (``show_on_leaderboards``, the person's own opt-in;
never beside "Anonymous"). The person always sees their own level (the levels page, their gifts page).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum

from .models import GiftSend, GiftSendStatus


class Person(Protocol):
    pk: int
    show_on_leaderboards: bool


def _key(user_id: int) -> str:
    return f"gifts:gifted:{user_id}"


def gifter_level_for(*, coins: int) -> int:
    """The level reached with ``coins`` gifted: 0 below the first threshold."""
    level = 0
    for threshold in settings.GIFTER_LEVELS:
        if coins < threshold:
            break
        level += 1
    return level


def gifter_coins_many(*, user_ids: Iterable[int]) -> dict[int, int]:
    """Coins gifted by each person (gifts that stand): from the cache, the missing ones in ONE query."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    got = cache.get_many([_key(pk) for pk in ids])
    totals = {pk: int(got[_key(pk)]) for pk in ids if _key(pk) in got}
    missing = [pk for pk in ids if pk not in totals]
    if missing:
        rows = (
            GiftSend.objects.filter(sender_id__in=missing)
            .exclude(status=GiftSendStatus.CANCELLED)
            .order_by()
            .values_list("sender_id")
            .annotate(total=Sum("coins"))
        )
        found = dict.fromkeys(missing, 0) | {pk: total or 0 for pk, total in rows}
        cache.set_many({_key(pk): total for pk, total in found.items()}, timeout=settings.GIFTER_LEVEL_CACHE_SECONDS)
        totals |= found
    return totals


def gifter_levels_shown(*, people: Iterable[Person]) -> dict[int, int]:
    """Levels as others may see them, by person id: only people who show their gifting (others are left out)."""
    public = [p.pk for p in people if p.show_on_leaderboards]
    return {pk: gifter_level_for(coins=coins) for pk, coins in gifter_coins_many(user_ids=public).items()}


def gifter_level_shown(*, person: Person) -> int:
    """One person's level as others may see it (0: not shown)."""
    return gifter_levels_shown(people=[person]).get(person.pk, 0)


def gifter_level_moved(*, user_id: int, coins: int) -> None:
    """A gift (``coins`` > 0) or an undo (< 0) of this person is being committed: once it is, move their cached
    total (no statement; when nothing is cached the next read computes it)."""

    def move() -> None:
        with contextlib.suppress(ValueError):  # not cached: nothing to move
            cache.incr(_key(user_id), coins)

    transaction.on_commit(move)


@dataclass(frozen=True)
class GifterProgress:
    level: int
    coins: int
    next_level: int | None  # None at the top level
    next_at: int | None  # coins needed in all for the next level
    to_next: int | None  # coins still to gift for it


def gifter_progress(*, user_id: int) -> GifterProgress:
    """A person's own level and what is left to the next one (shown to them only)."""
    coins = gifter_coins_many(user_ids=[user_id])[user_id]
    level = gifter_level_for(coins=coins)
    table = settings.GIFTER_LEVELS
    if level >= len(table):
        return GifterProgress(level=level, coins=coins, next_level=None, next_at=None, to_next=None)
    return GifterProgress(
        level=level, coins=coins, next_level=level + 1, next_at=table[level], to_next=table[level] - coins
    )


def gifter_levels_table() -> list[tuple[int, int]]:
    """The published table: (level, coins gifted to reach it)."""
    return [(n, coins) for n, coins in enumerate(settings.GIFTER_LEVELS, start=1)]
