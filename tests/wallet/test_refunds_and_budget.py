"""Refunds and disputes claw coins back through the ledger; budgets limit recharges."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wallet import services
from wallet.ledger import Posting, ledger_account_for_user, ledger_system_account, ledger_transaction_post
from wallet.models import Asset, CoinDebt, LedgerTransaction, Purchase, PurchaseStatus, SystemAccount
from wallet.providers.sandbox import sandbox_staff_event
from wallet.selectors import wallet_balance_get

from .conftest import assert_ledger_ok, post_webhook, sandbox_event

pytestmark = pytest.mark.django_db


def _spend(user, coins):
    ledger_transaction_post(
        kind="gift",
        idempotency_key=f"spend-{user.pk}-{coins}",
        postings=[
            Posting(ledger_account_for_user(user=user, asset=Asset.COIN), -coins),
            Posting(ledger_system_account(code=SystemAccount.COIN_SINK), coins),
        ],
    )


def _deliver(client, purchase, event_type, capture, event_id=None):
    with capture(execute=True):
        return post_webhook(client, sandbox_event(purchase, event_type, event_id=event_id))


def test_refund_of_unspent_coins_takes_them_all_back_once(
    client, buyer, paid_purchase, django_capture_on_commit_callbacks
):
    purchase = paid_purchase(350)
    assert wallet_balance_get(user=buyer) == 350
    for i in range(3):  # the provider repeats itself, with new event ids too
        _deliver(client, purchase, "payment.refunded", django_capture_on_commit_callbacks, event_id=f"evt_r{i}")
    assert wallet_balance_get(user=buyer) == 0
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.REFUNDED
    assert not CoinDebt.objects.exists()
    assert_ledger_ok()


def test_refund_after_spending_records_the_rest_as_a_debt_that_blocks_buying(
    client, buyer, buyer_client, paid_purchase, django_capture_on_commit_callbacks, packages
):
    purchase = paid_purchase(350)
    _spend(buyer, 300)
    for i in range(2):
        _deliver(client, purchase, "payment.refunded", django_capture_on_commit_callbacks, event_id=f"evt_r{i}")
    assert wallet_balance_get(user=buyer) == 0
    debt = CoinDebt.objects.get()
    assert (debt.user_id, debt.coins) == (buyer.pk, 300)
    page = buyer_client.get("/wallet/recharge/").content.decode()
    assert "owes 300 coins" in page
    response = buyer_client.post(
        "/wallet/recharge/confirm/",
        {"package": packages[70].pk, "method": "card", "idempotency_key": "0b1c1c3e-7f7c-4a7e-9d57-5a1d8e7b8a11"},
        follow=True,
    )
    assert "owes 300 coins" in response.content.decode()
    assert Purchase.objects.count() == 1
    assert_ledger_ok()


def test_dispute_claws_back_and_a_won_dispute_restores_exactly_once(
    client, buyer, paid_purchase, django_capture_on_commit_callbacks
):
    purchase = paid_purchase(700)
    _spend(buyer, 200)  # 500 left
    for i in range(3):  # the provider repeats the opening too, with new event ids: one clawback, one debt
        _deliver(client, purchase, "dispute.opened", django_capture_on_commit_callbacks, event_id=f"evt_open{i}")
    assert wallet_balance_get(user=buyer) == 0
    assert CoinDebt.objects.get().coins == 200
    assert LedgerTransaction.objects.filter(kind="dispute_clawback").count() == 1
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.DISPUTED
    for i in range(3):
        _deliver(client, purchase, "dispute.won", django_capture_on_commit_callbacks, event_id=f"evt_won{i}")
    assert wallet_balance_get(user=buyer) == 500  # exactly what the clawback took
    assert CoinDebt.objects.get().settled_at is not None
    services.user_purchase_check(user=buyer)  # may buy again: raises if not
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.PAID
    assert_ledger_ok()


def test_lost_dispute_leaves_the_clawback_and_debt(client, buyer, paid_purchase, django_capture_on_commit_callbacks):
    purchase = paid_purchase(350)
    _spend(buyer, 50)
    _deliver(client, purchase, "dispute.opened", django_capture_on_commit_callbacks)
    _deliver(client, purchase, "dispute.lost", django_capture_on_commit_callbacks)
    assert wallet_balance_get(user=buyer) == 0
    assert CoinDebt.objects.get(settled_at__isnull=True).coins == 50
    assert_ledger_ok()


def test_staff_sandbox_buttons_send_signed_events_through_the_same_path(
    buyer, paid_purchase, django_capture_on_commit_callbacks
):
    purchase = paid_purchase(350)
    with django_capture_on_commit_callbacks(execute=True):
        sandbox_staff_event(purchase_public_id=str(purchase.public_id), event_type="payment.refunded")
    assert wallet_balance_get(user=buyer) == 0
    assert purchase.events.get().event_type == "payment.refunded"
    assert_ledger_ok()


def test_refund_of_a_purchase_never_paid_changes_nothing(
    client, buyer_client, buyer, start_purchase, django_capture_on_commit_callbacks
):
    purchase = start_purchase(buyer_client)
    _deliver(client, purchase, "payment.refunded", django_capture_on_commit_callbacks)
    assert wallet_balance_get(user=buyer) == 0 and not CoinDebt.objects.exists()
    assert_ledger_ok()


def test_budget_refuses_a_purchase_beyond_it_at_review_showing_what_is_left(
    buyer_client, buyer, paid_purchase, packages
):
    services.budget_set(user=buyer, limit_minor=1000)  # 10.00 USD a month
    paid_purchase(350)  # 4.89 spent
    review = buyer_client.get("/wallet/recharge/review/", {"package": packages[700].pk, "method": "card"})
    assert review.status_code == 400
    assert "over your monthly budget: $5.11 is left" in review.content.decode()
    assert 'id="confirm-purchase"' not in review.content.decode()
    with pytest.raises(services.ValidationError, match=r"\$5\.11 is left"):
        services.purchase_create(
            user=buyer,
            quote=services.recharge_quote(package_id=packages[700].pk, custom_coins=None, payment_method="card"),
        )
    ok = buyer_client.get("/wallet/recharge/review/", {"package": packages[350].pk, "method": "card"})
    assert ok.status_code == 200 and "$5.11" in ok.content.decode()


def test_lowering_the_budget_applies_at_once_raising_after_24_hours(buyer):
    now = timezone.now()
    services.budget_set(user=buyer, limit_minor=5000, now=now)
    assert services.budget_effective_limit(user=buyer, now=now) == 5000
    services.budget_set(user=buyer, limit_minor=2000, now=now)
    assert services.budget_effective_limit(user=buyer, now=now) == 2000
    services.budget_set(user=buyer, limit_minor=9000, now=now)
    assert services.budget_effective_limit(user=buyer, now=now + timedelta(hours=23)) == 2000
    assert services.budget_effective_limit(user=buyer, now=now + timedelta(hours=24, seconds=1)) == 9000
    services.budget_set(user=buyer, limit_minor=None, now=now + timedelta(hours=25))  # removing it is a raise too
    assert services.budget_effective_limit(user=buyer, now=now + timedelta(hours=26)) == 9000
    assert services.budget_effective_limit(user=buyer, now=now + timedelta(hours=50)) is None


def test_budget_page_validates_input(buyer_client, buyer):
    response = buyer_client.post("/wallet/budget/", {"limit": "-5"})
    assert response.status_code == 400 and "greater than or equal to 0" in response.content.decode()
    response = buyer_client.post("/wallet/budget/", {"limit": "abc"})
    assert response.status_code == 400 and "Enter a number" in response.content.decode()
    response = buyer_client.post("/wallet/budget/", {"limit": "25.00"}, follow=True)
    assert "applies now" in response.content.decode()
    assert services.budget_effective_limit(user=buyer) == 2500


def test_stale_pending_purchases_expire_and_say_so(buyer_client, buyer, start_purchase):
    purchase = start_purchase(buyer_client)
    Purchase.objects.filter(pk=purchase.pk).update(created_at=timezone.now() - timedelta(minutes=31))
    assert services.purchases_expire_stale() == 1
    page = buyer_client.get(f"/wallet/purchases/{purchase.public_id}/").content.decode()
    assert "expired" in page.lower() and "Nothing was charged" in page
    assert wallet_balance_get(user=buyer) == 0


def test_wallet_page_history_filters_pagination_and_csv(buyer_client, buyer, paid_purchase):
    paid_purchase(1400)
    for i in range(30):
        _spend(buyer, i + 1)
    page = buyer_client.get("/wallet/")
    text = page.content.decode()
    assert page.status_code == 200 and "Page 1 of 2" in text
    assert 'id="coin-balance">935<' in text  # 1,400 - (1 + 2 + ... + 30)
    purchases_only = buyer_client.get("/wallet/", {"kind": "purchase"}).content.decode()
    assert "+1,400 coins" in purchases_only and "Gift" not in purchases_only.split("<tbody>")[1].split("</tbody>")[0]
    csv_text = b"".join(buyer_client.get("/wallet/export.csv", {"kind": "gift"}).streaming_content).decode()
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("date (UTC),transaction,kind,asset,amount")
    assert len(lines) == 31 and all(",Gift,COIN,-" in line for line in lines[1:])
    empty = buyer_client.get("/wallet/", {"date_from": "2001-01-01", "date_to": "2001-01-02"}).content.decode()
    assert "No entries match these filters." in empty
