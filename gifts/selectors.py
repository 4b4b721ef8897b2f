"""Gift reads: what is on sale, live feeds with combos and chat, leaderboards (privacy rules applied), histories;
the shop and inventories; subscriptions (who is a subscriber now, what is due for renewal)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.templatetags.static import static
from django.utils import timezone

from accounts.models import CreatorProfile, User
from accounts.selectors import PUBLIC_NAMES_VERSION_KEY
from wallet.models import CoinDebt

from .models import (
    ChatMessage,
    Event,
    Gift,
    GiftSend,
    GiftSendStatus,
    LiveSession,
    Ownership,
    ShopItem,
    ShopItemKind,
    Subscription,
    SubscriptionPeriod,
    SubscriptionPlan,
    SubscriptionStatus,
)

ANONYMOUS = "Anonymous"
Board = list[dict[str, object]]  # a leaderboard: name, coins, subscriber, best first


def _kept_for_subscribers(creator_id: int) -> QuerySet[Any]:
    """The ids of the gifts a creator keeps for their subscribers (``SubscriptionPlan.subscriber_gifts``)."""
    return SubscriptionPlan.subscriber_gifts.through.objects.filter(subscriptionplan__creator_id=creator_id).values(
        "gift_id"
    )


def gifts_on_sale(*, at: datetime | None = None, subscriber: bool = False, creator_id: int | None = None) -> list[Gift]:
    """Gifts on sale now, for gifting ``creator_id`` (when given). Gifts for subscribers only (marked so by staff,
    or kept for subscribers by that creator) are listed only for a subscriber; each gift's ``subscribers_only`` says
    which they are."""
    now = at or timezone.now()
    gifts = Gift.objects.filter(active=True).filter(
        Q(event__isnull=True) | Q(event__starts_at__lte=now, event__ends_at__gt=now)
    )
    for_subscribers = Q(subscriber_only=True)
    if creator_id is not None:
        for_subscribers |= Q(pk__in=_kept_for_subscribers(creator_id))
    gifts = gifts.annotate(subscribers_only=ExpressionWrapper(for_subscribers, output_field=BooleanField()))
    if not subscriber:
        gifts = gifts.filter(subscribers_only=False)
    return list(gifts.select_related("event").order_by("coin_cost", "sort_order"))


@dataclass(frozen=True)
class GiftSendFacts:
    sender_owes_coins: bool  # an open debt after a refund or dispute (``wallet.models.CoinDebt``)
    kept_for_subscribers: bool  # the creator keeps this gift for subscribers (``SubscriptionPlan.subscriber_gifts``)


def gift_send_facts(*, sender_id: int, creator_id: int, gift_id: int) -> GiftSendFacts:
    """What ``gift_send`` must know beyond the rows it is given, read in one statement: it is asked on every gift."""
    through = SubscriptionPlan.subscriber_gifts.through._meta.db_table
    plans = SubscriptionPlan._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {CoinDebt._meta.db_table} WHERE user_id = %s AND settled_at IS NULL), "  # noqa: S608
            f"EXISTS (SELECT 1 FROM {through} t JOIN {plans} p ON p.id = t.subscriptionplan_id "
            "WHERE p.creator_id = %s AND t.gift_id = %s)",
            [sender_id, creator_id, gift_id],
        )
        owes, kept = cursor.fetchone()
    return GiftSendFacts(sender_owes_coins=bool(owes), kept_for_subscribers=bool(kept))


def events_current(*, at: datetime | None = None) -> list[Event]:
    now = at or timezone.now()
    return list(Event.objects.filter(starts_at__lte=now, ends_at__gt=now).order_by("ends_at"))


def live_session_current(*, creator: CreatorProfile) -> LiveSession | None:
    """The creator's live session now, if they are live."""
    return LiveSession.objects.filter(creator=creator, ended_at__isnull=True).first()


ACTIVITY_MINUTES = 10  # "recent gifting" on the home page: coins gifted in the room in the last this many minutes


def live_sessions_now(*, now: datetime | None = None) -> list[LiveSession]:
    """The live rooms, busiest first: by viewers now (with Redis), then by coins gifted in the last
    ``ACTIVITY_MINUTES`` minutes, then the newest. Each has ``viewers`` (None without Redis) and ``recent_coins``."""
    from .live.events import live_viewers_many

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


