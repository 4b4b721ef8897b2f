"""Refunds and disputes of a purchase, held to what mutation testing (``make mutation``, tests/MUTATION.md) found
untested: one-coin claw-backs and restores, debts of one purchase among several, debts staff already settled or
entered by hand, coins given back to a closed account."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from wallet import services
from wallet.invariants import ledger_check
from wallet.models import CoinDebt, LedgerTransaction, Purchase, PurchaseReversal, PurchaseStatus, ReversalKind
from wallet.refunds import purchase_reversal_record
from wallet.selectors import wallet_balance_get

from .test_refunds_and_budget import _spend

pytestmark = pytest.mark.django_db


def _ok() -> None:
    report = ledger_check()
    assert report.ok, report.violations


def _step(purchase: Purchase, kind: str, amount: int | None = None, ref: str = "dp_1") -> PurchaseReversal:
    return purchase_reversal_record(purchase=purchase, kind=kind, amount_minor=amount, dispute_ref=ref)


def _open_debt(user: User) -> int:
    return sum(CoinDebt.objects.filter(user=user, settled_at__isnull=True).values_list("coins", flat=True))


def test_a_one_coin_claw_back_is_taken_and_given_back(buyer: User, paid_purchase) -> None:
    purchase = paid_purchase(70)  # 70 coins for 99 cents: one cent disputed is one coin (70 x 98 // 99 = 69)
    opened = _step(purchase, ReversalKind.DISPUTE_OPENED, 1)
    assert (opened.coins_taken, opened.debt_added, opened.result) == (1, 0, "dispute opened: 1 coins taken back")
    assert wallet_balance_get(user=buyer) == 69
    clawback = LedgerTransaction.objects.get(kind="dispute_clawback")
    assert (clawback.idempotency_key, clawback.reference_type, clawback.reference_id) == (
        f"reversal-{opened.pk}",
        "purchase",
        str(purchase.public_id),
    )
    won = _step(purchase, ReversalKind.DISPUTE_WON, 1)
    assert (won.coins_restored, won.debt_cancelled, won.result) == (1, 0, "dispute won: 1 coins restored")
    assert wallet_balance_get(user=buyer) == 70
    restore = LedgerTransaction.objects.get(kind="dispute_restore")
    assert (restore.idempotency_key, restore.reference_id) == (f"reversal-{won.pk}", str(purchase.public_id))
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.PAID
    _ok()


def test_a_one_coin_debt_is_recorded_and_cancelled(buyer: User, paid_purchase) -> None:
    purchase = paid_purchase(70)
    _spend(buyer, 70)
    opened = _step(purchase, ReversalKind.DISPUTE_OPENED, 1)
    assert (opened.coins_taken, opened.debt_added) == (0, 1)
    assert opened.result == "dispute opened: 1 coins already spent recorded as owed"
    assert _open_debt(buyer) == 1 and not LedgerTransaction.objects.filter(kind="dispute_clawback").exists()
    won = _step(purchase, ReversalKind.DISPUTE_WON, 1)
    assert (won.coins_restored, won.debt_cancelled, won.result) == (0, 1, "dispute won: 1 coins owed cancelled")
    assert _open_debt(buyer) == 0 and wallet_balance_get(user=buyer) == 0
    debt = CoinDebt.objects.get()
    assert (debt.cancelled_by_id, debt.reversal_id, debt.settled_reason) == (
        won.pk,
        opened.pk,
        "Cancelled: dispute won",
    )
    _ok()


def test_a_refund_takes_back_what_is_left_and_the_rest_is_owed(buyer: User, paid_purchase) -> None:
    purchase = paid_purchase(350)
    _spend(buyer, 349)  # one coin left
    step = _step(purchase, ReversalKind.REFUND, None)  # no amount named: all of it
    assert (step.amount_minor, step.coins_taken, step.debt_added) == (489, 1, 349)
    assert step.result == "refund recorded: 1 coins taken back, 349 coins already spent recorded as owed"
    assert LedgerTransaction.objects.get(kind="refund_clawback").reference_id == str(purchase.public_id)
    assert wallet_balance_get(user=buyer) == 0 and _open_debt(buyer) == 349
    assert CoinDebt.objects.get().reversal_id == step.pk
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.REFUNDED
    _ok()


def test_an_amount_above_the_price_counts_as_the_price(buyer: User, paid_purchase) -> None:
    purchase = paid_purchase(70)
    step = _step(purchase, ReversalKind.DISPUTE_OPENED, 10_000)
    assert (step.amount_minor, step.coins_taken) == (99, 70)
    assert _step(purchase, ReversalKind.DISPUTE_LOST, 0).amount_minor == 99  # zero: the provider named none
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.CHARGED_BACK
    _ok()


def test_a_won_dispute_gives_back_only_its_own_purchases_coins_and_debts(
    buyer: User, paid_purchase: Callable[..., Purchase]
) -> None:
    first, second = paid_purchase(70), paid_purchase(70)
    _spend(buyer, 140)
    _step(first, ReversalKind.DISPUTE_OPENED, 99, ref="dp_a")
    _step(second, ReversalKind.DISPUTE_OPENED, 99, ref="dp_b")
    assert _open_debt(buyer) == 140
    won = _step(first, ReversalKind.DISPUTE_WON, 99, ref="dp_a")
    assert won.debt_cancelled == 70
    assert list(CoinDebt.objects.filter(settled_at__isnull=True).values_list("purchase_id", "coins")) == [
        (second.pk, 70)
    ]
    assert Purchase.objects.get(pk=second.pk).status == PurchaseStatus.DISPUTED
    _ok()


def test_a_won_dispute_restores_coins_of_its_own_purchase_only(buyer: User, paid_purchase) -> None:
    first, second = paid_purchase(70), paid_purchase(350)
    _step(first, ReversalKind.DISPUTE_OPENED, 99, ref="dp_a")
    _step(second, ReversalKind.DISPUTE_OPENED, 489, ref="dp_b")
    assert wallet_balance_get(user=buyer) == 0
    _step(first, ReversalKind.DISPUTE_WON, 99, ref="dp_a")
    assert wallet_balance_get(user=buyer) == 70
    _ok()


def test_a_debt_staff_settled_is_cancelled_whole_when_the_dispute_is_won(
    buyer: User, make_user: Callable[..., User], paid_purchase
) -> None:
    staff = make_user("staff@example.com", is_staff=True)
    purchase = paid_purchase(350)
    _spend(buyer, 300)  # 50 left
    _step(purchase, ReversalKind.DISPUTE_OPENED, 489)  # 50 taken, 300 owed
    debt = CoinDebt.objects.get()
    services.debt_settle(debt=debt, staff=staff, reason="Paid by bank transfer")
    assert _open_debt(buyer) == 0
    won = _step(purchase, ReversalKind.DISPUTE_WON, 489)
    # The settled debt is cancelled (staff's reason kept), the 50 coins taken come back.
    debt.refresh_from_db()
    assert debt.cancelled_by_id == won.pk
    assert debt.settled_reason == f"Paid by bank transfer (by {staff.email})"
    assert (won.coins_restored, wallet_balance_get(user=buyer)) == (50, 50)
    _ok()


def test_a_partly_won_back_purchase_keeps_a_settled_debt_it_cannot_cancel_whole(
    buyer: User, make_user: Callable[..., User], paid_purchase
) -> None:
    staff = make_user("staff@example.com", is_staff=True)
    purchase = paid_purchase(350)
    _spend(buyer, 350)
    _step(purchase, ReversalKind.REFUND, 489)  # 350 owed
    services.debt_settle(debt=CoinDebt.objects.get(), staff=staff, reason="Written off")
    _step(purchase, ReversalKind.REFUND, 100)  # a running total never goes down: still all refunded
    assert CoinDebt.objects.get().cancelled_by_id is None
    _ok()


def test_dispute_won_wins_each_named_dispute_and_leaves_debts_entered_by_hand(buyer: User, paid_purchase) -> None:
    purchase = paid_purchase(350)
    _spend(buyer, 350)
    _step(purchase, ReversalKind.DISPUTE_OPENED, 200, ref="dp_a")
    _step(purchase, ReversalKind.DISPUTE_OPENED, 100, ref="dp_b")
    by_hand = CoinDebt.objects.create(user=buyer, purchase=purchase, coins=9)  # staff's, not a step's
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.DISPUTED
    services.purchase_dispute_won(purchase=purchase)
    won = PurchaseReversal.objects.filter(kind=ReversalKind.DISPUTE_WON)
    assert sorted(won.values_list("dispute_ref", flat=True)) == ["dp_a", "dp_b"]
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.PAID
    assert list(CoinDebt.objects.filter(settled_at__isnull=True).values_list("pk", flat=True)) == [by_hand.pk]
    CoinDebt.objects.filter(pk=by_hand.pk).delete()
    _ok()


def test_a_one_cent_refund_is_a_partial_refund(buyer: User, paid_purchase) -> None:
    purchase = paid_purchase(70)
    step = _step(purchase, ReversalKind.REFUND, 1)
    assert (step.coins_taken, Purchase.objects.get(pk=purchase.pk).status) == (1, PurchaseStatus.PART_REFUNDED)
    assert wallet_balance_get(user=buyer) == 69
    _ok()


def test_coins_restored_by_a_win_never_cancel_a_settled_debt_the_purchase_still_owes(
    buyer: User, make_user: Callable[..., User], paid_purchase, fund
) -> None:
    staff = make_user("staff@example.com", is_staff=True)
    purchase = paid_purchase(350)  # $4.89
    _spend(buyer, 300)  # 50 left
    # dp_a withdraws $2.45: the purchase keeps 350 x 244 // 489 = 174 coins, owes 176: 50 taken, 126 owed.
    first = _step(purchase, ReversalKind.DISPUTE_OPENED, 245, ref="dp_a")
    assert (first.coins_taken, first.debt_added) == (50, 126)
    services.debt_settle(debt=CoinDebt.objects.get(), staff=staff, reason="Paid back by card")
    fund(buyer, 500)
    # dp_b withdraws the other $2.44: 174 more coins are taken from the new ones.
    assert _step(purchase, ReversalKind.DISPUTE_OPENED, 244, ref="dp_b").coins_taken == 174
    won = _step(purchase, ReversalKind.DISPUTE_WON, 244, ref="dp_b")
    assert (won.coins_restored, won.debt_cancelled) == (174, 0)
    assert wallet_balance_get(user=buyer) == 500
    assert CoinDebt.objects.get().cancelled_by_id is None  # dp_a is still lost money: its settled debt stands
    _ok()


def test_coins_a_win_gives_back_to_a_closed_account_are_forfeited(
    buyer: User, paid_purchase, fund, django_capture_on_commit_callbacks
) -> None:
    from coinshop.closing import account_close

    purchase = paid_purchase(350)
    _step(purchase, ReversalKind.DISPUTE_OPENED, 489)
    fund(buyer, 10)  # forfeited when the account closes
    with django_capture_on_commit_callbacks(execute=True):
        assert account_close(user=buyer) == {"COIN": 10}
    won = _step(purchase, ReversalKind.DISPUTE_WON, 489)
    assert won.coins_restored == 350
    assert wallet_balance_get(user=buyer) == 0
    forfeitures = LedgerTransaction.objects.filter(kind="forfeiture").order_by("pk")
    assert [t.idempotency_key for t in forfeitures] == [
        f"forfeit-{buyer.pk}-COIN",
        f"forfeit-{buyer.pk}-COIN-reversal-{won.pk}",
    ]
    _ok()


def test_a_debt_entered_by_hand_is_not_counted_as_the_purchases_own(buyer: User, paid_purchase) -> None:
    purchase = paid_purchase(350)
    _spend(buyer, 350)
    by_hand = CoinDebt.objects.create(user=buyer, purchase=purchase, coins=9)
    step = _step(purchase, ReversalKind.REFUND, 489)
    assert (step.coins_taken, step.debt_added) == (0, 350)
    assert _open_debt(buyer) == 359
    CoinDebt.objects.filter(pk=by_hand.pk).delete()
    _ok()


def test_staff_settle_one_debt_once_and_the_audit_log_says_who_and_why(
    buyer: User, make_user: Callable[..., User], paid_purchase
) -> None:
    from accounts.models import AuditLog

    staff = make_user("staff@example.com", is_staff=True)
    first, second = paid_purchase(70), paid_purchase(70)
    _spend(buyer, 140)
    _step(first, ReversalKind.REFUND, 99)
    _step(second, ReversalKind.REFUND, 99)
    debt, other = CoinDebt.objects.order_by("pk")
    with pytest.raises(ValidationError, match="Give a reason"):
        services.debt_settle(debt=debt, staff=staff, reason="  ")
    long_reason = "Paid back by bank transfer. " + "x" * 300
    settled = services.debt_settle(debt=debt, staff=staff, reason=long_reason)
    assert settled.settled_at is not None and len(settled.settled_reason) == 255
    assert settled.settled_reason.startswith("Paid back by bank transfer. xxx")
    other.refresh_from_db()
    assert other.settled_at is None  # only the debt staff chose
    again = services.debt_settle(debt=debt, staff=make_user("second@example.com", is_staff=True), reason="Again")
    assert again.settled_reason == settled.settled_reason and again.settled_at == settled.settled_at
    audit = AuditLog.objects.get()
    assert (audit.actor_id, audit.action, audit.object_type, audit.object_id) == (
        staff.pk,
        "debt.settle",
        "coindebt",
        str(debt.pk),
    )
    assert audit.details == {"coins": "70", "reason": long_reason.strip()}
    assert _open_debt(buyer) == 70
    _ok()


def test_two_disputes_of_one_purchase_won_one_by_one_cancel_exactly_their_debts(buyer: User, paid_purchase) -> None:
    purchase = paid_purchase(350)  # $4.89
    _spend(buyer, 350)
    # dp_1 withdraws $2.00: 350 x 289 // 489 = 206 coins kept, 144 owed; dp_2 the other $2.89: 206 more owed.
    _step(purchase, ReversalKind.DISPUTE_OPENED, 200, ref="dp_1")
    _step(purchase, ReversalKind.DISPUTE_OPENED, 289, ref="dp_2")
    first, second = CoinDebt.objects.order_by("pk")
    assert (first.coins, second.coins) == (144, 206)
    # dp_1 won: 350 x 200 // 489 = 143 coins come back: the newest debt is cancelled in part, the rest stays owed.
    won = _step(purchase, ReversalKind.DISPUTE_WON, 200, ref="dp_1")
    assert won.debt_cancelled == 143 and _open_debt(buyer) == 207
    second.refresh_from_db()
    assert second.cancelled_by_id == won.pk
    first.refresh_from_db()
    assert first.cancelled_by_id is None and first.settled_at is None  # untouched: the 143 came from the newest
    _ok()


def test_a_win_cancels_the_settled_debt_it_owes_not_one_already_cancelled(
    buyer: User, make_user: Callable[..., User], paid_purchase
) -> None:
    staff = make_user("staff@example.com", is_staff=True)
    purchase = paid_purchase(350)
    _spend(buyer, 350)
    _step(purchase, ReversalKind.DISPUTE_OPENED, 200, ref="dp_1")  # 144 owed
    settled = CoinDebt.objects.get()
    services.debt_settle(debt=settled, staff=staff, reason="Paid")
    _step(purchase, ReversalKind.DISPUTE_OPENED, 289, ref="dp_2")  # 206 more owed
    newer = CoinDebt.objects.exclude(pk=settled.pk).get()
    won_2 = _step(purchase, ReversalKind.DISPUTE_WON, 289, ref="dp_2")
    newer.refresh_from_db()
    assert newer.coins == 206 and newer.cancelled_by_id == won_2.pk
    settled.refresh_from_db()
    assert settled.cancelled_by_id is None  # still owed for dp_1
    won_1 = _step(purchase, ReversalKind.DISPUTE_WON, 200, ref="dp_1")
    settled.refresh_from_db()
    newer.refresh_from_db()
    assert (settled.cancelled_by_id, newer.cancelled_by_id) == (won_1.pk, won_2.pk)
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.PAID
    _ok()


def test_a_dispute_whose_amount_grew_is_won_back_whole_in_one_step(buyer: User, paid_purchase) -> None:
    purchase = paid_purchase(350)
    _spend(buyer, 350)
    _step(purchase, ReversalKind.DISPUTE_OPENED, 200)  # 144 owed
    _step(purchase, ReversalKind.DISPUTE_OPENED, 489)  # the same dispute, now for the whole price: 206 more
    assert sorted(CoinDebt.objects.values_list("coins", flat=True)) == [144, 206]
    won = _step(purchase, ReversalKind.DISPUTE_WON, 489)
    assert (won.debt_cancelled, won.result) == (350, "dispute won: 350 coins owed cancelled")
    assert _open_debt(buyer) == 0 and Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.PAID
    _ok()


def test_a_purchase_with_more_coins_than_cents_keeps_none_when_all_is_refunded(buyer: User) -> None:
    from wallet.models import CoinPackage

    from .conftest import mark_sandbox_paid

    package = CoinPackage.objects.create(coins=1000, price_minor=500, currency="USD")  # a promotion: 2 coins a cent
    quote = services.recharge_quote(package_id=package.pk, custom_coins=None, payment_method="card")
    purchase = services.purchase_create(user=buyer, quote=quote)
    services.purchase_checkout_start(purchase=purchase, base_url="http://testserver")
    purchase.refresh_from_db()
    mark_sandbox_paid(purchase)
    services.purchase_confirm(purchase_id=purchase.pk)
    assert wallet_balance_get(user=buyer) == 1000
    assert _step(purchase, ReversalKind.REFUND, 500).coins_taken == 1000
    assert wallet_balance_get(user=buyer) == 0
    _ok()
