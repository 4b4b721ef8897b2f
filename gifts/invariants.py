"""Gift checks added to ``manage.py ledger_check``: diamonds issued equal diamonds credited by gifts and
subscriptions."""

from collections.abc import Iterator

from django.db.models import Sum

from wallet.invariants import register
from wallet.models import LedgerEntry, LedgerTransaction, SystemAccount, TransactionKind

from .models import SubscriptionPeriod
from .sending.selectors import diamonds_credited_by_subscriptions_total, diamonds_credited_total


@register("diamonds issued equal diamonds credited by gifts and subscriptions")
def _diamonds_issued() -> Iterator[str]:
    issued = -(
        LedgerEntry.objects.filter(account__system_code=SystemAccount.DIAMOND_ISSUANCE).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    by_gifts = diamonds_credited_total()
    by_subscriptions = diamonds_credited_by_subscriptions_total()
    if issued != by_gifts + by_subscriptions:
        yield (
            f"diamonds issued ({issued}) differ from diamonds credited by standing gifts ({by_gifts}) "
            f"and paid subscription periods ({by_subscriptions})"
        )


@register("every subscription period has exactly one ledger transaction")
def _periods_paid_once() -> Iterator[str]:
    transactions = LedgerTransaction.objects.filter(kind=TransactionKind.SUBSCRIPTION).count()
    periods = SubscriptionPeriod.objects.count()
    if transactions != periods:
        yield f"{periods} paid subscription periods but {transactions} subscription transactions"