@dataclass(frozen=True)
class Rates:
    """The numbers behind the gift panel, computed from the operator's settings (DESIGN.md "Rates")."""

    coin_value: Decimal  # what a coin costs a viewer (reference: the custom-amount price)
    diamonds_per_coin: int
    diamond_value: Decimal  # what a diamond pays a creator

    @property
    def creator_share_percent(self) -> int:
        return round(self.diamonds_per_coin * self.diamond_value / self.coin_value * 100)


def rates() -> Rates:
    return Rates(settings.CUSTOM_COIN_PRICE, settings.DIAMONDS_PER_COIN, settings.DIAMOND_CASH_VALUE)


@dataclass(frozen=True)
class PanelGift:
    gift: Gift
    value: Decimal
    diamonds: int
    diamonds_value: Decimal


def gift_panel(
    *, at: datetime | None = None, subscriber: bool = False, creator_id: int | None = None
) -> list[PanelGift]:
    r = rates()
    cent = Decimal("0.01")
    return [
        PanelGift(
            gift=g,
            value=(g.coin_cost * r.coin_value).quantize(cent),
            diamonds=g.coin_cost * r.diamonds_per_coin,
            diamonds_value=(g.coin_cost * r.diamonds_per_coin * r.diamond_value).quantize(cent),
        )
        for g in gifts_on_sale(at=at, subscriber=subscriber, creator_id=creator_id)
    ]


def gifts_locked(*, creator_id: int, at: datetime | None = None) -> list[Gift]:
    """Gifts on sale that only the creator's subscribers may send: shown locked to everyone else."""
    return [g for g in gifts_on_sale(at=at, subscriber=True, creator_id=creator_id) if g.subscribers_only]  # type: ignore[attr-defined]


def public_name(*, sender: User, anonymous: bool) -> str:
    if anonymous or not sender.show_on_leaderboards:
        return ANONYMOUS
    return sender.public_name


def _feed_sends(session: LiveSession) -> QuerySet[GiftSend]:
    return (
        GiftSend.objects.filter(live_session=session)
        .select_related("sender", "sender__creator", "gift", "effect")
        .annotate(sender_subscribed=_subscribed(creator_id=session.creator_id, person="sender_id"))
    )


def _effect_class(item: ShopItem | None) -> str:
    return item.effect_class if item is not None else ""


def live_feed(*, session: LiveSession, after_id: int = 0, limit: int = 30) -> list[dict[str, object]]:
    """The newest gifts of a live session (after ``after_id``), oldest first, with combo counts."""
    window = list(_feed_sends(session).order_by("-id")[: limit + 20])[::-1]
    combo_gap = timedelta(seconds=settings.GIFT_COMBO_SECONDS)
    last: dict[tuple[int, int], tuple[datetime, int]] = {}
    items = []
    for send in window:
        key = (send.sender_id, send.gift_id)
        previous = last.get(key)
        combo = previous[1] + 1 if previous and send.created_at - previous[0] <= combo_gap else 1
        if send.status != GiftSendStatus.CANCELLED:
            last[key] = (send.created_at, combo)
        if send.pk > after_id:
            items.append(gift_feed_item(send=send, subscribed=send.sender_subscribed, combo=combo))  # type: ignore[attr-defined]
    return items[-limit:]


def live_feed_version(*, session: LiveSession) -> str:
    """A fingerprint of what the live room shows: it changes with every gift (whatever order they commit in), every
    cancellation, every chat message and the end of the stream. One query; the polling fallback compares it."""
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
        )
        .values_list("gifts", "cancelled", "chat", "ended_at")
        .get()
    )
    return "{}.{}.{}.{}".format(*row[:3], 0 if row[3] is None else 1)


def gift_feed_item(*, send: GiftSend, subscribed: bool, combo: int) -> dict[str, object]:
    """One gift as the live room shows it (the feed and the pushed event alike): already public, so an anonymous
    gifter is "Anonymous" here and nothing else about them is in it."""
    name = public_name(sender=send.sender, anonymous=send.is_anonymous)
    return {
        "id": send.pk,
        "name": name,
        "subscriber": name != ANONYMOUS and subscribed,
        "effect": _effect_class(send.effect),
        "gift": send.gift.name,
        "artwork": static(send.gift.artwork),
        "quantity": send.quantity,
        "coins": send.coins,
        "combo": combo,
        "cancelled": send.status == GiftSendStatus.CANCELLED,
        "at": send.created_at.isoformat(),
    }


