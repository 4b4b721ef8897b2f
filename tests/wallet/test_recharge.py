"""The recharge flow through the sandbox provider, as a person goes through it."""

from __future__ import annotations

import pytest
from django.core import mail

from wallet.models import Purchase, PurchaseStatus
from wallet.selectors import wallet_balance_get

from .conftest import assert_ledger_ok

pytestmark = pytest.mark.django_db


def test_packages_page_shows_price_and_price_per_100(buyer_client, packages):
    page = buyer_client.get("/wallet/recharge/").content.decode()
    assert "17,500" in page and "$232.49" in page
    assert "$1.41 per 100 coins" in page  # 70 coins for 0.99
    assert "$1.33 per 100 coins" in page  # 17,500 for 232.49: bigger is cheaper per coin


def test_review_shows_the_summary_and_the_non_refundable_notice(buyer_client, packages):
    page = buyer_client.get("/wallet/recharge/review/", {"package": packages[350].pk, "method": "paypal"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "350" in text and "$4.89" in text and "PayPal" in text
    assert "non-refundable" in text
    assert "No limit set" in text


def test_succeed_outcome_credits_coins_once_and_sends_a_receipt(
    buyer_client, buyer, start_purchase, django_capture_on_commit_callbacks
):
    purchase = start_purchase(buyer_client)
    assert purchase.status == PurchaseStatus.PENDING
    checkout = buyer_client.get(f"/wallet/sandbox/checkout/{purchase.provider_ref}/")
    assert "TEST MODE" in checkout.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = buyer_client.post(f"/wallet/sandbox/checkout/{purchase.provider_ref}/", {"outcome": "succeed"})
    assert response.status_code == 302
    assert response["Location"] == f"/wallet/purchases/{purchase.public_id}/"
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.PAID
    assert wallet_balance_get(user=buyer) == 350
    assert len(mail.outbox) == 1
    assert "350 coins" in mail.outbox[0].subject and buyer.email in mail.outbox[0].to
    status = buyer_client.get(f"/wallet/purchases/{purchase.public_id}/status.json").json()
    assert status == {"status": "paid", "label": "Paid", "reason": "", "coins": 350, "balance": 350, "final": True}
    assert_ledger_ok()


def test_decline_outcome_shows_its_reason_and_changes_no_balance(
    buyer_client, buyer, start_purchase, django_capture_on_commit_callbacks
):
    purchase = start_purchase(buyer_client)
    with django_capture_on_commit_callbacks(execute=True):
        buyer_client.post(
            f"/wallet/sandbox/checkout/{purchase.provider_ref}/",
            {"outcome": "decline", "decline_reason": "expired_card"},
        )
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.FAILED
    page = buyer_client.get(f"/wallet/purchases/{purchase.public_id}/").content.decode()
    assert "Your card has expired." in page
    assert wallet_balance_get(user=buyer) == 0
    assert mail.outbox == []
    assert_ledger_ok()


def test_delayed_outcome_stays_confirming_then_pays_when_the_bank_confirms(
    buyer_client, buyer, start_purchase, django_capture_on_commit_callbacks, settings, monkeypatch
):
    purchase = start_purchase(buyer_client)
    with django_capture_on_commit_callbacks(execute=True):
        buyer_client.post(f"/wallet/sandbox/checkout/{purchase.provider_ref}/", {"outcome": "delay"})
    state = buyer_client.get(f"/wallet/purchases/{purchase.public_id}/status.json").json()
    assert state["status"] == "pending" and state["final"] is False
    assert wallet_balance_get(user=buyer) == 0
    # The delay passes: the next poll re-checks with the provider and the coins arrive.
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from wallet.models import SandboxPayment

    SandboxPayment.objects.filter(pk=purchase.provider_ref).update(succeed_at=timezone.now() - timedelta(seconds=1))
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        state = buyer_client.get(f"/wallet/purchases/{purchase.public_id}/status.json").json()
    assert state["status"] == "paid"
    assert wallet_balance_get(user=buyer) == 350
    assert_ledger_ok()


def test_cancelled_checkout_says_so_and_charges_nothing(buyer_client, buyer, start_purchase):
    purchase = start_purchase(buyer_client)
    # Coming back through the cancel link only offers to cancel: a GET changes nothing.
    page = buyer_client.get(f"/wallet/purchases/{purchase.public_id}/?cancelled=1").content.decode()
    assert "Cancel this purchase" in page
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.PENDING
    response = buyer_client.post(f"/wallet/purchases/{purchase.public_id}/", {"cancel": "1"}, follow=True)
    assert "You cancelled the checkout; nothing was charged." in response.content.decode()
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.CANCELLED


def test_custom_amount_within_bounds_is_priced_and_outside_is_refused(buyer_client, packages, settings):
    ok = buyer_client.get("/wallet/recharge/review/", {"coins": 1000, "method": "card"})
    assert ok.status_code == 200
    # 1,000 x 0.0145 = $14.50 would be dearer per coin than the 700-coin package ($9.69): priced at its rate (issue 12)
    assert "$13.84" in ok.content.decode()
    too_many = buyer_client.get("/wallet/recharge/review/", {"coins": settings.CUSTOM_COINS_MAX + 1, "method": "card"})
    assert too_many.status_code == 400
    assert "Choose between 30 and 250,000 coins." in too_many.content.decode()
    for bad in ["abc", "-5", "0", "1.5"]:
        response = buyer_client.get("/wallet/recharge/review/", {"coins": bad, "method": "card"})
        assert response.status_code == 400, bad
    assert Purchase.objects.count() == 0


def test_unknown_package_or_method_is_refused_with_a_message(buyer_client, packages):
    response = buyer_client.get("/wallet/recharge/review/", {"package": 99999, "method": "card"})
    assert response.status_code == 400
    response = buyer_client.get("/wallet/recharge/review/", {"package": packages[70].pk, "method": "bitcoin"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Purchase.objects.count() == 0


def test_double_submitted_confirm_creates_one_purchase(buyer_client, packages):
    review = buyer_client.get("/wallet/recharge/review/", {"package": packages[70].pk, "method": "card"})
    data = {"package": packages[70].pk, "method": "card", "idempotency_key": str(review.context["idempotency_key"])}
    first = buyer_client.post("/wallet/recharge/confirm/", data)
    second = buyer_client.post("/wallet/recharge/confirm/", data)
    assert first.status_code == second.status_code == 302
    assert Purchase.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("minor", "You must be 18 or older to buy or spend coins"),
        ("unverified", "Confirm your email address before you buy coins."),
        ("frozen", "Your account is restricted"),
    ],
)
def test_people_who_may_not_buy_are_told_why(client, make_user, packages, who, message):
    import datetime

    kwargs = {
        "minor": {"date_of_birth": datetime.date.today().replace(year=datetime.date.today().year - 16, day=1)},
        "unverified": {"verified": False},
        "frozen": {"is_frozen": True},
    }[who]
    client.force_login(make_user(**kwargs))
    assert message in client.get("/wallet/recharge/").content.decode()
    review = client.get("/wallet/recharge/review/", {"package": packages[70].pk, "method": "card"})
    assert message in review.content.decode()
    response = client.post(
        "/wallet/recharge/confirm/",
        {"package": packages[70].pk, "method": "card", "idempotency_key": "6f1c1c3e-7f7c-4a7e-9d57-5a1d8e7b8a11"},
        follow=True,
    )
    assert message in response.content.decode()
    assert Purchase.objects.count() == 0


def test_another_persons_purchase_is_404(client, make_user, buyer_client, start_purchase):
    purchase = start_purchase(buyer_client)
    client.force_login(make_user("other@example.com"))
    assert client.get(f"/wallet/purchases/{purchase.public_id}/").status_code == 404
    assert client.get(f"/wallet/purchases/{purchase.public_id}/status.json").status_code == 404
    assert client.get(f"/wallet/sandbox/checkout/{purchase.provider_ref}/").status_code == 404
