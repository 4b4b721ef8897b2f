"""Refunds, disputes and reversals of a purchase (issue 12): each is a step of its own (``PurchaseReversal``).

The provider tells us about a paid purchase's money in steps that may come twice, late or out of order: a refund
(Stripe's running ``amount_refunded``), a dispute opened (the money is withdrawn at once), won (it comes back) or
lost. Each step is recorded, then the purchase is brought to the one state all its steps imply:

    money kept  = price - refunded so far - the amount of every dispute still open or lost   (0 <= kept <= price)
    coins kept  = coins x kept // price

The coins the purchase no longer pays for are taken back through the ledger in the step's own transaction
(``reversal-<id>``); what was already spent becomes a ``CoinDebt`` of that purchase. A step that gives money back
(a dispute won) first cancels that purchase's open debt, then restores coins taken back. Whatever order the steps
arrive in, the result depends only on the set of steps, so every ordering and repetition converges.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from .forfeit import closed_account_forfeit, user_lock_for_credit
from .ledger import Posting, ledger_account_for_user, ledger_system_account, ledger_transaction_post
from .models import (
    Asset,
    CoinDebt,
    LedgerAccount,
    LedgerEntry,
    PaymentEvent,
    Purchase,
    PurchaseReversal,
    PurchaseStatus,
    ReversalKind,
    SystemAccount,
    TransactionKind,
)

logger = logging.getLogger(__name__)

CLAWBACK_KINDS = (TransactionKind.REFUND_CLAWBACK, TransactionKind.DISPUTE_CLAWBACK, TransactionKind.DISPUTE_RESTORE)
DEFAULT_DISPUTE_REF = "dispute"


@dataclass(frozen=True)
class PurchaseMoney:
    """What all the steps of a purchase add up to."""

    refunded_minor: int
    disputes: dict[str, tuple[str, int]]  # dispute ref -> (state: open | won | lost, amount)
    kept_minor: int
    coins_kept: int


def purchase_money(*, purchase: Purchase, steps: Iterable[PurchaseReversal]) -> PurchaseMoney:
    refunded = 0
    disputes: dict[str, tuple[str, int]] = {}
    for step in sorted(steps, key=lambda s: s.pk or 0):
        if step.kind == ReversalKind.REFUND:
            refunded = max(refunded, step.amount_minor)  # a running total: the largest one seen is the latest
            continue
        ref = step.dispute_ref or DEFAULT_DISPUTE_REF
        state, amount = disputes.get(ref, ("", 0))
        amount = max(amount, step.amount_minor)
        if step.kind == ReversalKind.DISPUTE_OPENED:
            disputes[ref] = (state or "open", amount)  # an "opened" arriving after its outcome changes nothing
        else:
            disputes[ref] = ("won" if step.kind == ReversalKind.DISPUTE_WON else "lost", amount)
    withdrawn = refunded + sum(amount for state, amount in disputes.values() if state in ("open", "lost"))
    kept = min(purchase.price_minor, max(0, purchase.price_minor - withdrawn))
    return PurchaseMoney(refunded, disputes, kept, purchase.coins * kept // purchase.price_minor)


def purchase_status_for(*, purchase: Purchase, money: PurchaseMoney) -> str:
    states = {state for state, _ in money.disputes.values()}
    if "open" in states:
        return PurchaseStatus.DISPUTED
    if "lost" in states:
        return PurchaseStatus.CHARGED_BACK
    if money.refunded_minor >= purchase.price_minor:
        return PurchaseStatus.REFUNDED
    if money.refunded_minor > 0:
        return PurchaseStatus.PART_REFUNDED
    return PurchaseStatus.PAID


def purchase_coins_clawed_back(*, purchase: Purchase) -> int:
    """Coins taken back from the person for this purchase, less the ones restored (ledger: the one truth)."""
    net = (
        LedgerEntry.objects.filter(
            account__owner_id=purchase.user_id,
            account__asset=Asset.COIN,
            transaction__kind__in=CLAWBACK_KINDS,
            transaction__reference_type="purchase",
            transaction__reference_id=str(purchase.public_id),
        ).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    return -net


def purchase_debt_counted(*, purchase: Purchase) -> int:
    """Coins of this purchase its steps recorded as owed (open, or settled by staff); cancelled debts, and debts
    entered by hand (no step), do not count."""
    return (
        CoinDebt.objects.filter(purchase=purchase, reversal__isnull=False, cancelled_by__isnull=True).aggregate(
            t=Sum("coins")
        )["t"]
        or 0
    )


@dataclass
class _Change:
    taken: int = 0
    restored: int = 0
    debt_added: int = 0
    debt_cancelled: int = 0

    def describe(self) -> str:
        parts = []
        if self.taken:
            parts.append(f"{self.taken:,} coins taken back")
        if self.debt_added:
            parts.append(f"{self.debt_added:,} coins already spent recorded as owed")
        if self.debt_cancelled:
            parts.append(f"{self.debt_cancelled:,} coins owed cancelled")
        if self.restored:
            parts.append(f"{self.restored:,} coins restored")
        return ", ".join(parts) or "no change to the coins"


def _cancel_debts(*, purchase: Purchase, coins: int, step: PurchaseReversal | None, open_only: bool) -> int:
    """Cancel up to ``coins`` of this purchase's debt (newest first); returns how many were cancelled."""
    cancelled = 0
    debts = CoinDebt.objects.select_for_update().filter(
        purchase=purchase, reversal__isnull=False, cancelled_by__isnull=True
    )
    debts = debts.filter(settled_at__isnull=open_only)
    now = timezone.now()
    reason = f"Cancelled: {step.get_kind_display().lower()}" if step is not None else "Cancelled"
    for debt in debts.order_by("-id"):
        if cancelled >= coins:
            break
        part = min(debt.coins, coins - cancelled)
        if part < debt.coins and not open_only:
            break  # a debt staff already settled is cancelled whole or not at all
        CoinDebt.objects.filter(pk=debt.pk).update(
            cancelled_by=step, settled_at=debt.settled_at or now, settled_reason=debt.settled_reason or reason
        )
        if part < debt.coins:  # the rest stays owed, as a new open debt of the same purchase
            CoinDebt.objects.create(user_id=debt.user_id, purchase=purchase, reversal=step, coins=debt.coins - part)
        cancelled += part
    return cancelled


