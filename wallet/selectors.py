"""Wallet reads: balances, history, packages, purchases."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet, Sum

from accounts.models import User

from .models import Asset, CoinPackage, LedgerAccount, LedgerBalanceShard, LedgerEntry, Purchase
from .money import money_from_minor


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


def package_price_per(*, package: CoinPackage, per: int = 100) -> Decimal:
    """What ``per`` coins cost in this package, in major units of its currency, unrounded (shown next to each
    package, formatted by the money module)."""
    return money_from_minor(package.price_minor, package.currency) * per / package.coins


def purchase_list(*, user: User) -> QuerySet[Purchase]:
    return Purchase.objects.filter(user=user).order_by("-created_at")


COIN_VALUE_CACHE_SECONDS = 60  # staff edit packages rarely; pages show the value within a minute of a change


def coin_value_get() -> Decimal:
    """THE real-money value of one coin (major units of ``CURRENCY``): what it costs in the cheapest active package
    per coin in the platform currency, else the custom-amount price. A deliberately conservative "about": a gift is
    never said to be worth more than its coins can cost, and the creator's share is of the least a viewer pays. (Not
    the buyer's own average price: it differs per viewer, means nothing on a creator's page, and costs a query per
    person.) Cached for a minute: the gift panel asks on every page."""
    key = f"wallet:coin-value:{settings.CURRENCY}"
    cached = cache.get(key)
    if isinstance(cached, Decimal):
        return cached
    packages = CoinPackage.objects.filter(active=True, currency=settings.CURRENCY).values_list("price_minor", "coins")
    prices = [money_from_minor(price, settings.CURRENCY) / coins for price, coins in packages]
    value = min(prices) if prices else settings.CUSTOM_COIN_PRICE
    cache.set(key, value, timeout=COIN_VALUE_CACHE_SECONDS)
    return value
