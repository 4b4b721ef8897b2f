"""Gift reads: what is on sale, live feeds with combos, leaderboards (privacy rules applied), histories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.templatetags.static import static
from django.utils import timezone

from accounts.models import CreatorProfile, User

from .models import Event, Gift, GiftSend, GiftSendStatus, LiveSession

ANONYMOUS = "Anonymous"


def gifts_on_sale(*, at: datetime | None = None) -> list[Gift]:
    now = at or timezone.now()
    return list(
        Gift.objects.filter(active=True)
        .filter(Q(event__isnull=True) | Q(event__starts_at__lte=now, event__ends_at__gt=now))
        .select_related("event")
        .order_by("coin_cost", "sort_order")
    )


def events_current(*, at: datetime | None = None) -> list[Event]:
    now = at or timezone.now()
    return list(Event.objects.filter(starts_at__lte=now, ends_at__gt=now).order_by("ends_at"))


def live_sessions_now() -> list[LiveSession]:
    return list(LiveSession.objects.filter(ended_at__isnull=True).select_related("creator").order_by("-started_at"))


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


def gift_panel(*, at: datetime | None = None) -> list[PanelGift]:
    r = rates()
    cent = Decimal("0.01")
    return [
        PanelGift(
            gift=g,
            value=(g.coin_cost * r.coin_value).quantize(cent),
            diamonds=g.coin_cost * r.diamonds_per_coin,
            diamonds_value=(g.coin_cost * r.diamonds_per_coin * r.diamond_value).quantize(cent),
        )
        for g in gifts_on_sale(at=at)
    ]


def public_name(*, sender: User, anonymous: bool) -> str:
    if anonymous or not sender.show_on_leaderboards:
        return ANONYMOUS
    return sender.public_name


def _feed_sends(session: LiveSession) -> QuerySet[GiftSend]:
    return GiftSend.objects.filter(live_session=session).select_related("sender", "sender__creator", "gift")


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
            items.append(
                {
                    "id": send.pk,
                    "name": public_name(sender=send.sender, anonymous=send.is_anonymous),
                    "gift": send.gift.name,
                    "artwork": static(send.gift.artwork),
                    "quantity": send.quantity,
                    "coins": send.coins,
                    "combo": combo,
                    "cancelled": send.status == GiftSendStatus.CANCELLED,
                    "at": send.created_at.isoformat(),
                }
            )
    return items[-limit:]


def _leaderboard(sends: QuerySet[GiftSend], limit: int) -> list[dict[str, object]]:
    """Top gifters by coins. Anonymous gifts, and people who opted out, count but are shown as Anonymous."""
    rows = list(
        sends.exclude(status=GiftSendStatus.CANCELLED)
        .values("sender_id", "visibility")
        .annotate(total=Sum("coins"))
        .order_by("-total", "sender_id")[: limit * 2]
    )
    people = {u.pk: u for u in User.objects.filter(pk__in={r["sender_id"] for r in rows}).select_related("creator")}
    board = [
        {
            "name": public_name(sender=people[r["sender_id"]], anonymous=r["visibility"] == "anonymous"),
            "coins": r["total"],
        }
        for r in rows
    ]
    return board[:limit]


def leaderboard_for_session(*, session: LiveSession, limit: int = 10) -> list[dict[str, object]]:
    return _leaderboard(GiftSend.objects.filter(live_session=session), limit)


def leaderboard_for_creator(
    *, creator: CreatorProfile, days: int | None = None, limit: int = 10
) -> list[dict[str, object]]:
    sends = GiftSend.objects.filter(creator=creator)
    if days:
        sends = sends.filter(created_at__gte=timezone.now() - timedelta(days=days))
    return _leaderboard(sends, limit)


def gifts_sent_list(*, user: User) -> QuerySet[GiftSend]:
    return GiftSend.objects.filter(sender=user).select_related("gift", "creator").order_by("-id")


def gifts_received_list(*, creator: CreatorProfile) -> QuerySet[GiftSend]:
    return GiftSend.objects.filter(creator=creator).select_related("gift", "sender", "sender__creator").order_by("-id")


def diamonds_credited_total() -> int:
    """Diamonds credited by gifts that stand (for the ledger invariant)."""
    return GiftSend.objects.exclude(status=GiftSendStatus.CANCELLED).aggregate(t=Sum("diamonds"))["t"] or 0
