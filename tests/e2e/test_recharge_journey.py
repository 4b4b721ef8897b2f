"""Buying coins in the browser, confirmed by a real Celery worker: the status page moves from "confirming" to
"paid" by itself (no reload), the balance shows the coins, the receipt is sent; a declined payment says why and
changes no balance. Real services only: PostgreSQL and a broker (skipped on SQLite, failing under CI's
COINSHOP_REQUIRE_SERVICES=1 if they are missing)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from playwright.sync_api import Page, expect

from tests.concurrency import wait_for
from tests.e2e.conftest import log_in
from tests.wallet import conftest as wallet_fixtures
from wallet.invariants import ledger_check
from wallet.models import LedgerTransaction, Purchase, PurchaseStatus
from wallet.selectors import wallet_balance_get

packages = wallet_fixtures.packages
CONFIRMED_WITHIN_MS = 15_000

# Marks the page: if it is reloaded, the mark is gone.
MARK = "() => { window.__marker = 1; }"


def _receipts() -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.subject.startswith("[Coinshop] Receipt:")]


def _choose_and_review(page: Page, coins: str, method: str) -> None:
    page.goto("/wallet/recharge/")
    page.locator("label.package", has_text=f"🪙 {coins}").locator("input").check()
    page.get_by_label(method, exact=True).check()
    page.get_by_role("button", name="Review purchase").click()


@pytest.mark.postgres
@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_buy_350_coins_the_page_confirms_by_itself_and_a_decline_says_why(
    contexts, make_user, packages, purged_broker, real_celery_worker, shot
) -> None:
    buyer = make_user("buyer@example.com")
    page = log_in(contexts(), buyer.email)

    # Choose 350 coins and a card; the review page shows the summary and the non-refundable notice.
    _choose_and_review(page, "350", "Card")
    main = page.locator("main")
    expect(main).to_contain_text("350")
    expect(main).to_contain_text("$4.89")
    expect(main).to_contain_text("non-refundable")
    shot(page, "review")
    page.locator("#confirm-purchase").click()

    # The sandbox's TEST MODE checkout: pay successfully.
    expect(page.locator("main")).to_contain_text("TEST MODE")
    purchase = Purchase.objects.get(user=buyer)
    assert purchase.status == PurchaseStatus.PENDING
    shot(page, "sandbox-checkout")
    page.get_by_label("Pay successfully").check()
    # Hold the worker at the purchase's row lock until the status page has been seen confirming (the worker would
    # otherwise often be faster than the browser), then let it go: the page must turn to "paid" by itself.
    with transaction.atomic():
        Purchase.objects.select_for_update().get(pk=purchase.pk)
        page.locator("#sandbox-pay").click()
        status = page.locator("#status-text")
        expect(status).to_contain_text("Confirming your payment")
        expect(page.locator("#status-balance")).to_have_text("0")
        page.evaluate(MARK)
        shot(page, "status-confirming")
    expect(status).to_contain_text("Paid. 350 coins were added to your wallet.", timeout=CONFIRMED_WITHIN_MS)
    expect(page.locator("#status-balance")).to_have_text("350")
    assert page.evaluate("window.__marker") == 1, "the status page was reloaded"
    shot(page, "status-paid")
    # The receipt (a login from a new browser may also have sent a security notice: only receipts are counted).
    wait_for(lambda: len(_receipts()) == 1, 10, "the receipt")
    [receipt] = _receipts()
    assert receipt.to == [buyer.email] and "350 coins" in receipt.subject
    assert wallet_balance_get(user=buyer) == 350
    assert LedgerTransaction.objects.filter(kind="purchase").count() == 1
    page.goto("/wallet/")
    expect(page.locator("main")).to_contain_text("350")
    shot(page, "wallet")

    # A declined card: the status page says why, and nothing changes.
    _choose_and_review(page, "350", "Card")
    page.locator("#confirm-purchase").click()
    page.get_by_label("Decline the payment").check()
    page.get_by_label('Decline reason (for "Decline")').select_option("expired_card")
    page.locator("#sandbox-pay").click()
    expect(page.locator("#status-text")).to_contain_text("Failed: Your card has expired.", timeout=CONFIRMED_WITHIN_MS)
    expect(page.locator("#status-balance")).to_have_text("350")
    shot(page, "status-declined")
    declined = Purchase.objects.filter(user=buyer).order_by("-created_at").first()
    assert declined is not None and declined.status == PurchaseStatus.FAILED
    assert wallet_balance_get(user=buyer) == 350
    assert len(_receipts()) == 1  # no receipt for a declined payment
    assert ledger_check().ok
