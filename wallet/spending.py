"""The one spending rule: may this person spend coins (or cash diamonds out) now? (DESIGN.md "one rule, one place")

Every spender calls ``spend_check``: recharges, gifts (live, on a profile, on a video), the shop, chat effects,
subscriptions (start and renewal) and payout requests. It raises ``SpendRefused`` with the same words whichever of
them asked, and reads what it needs in one statement on the common path (no debt, no budget).

The monthly budget a person sets limits two things, each against the same limit: what they recharge (the price of
purchases in the platform currency) and what the coins they spend are worth (at the custom-amount price per coin,
``coins_cash_minor``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User

from .models import (
    Asset,
    CoinDebt,
    LedgerAccount,
    LedgerEntry,
    Purchase,
    PurchaseStatus,
    RechargeBudget,
    TransactionKind,
)

# Ledger kinds that spend coins (and give them back on undo): what the budget counts besides recharges.
SPENDING_KINDS = (TransactionKind.GIFT, TransactionKind.GIFT_UNDO, TransactionKind.SHOP, TransactionKind.SUBSCRIPTION)
# Purchases that count against the budget: everything but the ones that never took money.
BUDGET_PURCHASE_STATUSES = (
    PurchaseStatus.PENDING,
    PurchaseStatus.PAID,
    PurchaseStatus.REFUNDED,
    PurchaseStatus.PART_REFUNDED,
    PurchaseStatus.DISPUTED,
    PurchaseStatus.CHARGED_BACK,
)


class SpendRefused(ValidationError):
    """This person may not spend (or cash out) now; the message says why, the same from every entry point."""


MUST_LOG_IN = "Log in first."
UNDER_18 = "You must be 18 or older to buy or spend coins, or to receive payouts."
RESTRICTED = "Your account is restricted, so it cannot buy or spend coins or receive payouts. Contact support."
TO_SELF = "You cannot spend coins on yourself."


def spend_debt_message(*, coins: int) -> str:
    return (
        f"Your account owes {coins:,} coins after a refund or chargeback, so it cannot buy or spend coins or "
        "receive payouts until that is settled. Contact support."
    )


def spend_budget_message(*, left_minor: int) -> str:
    from .money import money_format as money  # the one money formatter

    return (
        f"This is over your monthly budget: {money(left_minor, settings.CURRENCY)} is left this month. "
        "Choose something smaller or change your budget."
    )


def spend_budget_currency_message(*, currency: str) -> str:
    return (
        f"Your budget is kept in {settings.CURRENCY}, so while it is set you can only buy packages priced in "
        f"{settings.CURRENCY}, not {currency}."
    )


def spend_gift_cap_message(*, cap_minor: int) -> str:
    from .money import money_format as money

    return (
        f"This is over your limit for a single gift or purchase: {money(cap_minor, settings.CURRENCY)}. "
        "Choose something smaller or change your budget."
    )


def spend_daily_message(*, left_minor: int) -> str:
    from .money import money_format as money

    return (
        f"This is over your daily budget: {money(left_minor, settings.CURRENCY)} is left today. "
        "Choose something smaller or change your budget."
    )


# --- debts ---------------------------------------------------------------------------------------------------------


def user_open_debt_coins(*, user: User | int) -> int:
    """The coins a person owes after refunds or disputes took back coins already spent (0: none)."""
    return CoinDebt.objects.filter(user=user, settled_at__isnull=True).aggregate(t=Sum("coins"))["t"] or 0


# --- budget --------------------------------------------------------------------------------------------------------


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def budget_effective_limit(*, user: User, now: datetime | None = None) -> int | None:
    """The monthly limit in force (minor units of ``CURRENCY``), applying a pending raise once its delay passed."""
    now = now or timezone.now()
    budget = RechargeBudget.objects.filter(user=user).first()
    if budget is None:
        return None
    if budget.pending_effective_at and budget.pending_effective_at <= now:
        return None if budget.pending_unlimited else budget.pending_limit_minor
    return budget.monthly_limit_minor


def budget_recharged_this_month(*, user: User, now: datetime | None = None) -> int:
    """What the person's purchases this month cost, in minor units of ``CURRENCY``."""
    now = now or timezone.now()
    return (
        Purchase.objects.filter(
            user=user,
            created_at__gte=_month_start(now),
            status__in=BUDGET_PURCHASE_STATUSES,
            currency=settings.CURRENCY,
        ).aggregate(t=Sum("price_minor"))["t"]
        or 0
    )


