"""A purchase's coins through confirmation, its receipt, expiry and the provider's webhooks, held to what mutation
testing (``make mutation``, tests/MUTATION.md) found untested; refunds and disputes: test_refund_core_mutants.py."""

from __future__ import annotations

import pytest

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


def test_a_confirmed_purchase_credits_its_coins_once_and_names_itself(buyer: User, paid_purchase) -> None:
    purchase = paid_purchase(350)
    assert (purchase.status, wallet_balance_get(user=buyer)) == (PurchaseStatus.PAID, 350)
    txn = LedgerTransaction.objects.get(kind="purchase")
    assert (txn.idempotency_key, txn.reference_type, txn.reference_id) == (
        purchase.idempotency_key,
        "purchase",
        str(purchase.public_id),
    )
    assert txn.created_by_id is None
    assert services.purchase_confirm(purchase_id=purchase.pk).status == PurchaseStatus.PAID
    assert wallet_balance_get(user=buyer) == 350 and LedgerTransaction.objects.filter(kind="purchase").count() == 1
    _ok()


def test_only_pending_purchases_older_than_the_expiry_expire_and_a_paid_late_one_is_credited(
    buyer: User, buyer_client, start_purchase
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from .conftest import mark_sandbox_paid

    now = timezone.now()
    fresh, stale, paid_late, cancelled = (start_purchase(buyer_client) for _ in range(4))
    Purchase.objects.filter(pk__in=[stale.pk, paid_late.pk, cancelled.pk]).update(
        created_at=now - timedelta(minutes=30, seconds=1)
    )
    Purchase.objects.filter(pk=fresh.pk).update(created_at=now - timedelta(minutes=29, seconds=59))
    mark_sandbox_paid(paid_late)
    mark_sandbox_paid(cancelled)
    services.purchase_cancel(purchase=cancelled)
    assert services.purchases_expire_stale(now=now) == 1
    status = dict(Purchase.objects.values_list("pk", "status"))
    assert status == {
        fresh.pk: PurchaseStatus.PENDING,
        stale.pk: PurchaseStatus.EXPIRED,
        paid_late.pk: PurchaseStatus.PAID,
        cancelled.pk: PurchaseStatus.CANCELLED,  # not the expiry job's to settle: the provider's webhook does
    }
    assert "no payment arrived within 30 minutes" in Purchase.objects.get(pk=stale.pk).failure_reason
    assert wallet_balance_get(user=buyer) == paid_late.coins
    _ok()


def test_staff_claw_back_and_dispute_won_are_steps_like_the_providers(buyer: User, paid_purchase) -> None:
    from wallet.models import TransactionKind

    refunded, disputed = paid_purchase(70), paid_purchase(350)
    assert services.purchase_claw_back(purchase=refunded, kind=TransactionKind.REFUND_CLAWBACK) is None
    assert Purchase.objects.get(pk=refunded.pk).status == PurchaseStatus.REFUNDED
    assert PurchaseReversal.objects.get(purchase=refunded).kind == ReversalKind.REFUND
    _spend(buyer, 300)  # 50 of the second purchase's coins left
    debt = services.purchase_claw_back(purchase=disputed, kind=TransactionKind.DISPUTE_CLAWBACK)
    assert debt is not None and (debt.purchase_id, debt.coins) == (disputed.pk, 300)
    assert Purchase.objects.get(pk=disputed.pk).status == PurchaseStatus.DISPUTED
    opened = PurchaseReversal.objects.get(purchase=disputed)
    assert (opened.kind, opened.dispute_ref) == (ReversalKind.DISPUTE_OPENED, "dispute")  # the provider named none
    assert PurchaseReversal.objects.get(purchase=refunded).dispute_ref == ""
    services.purchase_dispute_won(purchase=disputed)
    assert Purchase.objects.get(pk=disputed.pk).status == PurchaseStatus.PAID
    assert (wallet_balance_get(user=buyer), _open_debt(buyer)) == (50, 0)
    services.purchase_dispute_won(purchase=disputed)  # nothing open any more: nothing happens
    assert PurchaseReversal.objects.filter(purchase=disputed, kind=ReversalKind.DISPUTE_WON).count() == 1
    _ok()


@pytest.mark.parametrize(
    ("amount", "coins_left"),
    [("100", 278), (100, 278), (None, 0), ("", 0), ("1e2", 0), (100.0, 0), ({"value": 100}, 0), (True, 0)],
)
def test_a_webhooks_amount_counts_when_it_is_a_whole_number_and_means_all_otherwise(
    client, buyer: User, paid_purchase, django_capture_on_commit_callbacks, amount, coins_left: int
) -> None:
    from .conftest import post_webhook, sandbox_event

    purchase = paid_purchase(350)  # $4.89: $1.00 refunded leaves 350 x 389 // 489 = 278 coins
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, sandbox_event(purchase, "payment.refunded", amount_refunded=amount))
    assert response.status_code == 200
    assert wallet_balance_get(user=buyer) == coins_left
    _ok()


