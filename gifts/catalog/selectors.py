"""Catalog reads: what is on sale now (one definition, ``sale_problem``), the gift panel and its rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from wallet.money import share_percent
from wallet.selectors import coin_value_get
from wallet.spending import SpendFacts, spend_facts_sql

from ..shop.models import ShopItem
from ..subscriptions.models import SubscriptionPlan
from .models import Event, Gift


def _kept_for_subscribers(creator_id: int) -> QuerySet[Any]:
    """The ids of the gifts a creator keeps for their subscribers (``SubscriptionPlan.subscriber_gifts``)."""
    return SubscriptionPlan.subscriber_gifts.through.objects.filter(subscriptionplan__creator_id=creator_id).values(
        "gift_id"
    )


def sale_problem(*, item: Gift | ShopItem, at: datetime) -> str | None:
    """THE definition of "on sale now", for gifts and for shop items: active, and inside its event's window when it
    belongs to one. Why not, in words; None when it is on sale. The catalogs filter with it too."""
    noun = "gift" if isinstance(item, Gift) else item.get_kind_display().lower()
    if not item.active:
        return f"The {item.name} {noun} is not on sale."
    event = item.event
    if event is not None:
        if at < event.starts_at:
            return f"The {item.name} {noun} goes on sale when {event.name} starts."
        if at >= event.ends_at:
            return f"The {item.name} {noun} was only on sale during {event.name}, which has ended."
    return None


def gifts_on_sale(*, at: datetime | None = None, subscriber: bool = False, creator_id: int | None = None) -> list[Gift]:
    """Gifts on sale now (``sale_problem``), for gifting ``creator_id`` (when given). Gifts for subscribers only
    (marked so by staff, or kept for subscribers by that creator) are listed only for a subscriber; each gift's
    ``subscribers_only`` says which they are."""
    now = at or timezone.now()
    gifts = Gift.objects.filter(active=True)  # narrows the read; ``sale_problem`` decides
    for_subscribers = Q(subscriber_only=True)
    if creator_id is not None:
        for_subscribers |= Q(pk__in=_kept_for_subscribers(creator_id))
    gifts = gifts.annotate(subscribers_only=ExpressionWrapper(for_subscribers, output_field=BooleanField()))
    if not subscriber:
        gifts = gifts.filter(subscribers_only=False)
    listed = gifts.select_related("event").order_by("coin_cost", "sort_order")
    return [gift for gift in listed if sale_problem(item=gift, at=now) is None]


@dataclass(frozen=True)
class GiftSendFacts:
    kept_for_subscribers: bool  # the creator keeps this gift for subscribers (``SubscriptionPlan.subscriber_gifts``)
    goal_open: bool  # the creator has an open goal (then it moves on commit)
    spend: SpendFacts  # the sender's facts for the spending rule (``wallet.spending.spend_check``)


def gift_send_facts(*, creator_id: int, gift_id: int, sender_id: int | None) -> GiftSendFacts:
    """What a gift must know beyond its rows, in one plain statement (asked on every gift; building ORM queries costs
    several times the round trip: bench/RESULTS.md): the gifts' own facts, and the wallet's spending-rule facts about
    the sender (the wallet writes that SQL: ``spend_facts_sql``; gifts only puts it in the same round trip)."""
    from ..live.models import GiftGoal

    through = SubscriptionPlan.subscriber_gifts.through._meta.db_table
    plans = SubscriptionPlan._meta.db_table
    spend_sql, spend_params = spend_facts_sql(user_id=sender_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {through} t JOIN {plans} p ON p.id = t.subscriptionplan_id "  # noqa: S608
            "WHERE p.creator_id = %s AND t.gift_id = %s), "
            f"EXISTS (SELECT 1 FROM {GiftGoal._meta.db_table} WHERE creator_id = %s AND closed_at IS NULL), "
            f"{spend_sql}",
            [creator_id, gift_id, creator_id, *spend_params],
        )
        kept, goal, owes, has_budget = cursor.fetchone()
    return GiftSendFacts(bool(kept), bool(goal), SpendFacts(owes=bool(owes), has_budget=bool(has_budget)))


def events_current(*, at: datetime | None = None) -> list[Event]:
    now = at or timezone.now()
    return list(Event.objects.filter(starts_at__lte=now, ends_at__gt=now).order_by("ends_at"))


@dataclass(frozen=True)
class Rates:
    """The numbers behind the gift panel, computed from the operator's settings (DESIGN.md "Rates")."""

    coin_value: Decimal  # what a coin costs a viewer: ``wallet.selectors.coin_value_get`` (the cheapest way to buy one)
    diamonds_per_coin: int
    diamond_value: Decimal  # what a diamond pays a creator

    @property
    def creator_share_percent(self) -> int:
        return share_percent(self.diamonds_per_coin * self.diamond_value, self.coin_value)


def rates() -> Rates:
    return Rates(coin_value_get(), settings.DIAMONDS_PER_COIN, settings.DIAMOND_CASH_VALUE)


def diamonds_value(*, diamonds: int) -> Decimal:
    """What ``diamonds`` pay a creator, in major units of ``CURRENCY`` (``{{ value|money_amount }}``)."""
    return diamonds * settings.DIAMOND_CASH_VALUE


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
    return [
        PanelGift(
            gift=g,
            value=g.coin_cost * r.coin_value,
            diamonds=g.coin_cost * r.diamonds_per_coin,
            diamonds_value=g.coin_cost * r.diamonds_per_coin * r.diamond_value,
        )
        for g in gifts_on_sale(at=at, subscriber=subscriber, creator_id=creator_id)
    ]


def gifts_locked(*, creator_id: int, at: datetime | None = None) -> list[Gift]:
    """Gifts on sale that only the creator's subscribers may send: shown locked to everyone else."""
    return [g for g in gifts_on_sale(at=at, subscriber=True, creator_id=creator_id) if g.subscribers_only]  # type: ignore[attr-defined]


def gift_get(*, gift_id: int) -> Gift | None:
    """One gift by id, with its event (for ``sale_problem``); None when there is no such gift."""
    return Gift.objects.select_related("event").filter(pk=gift_id).first()


def gifts_active_list() -> QuerySet[Gift]:
    """The gifts in the catalog (active), cheapest first: the choices of a creator's gift goal. Lazy: a form's
    queryset, read when the form is shown."""
    return Gift.objects.filter(active=True).order_by("coin_cost")
