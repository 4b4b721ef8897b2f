"""Payout checks added to ``manage.py ledger_check``: cash paid = diamonds redeemed x the snapshotted rate."""

from collections.abc import Iterator

from django.db.models import Sum

from wallet.invariants import register
from wallet.models import LedgerEntry, SystemAccount
from wallet.money import rate_total_exact

from .models import Payout, PayoutStatus


@register("cash paid out equals diamonds redeemed x rate")
def _cash() -> Iterator[str]:
    for payout in Payout.objects.order_by("id").iterator():
        exact = rate_total_exact(units=payout.diamonds, rate=payout.rate, currency=payout.currency)
        if exact != payout.cash_minor:
            yield (
                f"payout {payout.public_id}: {payout.diamonds} x {payout.rate} is {exact} minor units of "
                f"{payout.currency}, not {payout.cash_minor}"
            )
    redeemed = (
        LedgerEntry.objects.filter(account__system_code=SystemAccount.DIAMOND_REDEEMED).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    paid = Payout.objects.filter(status=PayoutStatus.PAID).aggregate(t=Sum("diamonds"))["t"] or 0
    if redeemed != paid:
        yield f"diamonds redeemed in the ledger ({redeemed}) differ from diamonds of paid payouts ({paid})"
    clearing = (
        LedgerEntry.objects.filter(account__system_code=SystemAccount.PAYOUT_CLEARING).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    open_ = (
        Payout.objects.filter(
            status__in=[PayoutStatus.REQUESTED, PayoutStatus.APPROVED, PayoutStatus.PROCESSING]
        ).aggregate(t=Sum("diamonds"))["t"]
        or 0
    )
    if clearing != open_:
        yield f"payout clearing holds {clearing} diamonds but open payouts total {open_}"