def test_the_receipt_says_what_was_bought_in_text_and_html(
    buyer: User, paid_purchase, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        purchase = paid_purchase(350)
    (receipt,) = mailoutbox
    assert receipt.to == ["buyer@example.com"] and "350 coins" in receipt.subject
    assert f"Receipt {purchase.public_id}" in receipt.body and "Coins: 350" in receipt.body
    (html, kind) = receipt.alternatives[0]
    assert kind == "text/html" and "<td>350</td>" in html


def test_a_refund_that_arrived_before_the_payment_is_applied_as_a_refund(
    client, buyer: User, buyer_client, start_purchase, django_capture_on_commit_callbacks
) -> None:
    from .conftest import mark_sandbox_paid, post_webhook, sandbox_event

    purchase = start_purchase(buyer_client)
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, sandbox_event(purchase, "payment.refunded", amount_refunded=100))
    mark_sandbox_paid(purchase)
    services.purchase_confirm(purchase_id=purchase.pk)
    assert wallet_balance_get(user=buyer) == 278
    clawback = LedgerTransaction.objects.get(kind="refund_clawback")
    assert clawback.idempotency_key == f"{purchase.idempotency_key}-reversals-on-payment"
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.PART_REFUNDED
    _ok()


def test_an_event_with_a_malformed_purchase_id_is_found_by_the_providers_payment_id(
    client, buyer: User, paid_purchase, django_capture_on_commit_callbacks
) -> None:
    import json

    from .conftest import post_webhook, sandbox_event

    purchase = paid_purchase(350)
    payload = json.loads(sandbox_event(purchase, "payment.refunded", amount_refunded=489))
    payload["data"]["purchase_id"] = "not-a-uuid"
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, json.dumps(payload).encode())
    assert response.json()["result"] == "refund recorded: 350 coins taken back"
    assert wallet_balance_get(user=buyer) == 0


