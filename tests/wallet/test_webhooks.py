"""Signed sandbox webhooks: verified, de-duplicated, and never trusted for amounts."""

from __future__ import annotations

import time

import pytest

from wallet.models import PaymentEvent, PurchaseStatus
from wallet.providers.sandbox import sandbox_sign
from wallet.selectors import wallet_balance_get

from .conftest import assert_ledger_ok, mark_sandbox_paid, post_webhook, sandbox_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_at_the_bank(buyer_client, start_purchase):
    purchase = start_purchase(buyer_client)
    mark_sandbox_paid(purchase)
    return purchase


def test_a_signed_webhook_credits_once_however_often_it_is_replayed(
    client, buyer, paid_at_the_bank, django_capture_on_commit_callbacks
):
    payload = sandbox_event(paid_at_the_bank)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, payload).json() == {"result": "confirmation queued"}
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert post_webhook(client, payload).json()["result"].startswith("duplicate")
    assert wallet_balance_get(user=buyer) == 350
    assert PaymentEvent.objects.count() == 1
    assert_ledger_ok()


def test_webhook_plus_return_page_plus_a_later_replay_credit_once(
    client, buyer_client, buyer, paid_at_the_bank, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, sandbox_event(paid_at_the_bank))
    with django_capture_on_commit_callbacks(execute=True):
        buyer_client.get(f"/wallet/purchases/{paid_at_the_bank.public_id}/status.json")
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, sandbox_event(paid_at_the_bank, event_id="evt_replayed_with_new_id"))
    assert wallet_balance_get(user=buyer) == 350
    assert_ledger_ok()


@pytest.mark.parametrize(
    "signature",
    [
        None,  # missing
        "t=123,v1=deadbeef",  # wrong
        "garbage",  # malformed
        "other-secret",  # signed with another secret
        "too-old",  # 301 seconds old
        "in-the-future",  # correctly signed, dated an hour ahead
    ],
)
def test_bad_signatures_are_refused_with_400_and_change_nothing(
    client, buyer, paid_at_the_bank, signature, django_capture_on_commit_callbacks
):
    payload = sandbox_event(paid_at_the_bank)
    if signature == "other-secret":
        signature = sandbox_sign(payload, secret="whsec_someone_else")
    elif signature == "too-old":
        signature = sandbox_sign(payload, timestamp=int(time.time()) - 301)
    elif signature == "in-the-future":
        signature = sandbox_sign(payload, timestamp=int(time.time()) + 3600)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, payload, signature=signature)
    assert response.status_code == 400
    assert "signature" in response.json()["error"]
    assert PaymentEvent.objects.count() == 0
    assert wallet_balance_get(user=buyer) == 0


def test_an_altered_payload_no_longer_matches_its_signature(
    client, buyer, paid_at_the_bank, django_capture_on_commit_callbacks
):
    payload = sandbox_event(paid_at_the_bank)
    signature = sandbox_sign(payload)
    altered = payload.replace(b"payment.succeeded", b"payment.refunded")
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, altered, signature=signature).status_code == 400
    assert PaymentEvent.objects.count() == 0


def test_amounts_or_coins_in_the_event_cannot_change_what_is_credited(
    client, buyer, paid_at_the_bank, django_capture_on_commit_callbacks
):
    payload = sandbox_event(paid_at_the_bank, coins=1_000_000, amount=1, currency="JPY")
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, payload)  # correctly signed, but its numbers are not used
    assert wallet_balance_get(user=buyer) == 350
    assert_ledger_ok()


def test_a_provider_amount_that_differs_from_the_price_credits_nothing(
    client, buyer, paid_at_the_bank, django_capture_on_commit_callbacks
):
    from wallet.models import SandboxPayment

    SandboxPayment.objects.filter(pk=paid_at_the_bank.provider_ref).update(amount_minor=1)
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, sandbox_event(paid_at_the_bank))
    paid_at_the_bank.refresh_from_db()
    assert paid_at_the_bank.status == PurchaseStatus.FAILED
    assert "did not match" in paid_at_the_bank.failure_reason
    assert wallet_balance_get(user=buyer) == 0
    assert_ledger_ok()


def test_malformed_json_and_get_requests_are_refused(client):
    body = b"{not json"
    assert post_webhook(client, body).status_code == 400
    assert client.get("/wallet/webhooks/sandbox/").status_code == 405


def test_the_stripe_sdk_alone_accepts_a_future_dated_signature_so_we_check_it_ourselves():
    """Confirms the premise: stripe's tolerance window only refuses old timestamps."""
    import stripe

    from wallet.providers.base import signature_dated_in_future

    body = '{"id": "evt_1"}'
    future = sandbox_sign(body.encode(), secret="whsec_x", timestamp=int(time.time()) + 3600)
    assert stripe.WebhookSignature.verify_header(body, future, "whsec_x", tolerance=300)
    assert signature_dated_in_future(future)
    assert not signature_dated_in_future(sandbox_sign(body.encode(), secret="whsec_x"))
