"""The ledger's invariants (DESIGN.md), checked by ``manage.py ledger_check``, an hourly beat task and the tests.

Apps that build on the wallet add their own checks with ``register`` (gifts: diamonds issued = diamonds credited
by gifts; payouts: cash paid = diamonds redeemed x rate), from their ``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from .models import Asset, LedgerAccount, LedgerBalanceShard, LedgerEntry, LedgerTransaction, Purchase, SystemAccount

Check = Callable[[], Iterator[str]]
_CHECKS: list[tuple[str, Check]] = []


def register(name: str) -> Callable[[Check], Check]:
    def add(check: Check) -> Check:
        if all(existing != name for existing, _ in _CHECKS):
            _CHECKS.append((name, check))
        return check

    return add


@dataclass
class Report:
    violations: list[str] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations


@register("transactions balance per asset")
def _balanced() -> Iterator[str]:
    rows = (
        LedgerEntry.objects.values("transaction_id", "asset")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by("transaction_id")[:5]
    )
    for row in rows:
        yield f"transaction #{row['transaction_id']} does not balance in {row['asset']}: sum is {row['total']}"
    for txn in LedgerTransaction.objects.annotate(n=Count("entries")).filter(n__lt=2).order_by("id")[:5]:
        yield f"transaction #{txn.pk} has {txn.n} entries; at least two are needed"  # type: ignore[attr-defined]


@register("entries match their account's asset")
def _assets() -> Iterator[str]:
    from django.db.models import F

    for entry in LedgerEntry.objects.exclude(asset=F("account__asset")).order_by("id")[:5]:
        yield f"entry #{entry.pk} is in {entry.asset} but its account #{entry.account_id} holds another asset"


@register("cached balances equal the sum of their entries")
def _cached() -> Iterator[str]:
    sums = dict(
        LedgerEntry.objects.values("account_id").annotate(total=Sum("amount")).values_list("account_id", "total")
    )
    shard_sums = dict(
        LedgerBalanceShard.objects.values("account_id")
        .annotate(total=Sum("balance"))
        .values_list("account_id", "total")
    )
    for account in LedgerAccount.objects.filter(system_code__isnull=True).order_by("id").iterator():
        entries_total = sums.get(account.pk, 0)
        cached = shard_sums.get(account.pk, 0) if account.sharded else account.balance
        if account.sharded and account.balance != 0:
            yield f"sharded account #{account.pk} ({account}) has a stray balance {account.balance} outside its shards"
        if cached != entries_total:
            yield (
                f"account #{account.pk} ({account}) has cached balance {cached} but its entries sum to {entries_total}"
            )


@register("no person's balance is negative")
def _non_negative() -> Iterator[str]:
    for account in LedgerAccount.objects.filter(system_code__isnull=True, balance__lt=0).order_by("id")[:5]:
        yield f"account #{account.pk} ({account}) is negative: {account.balance}"
    for shard in LedgerBalanceShard.objects.filter(balance__lt=0).order_by("id")[:5]:
        yield f"shard {shard.shard} of account #{shard.account_id} is negative: {shard.balance}"


@register("coins issued equal coins bought")
def _coins_issued() -> Iterator[str]:
    issued = -(
        LedgerEntry.objects.filter(
            account__system_code=SystemAccount.COIN_ISSUANCE, transaction__kind="purchase"
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    bought = Purchase.objects.filter(paid_at__isnull=False).aggregate(total=Sum("coins"))["total"] or 0
    if issued != bought:
        yield f"coins issued by purchases ({issued}) differ from coins of paid purchases ({bought})"
    doubled = (
        LedgerTransaction.objects.filter(kind="purchase")
        .values("reference_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)[:5]
    )
    for row in doubled:
        yield f"purchase {row['reference_id']} was credited {row['n']} times"
    stray = LedgerEntry.objects.filter(account__system_code=SystemAccount.COIN_ISSUANCE).exclude(
        transaction__kind__in=["purchase", "refund_clawback", "dispute_clawback", "dispute_restore"]
    )
    if stray.exists():
        yield "coins were issued outside purchases, clawbacks and restores"


@register("each purchase keeps the coins its money pays for")
def _purchase_reversals() -> Iterator[str]:
    """Per purchase with refund or dispute steps: coins issued - coins clawed back + restored - coins recorded as
    owed = coins bought x money kept / price (``wallet.refunds``)."""
    from .models import PurchaseReversal
    from .refunds import purchase_coins_clawed_back, purchase_debt_counted, purchase_money

    ids = PurchaseReversal.objects.values_list("purchase_id", flat=True).distinct()
    for purchase in Purchase.objects.filter(pk__in=ids, paid_at__isnull=False).order_by("pk"):
        kept = purchase_money(purchase=purchase, steps=purchase.reversals.all()).coins_kept
        has = purchase.coins - purchase_coins_clawed_back(purchase=purchase) - purchase_debt_counted(purchase=purchase)
        if has != kept:
            yield f"purchase {purchase.public_id} leaves {has} coins with its buyer; the money kept pays for {kept}"


@register("closed accounts hold nothing")
def _closed_accounts_empty() -> Iterator[str]:
    closed = Q(owner__deleted_at__isnull=False)
    for account in LedgerAccount.objects.filter(closed, sharded=False, balance__gt=0).order_by("id")[:5]:
        yield f"account #{account.pk} ({account}) of a closed account holds {account.balance}"
    sharded = (
        LedgerBalanceShard.objects.filter(account__owner__deleted_at__isnull=False)
        .values("account_id")
        .annotate(total=Sum("balance"))
        .filter(total__gt=0)
        .order_by("account_id")[:5]
    )
    for row in sharded:
        yield f"account #{row['account_id']} of a closed account holds {row['total']}"


def ledger_check() -> Report:
    report = Report()
    for name, check in _CHECKS:
        for violation in check():
            report.violations.append(f"{name}: {violation}")
    users = Q(system_code__isnull=True)
    coin_outstanding = LedgerAccount.objects.filter(users, asset=Asset.COIN).aggregate(t=Sum("balance"))["t"] or 0
    diamonds_flat = (
        LedgerAccount.objects.filter(users, asset=Asset.DIAMOND, sharded=False).aggregate(t=Sum("balance"))["t"] or 0
    )
    diamonds_sharded = LedgerBalanceShard.objects.aggregate(t=Sum("balance"))["t"] or 0
    # Diamonds held for payouts in progress are still owed to creators until the payout is paid.
    clearing = (
        LedgerEntry.objects.filter(account__system_code=SystemAccount.PAYOUT_CLEARING).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    report.summary = {
        "accounts": LedgerAccount.objects.count(),
        "transactions": LedgerTransaction.objects.count(),
        "coins outstanding": coin_outstanding,
        "diamonds owed": diamonds_flat + diamonds_sharded + clearing,
    }
    return report
