"""Shop writes: buying stickers and effects (one ledger transaction each), arming an effect for the next gift or
chat message, and applying it.

Who may spend coins here is the wallet's one rule (``wallet.spending.spend_check``), asked for every purchase and
every arming of an effect."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from wallet.models import Asset, SystemAccount, TransactionKind
from wallet.services import (
    InsufficientFunds,
    Posting,
    ledger_account_for_user,
    ledger_system_account,
    ledger_transaction_post,
)
from wallet.spending import spend_check

from ..catalog.selectors import sale_problem
from .models import Ownership, ShopItem, ShopItemKind


class ShopRefused(ValidationError):
    """A purchase or a use that may not happen, with the reason in words. Nothing was written."""


def shop_idempotency_key(*, user_id: int, item_id: int) -> str:
    """One purchase per person and item, ever: the key is made from that pair (the ``Ownership`` row's identity)."""
    return f"shop-{user_id}-{item_id}"


def shop_item_buy(*, buyer: User, item: ShopItem, now: datetime | None = None) -> Ownership:
    """Buy ``item`` for good: debit its price, record the ownership. All or nothing; refused if already owned.

    Buying an effect also arms it: it is applied to the buyer's next gift or chat message in a live room.
    """
    now = now or timezone.now()
    noun = item.get_kind_display().lower()
    problem = sale_problem(item=item, at=now)
    if problem:
        raise ShopRefused(problem)
    spend_check(user=buyer, coins=item.coin_price, now=now)
    if Ownership.objects.filter(user=buyer, item=item).exists():
        raise ShopRefused(f"You already own the {item.name} {noun}: it is in your inventory.", code="owned")
    account = ledger_account_for_user(user=buyer, asset=Asset.COIN)
    try:
        with transaction.atomic():
            if item.is_effect:
                Ownership.objects.filter(user=buyer, armed=True).update(armed=False)
            ownership = Ownership.objects.create(
                user=buyer, item=item, coins=item.coin_price, armed=item.is_effect, acquired_at=now
            )
            ledger_transaction_post(
                kind=TransactionKind.SHOP,
                idempotency_key=shop_idempotency_key(user_id=buyer.pk, item_id=item.pk),
                postings=[
                    Posting(account, -item.coin_price),
                    Posting(ledger_system_account(code=SystemAccount.COIN_SINK), item.coin_price),
                ],
                reference=("ownership", ownership.pk),
                memo=f"{item.get_kind_display()}: {item.name}",
            )
    except InsufficientFunds as exc:
        raise ShopRefused(
            f"Not enough coins: the {item.name} {noun} costs {item.coin_price:,} coins. Recharge to buy it.",
            code="insufficient_funds",
        ) from exc
    except IntegrityError as exc:
        if Ownership.objects.filter(user=buyer, item=item).exists():  # bought at the same moment in another tab
            raise ShopRefused(
                f"You already own the {item.name} {noun}: it is in your inventory.", code="owned"
            ) from exc
        raise ShopRefused(
            "Another purchase was made at the same moment; nothing was charged. Please try again."
        ) from exc
    return ownership


def shop_effect_arm(*, user: User, item: ShopItem) -> Ownership:
    """Choose an owned effect for the next gift or chat message in a live room (replacing any other)."""
    if not item.is_effect:
        raise ShopRefused("Only effects can be applied to your next message; pick a sticker in the chat instead.")
    spend_check(user=user)
    with transaction.atomic():
        ownership = Ownership.objects.select_for_update().filter(user=user, item=item).first()
        if ownership is None:
            raise ShopRefused(f"You do not own the {item.name} effect. Buy it in the shop first.")
        Ownership.objects.filter(user=user, armed=True).exclude(pk=ownership.pk).update(armed=False)
        if not ownership.armed:
            ownership.armed = True
            ownership.save(update_fields=["armed"])
    return ownership


def shop_effect_disarm(*, user: User) -> int:
    """No effect on the next message after all (the effect stays owned)."""
    return Ownership.objects.filter(user=user, armed=True).update(armed=False)


def shop_effect_consume(*, user: User, item: ShopItem | None) -> ShopItem | None:
    """Use the armed ``item`` once (inside the caller's transaction): returns it if it was armed, else None.

    A conditional update, so two messages sent at once cannot both use one arming.
    """
    if item is None:
        return None
    used = Ownership.objects.filter(user=user, item=item, armed=True).update(armed=False)
    return item if used else None


def sticker_owned_check(*, user: User, sticker: ShopItem) -> None:
    if sticker.kind != ShopItemKind.STICKER:
        raise ShopRefused("That is not a sticker.")
    if not Ownership.objects.filter(user=user, item=sticker).exists():
        raise ShopRefused(f"You do not own the {sticker.name} sticker. Buy it in the shop first.")
