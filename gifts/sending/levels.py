"""Gifter levels: a person's level grows with the coins they have gifted (``settings.GIFTER_LEVELS``).

What counts: every gift that stands (live, on a creator's page, on a video; cancelled ones do not). Shop items and
subscriptions are not gifts and do not count. Two totals per person, read from ``GiftSend`` (the rows the gift path
writes anyway: the gift path gets no extra statement) in one query and cached: all their gifts (their own level,
shown to them only) and the gifts sent with their name shown (the level others see: an "Anonymous" gift never moves
it, or a badge jumping right after a big anonymous gift would say who sent it). They are counters of
``coinshop.cache``: each gift and undo marks them inside its transaction and moves the cached ones once it commits
(``gifter_level_keys``); a total missing from the cache is computed and stored only when no gift was on its way
meanwhile, so a gift is counted exactly once whatever page reads the level while it commits. An entry lives at most
``GIFTER_LEVEL_CACHE_SECONDS``.

Privacy: a level is shown to others only beside a public name (``show_on_leaderboards``, the person's own opt-in;
never beside "Anonymous"), and counts only gifts sent with the name shown. The person always sees their own level
(the levels page, their gifts page), with all their gifts counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db.models import Q, Sum

from accounts.models import GiftVisibility
from coinshop.cache import counters_fill, counters_read

from .models import GiftSend, GiftSendStatus


class Person(Protocol):
    pk: int
    show_on_leaderboards: bool


def _key(user_id: int) -> str:
    """All the person's gifts: their own level."""
    return f"gifts:gifted:{user_id}"


def _public_key(user_id: int) -> str:
    """The gifts they sent with their name shown: the level others see."""
    return f"gifts:gifted-public:{user_id}"


def gifter_level_for(*, coins: int) -> int:
    """The level reached with ``coins`` gifted: 0 below the first threshold."""
    level = 0
    for threshold in settings.GIFTER_LEVELS:
        if coins < threshold:
            break
        level += 1
    return level


def gifter_coins_many(*, user_ids: Iterable[int], public_only: bool = False) -> dict[int, int]:
    """Coins gifted by each person (gifts that stand; ``public_only``: those sent with their name shown): from the
    cache, the missing ones in ONE query (which caches both totals)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    key = _public_key if public_only else _key
    read = counters_read([k for pk in ids for k in (_key(pk), _public_key(pk))])  # a miss fills both
    totals = {pk: read.found[key(pk)] for pk in ids if key(pk) in read.found}
    missing = [pk for pk in ids if pk not in totals]
    if missing:
        rows = (
            GiftSend.objects.filter(sender_id__in=missing)
            .exclude(status=GiftSendStatus.CANCELLED)
            .order_by()
            .values_list("sender_id")
            .annotate(total=Sum("coins"), public=Sum("coins", filter=Q(visibility=GiftVisibility.PUBLIC)))
        )
        found = dict.fromkeys(missing, (0, 0)) | {pk: (total or 0, public or 0) for pk, total, public in rows}
        values = {
            k: v for pk, (total, public) in found.items() for k, v in ((_key(pk), total), (_public_key(pk), public))
        }
        counters_fill(values=values, read=read, timeout=settings.GIFTER_LEVEL_CACHE_SECONDS)
        totals |= {pk: public if public_only else total for pk, (total, public) in found.items()}
    return totals


def gifter_levels_shown(*, people: Iterable[Person]) -> dict[int, int]:
    """Levels as others may see them, by person id: only people who show their gifting (others are left out), and
    only their gifts sent with their name shown."""
    public = [p.pk for p in people if p.show_on_leaderboards]
    totals = gifter_coins_many(user_ids=public, public_only=True)
    return {pk: gifter_level_for(coins=coins) for pk, coins in totals.items()}


def gifter_level_shown(*, person: Person) -> int:
    """One person's level as others may see it (0: not shown)."""
    return gifter_levels_shown(people=[person]).get(person.pk, 0)


def gifter_level_keys(*, user_id: int, visibility: str) -> list[str]:
    """The cached totals a gift (or its undo) sent with ``visibility`` moves: the person's own total, and the one
    others' badge shows only for a gift sent with the name shown. The gift path marks them before it commits
    (``coinshop.cache.counters_begin``) and moves them after, in the same round trip as the leaderboards' version
    (``gifts.sending.services``, ``coinshop.cache.cache_write_many``); a total not cached stays missing, and its
    next read computes it."""
    return [_key(user_id)] + ([_public_key(user_id)] if visibility == GiftVisibility.PUBLIC else [])


@dataclass(frozen=True)
class GifterProgress:
    level: int
    coins: int
    next_level: int | None  # None at the top level
    next_at: int | None  # coins needed in all for the next level
    to_next: int | None  # coins still to gift for it
    shown_level: int = 0  # the level others see (gifts sent with the name shown), while the person shows it


def gifter_progress(*, user_id: int) -> GifterProgress:
    """A person's own level (all their gifts) and what is left to the next one (shown to them only), and the level
    others see (their gifts sent with their name shown)."""
    coins = gifter_coins_many(user_ids=[user_id])[user_id]  # fills both totals on a miss
    shown = gifter_level_for(coins=gifter_coins_many(user_ids=[user_id], public_only=True)[user_id])
    level = gifter_level_for(coins=coins)
    table = settings.GIFTER_LEVELS
    if level >= len(table):
        return GifterProgress(level=level, coins=coins, next_level=None, next_at=None, to_next=None, shown_level=shown)
    return GifterProgress(
        level=level,
        coins=coins,
        next_level=level + 1,
        next_at=table[level],
        to_next=table[level] - coins,
        shown_level=shown,
    )


def gifter_levels_table() -> list[tuple[int, int]]:
    """The published table: (level, coins gifted to reach it)."""
    return [(n, coins) for n, coins in enumerate(settings.GIFTER_LEVELS, start=1)]
