"""Issue 12: every refund, dispute and reversal of a purchase is a step of its own; any sequence ends with the coins
the money kept pays for, and the webhook answers what it really did."""

from __future__ import annotations

import itertools

import pytest

from wallet.invariants import ledger_check
from wallet.models import CoinDebt, Purchase, PurchaseReversal, PurchaseStatus
from wallet.selectors import wallet_balance_get

from .conftest import post_webhook, sandbox_event
from .test_refunds_and_budget import _spend

pytestmark = pytest.mark.django_db

REFUND = ("payment.refunded", {"amount_refunded": 489})
OPEN1 = ("dispute.opened", {"dispute_id": "dp_1", "amount": 489})
WON1 = ("dispute.won", {"dispute_id": "dp_1", "amount": 489})
LOST1 = ("dispute.lost", {"dispute_id": "dp_1", "amount": 489})
OPEN2 = ("dispute.opened", {"dispute_id": "dp_2", "amount": 489})


def _send(client, purchase, step, capture, n=[0]):  # noqa: B006 - a counter for fresh event ids
    n[0] += 1
    event_type, data = step
    with capture(execute=True):
        response = post_webhook(client, sandbox_event(purchase, event_type, event_id=f"evt_{n[0]}", **data))
    assert response.status_code == 200
    return response.json()["result"]


def _ok():
    report = ledger_check()
    assert report.ok, report.violations


def test_a_refund_after_a_won_dispute_takes_the_coins_back_and_says_so(
    client, buyer, paid_purchase, django_capture_on_commit_callbacks
):
    purchase = paid_purchase(350)
    assert _send(client, purchase, OPEN1, django_capture_on_commit_callbacks) == "dispute opened: 350 coins taken back"
    assert _send(client, purchase, WON1, django_capture_on_commit_callbacks) == "dispute won: 350 coins restored"
    assert wallet_balance_get(user=buyer) == 350
    assert (
        _send(client, purchase, REFUND, django_capture_on_commit_callbacks) == "refund recorded: 350 coins taken back"
    )
    assert wallet_balance_get(user=buyer) == 0
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.REFUNDED
    assert PurchaseReversal.objects.filter(purchase=purchase).count() == 3
    _ok()


def test_a_second_dispute_after_a_win_takes_the_coins_again(
    client, buyer, paid_purchase, django_capture_on_commit_callbacks
):
    purchase = paid_purchase(350)
    for step in (OPEN1, WON1):
        _send(client, purchase, step, django_capture_on_commit_callbacks)
    assert _send(client, purchase, OPEN2, django_capture_on_commit_callbacks) == "dispute opened: 350 coins taken back"
    assert wallet_balance_get(user=buyer) == 0
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.DISPUTED
    _ok()


def test_a_partial_refund_then_the_full_one(client, buyer, paid_purchase, django_capture_on_commit_callbacks):
    purchase = paid_purchase(350)  # $4.89
    part = ("payment.refunded", {"amount_refunded": 100})
    assert _send(client, purchase, part, django_capture_on_commit_callbacks) == "refund recorded: 72 coins taken back"
    assert wallet_balance_get(user=buyer) == 278  # 350 x 3.89 / 4.89, rounded down
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.PART_REFUNDED
    _send(client, purchase, REFUND, django_capture_on_commit_callbacks)
    assert wallet_balance_get(user=buyer) == 0
    _ok()


def test_a_dispute_lost_after_a_refund_takes_nothing_twice(
    client, buyer, paid_purchase, django_capture_on_commit_callbacks
):
    purchase = paid_purchase(350)
    _spend(buyer, 100)
    _send(client, purchase, REFUND, django_capture_on_commit_callbacks)
    assert wallet_balance_get(user=buyer) == 0 and CoinDebt.objects.get().coins == 100
    assert _send(client, purchase, LOST1, django_capture_on_commit_callbacks) == "dispute lost: no change to the coins"
    assert CoinDebt.objects.filter(settled_at__isnull=True).get().coins == 100
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.CHARGED_BACK
    _ok()


