"""The ledger service: the only code that changes a balance (DESIGN.md "Money model").

``ledger_transaction_post`` is the one write path. Everything else in every app calls it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import User

from .models import (
    SYSTEM_ACCOUNT_ASSET,
    Asset,
    LedgerAccount,
    LedgerBalanceShard,
    LedgerEntry,
    LedgerTransaction,
    SystemAccount,
)


class InsufficientFunds(ValidationError):
    """A posting would take a person's balance below zero. Nothing was written."""

    def __init__(self, asset: str, message: str | None = None) -> None:
        self.asset = asset
        noun = "coins" if asset == Asset.COIN else "diamonds"
        super().__init__(message or f"Not enough {noun}.", code="insufficient_funds")


class UnbalancedTransaction(ValueError):
    """A programming error: the entries do not sum to zero per asset, or are malformed."""


@dataclass(frozen=True)
class Posting:
    account: LedgerAccount
    amount: int


def _shard_count() -> int:
    return max(1, int(getattr(settings, "LEDGER_DIAMOND_SHARDS", 8)))


def ledger_account_for_user(*, user: User | int, asset: str) -> LedgerAccount:
    """The person's account for ``asset``, created on first use. DIAMOND accounts are sharded (hot creators)."""
    user_id = user if isinstance(user, int) else user.pk
    account = LedgerAccount.objects.filter(owner_id=user_id, asset=asset).first()
    if account is not None:
        return account
    sharded = asset == Asset.DIAMOND
    try:
        with transaction.atomic():
            account = LedgerAccount.objects.create(owner_id=user_id, asset=asset, sharded=sharded)
            if sharded:
                LedgerBalanceShard.objects.bulk_create(
                    [LedgerBalanceShard(account=account, shard=i) for i in range(_shard_count())]
                )
    except IntegrityError:  # created concurrently
        account = LedgerAccount.objects.get(owner_id=user_id, asset=asset)
    return account


def ledger_system_account(*, code: str, asset: str | None = None) -> LedgerAccount:
    """A system account (issuance, sink, clearing...). Never locked, no cached balance: may go negative."""
    asset = asset or SYSTEM_ACCOUNT_ASSET.get(SystemAccount(code))
    if asset is None:
        raise ValueError(f"system account {code!r} exists per asset; say which")
    account = LedgerAccount.objects.filter(system_code=code, asset=asset).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(system_code=code, asset=asset)
    except IntegrityError:
        return LedgerAccount.objects.get(system_code=code, asset=asset)


def _validate(postings: Sequence[Posting]) -> dict[int, Posting]:
    if len(postings) < 2:
        raise UnbalancedTransaction("a transaction needs at least two entries")
    per_asset: dict[str, int] = defaultdict(int)
    merged: dict[int, Posting] = {}
    for posting in postings:
        amount = posting.amount
        if type(amount) is not int or amount == 0:
            raise UnbalancedTransaction(f"entry amounts are non-zero integers, not {amount!r}")
        if posting.account.pk is None:
            raise UnbalancedTransaction("post only to saved accounts")
        per_asset[posting.account.asset] += amount
        previous = merged.get(posting.account.pk)
        merged[posting.account.pk] = Posting(posting.account, amount + (previous.amount if previous else 0))
    unbalanced = {asset: total for asset, total in per_asset.items() if total != 0}
    if unbalanced:
        raise UnbalancedTransaction(f"entries do not sum to zero per asset: {unbalanced}")
    return merged


