"""The ledger service: the only code that changes a balance (DESIGN.md "Money model").

``ledger_transaction_post`` is the one write path. Everything else in every app calls it.

It is on the hot path of every gift (issue 7's benchmark: many senders gifting one creator at once), so its
statements go through the cursor rather than the ORM: on the 2-core benchmark machine building an ORM query costs
about 1 ms of Python, the same statement through the cursor 0.1-0.3 ms (``bench/RESULTS.md``). They are plain SQL that
PostgreSQL and SQLite (3.35+, for ``RETURNING``) both run; the ledger tests and ``ledger_check`` after every test
hold them to the model's constraints.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_record
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


class AccountClosed(ValidationError):
    """Money from someone else (``refuse_closed``) would reach a closed account. Nothing was written."""

    def __init__(self) -> None:
        super().__init__("That account is closed.", code="account_closed")


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


def ledger_accounts_get(
    *, people: Sequence[tuple[int, str]] = (), system: Sequence[str] = ()
) -> dict[tuple[int, str] | str, LedgerAccount]:
    """Several accounts in one query: people's by ``(user id, asset)``, system accounts by code (each of the codes
    with one asset). Accounts that do not exist yet are created, as ``ledger_account_for_user`` and
    ``ledger_system_account`` do."""
    conditions = ["(owner_id = %s AND asset = %s)"] * len(people)
    conditions += ["(system_code = %s AND asset = %s)"] * len(system)
    params: list[object] = [v for pair in people for v in pair]
    params += [v for code in system for v in (code, SYSTEM_ACCOUNT_ASSET[SystemAccount(code)])]
    found: dict[tuple[int, str] | str, LedgerAccount] = {}
    if conditions:
        # One plain statement: the ORM's OR of four conditions costs more to build than the query takes to run.
        wanted_fields = {"id", "owner", "system_code", "asset", "balance", "sharded"}
        fields = [f for f in LedgerAccount._meta.concrete_fields if f.name in wanted_fields]  # from_db's order
        columns = ", ".join(f.column for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {LedgerAccount._meta.db_table} "  # noqa: S608 - our table
                f"WHERE {' OR '.join(conditions)}",
                params,
            )
            rows = cursor.fetchall()
        for row in rows:
            account = LedgerAccount.from_db(connection.alias, [f.attname for f in fields], row)
            found[account.system_code or (account.owner_id, account.asset)] = account  # type: ignore[index]
    for owner_id, asset in people:
        if (owner_id, asset) not in found:
            found[(owner_id, asset)] = ledger_account_for_user(user=owner_id, asset=asset)
    for code in system:
        if code not in found:
            found[code] = ledger_system_account(code=code)
    return found


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


def _apply_to_sharded(account: LedgerAccount, amount: int, *, refuse_closed: bool) -> None:
    if amount > 0:
        # A credit touches one random shard: concurrent gifts to one creator rarely wait on each other. Refusing a
        # closed account costs nothing more: the row is checked as it is updated (after any wait for its lock, so a
        # closing that committed meanwhile is seen).
        shard = random.randrange(_shard_count())  # noqa: S311 - load spreading, not security
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {LedgerBalanceShard._meta.db_table} SET balance = balance + %s "  # noqa: S608 - our table
                "WHERE account_id = %s AND shard = %s" + (" AND NOT closed" if refuse_closed else ""),
                [amount, account.pk, shard],
            )
            updated = cursor.rowcount
        if updated != 1 and refuse_closed and LedgerBalanceShard.objects.filter(account=account, closed=True).exists():
            raise AccountClosed
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


def _apply_balance(account: LedgerAccount, amount: int, *, refuse_closed: bool) -> None:
    if account.is_system:
        return
    if account.sharded:
        _apply_to_sharded(account, amount, refuse_closed=refuse_closed)
        return
    # The UPDATE takes the row lock; a debit only matches while the balance covers it (never below zero).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LedgerAccount._meta.db_table} SET balance = balance + %s "  # noqa: S608 - our table
            "WHERE id = %s AND balance >= %s",
            [amount, account.pk, max(0, -amount)],
        )
        updated = cursor.rowcount
    if updated != 1:
        raise InsufficientFunds(account.asset)


def ledger_transaction_post(
    *,
    kind: str,
    idempotency_key: str,
    postings: Sequence[Posting],
    reference: tuple[str, object] | None = None,
    memo: str = "",
    created_by: User | None = None,
    savepoint: bool = True,
    refuse_closed: bool = False,
) -> LedgerTransaction:
    """Post one balanced transaction, exactly once per ``idempotency_key``.

    Posting a key again returns the first transaction and changes nothing (``txn.created`` tells which).
    Balances are updated in the same database transaction, person accounts in primary-key order (the UPDATE takes
    the row lock), so two concurrent postings can never deadlock. A debit that would take a person below zero
    raises ``InsufficientFunds`` and the whole transaction is rolled back.

    ``savepoint=False``: the caller's own transaction ends with any exception raised here (``gift_send``), so the
    two round trips of a savepoint buy nothing; a caller that catches an error and goes on needs the default.

    ``refuse_closed``: the money comes from someone else (a gift, a subscription), so a credit to a closed account
    (a DIAMOND account, the only kind others pay into) raises ``AccountClosed`` instead. Money that was the person's
    own (a payout that failed, a payment confirmed late) is credited and then forfeited (``wallet.forfeit``).
    """
    merged = _validate(postings)
    txn = LedgerTransaction(
        kind=kind,
        idempotency_key=idempotency_key,
        reference_type=reference[0] if reference else "",
        reference_id=str(reference[1]) if reference else "",
        memo=memo[:255],
        created_by=created_by,
        created_at=timezone.now(),
    )
    with transaction.atomic(savepoint=savepoint):
        txn.pk = _transaction_insert(txn)
        if txn.pk is None:
            # The key was posted before (or concurrently, and that one committed first): that one stands.
            existing = LedgerTransaction.objects.get(idempotency_key=idempotency_key)
            existing.created = False  # type: ignore[attr-defined]
            return existing
        for account_id in sorted(merged):
            posting = merged[account_id]
            if posting.amount:
                _apply_balance(posting.account, posting.amount, refuse_closed=refuse_closed)
        _entries_insert(txn.pk, postings)
    txn._state.adding = False
    txn._state.db = connection.alias
    txn.created = True  # type: ignore[attr-defined]
    return txn


def _transaction_insert(txn: LedgerTransaction) -> int | None:
    """INSERT the transaction row unless its idempotency key exists: its id, or None for a repeated key.

    ``ON CONFLICT DO NOTHING`` waits for a concurrent insert of the same key and yields to it if it commits, so a
    key is posted exactly once without a savepoint or a read first."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {LedgerTransaction._meta.db_table} "  # noqa: S608 - our table
            "(kind, idempotency_key, reference_type, reference_id, memo, created_by_id, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            [
                txn.kind,
                txn.idempotency_key,
                txn.reference_type,
                txn.reference_id,
                txn.memo,
                txn.created_by_id,
                connection.ops.adapt_datetimefield_value(txn.created_at),
            ],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _entries_insert(transaction_id: int, postings: Sequence[Posting]) -> None:
    values = ", ".join(["(%s, %s, %s, %s)"] * len(postings))
    params: list[object] = []
    for p in postings:
        params += [transaction_id, p.account.pk, p.account.asset, p.amount]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {LedgerEntry._meta.db_table} (transaction_id, account_id, asset, amount) "  # noqa: S608
            f"VALUES {values}",
            params,
        )


