from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import CreatorProfile
from gifts.models import (
    ChatMessage,
    Event,
    Gift,
    GiftSend,
    LiveSession,
    Ownership,
    ShopItem,
    ShopItemKind,
    Subscription,
    SubscriptionPeriod,
    SubscriptionPlan,
)
from wallet.models import LedgerAccount, LedgerBalanceShard, LedgerTransaction


@pytest.fixture
def catalog(db: None) -> dict[str, Gift]:
    from gifts.demo import GIFTS

    gifts = {
        slug: Gift.objects.create(slug=slug, name=name, coin_cost=cost, artwork=f"gifts/{slug}.svg")
        for slug, name, cost in GIFTS
    }
    now = timezone.now()
    event = Event.objects.create(
        name="Winter Festival", slug="winter", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)
    )
    gifts["snowflake"] = Gift.objects.create(
        slug="snowflake", name="Snowflake", coin_cost=100, artwork="gifts/snowflake.svg", event=event
    )
    return gifts


@pytest.fixture
def creator(make_creator: Callable[..., CreatorProfile]) -> CreatorProfile:
    return make_creator("alice")


@pytest.fixture
def live(creator: CreatorProfile) -> LiveSession:
    return LiveSession.objects.create(creator=creator, title="Evening songs")


@pytest.fixture
def shop_items(db: None) -> dict[str, ShopItem]:
    """The demo shop: stickers (wave 10, laugh 20, ...) and effects (highlight 50, glow 100, ...)."""
    from gifts.demo import SHOP_ITEMS

    return {
        slug: ShopItem.objects.create(
            slug=slug,
            name=name,
            coin_price=price,
            effect_style=style,
            kind=ShopItemKind.EFFECT if style else ShopItemKind.STICKER,
            artwork=f"shop/{slug}.svg",
        )
        for slug, name, price, style in SHOP_ITEMS
    }


@pytest.fixture
def plan(creator: CreatorProfile) -> SubscriptionPlan:
    return SubscriptionPlan.objects.create(creator=creator, name="Front row", coins_per_month=100)


class Unchanged:
    """``with nothing_written():`` asserts a refused action wrote nothing: no row of any kind, no coin moved."""

    MODELS = (LedgerTransaction, Ownership, ChatMessage, Subscription, SubscriptionPeriod, GiftSend)

    def __enter__(self) -> Unchanged:
        self.before = self._state()
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            assert self._state() == self.before, "a refused action wrote something"

    def _state(self) -> tuple[object, ...]:
        counts = tuple(model.objects.count() for model in self.MODELS)
        balances = tuple(LedgerAccount.objects.order_by("pk").values_list("pk", "balance")) + tuple(
            LedgerBalanceShard.objects.order_by("pk").values_list("pk", "balance")
        )
        statuses = tuple(Subscription.objects.order_by("pk").values_list("pk", "status", "current_period_end"))
        armed = tuple(Ownership.objects.filter(armed=True).order_by("pk").values_list("pk", flat=True))
        return counts, balances, statuses, armed


@pytest.fixture
def nothing_written() -> type[Unchanged]:
    return Unchanged