def _reconcile(*, purchase: Purchase, step: PurchaseReversal | None, key: str) -> _Change:
    """Bring the purchase's coins to what all its steps imply (the caller holds the purchase's row lock)."""
    change = _Change()
    steps = list(PurchaseReversal.objects.filter(purchase=purchase))
    money = purchase_money(purchase=purchase, steps=steps)
    new_status = purchase_status_for(purchase=purchase, money=money)
    if purchase.status != new_status:
        purchase.status = new_status
        purchase.save(update_fields=["status", "updated_at"])
    clawed = purchase_coins_clawed_back(purchase=purchase)
    owed_target = purchase.coins - money.coins_kept
    delta = owed_target - clawed - purchase_debt_counted(purchase=purchase)
    reference = ("purchase", purchase.public_id)
    if delta > 0:
        account = ledger_account_for_user(user=purchase.user_id, asset=Asset.COIN)
        account = LedgerAccount.objects.select_for_update().get(pk=account.pk)
        change.taken = min(account.balance, delta)
        change.debt_added = delta - change.taken
        if change.taken:
            kind = (
                TransactionKind.REFUND_CLAWBACK
                if step is not None and step.kind == ReversalKind.REFUND
                else TransactionKind.DISPUTE_CLAWBACK
            )
            ledger_transaction_post(
                kind=kind,
                idempotency_key=key,
                postings=[
                    Posting(account, -change.taken),
                    Posting(ledger_system_account(code=SystemAccount.COIN_ISSUANCE), change.taken),
                ],
                reference=reference,
                memo=f"{step.get_kind_display() if step else 'Reversal'}: {change.taken} coins taken back",
            )
        if change.debt_added:
            CoinDebt.objects.create(user_id=purchase.user_id, purchase=purchase, reversal=step, coins=change.debt_added)
    elif delta < 0:
        give = -delta
        change.debt_cancelled = _cancel_debts(purchase=purchase, coins=give, step=step, open_only=True)
        give -= change.debt_cancelled
        change.restored = min(give, clawed)
        give -= change.restored
        if change.restored:
            user_lock_for_credit(user_id=purchase.user_id)
            ledger_transaction_post(
                kind=TransactionKind.DISPUTE_RESTORE,
                idempotency_key=key,
                postings=[
                    Posting(ledger_account_for_user(user=purchase.user_id, asset=Asset.COIN), change.restored),
                    Posting(ledger_system_account(code=SystemAccount.COIN_ISSUANCE), -change.restored),
                ],
                reference=reference,
                memo=f"{step.get_kind_display() if step else 'Reversal'}: {change.restored} coins restored",
            )
            closed_account_forfeit(user_id=purchase.user_id, cause=key)
        if give:
            _cancel_debts(purchase=purchase, coins=give, step=step, open_only=False)
    return change


