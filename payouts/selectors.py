"""Payout reads: what a creator may redeem, earnings over time, payout history, the staff overview."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import CreatorProfile, User
from gifts.sending.models import GiftSend, GiftSendStatus
from gifts.subscriptions.models import SubscriptionPeriod
from wallet.models import (
    Asset,
    CoinDebt,
    LedgerAccount,
    LedgerBalanceShard,
    LedgerEntry,
    Purchase,
    SystemAccount,
)
from wallet.money import money_format, money_quantize
from wallet.selectors import wallet_balance_get

from .models import Payout, PayoutStatus

EARNING_KINDS = ("gift", "gift_undo", "subscription")
OPEN = (PayoutStatus.REQUESTED, PayoutStatus.APPROVED, PayoutStatus.PROCESSING)


@dataclass(frozen=True)
class DiamondsSummary:
    balance: int
    available: int
    pending: int
    in_payout: int

    def cash(self, diamonds: int) -> Decimal:
        """What ``diamonds`` pay out at the current rate, in major units of ``CURRENCY`` (rounded half up)."""
        return money_quantize(diamonds * settings.DIAMOND_CASH_VALUE, settings.CURRENCY)

    @property
    def available_cash(self) -> Decimal:
        return self.cash(self.available)

    @property
    def pending_cash(self) -> Decimal:
        return self.cash(self.pending)

    @property
    def in_payout_cash(self) -> Decimal:
        return self.cash(self.in_payout)


def creator_diamonds_summary(*, creator: CreatorProfile, now: datetime | None = None) -> DiamondsSummary:
    """Diamonds earned in the last ``PAYOUT_HOLD_DAYS`` are pending (a fraud hold); the rest may be redeemed."""
    now = now or timezone.now()
    balance = wallet_balance_get(user=creator.user_id, asset=Asset.DIAMOND)
    recent = (
        LedgerEntry.objects.filter(
            account__owner_id=creator.user_id,
            asset=Asset.DIAMOND,
            transaction__kind__in=EARNING_KINDS,
            transaction__created_at__gt=now - timedelta(days=settings.PAYOUT_HOLD_DAYS),
        ).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    pending = max(0, min(balance, recent))
    in_payout = Payout.objects.filter(creator=creator, status__in=OPEN).aggregate(t=Sum("diamonds"))["t"] or 0
    return DiamondsSummary(balance=balance, available=balance - pending, pending=pending, in_payout=in_payout)


def payout_cash_today(*, creator: CreatorProfile, now: datetime | None = None) -> int:
    now = now or timezone.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        Payout.objects.filter(creator=creator, created_at__gte=start)
        .exclude(status__in=[PayoutStatus.REJECTED, PayoutStatus.FAILED, PayoutStatus.CANCELLED])
        .aggregate(t=Sum("cash_minor"))["t"]
        or 0
    )


def _days(n: int, now: datetime) -> list[dt.date]:
    today = now.date()
    return [today - timedelta(days=i) for i in range(n - 1, -1, -1)]


def earnings_per_day(
    *, creator: CreatorProfile, days: int = 30, now: datetime | None = None
) -> list[tuple[dt.date, int]]:
    now = now or timezone.now()
    dates = _days(days, now)
    rows = (
        LedgerEntry.objects.filter(
            account__owner_id=creator.user_id,
            asset=Asset.DIAMOND,
            transaction__kind__in=EARNING_KINDS,
            transaction__created_at__date__gte=dates[0],
        )
        .annotate(day=TruncDate("transaction__created_at"))
        .values("day")
        .annotate(total=Sum("amount"))
    )
    by_day = {r["day"]: r["total"] for r in rows}
    return [(d, by_day.get(d, 0)) for d in dates]


def payout_list(*, creator: CreatorProfile) -> list[Payout]:
    return list(Payout.objects.filter(creator=creator).prefetch_related("events").order_by("-created_at")[:50])


@dataclass(frozen=True)
class StaffOverview:
    sales: list[tuple[dt.date, int, int]]  # day, coins sold, cash taken (minor units)
    coins_outstanding: int
    diamonds_owed: int
    payouts_pending: int
    payouts_pending_cash_minor: int


def staff_overview(*, days: int = 30, now: datetime | None = None) -> StaffOverview:
    now = now or timezone.now()
    dates = _days(days, now)
    rows = (
        Purchase.objects.filter(paid_at__date__gte=dates[0])
        .annotate(day=TruncDate("paid_at"))
        .values("day")
        .annotate(coins=Sum("coins"), cash=Sum("price_minor"))
    )
    by_day = {r["day"]: (r["coins"], r["cash"]) for r in rows}
    people = Q(system_code__isnull=True)
    coins = LedgerAccount.objects.filter(people, asset=Asset.COIN).aggregate(t=Sum("balance"))["t"] or 0
    diamonds = (
        LedgerAccount.objects.filter(people, asset=Asset.DIAMOND, sharded=False).aggregate(t=Sum("balance"))["t"] or 0
    ) + (LedgerBalanceShard.objects.aggregate(t=Sum("balance"))["t"] or 0)
    clearing = (
        LedgerEntry.objects.filter(account__system_code=SystemAccount.PAYOUT_CLEARING).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    pending = Payout.objects.filter(status__in=OPEN).aggregate(n=Count("id"), cash=Sum("cash_minor"))
    return StaffOverview(
        sales=[(d, *by_day.get(d, (0, 0))) for d in dates],
        coins_outstanding=coins,
        diamonds_owed=diamonds + clearing,
        payouts_pending=pending["n"] or 0,
        payouts_pending_cash_minor=pending["cash"] or 0,
    )


def payout_get_for_creator_user(*, public_id: uuid.UUID, user: User) -> Payout | None:
    """One of this person's payouts, with its timeline (None when it is not theirs)."""
    return Payout.objects.filter(public_id=public_id, creator__user=user).prefetch_related("events").first()


