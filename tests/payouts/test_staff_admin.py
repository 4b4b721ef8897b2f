"""Issue 12, staff: reject from a payout's admin page, money shown as money, ledger rows with the person and amount,
dj-stripe hidden unless Stripe is the provider."""

from __future__ import annotations

import pytest
from django.core import mail

from payouts import services
from payouts.models import PayoutStatus
from wallet.models import Asset
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


def test_staff_reject_from_the_payout_page_and_the_creator_sees_the_reason(
    payee, earn, admin_client_otp, client, django_capture_on_commit_callbacks
):
    creator, _ = payee
    earn(creator, 40_000)
    payout = services.payout_request_create(creator=creator, diamonds=40_000)
    page = admin_client_otp.get(f"/admin/payouts/payout/{payout.pk}/change/").content.decode()
    assert f'href="/admin/payouts/payout/{payout.pk}/review/"' in page and "Approve or reject" in page
    assert "$200.00" in page and "20000" not in page  # cash as money, never cents
    empty = admin_client_otp.post(f"/admin/payouts/payout/{payout.pk}/review/", {"reject": "1", "reason": ""})
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client_otp.post(
            f"/admin/payouts/payout/{payout.pk}/review/", {"reject": "1", "reason": "Gifts from one household"}
        )
    assert done.status_code == 302
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REJECTED
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 40_000
    assert mail.outbox[-1].subject == "[Coinshop] Payout rejected (diamonds returned)"
    assert "Gifts from one household" in mail.outbox[-1].body
    client.force_login(creator.user)
    mine = client.get(f"/creator/payouts/{payout.public_id}/").content.decode()
    assert "Rejected (diamonds returned)" in mine and "Gifts from one household" in mine


def test_ledger_rows_show_the_person_and_amount(payee, earn, admin_client_otp):
    creator, _ = payee
    earn(creator, 12_000, fans=1)
    listing = admin_client_otp.get("/admin/wallet/ledgertransaction/?kind=gift").content.decode()
    assert "payee@example.com +12,000 diamonds" in listing
    assert "-12,000 coins" in listing
    entries = admin_client_otp.get("/admin/wallet/ledgerentry/").content.decode()
    assert "payee@example.com" in entries and "+12,000 diamonds" in entries


def test_djstripe_is_hidden_unless_stripe_is_the_provider(admin_client_otp, settings):
    settings.PAYMENT_PROVIDER = "sandbox"
    index = admin_client_otp.get("/admin/").content.decode()
    assert "Payouts" in index and "/admin/djstripe/" not in index
    settings.PAYMENT_PROVIDER = "stripe"
    assert "/admin/djstripe/" in admin_client_otp.get("/admin/").content.decode()