def test_the_same_event_twice_is_a_duplicate_and_says_so(
    client, buyer, paid_purchase, django_capture_on_commit_callbacks
):
    purchase = paid_purchase(350)
    payload = sandbox_event(purchase, "payment.refunded", event_id="evt_same", amount_refunded=489)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, payload).json()["result"] == "refund recorded: 350 coins taken back"
        again = post_webhook(client, payload).json()["result"]
    assert again.startswith("duplicate") and "nothing changed" in again
    assert wallet_balance_get(user=buyer) == 0


@pytest.mark.parametrize(
    ("steps", "coins_left", "owed"),
    [
        ((OPEN1, WON1, REFUND), 0, 100),
        ((OPEN1, WON1, OPEN2), 0, 100),
        ((OPEN1, LOST1), 0, 100),
        ((OPEN1, WON1), 250, 0),
        ((("payment.refunded", {"amount_refunded": 100}), REFUND), 0, 100),
    ],
)
def test_every_order_and_repetition_of_the_steps_ends_in_the_same_place(
    client, make_user, paid_purchase, django_capture_on_commit_callbacks, steps, coins_left, owed
):
    for i, order in enumerate(itertools.permutations(steps)):
        person = make_user(f"p{len(steps)}{i}{coins_left}{owed}@example.com")
        purchase = paid_purchase(350, user=person)
        _spend(person, 100)  # 250 left
        for step in order + order:  # everything twice, under new event ids
            _send(client, purchase, step, django_capture_on_commit_callbacks)
        assert wallet_balance_get(user=person) == coins_left, order
        assert (
            sum(CoinDebt.objects.filter(user=person, settled_at__isnull=True).values_list("coins", flat=True)) == owed
        )
    _ok()


def test_a_won_dispute_cancels_only_its_own_purchases_debt(
    client, buyer, paid_purchase, django_capture_on_commit_callbacks
):
    first, second = paid_purchase(350), paid_purchase(70)
    _spend(buyer, 400)  # 20 left
    _send(client, first, OPEN1, django_capture_on_commit_callbacks)  # takes 20, owes 330
    _send(client, second, ("payment.refunded", {"amount_refunded": 99}), django_capture_on_commit_callbacks)  # owes 70
    _send(client, first, WON1, django_capture_on_commit_callbacks)
    assert CoinDebt.objects.get(settled_at__isnull=True).purchase_id == second.pk
    assert CoinDebt.objects.get(settled_at__isnull=True).coins == 70
    assert wallet_balance_get(user=buyer) == 20
    _ok()


def test_a_refund_that_overtakes_the_confirmation_is_applied_when_the_purchase_is_paid(
    client, buyer, buyer_client, start_purchase, django_capture_on_commit_callbacks
):
    from wallet import services

    from .conftest import mark_sandbox_paid

    purchase = start_purchase(buyer_client)
    result = _send(client, purchase, REFUND, django_capture_on_commit_callbacks)
    assert "never paid" in result
    mark_sandbox_paid(purchase)
    services.purchase_confirm(purchase_id=purchase.pk)
    assert wallet_balance_get(user=buyer) == 0
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.REFUNDED
    _ok()


def test_the_ledger_check_names_a_purchase_whose_coins_do_not_match_the_money_kept(
    client, buyer, paid_purchase, django_capture_on_commit_callbacks
):
    purchase = paid_purchase(350)
    _spend(buyer, 100)
    _send(client, purchase, REFUND, django_capture_on_commit_callbacks)
    _ok()
    step = PurchaseReversal.objects.get(purchase=purchase)
    CoinDebt.objects.create(user=buyer, purchase=purchase, reversal=step, coins=5)  # a step's debt counted twice
    report = ledger_check()
    assert any("each purchase keeps the coins its money pays for" in v for v in report.violations)
    CoinDebt.objects.filter(coins=5).delete()  # leave the database as the invariants expect after the test
