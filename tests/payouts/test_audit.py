"""The audit log: every payout decision and every ledger-affecting staff action, done through the admin, is recorded
once with who did it; the log cannot be added to, changed or deleted from the admin."""

from __future__ import annotations

import pytest

from accounts.models import AuditLog, User
from payouts import services as payout_services
from wallet.models import CoinDebt, LedgerTransaction, Purchase
from wallet.selectors import wallet_balance_get

from ..conftest import fresh_totp_code, otp_login
from ..wallet import conftest as wallet_fixtures

pytestmark = pytest.mark.django_db

# The wallet tests' fixtures: a buyer, the demo packages, ``paid_purchase(coins)``.
buyer = wallet_fixtures.buyer
packages = wallet_fixtures.packages
paid_purchase = wallet_fixtures.paid_purchase


@pytest.fixture
def boss(make_user, enable_2fa, client):
    """An OTP-verified superuser in the admin."""
    staff = make_user("boss@example.com", is_staff=True, is_superuser=True)
    device, _ = enable_2fa(staff)
    otp_login(client, staff.email, fresh_totp_code(device))
    return staff


def _log() -> list[tuple[str, str, str]]:
    return list(AuditLog.objects.order_by("id").values_list("actor__email", "action", "object_type"))


def test_ledger_corrections_from_the_admin_are_audited_once(client, boss, viewer):
    response = client.post(
        "/admin/wallet/ledgertransaction/adjust/",
        {
            "email": viewer.email,
            "asset": "COIN",
            "amount": "250",
            "reason": "Goodwill after an outage",
            "idempotency_key": "3f0c1a52-2a55-4a8e-9d0e-0b7a7a1d9b10",
        },
    )
    assert response.status_code == 302
    assert wallet_balance_get(user=viewer) == 250
    adjustment = LedgerTransaction.objects.get(kind="adjustment")
    # The same form sent twice posts once and is logged once.
    client.post(
        "/admin/wallet/ledgertransaction/adjust/",
        {
            "email": viewer.email,
            "asset": "COIN",
            "amount": "250",
            "reason": "Goodwill after an outage",
            "idempotency_key": "3f0c1a52-2a55-4a8e-9d0e-0b7a7a1d9b10",
        },
    )
    client.post(f"/admin/wallet/ledgertransaction/{adjustment.pk}/reverse/", {"reason": "Posted to the wrong person"})
    assert wallet_balance_get(user=viewer) == 0
    assert _log() == [
        ("boss@example.com", "ledger.adjust", "ledgertransaction"),
        ("boss@example.com", "ledger.reverse", "ledgertransaction"),
    ]
    adjust = AuditLog.objects.get(action="ledger.adjust")
    assert adjust.details == {
        "user": str(viewer.pk),
        "asset": "COIN",
        "amount": "250",
        "reason": "Goodwill after an outage",
    }
    # A correction without a reason is refused in words, and neither posted nor logged.
    response = client.post(
        "/admin/wallet/ledgertransaction/adjust/",
        {"email": viewer.email, "asset": "COIN", "amount": "5", "reason": " ", "idempotency_key": "x"},
    )
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert AuditLog.objects.count() == 2


def test_freezing_sandbox_refunds_and_settled_debts_are_audited(
    client, boss, buyer, paid_purchase, django_capture_on_commit_callbacks
):
    purchase = paid_purchase(350)
    client.post("/admin/accounts/user/", {"action": "freeze", "_selected_action": [buyer.pk], "index": 0}, follow=True)
    assert User.objects.get(pk=buyer.pk).is_frozen
    with django_capture_on_commit_callbacks(execute=True):  # the sandbox bank's webhook, then the clawback
        client.post(
            "/admin/wallet/purchase/",
            {"action": "sandbox_dispute_open", "_selected_action": [purchase.pk], "index": 0},
            follow=True,
        )
    assert Purchase.objects.get(pk=purchase.pk).status == "disputed"
    assert wallet_balance_get(user=buyer) == 0
    debt = CoinDebt.objects.create(user=buyer, purchase=purchase, coins=20)  # as if 20 had been spent first
    client.post("/admin/wallet/coindebt/", {"action": "settle", "_selected_action": [debt.pk], "index": 0})
    client.post("/admin/accounts/user/", {"action": "unfreeze", "_selected_action": [buyer.pk], "index": 0})
    client.post("/admin/accounts/user/", {"action": "unfreeze", "_selected_action": [buyer.pk], "index": 0})  # no-op
    assert [action for _, action, _ in _log()] == [
        "user.freeze",
        "purchase.sandbox.dispute.opened",
        "debt.settle",
        "user.unfreeze",
    ]
    assert {email for email, _, _ in _log()} == {"boss@example.com"}


def test_payout_decisions_are_audited_and_the_log_is_read_only(client, boss, payee, earn):
    creator, _ = payee
    earn(creator, 40_000)
    payout = payout_services.payout_request_create(creator=creator, diamonds=40_000)
    payout_services.payout_reject(payout=payout, staff=boss, reason="Looks like a stolen card")
    entry = AuditLog.objects.get()
    assert (entry.actor, entry.action, entry.details) == (boss, "payout.reject", {"reason": "Looks like a stolen card"})
    assert client.get("/admin/accounts/auditlog/").status_code == 200
    assert client.get("/admin/accounts/auditlog/add/").status_code == 403
    page = client.get(f"/admin/accounts/auditlog/{entry.pk}/change/").content.decode()
    assert "Looks like a stolen card" in page and 'name="_save"' not in page
    assert client.post(f"/admin/accounts/auditlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditLog.objects.count() == 1
