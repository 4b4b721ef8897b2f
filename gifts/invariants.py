"""Gift checks added to ``manage.py ledger_check``: diamonds issued equal diamonds credited by gifts."""

from collections.abc import Iterator

from django.db.models import Sum

from wallet.invariants import register
from wallet.models import LedgerEntry, SystemAccount

from .selectors import diamonds_credited_total


@register("diamonds issued equal diamonds credited by gifts")
def _diamonds_issued() -> Iterator[str]:
    issued = -(
        LedgerEntry.objects.filter(account__system_code=SystemAccount.DIAMOND_ISSUANCE).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    credited = diamonds_credited_total()
    if issued != credited:
        yield f"diamonds issued ({issued}) differ from diamonds credited by standing gifts ({credited})"
