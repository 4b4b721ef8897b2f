"""Records staff read in the admin but never add, edit or delete there (``coinshop.admin_base.ReadOnlyAdmin``): the
ledger, gifts, purchases, the audit log, moderation's log. Their changes go through the services' own actions."""

from __future__ import annotations

from django.contrib import admin
from django.test import Client

from coinshop.admin_base import ReadOnlyAdmin
from tests.conftest import fresh_totp_code, otp_login

READ_ONLY = {
    "accounts.auditlog",
    "gifts.chatmessage",
    "gifts.creatorgiftreview",
    "gifts.giftsend",
    "gifts.moderationaction",
    "gifts.ownership",
    "gifts.report",
    "gifts.subscription",
    "gifts.subscriptionperiod",
    "wallet.coindebt",
    "wallet.ledgeraccount",
    "wallet.ledgerentry",
    "wallet.ledgertransaction",
    "wallet.paymentevent",
    "wallet.purchase",
    "wallet.purchasereversal",
    "wallet.purchasereview",
}


def test_the_records_staff_only_read_cannot_be_added_edited_or_deleted_in_the_admin(make_user, enable_2fa) -> None:
    read_only = {m._meta.label_lower for m, a in admin.site._registry.items() if isinstance(a, ReadOnlyAdmin)}
    assert read_only == READ_ONLY
    staff = make_user("boss@example.com", is_staff=True, is_superuser=True)
    device, _ = enable_2fa(staff)
    browser = Client()
    assert otp_login(browser, staff.email, fresh_totp_code(device)).status_code == 302
    for label in sorted(READ_ONLY):
        app, model = label.split(".")
        assert browser.get(f"/admin/{app}/{model}/").status_code == 200, label  # staff read them
        assert browser.get(f"/admin/{app}/{model}/add/").status_code == 403, label
