"""Wallet reads: balances, history, packages, purchases."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet, Sum

from accounts.models import User

from .models import Asset, CoinPackage, LedgerAccount, LedgerBalanceShard, LedgerEntry, Purchase


def wallet_balance_get(*, user: User | int, asset: str = Asset.COIN) -> int:
    """A person's balance: the cached balance, or for a sharded (creator DIAMOND) account the sum of its shards."""
    user_id = user if isinstance(user, int) else user.pk
    account = LedgerAccount.objects.filter(owner_id=user_id, asset=asset).only("id", "balance", "sharded").first()
    if account is None:
        return 0
    if not account.sharded:
        return account.balance
    return LedgerBalanceShard.objects.filter(account_id=account.pk).aggregate(t=Sum("balance"))["t"] or 0


def ledger_entry_list(
    *,
    user: User,
    kind: str | None = None,
    asset: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[LedgerEntry]:
    """A person's own entries, newest first, with their transaction (one query per page)."""
    entries = LedgerEntry.objects.filter(account__owner=user).select_related("transaction").order_by("-id")
    if kind:
        entries = entries.filter(transaction__kind=kind)
    if asset:
        entries = entries.filter(asset=asset)
    if date_from:
        entries = entries.filter(transaction__created_at__date__gte=date_from)
    if date_to:
        entries = entries.filter(transaction__created_at__date__lte=date_to)
    return entries


def coin_package_list() -> list[CoinPackage]:
    return list(CoinPackage.objects.filter(active=True).order_by("sort_order", "coins"))


def price_per_100_minor(*, coins: int, price_minor: int) -> Decimal:
    """The price of 100 coins, in major units with 2 decimals (shown next to each package)."""
    return (Decimal(price_minor) * 100 / Decimal(coins) / 100).quantize(Decimal("0.01"))


def coins_cash_value(*, coins: int) -> Decimal:
    """What coins cost at the custom-amount rate (shown as "real-money value")."""
    return (Decimal(coins) * settings.CUSTOM_COIN_PRICE).quantize(Decimal("0.01"))


def purchase_list(*, user: User) -> QuerySet[Purchase]:
    return Purchase.objects.filter(user=user).order_by("-created_at")