def _refuse_credit_to_closed_accounts(postings: Sequence[Posting]) -> None:
    """Staff corrections never credit a closed account: a closed account holds nothing (its money was forfeited)."""
    credited = {p.account.owner_id for p in postings if p.amount > 0 and p.account.owner_id is not None}
    if credited and User.objects.filter(pk__in=credited, deleted_at__isnull=False).exists():
        raise ValidationError("That account is closed: nothing can be credited to it.")


def ledger_transaction_reverse(*, original: LedgerTransaction, staff: User, reason: str) -> LedgerTransaction:
    """A staff correction: a new transaction with every entry of ``original`` negated (never an edit)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give a reason for the correction.")
    entries: Iterable[LedgerEntry] = original.entries.select_related("account")
    postings = [Posting(e.account, -e.amount) for e in entries]
    _refuse_credit_to_closed_accounts(postings)
    with transaction.atomic():
        txn = ledger_transaction_post(
            kind="adjustment",
            idempotency_key=f"reverse-{original.pk}",
            postings=postings,
            reference=("ledger_transaction", original.pk),
            memo=f"Reverses #{original.pk}: {reason}",
            created_by=staff,
        )
        if txn.created:  # type: ignore[attr-defined]
            audit_record(actor=staff, action="ledger.reverse", obj=txn, reverses=original.pk, reason=reason)
    return txn


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
    _refuse_credit_to_closed_accounts([Posting(account, amount)])
    with transaction.atomic():
        txn = ledger_transaction_post(
            kind="adjustment",
            idempotency_key=idempotency_key,
            postings=[Posting(account, amount), Posting(contra, -amount)],
            reference=("user", user.pk),
            memo=reason,
            created_by=staff,
        )
        if txn.created:  # type: ignore[attr-defined]
            audit_record(
                actor=staff, action="ledger.adjust", obj=txn, user=user.pk, asset=asset, amount=amount, reason=reason
            )
    return txn