STEP_LABELS = {
    ReversalKind.REFUND: "refund recorded",
    ReversalKind.DISPUTE_OPENED: "dispute opened",
    ReversalKind.DISPUTE_WON: "dispute won",
    ReversalKind.DISPUTE_LOST: "dispute lost",
}


def purchase_reversal_record(
    *,
    purchase: Purchase,
    kind: str,
    amount_minor: int | None = None,
    dispute_ref: str = "",
    event: PaymentEvent | None = None,
) -> PurchaseReversal:
    """Record one step (a refund's running total, or a dispute's change) and apply what it changes. Returns the step;
    its ``result`` says, in words, what it did (the webhook's answer and the log)."""
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        if amount_minor is None or amount_minor <= 0:
            amount_minor = purchase.price_minor  # the provider named no amount: all of it
        step = PurchaseReversal.objects.create(
            purchase=purchase,
            event=event,
            kind=kind,
            amount_minor=min(amount_minor, purchase.price_minor),
            dispute_ref="" if kind == ReversalKind.REFUND else (dispute_ref or DEFAULT_DISPUTE_REF),
        )
        label = STEP_LABELS[ReversalKind(kind)]
        if purchase.paid_at is None:
            step.result = f"{label}: the purchase was never paid, so there are no coins to take back"
        else:
            change = _reconcile(purchase=purchase, step=step, key=step.idempotency_key)
            step.coins_taken, step.coins_restored = change.taken, change.restored
            step.debt_added, step.debt_cancelled = change.debt_added, change.debt_cancelled
            step.result = f"{label}: {change.describe()}"
        step.save(update_fields=["result", "coins_taken", "coins_restored", "debt_added", "debt_cancelled"])
    logger.info("purchase %s: %s", purchase.public_id, step.result)
    return step


def purchase_reversals_apply_on_payment(*, purchase: Purchase) -> None:
    """A purchase confirmed after refund or dispute steps already arrived (the provider's events overtook our
    confirmation): apply them now, in the caller's transaction and under its lock."""
    last = PurchaseReversal.objects.filter(purchase=purchase).order_by("-id").first()
    if last is not None:  # what it changes is attributed to the latest step (its debt, if any, names it)
        _reconcile(purchase=purchase, step=last, key=f"{purchase.idempotency_key}-reversals-on-payment")


def purchase_disputes_open(*, purchase: Purchase) -> list[str]:
    money = purchase_money(purchase=purchase, steps=PurchaseReversal.objects.filter(purchase=purchase))
    return [ref for ref, (state, _) in money.disputes.items() if state == "open"]
