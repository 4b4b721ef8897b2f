"""Money that reaches a closed account is forfeited (DESIGN.md "closed accounts"): the helpers every late credit uses.

Re-exported by ``wallet.services``; kept apart so ``wallet.refunds`` can use them without importing the services.
"""

from __future__ import annotations

from accounts.models import CreatorProfile, User

from .ledger import Posting, ledger_account_for_user, ledger_system_account, ledger_transaction_post
from .models import Asset, LedgerAccount, LedgerBalanceShard, SystemAccount, TransactionKind


def user_balances_forfeit(*, user: User, cause: str = "") -> dict[str, int]:
    """Whatever coins and diamonds the person holds go to the forfeiture account; returns what was forfeited per
    asset. Closing an account (``cause`` empty) calls it once; money that reaches the account after it was closed is
    forfeited with ``cause`` naming the credit that brought it (``closed_account_forfeit``).

    Each balance is read under its row locks (every shard of a DIAMOND account), so a credit committed a moment
    earlier is forfeited too, never left behind. Closing also marks the DIAMOND shards closed, under those locks:
    a gift or subscription that passed its checks before the closing committed is then refused when it gets the
    row (``ledger_transaction_post(refuse_closed=True)``). A creator's DIAMOND account is made first if they never
    earned, so such a gift finds it closed rather than making a new one."""
    closing = not cause
    if closing and CreatorProfile.objects.filter(user_id=user.pk).exists():
        ledger_account_for_user(user=user, asset=Asset.DIAMOND)
    forfeited: dict[str, int] = {}
    for account in LedgerAccount.objects.filter(owner=user).order_by("pk"):
        if account.sharded:
            shards = LedgerBalanceShard.objects.select_for_update().filter(account_id=account.pk).order_by("shard")
            balance = sum(shard.balance for shard in shards)
            if closing:
                LedgerBalanceShard.objects.filter(account_id=account.pk).update(closed=True)
        else:
            balance = LedgerAccount.objects.select_for_update().get(pk=account.pk).balance
        if balance > 0:
            key = f"forfeit-{user.pk}-{account.asset}" + (f"-{cause}" if cause else "")
            ledger_transaction_post(
                kind=TransactionKind.FORFEITURE,
                idempotency_key=key,
                postings=[
                    Posting(account, -balance),
                    Posting(ledger_system_account(code=SystemAccount.FORFEITURE, asset=account.asset), balance),
                ],
                reference=("user", user.pk),
                memo="Arrived after the account was closed: forfeited" if cause else "Account closed: forfeited",
            )
            forfeited[account.asset] = balance
    return forfeited


def user_lock_for_credit(*, user_id: int) -> None:
    """Lock the person's row before crediting money that may arrive after their account was closed (a payment
    confirmed late, a payout that failed, a dispute won). Closing takes the same lock first, so the two never
    interleave: the credit lands before the closing (which then forfeits it) or after (``closed_account_forfeit``).
    "No key", as closing's: a gift or purchase of this person in flight checks its foreign keys (a key-share lock on
    this row) only as it commits, and must not wait for a credit that waits for its rows."""
    User.objects.select_for_update(no_key=True).filter(pk=user_id).values_list("pk", flat=True).first()


def closed_account_forfeit(*, user_id: int, cause: str) -> bool:
    """After a credit (under ``user_lock_for_credit``, in the same transaction): if the account is closed, forfeit
    what just arrived, so a closed account never keeps a balance. ``cause`` is the credit's idempotency key.
    Returns whether the account was closed."""
    user = User.objects.filter(pk=user_id, deleted_at__isnull=False).first()
    if user is None:
        return False
    user_balances_forfeit(user=user, cause=cause)
    return True