def _apply_to_sharded(account: LedgerAccount, amount: int) -> None:
    if amount > 0:
        # A credit touches one random shard: concurrent gifts to one creator rarely wait on each other.
        shard = random.randrange(_shard_count())  # noqa: S311 - load spreading, not security
        updated = LedgerBalanceShard.objects.filter(account_id=account.pk, shard=shard).update(
            balance=F("balance") + amount
        )
        if updated != 1:
            raise UnbalancedTransaction(f"account {account.pk} is missing balance shard {shard}")
        return
    # A debit (diamonds leaving: a payout) locks every shard, in order, and draws from them.
    needed = -amount
    shards = list(LedgerBalanceShard.objects.select_for_update().filter(account_id=account.pk).order_by("shard"))
    if sum(s.balance for s in shards) < needed:
        raise InsufficientFunds(account.asset)
    for shard_row in shards:
        take = min(shard_row.balance, needed)
        if take:
            LedgerBalanceShard.objects.filter(pk=shard_row.pk).update(balance=F("balance") - take)
            needed -= take
        if not needed:
            break


def _apply_balance(account: LedgerAccount, amount: int) -> None:
    if account.is_system:
        return
    if account.sharded:
        _apply_to_sharded(account, amount)
        return
    rows = LedgerAccount.objects.filter(pk=account.pk)
    if amount < 0:
        rows = rows.filter(balance__gte=-amount)
    if rows.update(balance=F("balance") + amount) != 1:
        raise InsufficientFunds(account.asset)


def ledger_transaction_post(
    *,
    kind: str,
    idempotency_key: str,
    postings: Sequence[Posting],
    reference: tuple[str, object] | None = None,
    memo: str = "",
    created_by: User | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction, exactly once per ``idempotency_key``.

    Posting a key again returns the first transaction and changes nothing (``txn.created`` tells which).
    Balances are updated in the same database transaction, person accounts in primary-key order (the UPDATE takes
    the row lock), so two concurrent postings can never deadlock. A debit that would take a person below zero
    raises ``InsufficientFunds`` and the whole transaction is rolled back.
    """
    merged = _validate(postings)
    with transaction.atomic():
        existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            existing.created = False  # type: ignore[attr-defined]
            return existing
        try:
            with transaction.atomic():
                txn = LedgerTransaction.objects.create(
                    kind=kind,
                    idempotency_key=idempotency_key,
                    reference_type=reference[0] if reference else "",
                    reference_id=str(reference[1]) if reference else "",
                    memo=memo[:255],
                    created_by=created_by,
                )
        except IntegrityError:
            # The same key was posted concurrently and committed first: that one stands.
            existing = LedgerTransaction.objects.get(idempotency_key=idempotency_key)
            existing.created = False  # type: ignore[attr-defined]
            return existing
        for account_id in sorted(merged):
            posting = merged[account_id]
            if posting.amount:
                _apply_balance(posting.account, posting.amount)
        LedgerEntry.objects.bulk_create(
            [LedgerEntry(transaction=txn, account=p.account, asset=p.account.asset, amount=p.amount) for p in postings]
        )
    txn.created = True  # type: ignore[attr-defined]
    return txn


def ledger_transaction_reverse(*, original: LedgerTransaction, staff: User, reason: str) -> LedgerTransaction:
    """A staff correction: a new transaction with every entry of ``original`` negated (never an edit)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give a reason for the correction.")
    entries: Iterable[LedgerEntry] = original.entries.select_related("account")
    postings = [Posting(e.account, -e.amount) for e in entries]
    return ledger_transaction_post(
        kind="adjustment",
        idempotency_key=f"reverse-{original.pk}",
        postings=postings,
        reference=("ledger_transaction", original.pk),
        memo=f"Reverses #{original.pk}: {reason}",
        created_by=staff,
    )


def ledger_adjustment_post(
    *, staff: User, user: User, asset: str, amount: int, reason: str, idempotency_key: str
) -> LedgerTransaction:
    """A staff correction of one person's balance, against the adjustments account, with a required reason."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give a reason for the correction.")
    if type(amount) is not int or amount == 0:
        raise ValidationError("The amount must be a whole number other than zero.")
    account = ledger_account_for_user(user=user, asset=asset)
    contra = ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=asset)
    return ledger_transaction_post(
        kind="adjustment",
        idempotency_key=idempotency_key,
        postings=[Posting(account, amount), Posting(contra, -amount)],
        reference=("user", user.pk),
        memo=reason,
        created_by=staff,
    )
