"""The ledger service: balanced, exactly once, never negative; and ledger_check catches corruption."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from wallet.ledger import (
    InsufficientFunds,
    Posting,
    UnbalancedTransaction,
    ledger_account_for_user,
    ledger_accounts_get,
    ledger_system_account,
    ledger_transaction_post,
)
from wallet.models import Asset, LedgerAccount, LedgerBalanceShard, LedgerEntry, LedgerTransaction, SystemAccount
from wallet.selectors import wallet_balance_get

from .conftest import assert_ledger_ok

pytestmark = pytest.mark.django_db


def _grant(user, coins, key="grant"):
    """Coins from the adjustments account (a staff correction), to set a scene."""
    return ledger_transaction_post(
        kind="adjustment",
        idempotency_key=key,
        postings=[
            Posting(ledger_account_for_user(user=user, asset=Asset.COIN), coins),
            Posting(ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.COIN), -coins),
        ],
    )


def test_posting_moves_balances_and_records_balanced_entries(viewer):
    txn = _grant(viewer, 500)
    assert wallet_balance_get(user=viewer) == 500
    assert sorted(txn.entries.values_list("amount", flat=True)) == [-500, 500]
    assert_ledger_ok()


def test_same_idempotency_key_returns_the_first_transaction_and_changes_nothing(viewer):
    first = _grant(viewer, 500, key="k1")
    second = _grant(viewer, 999, key="k1")
    assert second.pk == first.pk and second.created is False
    assert wallet_balance_get(user=viewer) == 500
    assert LedgerTransaction.objects.count() == 1


def test_a_posted_transaction_reads_back_as_it_was_written(viewer):
    txn = _grant(viewer, 70, key="read-back")
    stored = LedgerTransaction.objects.get(pk=txn.pk)
    assert (stored.kind, stored.idempotency_key, stored.created_at) == ("adjustment", "read-back", txn.created_at)
    assert {(e.account_id, e.asset, e.amount) for e in stored.entries.all()} == {
        (e.account_id, e.asset, e.amount) for e in LedgerEntry.objects.filter(transaction=txn)
    }
    assert txn.created is True and not txn._state.adding


def test_several_accounts_are_read_in_one_query_and_missing_ones_created(
    viewer, make_creator, django_assert_num_queries
):
    creator = make_creator("dana")
    coin = ledger_account_for_user(user=viewer, asset=Asset.COIN)
    sink = ledger_system_account(code=SystemAccount.COIN_SINK)
    with django_assert_num_queries(1):
        found = ledger_accounts_get(people=[(viewer.pk, Asset.COIN)], system=[SystemAccount.COIN_SINK])
    assert (found[(viewer.pk, Asset.COIN)].pk, found[SystemAccount.COIN_SINK].pk) == (coin.pk, sink.pk)
    # Missing ones are created, the creator's DIAMOND account with its shards.
    found = ledger_accounts_get(people=[(creator.user_id, Asset.DIAMOND)], system=[SystemAccount.DIAMOND_ISSUANCE])
    diamonds = found[(creator.user_id, Asset.DIAMOND)]
    assert diamonds.sharded and diamonds.shards.count() == 8
    assert found[SystemAccount.DIAMOND_ISSUANCE].asset == Asset.DIAMOND


def test_unbalanced_or_malformed_postings_are_refused_before_anything_is_written(viewer):
    coin = ledger_account_for_user(user=viewer, asset=Asset.COIN)
    sink = ledger_system_account(code=SystemAccount.COIN_SINK)
    for postings in (
        [Posting(coin, 10), Posting(sink, -9)],
        [Posting(coin, 10)],
        [Posting(coin, 0), Posting(sink, 0)],
        [Posting(coin, 1.5), Posting(sink, -1.5)],  # type: ignore[arg-type]
    ):
        with pytest.raises(UnbalancedTransaction):
            ledger_transaction_post(kind="adjustment", idempotency_key="bad", postings=postings)
    diamonds = ledger_system_account(code=SystemAccount.DIAMOND_ISSUANCE)
    with pytest.raises(UnbalancedTransaction):  # balanced in total, but not per asset
        ledger_transaction_post(
            kind="adjustment", idempotency_key="bad", postings=[Posting(coin, 5), Posting(diamonds, -5)]
        )
    assert LedgerTransaction.objects.count() == 0 and LedgerEntry.objects.count() == 0


def test_a_debit_beyond_the_balance_raises_and_rolls_everything_back(viewer):
    _grant(viewer, 100)
    coin = ledger_account_for_user(user=viewer, asset=Asset.COIN)
    sink = ledger_system_account(code=SystemAccount.COIN_SINK)
    with pytest.raises(InsufficientFunds, match="Not enough coins"):
        ledger_transaction_post(
            kind="gift", idempotency_key="spend", postings=[Posting(coin, -101), Posting(sink, 101)]
        )
    assert wallet_balance_get(user=viewer) == 100
    assert not LedgerTransaction.objects.filter(idempotency_key="spend").exists()
    assert_ledger_ok()


def test_the_database_refuses_a_negative_person_balance_and_a_zero_entry(viewer):
    account = ledger_account_for_user(user=viewer, asset=Asset.COIN)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=account.pk).update(balance=-1)
    txn = _grant(viewer, 5)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(transaction=txn, account=account, asset=Asset.COIN, amount=0)


def test_creator_diamonds_are_spread_over_shards_and_read_as_one_balance(make_creator):
    creator = make_creator("hot").user
    account = ledger_account_for_user(user=creator, asset=Asset.DIAMOND)
    issuance = ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.DIAMOND)  # not a gift: staff-made
    for i in range(40):
        ledger_transaction_post(
            kind="gift", idempotency_key=f"g{i}", postings=[Posting(account, 10), Posting(issuance, -10)]
        )
    assert account.sharded
    assert wallet_balance_get(user=creator, asset=Asset.DIAMOND) == 400
    assert LedgerBalanceShard.objects.filter(account=account, balance__gt=0).count() > 1
    # A debit larger than any one shard draws from several, and never below zero.
    clearing = issuance  # back to the adjustments account (payout clearing belongs to real payouts)
    ledger_transaction_post(
        kind="payout_hold", idempotency_key="p1", postings=[Posting(account, -390), Posting(clearing, 390)]
    )
    assert wallet_balance_get(user=creator, asset=Asset.DIAMOND) == 10
    with pytest.raises(InsufficientFunds, match="Not enough diamonds"):
        ledger_transaction_post(
            kind="payout_hold", idempotency_key="p2", postings=[Posting(account, -11), Posting(clearing, 11)]
        )
    assert_ledger_ok()


@pytest.mark.corrupts_ledger
def test_ledger_check_names_a_corrupted_cached_balance(viewer, capsys):
    _grant(viewer, 100)
    call_command("ledger_check")
    out = capsys.readouterr().out
    assert "coins outstanding: 100" in out and "ledger check passed" in out
    LedgerAccount.objects.filter(owner=viewer).update(balance=101)  # corrupt the cache behind the ledger's back
    with pytest.raises(CommandError, match=r"cached balance 101 but its entries sum to 100"):
        call_command("ledger_check")


@pytest.mark.corrupts_ledger
def test_ledger_check_names_an_unbalanced_transaction(viewer):
    txn = _grant(viewer, 100)
    LedgerEntry.objects.filter(transaction=txn, amount=-100).update(amount=-99)
    with pytest.raises(CommandError, match=rf"transaction #{txn.pk} does not balance in COIN: sum is 1"):
        call_command("ledger_check")


@pytest.mark.corrupts_ledger
def test_ledger_check_catches_coins_issued_without_a_purchase(viewer):
    ledger_transaction_post(
        kind="purchase",
        idempotency_key="fake-purchase",
        postings=[
            Posting(ledger_account_for_user(user=viewer, asset=Asset.COIN), 70),
            Posting(ledger_system_account(code=SystemAccount.COIN_ISSUANCE), -70),
        ],
    )
    with pytest.raises(
        CommandError, match=r"coins issued by purchases \(70\) differ from coins of paid purchases \(0\)"
    ):
        call_command("ledger_check")


def test_account_deletion_forfeits_the_coins_through_the_ledger(viewer, client):
    from coinshop.closing import account_close

    _grant(viewer, 250)
    account_close(user=viewer)
    assert wallet_balance_get(user=viewer) == 0
    forfeited = LedgerTransaction.objects.get(kind="forfeiture")
    assert sorted(forfeited.entries.values_list("amount", flat=True)) == [-250, 250]
    assert_ledger_ok()


def test_there_is_no_way_to_move_coins_between_people(buyer_client):
    for url in ("/wallet/transfer/", "/wallet/send/"):
        assert buyer_client.post(url, {"to": "x@example.com", "coins": 10}).status_code == 404
