"""The money core, held to what mutation testing (``make mutation``, tests/MUTATION.md) found untested: postings to one
account twice in a transaction, each transaction's reference and author, staff corrections, balance shards, and the
coins of a purchase through confirmation, refunds and disputes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditLog, User
from wallet.invariants import ledger_check
from wallet.ledger import (
    AccountClosed,
    InsufficientFunds,
    Posting,
    UnbalancedTransaction,
    ledger_account_for_user,
    ledger_accounts_get,
    ledger_adjustment_post,
    ledger_system_account,
    ledger_transaction_post,
    ledger_transaction_reverse,
)
from wallet.models import Asset, LedgerAccount, LedgerBalanceShard, LedgerEntry, LedgerTransaction, SystemAccount
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


def _ok() -> None:
    report = ledger_check()
    assert report.ok, report.violations


def _entries(txn: LedgerTransaction) -> list[tuple[int, str, int]]:
    return sorted(LedgerEntry.objects.filter(transaction=txn).values_list("account_id", "asset", "amount"))


@pytest.fixture
def staff(make_user: Callable[..., User]) -> User:
    return make_user("staff@example.com", is_staff=True)


# --- one transaction, one account twice ---------------------------------------------------------------------------


def test_two_credits_to_one_account_in_one_transaction_both_count(viewer: User) -> None:
    coin = ledger_account_for_user(user=viewer, asset=Asset.COIN)
    adjustments = ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.COIN)
    txn = ledger_transaction_post(
        kind="adjustment",
        idempotency_key="twice",
        postings=[Posting(coin, 8), Posting(coin, 2), Posting(adjustments, -10)],
    )
    assert wallet_balance_get(user=viewer) == 10
    assert _entries(txn) == sorted([(coin.pk, "COIN", 8), (coin.pk, "COIN", 2), (adjustments.pk, "COIN", -10)])
    _ok()


def test_a_debit_and_a_credit_to_one_account_are_netted_before_the_balance_check(
    viewer: User, make_user: Callable[..., User], fund
) -> None:
    fund(viewer, 5)
    coin = ledger_account_for_user(user=viewer, asset=Asset.COIN)
    sink = ledger_system_account(code=SystemAccount.COIN_SINK)
    adjustments = ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.COIN)
    # -10 alone would overdraw 5 coins; with +12 in the same transaction the account gains 2.
    ledger_transaction_post(
        kind="adjustment",
        idempotency_key="net",
        postings=[Posting(coin, -10), Posting(sink, 10), Posting(coin, 12), Posting(adjustments, -12)],
    )
    assert wallet_balance_get(user=viewer) == 7
    # A debit and a credit that cancel out leave even an empty account as it was.
    empty = ledger_account_for_user(user=make_user(), asset=Asset.COIN)
    ledger_transaction_post(
        kind="adjustment", idempotency_key="zero-net", postings=[Posting(empty, -3), Posting(empty, 3)]
    )
    assert LedgerAccount.objects.get(pk=empty.pk).balance == 0
    # A net debit beyond the balance is still refused, and nothing is written.
    with pytest.raises(InsufficientFunds):
        ledger_transaction_post(
            kind="adjustment",
            idempotency_key="net-over",
            postings=[Posting(coin, -20), Posting(sink, 20), Posting(coin, 12), Posting(adjustments, -12)],
        )
    assert wallet_balance_get(user=viewer) == 7
    assert not LedgerTransaction.objects.filter(idempotency_key="net-over").exists()
    _ok()


def test_a_debit_of_exactly_the_balance_empties_the_account(viewer: User, fund) -> None:
    fund(viewer, 30)
    coin = ledger_account_for_user(user=viewer, asset=Asset.COIN)
    sink = ledger_system_account(code=SystemAccount.COIN_SINK)
    ledger_transaction_post(kind="gift", idempotency_key="all", postings=[Posting(coin, -30), Posting(sink, 30)])
    assert wallet_balance_get(user=viewer) == 0
    with pytest.raises(InsufficientFunds, match="Not enough coins") as refused:
        ledger_transaction_post(kind="gift", idempotency_key="one", postings=[Posting(coin, -1), Posting(sink, 1)])
    assert (refused.value.asset, refused.value.code) == ("COIN", "insufficient_funds")
    assert InsufficientFunds(Asset.DIAMOND, "Custom words.").messages == ["Custom words."]
    _ok()


# --- what a transaction records -------------------------------------------------------------------------------------


def test_a_transaction_records_its_reference_author_memo_and_time(viewer: User, staff: User) -> None:
    coin = ledger_account_for_user(user=viewer, asset=Asset.COIN)
    adjustments = ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.COIN)
    txn = ledger_transaction_post(
        kind="adjustment",
        idempotency_key="recorded",
        postings=[Posting(coin, 4), Posting(adjustments, -4)],
        reference=("user", viewer.pk),
        memo="m" * 300,
        created_by=staff,
    )
    stored = LedgerTransaction.objects.get(pk=txn.pk)
    assert (stored.reference_type, stored.reference_id) == ("user", str(viewer.pk))
    assert stored.created_by_id == staff.pk and txn.created_by == staff
    assert stored.memo == "m" * 255
    assert stored.created_at == txn.created_at
    # Without a reference or an author, both stay empty.
    bare = ledger_transaction_post(
        kind="adjustment", idempotency_key="bare", postings=[Posting(coin, 1), Posting(adjustments, -1)]
    )
    stored = LedgerTransaction.objects.get(pk=bare.pk)
    assert (stored.reference_type, stored.reference_id, stored.created_by_id, stored.memo) == ("", "", None, "")


# --- staff corrections ----------------------------------------------------------------------------------------------


def test_a_staff_adjustment_records_who_why_and_for_whom_once(viewer: User, staff: User) -> None:
    txn = ledger_adjustment_post(
        staff=staff, user=viewer, asset=Asset.COIN, amount=25, reason="  Goodwill  ", idempotency_key="adj-1"
    )
    again = ledger_adjustment_post(
        staff=staff, user=viewer, asset=Asset.COIN, amount=25, reason="Goodwill", idempotency_key="adj-1"
    )
    assert again.pk == txn.pk and again.created is False
    assert wallet_balance_get(user=viewer) == 25
    stored = LedgerTransaction.objects.get(pk=txn.pk)
    assert (stored.kind, stored.reference_type, stored.reference_id) == ("adjustment", "user", str(viewer.pk))
    assert (stored.created_by_id, stored.memo) == (staff.pk, "Goodwill")
    contra = ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.COIN)
    assert _entries(stored) == sorted(
        [(ledger_account_for_user(user=viewer, asset=Asset.COIN).pk, "COIN", 25), (contra.pk, "COIN", -25)]
    )
    audit = AuditLog.objects.get(action="ledger.adjust")
    assert (audit.actor_id, audit.object_id) == (staff.pk, str(txn.pk))
    assert audit.details == {"user": str(viewer.pk), "asset": "COIN", "amount": "25", "reason": "Goodwill"}
    _ok()


def test_a_staff_adjustment_of_diamonds_uses_the_diamond_adjustments_account(make_creator, staff: User) -> None:
    creator = make_creator("dina").user
    txn = ledger_adjustment_post(
        staff=staff, user=creator, asset=Asset.DIAMOND, amount=40, reason="Missed gift", idempotency_key="adj-d"
    )
    assert wallet_balance_get(user=creator, asset=Asset.DIAMOND) == 40
    contra = ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.DIAMOND)
    assert (contra.pk, "DIAMOND", -40) in _entries(txn)
    ledger_adjustment_post(staff=staff, user=creator, asset=Asset.DIAMOND, amount=1, reason="One", idempotency_key="1")
    assert wallet_balance_get(user=creator, asset=Asset.DIAMOND) == 41
    _ok()


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        (0, "why", "whole number other than zero"),
        (2.5, "why", "whole number other than zero"),
        (True, "why", "whole number other than zero"),
        (5, "   ", "Give a reason"),
    ],
)
def test_a_staff_adjustment_without_a_reason_or_a_whole_amount_is_refused(
    viewer: User, staff: User, amount, reason: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        ledger_adjustment_post(
            staff=staff, user=viewer, asset=Asset.COIN, amount=amount, reason=reason, idempotency_key="bad"
        )
    assert not LedgerTransaction.objects.exists() and not AuditLog.objects.exists()


def test_a_staff_debit_takes_coins_and_never_below_zero(viewer: User, staff: User, fund) -> None:
    fund(viewer, 10)
    ledger_adjustment_post(staff=staff, user=viewer, asset=Asset.COIN, amount=-4, reason="x", idempotency_key="d1")
    assert wallet_balance_get(user=viewer) == 6
    with pytest.raises(InsufficientFunds):
        ledger_adjustment_post(staff=staff, user=viewer, asset=Asset.COIN, amount=-7, reason="x", idempotency_key="d2")
    assert wallet_balance_get(user=viewer) == 6
    assert AuditLog.objects.filter(action="ledger.adjust").count() == 1


def test_a_reversal_negates_every_entry_and_names_the_original_and_the_staff(viewer: User, staff: User, fund) -> None:
    fund(viewer, 50)
    coin = ledger_account_for_user(user=viewer, asset=Asset.COIN)
    sink = ledger_system_account(code=SystemAccount.COIN_SINK)
    original = ledger_transaction_post(
        kind="gift", idempotency_key="oops", postings=[Posting(coin, -20), Posting(sink, 20)]
    )
    reversal = ledger_transaction_reverse(original=original, staff=staff, reason=" Sent by mistake ")
    again = ledger_transaction_reverse(original=original, staff=staff, reason="Sent by mistake")
    assert again.pk == reversal.pk and again.created is False
    assert wallet_balance_get(user=viewer) == 50
    stored = LedgerTransaction.objects.get(pk=reversal.pk)
    assert (stored.kind, stored.idempotency_key) == ("adjustment", f"reverse-{original.pk}")
    assert (stored.reference_type, stored.reference_id) == ("ledger_transaction", str(original.pk))
    assert stored.created_by_id == staff.pk
    assert stored.memo == f"Reverses #{original.pk}: Sent by mistake"
    assert _entries(stored) == sorted([(coin.pk, "COIN", 20), (sink.pk, "COIN", -20)])
    audit = AuditLog.objects.get(action="ledger.reverse")
    assert (audit.actor_id, audit.object_id) == (staff.pk, str(reversal.pk))
    assert audit.details == {"reverses": str(original.pk), "reason": "Sent by mistake"}
    with pytest.raises(ValidationError, match="Give a reason"):
        ledger_transaction_reverse(original=original, staff=staff, reason="  ")
    _ok()


def test_nothing_is_credited_to_a_closed_account_but_it_may_be_debited(
    viewer: User, staff: User, make_user: Callable[..., User], fund
) -> None:
    fund(viewer, 10)
    other = make_user()
    ledger_adjustment_post(staff=staff, user=other, asset=Asset.COIN, amount=5, reason="x", idempotency_key="o")
    assert wallet_balance_get(user=other) == 5  # (nobody is closed yet)
    User.objects.filter(pk=viewer.pk).update(deleted_at=viewer.date_joined)
    for amount in (5, 1):
        with pytest.raises(ValidationError, match="closed"):
            ledger_adjustment_post(
                staff=staff, user=viewer, asset=Asset.COIN, amount=amount, reason="x", idempotency_key=f"c{amount}"
            )
    ledger_adjustment_post(staff=staff, user=viewer, asset=Asset.COIN, amount=-10, reason="x", idempotency_key="d")
    assert wallet_balance_get(user=viewer) == 0
    # Someone else being closed changes nothing for an open account.
    ledger_adjustment_post(staff=staff, user=other, asset=Asset.COIN, amount=5, reason="x", idempotency_key="o2")
    assert wallet_balance_get(user=other) == 10
    debit = LedgerTransaction.objects.get(idempotency_key="d")
    with pytest.raises(ValidationError, match="closed"):  # reversing the debit would credit the closed account
        ledger_transaction_reverse(original=debit, staff=staff, reason="undo")
    assert wallet_balance_get(user=viewer) == 0


# --- accounts and shards --------------------------------------------------------------------------------------------


def test_accounts_are_found_by_person_or_id_and_system_accounts_by_code(
    viewer: User, django_assert_num_queries
) -> None:
    by_user = ledger_account_for_user(user=viewer, asset=Asset.COIN)
    assert ledger_account_for_user(user=viewer.pk, asset=Asset.COIN).pk == by_user.pk
    assert (by_user.owner_id, by_user.asset, by_user.sharded) == (viewer.pk, "COIN", False)
    assert by_user.shards.count() == 0
    sink = ledger_system_account(code=SystemAccount.COIN_SINK)
    assert (sink.system_code, sink.asset, sink.owner_id) == ("coin_sink", "COIN", None)
    assert ledger_system_account(code=SystemAccount.COIN_SINK).pk == sink.pk
    with pytest.raises(ValueError, match="per asset"):
        ledger_system_account(code=SystemAccount.ADJUSTMENT)
    coin_adj = ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.COIN)
    diamond_adj = ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.DIAMOND)
    assert coin_adj.pk != diamond_adj.pk and (coin_adj.asset, diamond_adj.asset) == ("COIN", "DIAMOND")
    with django_assert_num_queries(1):  # everything the ledger reads of an account comes in that one query
        found = ledger_accounts_get(people=[(viewer.pk, Asset.COIN)], system=[SystemAccount.COIN_SINK])
        loaded, system = found[(viewer.pk, "COIN")], found[SystemAccount.COIN_SINK]
        assert (loaded.owner_id, loaded.asset, loaded.balance, loaded.sharded, loaded.system_code) == (
            viewer.pk,
            "COIN",
            0,
            False,
            None,
        )
        assert (system.pk, system.owner_id, system.sharded, system.system_code) == (sink.pk, None, False, "coin_sink")
    assert loaded.pk == by_user.pk and ledger_accounts_get() == {}


@pytest.mark.parametrize(("setting", "shards"), [(0, 1), (1, 1), (3, 3)])
def test_a_creators_diamond_account_gets_the_configured_number_of_shards(
    make_creator, settings, setting: int, shards: int
) -> None:
    settings.LEDGER_DIAMOND_SHARDS = setting
    creator = make_creator("shard").user
    account = ledger_account_for_user(user=creator, asset=Asset.DIAMOND)
    assert account.sharded
    assert sorted(account.shards.values_list("shard", flat=True)) == list(range(shards))
    issuance = ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.DIAMOND)
    for i in range(6):
        ledger_transaction_post(
            kind="adjustment", idempotency_key=f"s{i}", postings=[Posting(account, 5), Posting(issuance, -5)]
        )
    assert wallet_balance_get(user=creator, asset=Asset.DIAMOND) == 30
    _ok()


@pytest.mark.corrupts_ledger
def test_a_credit_to_a_missing_shard_is_a_broken_ledger_not_a_closed_account(make_creator, settings) -> None:
    """A credit refused because its account is closed says AccountClosed; one whose shard row is missing (a broken
    ledger) says so, even while some other account on the platform is closed."""
    from coinshop.closing import account_close

    settings.LEDGER_DIAMOND_SHARDS = 1
    issuance = ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.DIAMOND)
    closed = make_creator("closed").user
    closed_account = ledger_account_for_user(user=closed, asset=Asset.DIAMOND)
    account_close(user=closed)
    with pytest.raises(AccountClosed):
        ledger_transaction_post(
            kind="gift",
            idempotency_key="to-closed",
            postings=[Posting(closed_account, 5), Posting(issuance, -5)],
            refuse_closed=True,
        )
    settings.LEDGER_DIAMOND_SHARDS = 2
    broken = ledger_account_for_user(user=make_creator("broken").user, asset=Asset.DIAMOND)
    LedgerBalanceShard.objects.filter(account=broken, shard=0).delete()  # shard 1 is still there, not closed
    settings.LEDGER_DIAMOND_SHARDS = 1  # so the credit goes to shard 0
    with pytest.raises(UnbalancedTransaction, match=f"account {broken.pk} is missing balance shard 0"):
        ledger_transaction_post(
            kind="gift",
            idempotency_key="to-broken",
            postings=[Posting(broken, 5), Posting(issuance, -5)],
            refuse_closed=True,
        )
    assert not LedgerTransaction.objects.filter(idempotency_key__in=["to-closed", "to-broken"]).exists()


def test_without_the_shard_setting_a_diamond_account_gets_eight_shards(make_creator, settings) -> None:
    del settings.LEDGER_DIAMOND_SHARDS
    account = ledger_account_for_user(user=make_creator("plain").user, asset=Asset.DIAMOND)
    assert account.shards.count() == 8


def test_diamonds_leave_from_every_shard_and_never_more_than_there_are(make_creator, settings) -> None:
    settings.LEDGER_DIAMOND_SHARDS = 3
    creator = make_creator("payee").user
    account = ledger_account_for_user(user=creator, asset=Asset.DIAMOND)
    clearing = ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.DIAMOND)
    ledger_transaction_post(
        kind="adjustment", idempotency_key="issue", postings=[Posting(account, 17), Posting(clearing, -17)]
    )
    # Wherever the credit landed, spread the 17 diamonds as 10, 0 and 7 (the total, which the books hold, is kept).
    for shard, balance in ((0, 10), (1, 0), (2, 7)):
        LedgerBalanceShard.objects.filter(account=account, shard=shard).update(balance=balance)
    with pytest.raises(InsufficientFunds, match="Not enough diamonds"):
        ledger_transaction_post(
            kind="payout_hold", idempotency_key="too-much", postings=[Posting(account, -18), Posting(clearing, 18)]
        )
    ledger_transaction_post(
        kind="payout_hold", idempotency_key="most", postings=[Posting(account, -12), Posting(clearing, 12)]
    )
    assert dict(account.shards.values_list("shard", "balance")) == {0: 0, 1: 0, 2: 5}
    assert wallet_balance_get(user=creator, asset=Asset.DIAMOND) == 5
    ledger_transaction_post(
        kind="payout_hold", idempotency_key="rest", postings=[Posting(account, -5), Posting(clearing, 5)]
    )
    assert dict(account.shards.values_list("shard", "balance")) == {0: 0, 1: 0, 2: 0}
    _ok()
