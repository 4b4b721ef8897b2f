"""Shop reads: items on sale, inventories, the armed effect."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from accounts.models import User

from ..catalog.selectors import sale_problem
from .models import Ownership, ShopItem, ShopItemKind


def shop_items_on_sale(*, at: datetime | None = None) -> list[ShopItem]:
    now = at or timezone.now()
    listed = (
        ShopItem.objects.filter(active=True)  # narrows the read; ``sale_problem`` decides
        .select_related("event")
        .order_by("kind", "coin_price", "sort_order", "pk")
    )
    return [item for item in listed if sale_problem(item=item, at=now) is None]


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


def shop_item_get(*, item_id: int) -> ShopItem | None:
    """One shop item (sticker or effect) by id, with its event; None when there is no such item."""
    return ShopItem.objects.select_related("event").filter(pk=item_id).first()
