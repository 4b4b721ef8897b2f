"""A creator with 2FA asks for a payout above the automatic-approval amount; an OTP-verified staff member approves it
in the admin; a real Celery worker (its own process) pays it through the sandbox bank; the creator's timeline shows it
paid. Real services only: PostgreSQL and a broker (skipped on SQLite)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import BrowserContext, Page, expect

from payouts.models import Payout, PayoutStatus, SandboxTransfer
from tests.concurrency import start_worker, stop_workers
from tests.conftest import PASSWORD, fresh_totp_code
from tests.payouts import conftest as payout_fixtures
from wallet import services as wallet_services
from wallet.invariants import ledger_check
from wallet.models import Purchase, SandboxPayment

# ``payee`` (a creator with 2FA and sandbox payout details past their hold) and ``earn(creator, diamonds)``.
payee = payout_fixtures.payee
earn = payout_fixtures.earn

EARNED = 50_000
REQUESTED = 40_000  # $200 at $0.005 a diamond: above the $100 automatic approval, so staff must approve
PAID_WITHIN_MS = 20_000


@pytest.fixture
def worker(purged_broker: None) -> Iterator[None]:
    """A real ``celery worker`` process on the test database, started after the broker was purged."""
    process = start_worker("e2e")
    yield
    stop_workers([process])


def _submit(page: Page) -> None:
    """Press the page's main form button (not the log-out button in the header)."""
    page.locator("main form button[type=submit]").first.click()


def _otplog_in(context: BrowserContext, email: str, device: TOTPDevice) -> Page:
    """Password, then the authenticator app's code (one django-otp has not seen used yet)."""
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    _submit(page)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/verify/"))
    page.fill("#id_code", fresh_totp_code(device))
    _submit(page)
    expect(page.locator("header")).to_contain_text("Log out")
    return page


def _coin_sales(buyer: Any) -> None:
    """A few sandbox purchases on different days, so the staff overview's charts have something to show."""
    for coins, days_ago in ((5_000, 12), (2_000, 6), (8_000, 1)):
        quote = wallet_services.recharge_quote(package_id=None, custom_coins=coins, payment_method="card")
        purchase = wallet_services.purchase_create(user=buyer, quote=quote)
        wallet_services.purchase_checkout_start(purchase=purchase, base_url="http://testserver")
        purchase.refresh_from_db()
        SandboxPayment.objects.filter(pk=purchase.provider_ref).update(status=SandboxPayment.Status.SUCCEEDED)
        wallet_services.purchase_confirm(purchase_id=purchase.pk)
        Purchase.objects.filter(pk=purchase.pk).update(paid_at=timezone.now() - timedelta(days=days_ago))