def test_the_expiry_job_counts_every_expired_purchase_and_goes_on_past_a_provider_error(
    buyer: User, buyer_client, start_purchase, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from wallet.providers import ProviderError
    from wallet.providers.sandbox import SandboxProvider

    unreachable, first, second = (start_purchase(buyer_client) for _ in range(3))
    Purchase.objects.update(created_at=timezone.now() - timedelta(hours=1))
    real = SandboxProvider.retrieve_payment

    def provider_down_for_one(self: SandboxProvider, purchase: Purchase):  # the bank does not answer for this one
        if purchase.pk == unreachable.pk:
            raise ProviderError("timeout")
        return real(self, purchase)

    monkeypatch.setattr(SandboxProvider, "retrieve_payment", provider_down_for_one)
    assert services.purchases_expire_stale() == 2
    status = dict(Purchase.objects.values_list("pk", "status"))
    assert status == {unreachable.pk: "pending", first.pk: "expired", second.pk: "expired"}
    assert Purchase.objects.get(pk=first.pk).failure_reason == (
        "This purchase expired: no payment arrived within 30 minutes. Nothing was charged."
    )


def test_a_purchase_paid_after_its_account_closed_is_forfeited_and_sends_no_receipt(
    buyer: User, buyer_client, start_purchase, fund, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    from coinshop.closing import account_close

    from .conftest import mark_sandbox_paid

    purchase = start_purchase(buyer_client)
    fund(buyer, 10)
    with django_capture_on_commit_callbacks(execute=True):
        account_close(user=buyer)
    mailoutbox.clear()
    mark_sandbox_paid(purchase)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.purchase_confirm(purchase_id=purchase.pk).status == PurchaseStatus.PAID
    assert wallet_balance_get(user=buyer) == 0 and not mailoutbox
    keys = list(
        LedgerTransaction.objects.filter(kind="forfeiture").order_by("pk").values_list("idempotency_key", flat=True)
    )
    assert keys == [f"forfeit-{buyer.pk}-COIN", f"forfeit-{buyer.pk}-COIN-{purchase.idempotency_key}"]
    _ok()


def test_a_cancelled_checkout_paid_after_all_is_paid_without_its_old_reason(
    buyer: User, buyer_client, start_purchase
) -> None:
    from .conftest import mark_sandbox_paid

    purchase = services.purchase_cancel(purchase=start_purchase(buyer_client))
    assert purchase.failure_reason == "You cancelled the checkout; nothing was charged."
    mark_sandbox_paid(purchase)
    paid = services.purchase_confirm(purchase_id=purchase.pk)
    stored = Purchase.objects.get(pk=purchase.pk)
    assert (paid.status, stored.status, stored.failure_reason) == (PurchaseStatus.PAID, PurchaseStatus.PAID, "")
    assert stored.paid_at is not None and wallet_balance_get(user=buyer) == purchase.coins


def test_a_declined_payment_keeps_the_banks_reason_and_a_failed_one_stays_failed(
    buyer: User, buyer_client, start_purchase
) -> None:
    from wallet.models import SandboxPayment

    declined = start_purchase(buyer_client)
    SandboxPayment.objects.filter(pk=declined.provider_ref).update(
        status=SandboxPayment.Status.DECLINED, decline_reason="Your card has expired."
    )
    failed = services.purchase_confirm(purchase_id=declined.pk)
    assert (failed.status, failed.failure_reason) == (PurchaseStatus.FAILED, "Your card has expired.")
    still_open = services.purchase_confirm(purchase_id=start_purchase(buyer_client).pk)  # not paid yet
    assert (still_open.status, still_open.failure_reason) == (PurchaseStatus.PENDING, "")
    nameless = start_purchase(buyer_client)
    SandboxPayment.objects.filter(pk=nameless.provider_ref).update(status=SandboxPayment.Status.DECLINED)
    assert services.purchase_confirm(purchase_id=nameless.pk).failure_reason == "The payment was declined."
    assert wallet_balance_get(user=buyer) == 0


def test_webhooks_record_the_event_and_answer_what_they_did(
    client, buyer: User, paid_purchase, django_capture_on_commit_callbacks
) -> None:
    from wallet.models import PaymentEvent

    from .conftest import post_webhook, sandbox_event

    purchase = paid_purchase(350)  # $4.89
    stripe_one = Purchase.objects.create(
        user=buyer, coins=70, price_minor=99, currency="USD", payment_method="card", provider="stripe"
    )

    def send(event_type: str, event_id: str, target: Purchase = purchase, **data: object) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(client, sandbox_event(target, event_type, event_id=event_id, **data))
        assert response.status_code == 200
        return response.json()["result"]

    # Stripe names a dispute "dispute"; a dispute's own amount counts ($1.00 of $4.89: 72 coins), not a refund's.
    assert send("dispute.opened", "e1", dispute="dp_a", amount=100, amount_refunded=489) == (
        "dispute opened: 72 coins taken back"
    )
    assert send("dispute.opened", "e2", dispute_id="dp_b", amount=100) == "dispute opened: 72 coins taken back"
    assert send("dispute.won", "e3", dispute="dp_a", amount=100) == "dispute won: 72 coins restored"
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.DISPUTED  # dp_b is still open
    assert send("payment.refunded", "e4", amount=100, amount_refunded=200) == "refund recorded: 143 coins taken back"
    assert send("payment.refunded", "e4") == "duplicate: this event was already handled, nothing changed"
    assert send("payment.refunded", "e5", target=stripe_one) == "unknown purchase"  # not a sandbox purchase
    assert send("payment.processing", "e6") == "confirmation queued"
    assert send("checkout.something_new", "e7") == "ignored"
    # An event naming a purchase by its id is about that purchase, whatever payment id it carries.
    other = paid_purchase(70)
    assert send("payment.refunded", "e8", target=other, payment_id=purchase.provider_ref) == (
        "refund recorded: 70 coins taken back"
    )
    assert Purchase.objects.get(pk=other.pk).status == PurchaseStatus.REFUNDED
    event = PaymentEvent.objects.get(event_id="e1")
    assert (event.provider, event.event_type, event.purchase_id) == ("sandbox", "dispute.opened", purchase.pk)
    assert event.payload["dispute"] == "dp_a" and event.reversal.dispute_ref == "dp_a"
    assert PaymentEvent.objects.get(event_id="e5").purchase_id is None
    assert stripe_one.reversals.count() == 0
    _ok()