def budget_coins_spent_this_month(*, user: User, now: datetime | None = None) -> int:
    """Coins spent this month on gifts (less the ones cancelled), the shop and subscriptions."""
    now = now or timezone.now()
    net = (
        LedgerEntry.objects.filter(
            account__in=LedgerAccount.objects.filter(owner=user, asset=Asset.COIN),
            transaction__kind__in=SPENDING_KINDS,
            transaction__created_at__gte=_month_start(now),
        ).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    return max(0, -net)


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def budget_effective_caps(*, user: User, now: datetime | None = None) -> tuple[int | None, int | None]:
    """The daily cap and the per-gift cap in force (minor units of ``CURRENCY``; None: none), applying raised caps
    once the delay passed."""
    now = now or timezone.now()
    budget = RechargeBudget.objects.filter(user=user).first()
    if budget is None:
        return None, None
    daily, per_gift = budget.daily_limit_minor, budget.gift_limit_minor
    if budget.pending_effective_at and budget.pending_effective_at <= now:
        daily = budget.pending_caps.get("daily", daily)
        per_gift = budget.pending_caps.get("gift", per_gift)
    return daily, per_gift


def budget_used_since(*, user: User, since: datetime) -> int:
    """What was used of a budget since ``since``: the larger of what was recharged and what the coins spent are
    worth (the monthly budget's measure), in minor units of ``CURRENCY``."""
    recharged = (
        Purchase.objects.filter(
            user=user, created_at__gte=since, status__in=BUDGET_PURCHASE_STATUSES, currency=settings.CURRENCY
        ).aggregate(t=Sum("price_minor"))["t"]
        or 0
    )
    net = (
        LedgerEntry.objects.filter(
            account__in=LedgerAccount.objects.filter(owner=user, asset=Asset.COIN),
            transaction__kind__in=SPENDING_KINDS,
            transaction__created_at__gte=since,
        ).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    return max(recharged, coins_cash_minor(coins=max(0, -net)))


def budget_summary(*, user: User, now: datetime | None = None) -> tuple[int | None, int | None]:
    """The monthly limit in force and what is left of it this month (both None: no limit)."""
    limit = budget_effective_limit(user=user, now=now)
    if limit is None:
        return None, None
    return limit, budget_left(user=user, limit=limit, now=now)


def budget_remaining(*, user: User, now: datetime | None = None) -> int | None:
    return budget_summary(user=user, now=now)[1]


def budget_left(*, user: User, limit: int, now: datetime | None = None) -> int:
    """What is left of ``limit`` this month, in minor units: the limit less the larger of what was recharged and
    what the coins spent are worth (each is held to the limit; one figure is shown for both)."""
    spent = coins_cash_minor(coins=budget_coins_spent_this_month(user=user, now=now))
    return max(0, limit - max(spent, budget_recharged_this_month(user=user, now=now)))


def coins_cash_minor(*, coins: int) -> int:
    """What ``coins`` are worth at the custom-amount price, in minor units of ``CURRENCY``: the budget's measure.

    Deliberately the dearest way to buy a coin, so a budget never lets more money through than it says; the value
    shown beside gifts is the cheapest (``wallet.selectors.coin_value_get``), so a gift is never said to be worth more
    than its coins can cost. Both are the wallet's, side by side on purpose."""
    from .money import money_to_minor

    return money_to_minor(Decimal(coins) * settings.CUSTOM_COIN_PRICE, settings.CURRENCY)


# --- the rule ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendFacts:
    """What the rule reads from the database on every spend: whether the person owes coins and whether they set a
    budget (the rest is read only when one of them is true)."""

    owes: bool
    has_budget: bool


def spend_facts_sql(*, user_id: int | None) -> tuple[str, list[int | None]]:
    """The rule's facts as two boolean columns of a SELECT list, with their parameters.

    A hot caller (``gift_send``) puts them into its own statement beside its own facts, so a gift reads everything in
    one round trip; the SQL stays here, with the rule, and the caller passes the result back as ``SpendFacts``."""
    sql = (
        f"EXISTS (SELECT 1 FROM {CoinDebt._meta.db_table} WHERE user_id = %s AND settled_at IS NULL), "  # noqa: S608 - our tables
        f"EXISTS (SELECT 1 FROM {RechargeBudget._meta.db_table} WHERE user_id = %s "
        "AND (monthly_limit_minor IS NOT NULL OR pending_effective_at IS NOT NULL "
        "OR daily_limit_minor IS NOT NULL OR gift_limit_minor IS NOT NULL))"
    )
    return sql, [user_id, user_id]


def spend_facts_get(*, user_id: int) -> SpendFacts:
    """The rule's facts in one statement of their own."""
    sql, params = spend_facts_sql(user_id=user_id)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        owes, has_budget = cursor.fetchone()
    return SpendFacts(owes=bool(owes), has_budget=bool(has_budget))


def spend_check(
    *,
    user: User,
    coins: int = 0,
    cash_minor: int = 0,
    currency: str | None = None,
    recipient_id: int | None = None,
    budget: bool = True,
    now: datetime | None = None,
    facts: SpendFacts | None = None,
) -> None:
    """Raise ``SpendRefused`` unless ``user`` may spend now.

    ``coins``: coins about to be spent (gifts, shop, subscriptions); ``cash_minor`` in ``currency``: the price of a
    recharge about to be made; both 0 to use what was already paid for (an owned effect): refused only once the
    month's budget is used up. ``recipient_id``: the user who would receive the coins (nobody spends on
    themselves). ``budget=False``: the person rules only (a payout request). ``facts``: ``SpendFacts`` the caller
    already read for this user in its own statement (``spend_facts_sql``); read here otherwise.
    """
    if not user.is_authenticated:
        raise SpendRefused(MUST_LOG_IN, code="login")
    if recipient_id is not None and recipient_id == user.pk:
        raise SpendRefused(TO_SELF, code="self")
    if not user.is_adult:
        raise SpendRefused(UNDER_18, code="under_18")
    if user.is_frozen:
        raise SpendRefused(RESTRICTED, code="restricted")
    facts = facts or spend_facts_get(user_id=user.pk)
    if facts.owes:
        raise SpendRefused(spend_debt_message(coins=user_open_debt_coins(user=user)), code="debt")
    if not budget or not facts.has_budget:
        return
    if cash_minor and (currency or settings.CURRENCY) != settings.CURRENCY:
        raise SpendRefused(spend_budget_currency_message(currency=currency or ""), code="budget_currency")
    counted = coins_cash_minor(coins=coins) if coins else 0
    counted = max(counted, cash_minor)
    daily, per_gift = budget_effective_caps(user=user, now=now)
    if per_gift is not None and coins and counted > per_gift:
        raise SpendRefused(spend_gift_cap_message(cap_minor=per_gift), code="budget_gift")
    if daily is not None:
        day_left = max(0, daily - budget_used_since(user=user, since=_day_start(now or timezone.now())))
        if counted > day_left or (not counted and day_left <= 0):
            raise SpendRefused(spend_daily_message(left_minor=day_left), code="budget_daily")
    limit = budget_effective_limit(user=user, now=now)
    if limit is None:
        return
    left = budget_left(user=user, limit=limit, now=now)
    if left <= 0 or counted > left:
        raise SpendRefused(spend_budget_message(left_minor=left), code="budget")