def gift_combo_count(*, send: GiftSend) -> int:
    """How many of this gift the sender sent in a row in this live session (each within ``GIFT_COMBO_SECONDS`` of
    the one before), this one included: the "combo x3" of the live room."""
    gap = timedelta(seconds=settings.GIFT_COMBO_SECONDS)
    earlier = (
        GiftSend.objects.filter(
            live_session_id=send.live_session_id, sender_id=send.sender_id, gift_id=send.gift_id, pk__lt=send.pk
        )
        .exclude(status=GiftSendStatus.CANCELLED)
        .order_by("-pk")
        .values_list("created_at", flat=True)[:100]
    )
    combo, at = 1, send.created_at
    for created_at in earlier:
        if at - created_at > gap:
            break
        combo, at = combo + 1, created_at
    return combo


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
        .annotate(subscribed=_subscribed(creator_id=creator_id, person="pk"))
    }
    board = []
    for r in rows:
        person = people[r["sender_id"]]
        name = public_name(sender=person, anonymous=r["visibility"] == "anonymous")
        board.append(
            {"name": name, "coins": r["total"], "subscriber": name != ANONYMOUS and person.subscribed}  # type: ignore[attr-defined]
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
        .annotate(subscribed=_subscribed(creator_id=session.creator_id, person="pk"))
    }
    rows: list[tuple[str, int, dict[str, object]]] = []
    for r in totals:
        person = people[r["sender_id"]]
        name = public_name(sender=person, anonymous=r["visibility"] == "anonymous")
        shown = {"name": name, "subscriber": name != ANONYMOUS and person.subscribed}  # type: ignore[attr-defined]
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


def gifts_sent_list(*, user: User) -> QuerySet[GiftSend]:
    return GiftSend.objects.filter(sender=user).select_related("gift", "creator").order_by("-id")


def gifts_received_list(*, creator: CreatorProfile) -> QuerySet[GiftSend]:
    return GiftSend.objects.filter(creator=creator).select_related("gift", "sender", "sender__creator").order_by("-id")


def diamonds_credited_total() -> int:
    """Diamonds credited by gifts that stand (for the ledger invariant)."""
    return GiftSend.objects.exclude(status=GiftSendStatus.CANCELLED).aggregate(t=Sum("diamonds"))["t"] or 0


def diamonds_credited_by_subscriptions_total() -> int:
    """Diamonds credited by paid subscription periods (for the ledger invariant; a period is never taken back)."""
    return SubscriptionPeriod.objects.aggregate(t=Sum("diamonds"))["t"] or 0


# --- stickers and effects -------------------------------------------------------------------------


def shop_items_on_sale(*, at: datetime | None = None) -> list[ShopItem]:
    now = at or timezone.now()
    return list(
        ShopItem.objects.filter(active=True)
        .filter(Q(event__isnull=True) | Q(event__starts_at__lte=now, event__ends_at__gt=now))
        .select_related("event")
        .order_by("kind", "coin_price", "sort_order", "pk")
    )


def shop_item_sale_problem(*, item: ShopItem, at: datetime) -> str | None:
    noun = item.get_kind_display().lower()
    if not item.active:
        return f"The {item.name} {noun} is not on sale."
    event = item.event
    if event is not None:
        if at < event.starts_at:
            return f"The {item.name} {noun} goes on sale when {event.name} starts."
        if at >= event.ends_at:
            return f"The {item.name} {noun} was only on sale during {event.name}, which has ended."
    return None


def shop_item_ids_owned(*, user: User) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(Ownership.objects.filter(user=user).values_list("item_id", flat=True))


def inventory_list(*, user: User) -> list[Ownership]:
    """What a person owns, stickers first, newest first within each kind."""
    return list(
        Ownership.objects.filter(user=user).select_related("item").order_by("-item__kind", "-acquired_at", "-pk")
    )


def stickers_owned(*, user: User) -> list[ShopItem]:
    if not user.is_authenticated:
        return []
    return list(
        ShopItem.objects.filter(ownerships__user=user, kind=ShopItemKind.STICKER).order_by("name", "pk").distinct()
    )