# --- automatic approval ------------------------------------------------------------------------


@dataclass(frozen=True)
class DiamondSources:
    """Where a creator's diamonds of the last ``PAYOUT_SOURCES_DAYS`` came from: gifts and subscription payments (a
    subscriber pays the creator as a gift sender does, and is counted as a sender)."""

    total: int
    fresh: int  # from senders whose account was under PAYOUT_FRESH_SENDER_DAYS old when they paid
    flagged: int  # from senders whose account is restricted now
    indebted: int  # from senders who owe coins after a refund or chargeback now
    top: int  # from the PAYOUT_AUTO_APPROVE_TOP_SENDERS biggest senders
    senders: int

    def percent(self, part: int) -> int:
        return part * 100 // self.total if self.total else 0


def payout_diamond_sources(*, creator: CreatorProfile, now: datetime | None = None) -> DiamondSources:
    now = now or timezone.now()
    since = now - timedelta(days=settings.PAYOUT_SOURCES_DAYS)
    fresh_since = F("created_at") - timedelta(days=settings.PAYOUT_FRESH_SENDER_DAYS)
    indebted = CoinDebt.objects.filter(settled_at__isnull=True).values("user_id")
    gifts = GiftSend.objects.filter(creator=creator, created_at__gt=since).exclude(status=GiftSendStatus.CANCELLED)
    periods = SubscriptionPeriod.objects.filter(subscription__plan__creator=creator, created_at__gt=since)
    sums: Counter[str] = Counter()
    per_sender: Counter[int] = Counter()
    for rows, sender in ((gifts, "sender"), (periods, "subscription__subscriber")):
        totals = rows.aggregate(
            total=Sum("diamonds"),
            fresh=Sum("diamonds", filter=Q(**{f"{sender}__date_joined__gt": fresh_since})),
            flagged=Sum("diamonds", filter=Q(**{f"{sender}__is_frozen": True})),
            indebted=Sum("diamonds", filter=Q(**{f"{sender}__in": indebted})),
        )
        sums.update({k: v or 0 for k, v in totals.items()})
        per_sender.update({row[sender]: row["d"] for row in rows.order_by().values(sender).annotate(d=Sum("diamonds"))})
    top = sum(d for _, d in per_sender.most_common(settings.PAYOUT_AUTO_APPROVE_TOP_SENDERS))
    return DiamondSources(
        total=sums["total"],
        fresh=sums["fresh"],
        flagged=sums["flagged"],
        indebted=sums["indebted"],
        top=top,
        senders=len(per_sender),
    )


def payout_auto_approved_cash_today(*, creator: CreatorProfile, now: datetime, exclude_id: int = 0) -> int:
    """Cash of today's payouts that were approved automatically (they carry no review reason), not returned."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        Payout.objects.filter(creator=creator, created_at__gte=start, review_reason="")
        .exclude(pk=exclude_id)
        .exclude(
            status__in=[PayoutStatus.REQUESTED, PayoutStatus.REJECTED, PayoutStatus.FAILED, PayoutStatus.CANCELLED]
        )
        .aggregate(t=Sum("cash_minor"))["t"]
        or 0
    )


def payout_review_reasons(*, payout: Payout, now: datetime | None = None) -> list[str]:
    """Why ``payout`` may not be approved automatically, in words for staff (empty: it may)."""
    now = now or timezone.now()
    creator, currency = payout.creator, payout.currency
    reasons = []
    min_days = settings.PAYOUT_AUTO_APPROVE_MIN_ACCOUNT_DAYS
    age = (now - creator.user.date_joined).days
    if age < min_days:
        reasons.append(f"New creator account ({age} days old; automatic approval needs {min_days}).")
    below = settings.PAYOUT_AUTO_APPROVE_BELOW_MINOR
    if payout.cash_minor >= below:
        reasons.append(
            f"{money_format(payout.cash_minor, currency)} is not below the automatic-approval amount "
            f"({money_format(below, currency)})."
        )
    daily = settings.PAYOUT_AUTO_APPROVE_DAILY_MINOR
    today = payout_auto_approved_cash_today(creator=creator, now=now, exclude_id=payout.pk) + payout.cash_minor
    if today > daily and payout.cash_minor < below:
        reasons.append(
            f"Automatic approvals today would reach {money_format(today, currency)} "
            f"(daily limit {money_format(daily, currency)})."
        )
    sources = payout_diamond_sources(creator=creator, now=now)
    days = settings.PAYOUT_SOURCES_DAYS
    if sources.flagged:
        reasons.append(f"{sources.flagged:,} diamonds of the last {days} days came from restricted accounts.")
    if sources.indebted:
        reasons.append(
            f"{sources.indebted:,} diamonds of the last {days} days came from senders who now owe chargeback debt."
        )
    fresh = sources.percent(sources.fresh)
    if sources.fresh and fresh > settings.PAYOUT_AUTO_APPROVE_MAX_FRESH_PERCENT:
        reasons.append(
            f"{fresh}% of the diamonds of the last {days} days came from accounts under "
            f"{settings.PAYOUT_FRESH_SENDER_DAYS} days old when they gifted or subscribed."
        )
    top = sources.percent(sources.top)
    if sources.total and top > settings.PAYOUT_AUTO_APPROVE_MAX_TOP_PERCENT:
        n = settings.PAYOUT_AUTO_APPROVE_TOP_SENDERS
        who = "one sender" if sources.senders == 1 else f"the top {min(n, sources.senders)} senders"
        reasons.append(f"{top}% of the diamonds of the last {days} days came from {who}.")
    return reasons