@pytest.mark.postgres
@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_creator_requests_staff_approves_worker_pays_and_the_timeline_shows_paid(
    worker, contexts, payee, earn, make_user, enable_2fa, shot
) -> None:
    creator, _ = payee
    earn(creator, EARNED)
    creator_device = TOTPDevice.objects.get(user=creator.user)
    staff = make_user("staff@example.com", is_staff=True, is_superuser=True)
    staff_device, _ = enable_2fa(staff)
    _coin_sales(make_user("buyer@example.com"))

    # The creator logs in with a code (fresh enough for the payout request) and looks at their earnings.
    creator_page = _otplog_in(contexts(), creator.user.email, creator_device)
    creator_page.goto("/creator/earnings/")
    expect(creator_page.locator("#diamonds-available")).to_have_text(f"{EARNED:,}")
    expect(creator_page.locator("#chart-total")).to_have_text(f"{EARNED:,}")
    expect(creator_page.locator(".chart-wrap svg.chart rect")).to_have_count(30)
    shot(creator_page, "creator-earnings-chart")

    # Two steps: the cash amount first, then the confirmation.
    creator_page.get_by_role("link", name="Request a payout").click()
    expect(creator_page).to_have_url(re.compile(r"/creator/payouts/request/$"))
    creator_page.fill("#id_diamonds", str(REQUESTED))
    creator_page.get_by_role("button", name="See the cash amount").click()
    expect(creator_page.locator("#payout-quote")).to_contain_text("$200.00")
    shot(creator_page, "creator-payout-quote")
    creator_page.locator("#confirm-payout").click()
    expect(creator_page.locator("#payout-status")).to_have_text("Waiting for review")
    expect(creator_page.locator("main")).to_contain_text("Payout requested: 40,000 diamonds for $200.00")
    shot(creator_page, "creator-payout-waiting")
    payout = Payout.objects.get(creator=creator)
    assert (payout.diamonds, payout.cash_minor, payout.status) == (REQUESTED, 20_000, PayoutStatus.REQUESTED)

    # Staff log in with their own code, open the review page in the admin and approve.
    staff_page = _otplog_in(contexts(), staff.email, staff_device)
    staff_page.goto("/admin/overview/")
    expect(staff_page.locator("#payouts-pending")).to_have_text("1")
    staff_page.goto(f"/admin/payouts/payout/{payout.pk}/review/")
    expect(staff_page.locator("#content")).to_contain_text("@payee asks to redeem")
    expect(staff_page.locator("#content")).to_contain_text("$200.00")
    shot(staff_page, "staff-review")
    staff_page.get_by_role("button", name="Approve and send").click()
    expect(staff_page).to_have_url(re.compile(rf"/admin/payouts/payout/{payout.pk}/change/$"))
    expect(staff_page.locator(".messagelist")).to_contain_text("Payout approved; it is being sent.")
    approved_at = time.monotonic()

    # The worker pays it; the creator sees it by reloading.
    status = creator_page.locator("#payout-status")
    while time.monotonic() - approved_at < PAID_WITHIN_MS / 1000:
        creator_page.reload()
        if status.inner_text() == "Paid":
            break
        creator_page.wait_for_timeout(250)
    expect(status).to_have_text("Paid", timeout=1_000)
    timeline = creator_page.locator("#payout-timeline li strong")
    expect(timeline).to_have_text(["Requested", "Approved", "Sending", "Paid"])
    expect(creator_page.locator("#payout-timeline")).to_contain_text("Approved by Coinshop staff")
    shot(creator_page, "creator-payout-paid")

    # The staff overview: nothing pending any more, the coin sales charted.
    staff_page.goto("/admin/overview/")
    expect(staff_page.locator("#payouts-pending")).to_have_text("0")
    expect(staff_page.locator("svg.chart")).to_have_count(2)
    shot(staff_page, "staff-overview")

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    transfer = SandboxTransfer.objects.get(payout_public_id=payout.public_id)
    assert transfer.succeeded and transfer.amount_minor == 20_000 and transfer.id == payout.provider_ref
    report = ledger_check()
    assert report.ok, report.violations


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_staff_reject_a_payout_from_its_page_with_a_reason_and_the_creator_sees_it(
    browser: Any, live_server: Any, payee, earn, make_user, enable_2fa, shot, viewport, mailoutbox
) -> None:
    creator, _ = payee
    earn(creator, EARNED)
    creator_device = TOTPDevice.objects.get(user=creator.user)
    staff = make_user("staff@example.com", is_staff=True, is_superuser=True)
    staff_device, _ = enable_2fa(staff)
    from payouts import services as payout_services

    payout = payout_services.payout_request_create(creator=creator, diamonds=REQUESTED)
    width, height = viewport
    opened = []

    def context() -> BrowserContext:
        made = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
        made.set_default_timeout(10_000)
        opened.append(made)
        return made

    try:
        staff_page = _otplog_in(context(), staff.email, staff_device)
        staff_page.goto("/admin/payouts/payout/")
        expect(staff_page.locator("#result_list")).to_contain_text("$200.00")
        expect(staff_page.locator("#result_list")).to_contain_text("is not below the automatic-approval amount")
        shot(staff_page, "staff-payout-list")
        staff_page.goto(f"/admin/payouts/payout/{payout.pk}/change/")
        expect(staff_page.locator("#content")).to_contain_text("$200.00")
        staff_page.locator("#payout-review-link").click()
        expect(staff_page.locator("#review-reason")).to_contain_text("automatic-approval amount")
        staff_page.fill("#id_reason", "These gifts came from accounts we could not verify.")
        shot(staff_page, "staff-reject-form")
        staff_page.get_by_role("button", name="Reject (diamonds go back)").click()
        expect(staff_page.locator(".messagelist")).to_contain_text("Payout rejected; the diamonds went back")
        shot(staff_page, "staff-rejected")

        creator_page = _otplog_in(context(), creator.user.email, creator_device)
        creator_page.goto(f"/creator/payouts/{payout.public_id}/")
        expect(creator_page.locator("#payout-status")).to_have_text("Rejected (diamonds returned)")
        expect(creator_page.locator("main")).to_contain_text("These gifts came from accounts we could not verify.")
        shot(creator_page, "creator-sees-the-reason")
    finally:
        for made in opened:
            made.close()

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REJECTED
    rejected = [m for m in mailoutbox if m.subject == "[Coinshop] Payout rejected (diamonds returned)"]
    assert len(rejected) == 1 and "These gifts came from accounts we could not verify." in rejected[0].body
    assert rejected[0].to == [creator.user.email]
    report = ledger_check()
    assert report.ok, report.violations