def effect_armed_get(*, user: User) -> ShopItem | None:
    """The effect waiting for this person's next gift or chat message in a live room, if any."""
    if not user.is_authenticated:
        return None
    ownership = Ownership.objects.filter(user=user, armed=True).select_related("item").first()
    return ownership.item if ownership is not None else None


# --- live-room chat -------------------------------------------------------------------------------


def chat_feed(*, session: LiveSession, after_id: int = 0, limit: int = 50) -> list[dict[str, object]]:
    """The newest chat messages of a live session (after ``after_id``), oldest first; names by the privacy rules."""
    messages = list(
        ChatMessage.objects.filter(session=session, pk__gt=after_id)
        .select_related("sender", "sender__creator", "sticker", "effect")
        .annotate(sender_subscribed=_subscribed(creator_id=session.creator_id, person="sender_id"))
        .order_by("-id")[:limit]
    )[::-1]
    return [chat_feed_item(message=m, subscribed=m.sender_subscribed) for m in messages]  # type: ignore[attr-defined]


def chat_feed_item(*, message: ChatMessage, subscribed: bool) -> dict[str, object]:
    """One chat message as the live room shows it (the feed and the pushed event alike)."""
    name = public_name(sender=message.sender, anonymous=False)
    return {
        "id": message.pk,
        "name": name,
        "subscriber": name != ANONYMOUS and subscribed,
        "text": message.text,
        "sticker": (
            {"name": message.sticker.name, "artwork": static(message.sticker.artwork)}
            if message.sticker is not None
            else None
        ),
        "effect": _effect_class(message.effect),
        "at": message.created_at.isoformat(),
    }


# --- subscriptions --------------------------------------------------------------------------------


def _current(now: datetime) -> Q:
    """Subscriptions whose benefits hold now: active (paid, or its renewal is being made), or cancelled but paid
    until a period end still ahead."""
    return Q(status=SubscriptionStatus.ACTIVE) | Q(status=SubscriptionStatus.CANCELLED, current_period_end__gt=now)


def _subscribed(*, creator_id: int, person: str, at: datetime | None = None) -> Exists:
    """An ``Exists`` to annotate rows with: does the person in column ``person`` subscribe to the creator now?"""
    return Exists(
        Subscription.objects.filter(_current(at or timezone.now()), plan__creator_id=creator_id).filter(
            subscriber_id=OuterRef(person)
        )
    )


def subscription_is_current(*, subscription: Subscription | None, at: datetime | None = None) -> bool:
    if subscription is None:
        return False
    now = at or timezone.now()
    return subscription.status == SubscriptionStatus.ACTIVE or (
        subscription.status == SubscriptionStatus.CANCELLED and subscription.current_period_end > now
    )


def subscriber_is_current(*, subscriber: User, creator: CreatorProfile, at: datetime | None = None) -> bool:
    """Whether ``subscriber`` has a subscription to ``creator`` whose benefits hold now (badge, subscriber gifts)."""
    if not subscriber.is_authenticated:
        return False
    return Subscription.objects.filter(
        _current(at or timezone.now()), plan__creator=creator, subscriber=subscriber
    ).exists()


def subscription_plan_get(*, creator: CreatorProfile) -> SubscriptionPlan | None:
    return SubscriptionPlan.objects.filter(creator=creator).first()


def subscription_get(*, subscriber: User, creator: CreatorProfile) -> Subscription | None:
    """A person's subscription to a creator (whatever its status), with its plan."""
    if not subscriber.is_authenticated:
        return None
    return (
        Subscription.objects.filter(subscriber=subscriber, plan__creator=creator)
        .select_related("plan", "plan__creator")
        .first()
    )


def subscription_list(*, subscriber: User) -> list[Subscription]:
    return list(
        Subscription.objects.filter(subscriber=subscriber)
        .select_related("plan", "plan__creator")
        .order_by("status", "current_period_end")
    )


def subscriber_count(*, creator: CreatorProfile, at: datetime | None = None) -> int:
    return Subscription.objects.filter(_current(at or timezone.now()), plan__creator=creator).count()


def subscriptions_due_ids(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Active subscriptions whose period has ended: each needs its renewal (oldest first)."""
    now = now or timezone.now()
    return list(
        Subscription.objects.filter(status=SubscriptionStatus.ACTIVE, next_renewal_at__lte=now)
        .order_by("next_renewal_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
