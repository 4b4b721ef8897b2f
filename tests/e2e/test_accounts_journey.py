"""A person signs up, confirms their email, turns on 2FA and logs in with codes, in a real browser."""

from __future__ import annotations

import base64
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.conftest import PASSWORD, fresh_totp_code

EMAIL = "journey@example.com"


def _submit(page: Page) -> None:
    """Press the page's main form button (not the log-out button in the header)."""
    page.locator("main form button[type=submit]").first.click()


def _log_out(page: Page) -> None:
    page.locator("header").get_by_role("button", name="Log out").click()
    expect(page.locator("header")).to_contain_text("Log in")


def _log_in_with_password(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", EMAIL)
    page.fill("#id_password", PASSWORD)
    _submit(page)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/verify/"))


def _wait_out_the_pause(page: Page, device: TOTPDevice) -> None:
    """After a wrong code django-otp pauses the device for 1 s (2^(n-1) s after n failures): wait that out."""
    allowed, extra = device.verify_is_allowed()
    if not allowed:
        remaining = (extra["locked_until"] - timezone.now()).total_seconds()
        page.wait_for_timeout(max(0, remaining) * 1000 + 100)


@pytest.mark.django_db(transaction=True)
def test_sign_up_confirm_email_turn_on_2fa_and_log_in_with_codes(live_server, page: Page, shot) -> None:
    base = live_server.url

    # Sign up.
    page.goto(f"{base}/accounts/signup/")
    shot(page, "signup")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_date_of_birth", "1990-05-17")
    _submit(page)
    expect(page.locator("header")).to_contain_text("Log out")
    shot(page, "signed-up")
    user = User.objects.get(email=EMAIL)
    assert str(user.date_of_birth) == "1990-05-17"

    # Confirm the email address from the message in the outbox.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    expect(page.locator("main")).to_contain_text(EMAIL)
    shot(page, "confirm-email")
    _submit(page)
    expect(page.locator(".messages")).to_contain_text("You have confirmed")
    shot(page, "email-confirmed")
    assert EmailAddress.objects.get(user=user).verified

    # Turn on two-factor authentication with the secret shown on the page.
    page.goto(f"{base}/accounts/2fa/setup/")
    expect(page.locator(".qr svg")).to_be_visible()
    shot(page, "2fa-setup")
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    code = f"{TOTP(base64.b32decode(secret)).token():06d}"
    page.fill("#id_code", code)
    _submit(page)
    expect(page.locator("h1")).to_have_text("Your backup codes")
    backup_codes = [text.strip() for text in page.locator("#backup-codes li").all_inner_texts()]
    assert len(backup_codes) == 10
    assert len(set(backup_codes)) == 10
    shot(page, "backup-codes")

    _log_out(page)
    shot(page, "logged-out")

    # Log in: the code step appears and refuses a wrong code.
    _log_in_with_password(page, base)
    expect(page.locator("h1")).to_have_text("Two-factor authentication")
    shot(page, "code-step")
    page.goto(f"{base}/accounts/preferences/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/verify/"))
    wrong = next(c for c in ("000000", "111111", "222222") if c != code)
    page.fill("#id_code", wrong)
    _submit(page)
    expect(page.locator(".field .error")).to_contain_text("That code is not valid")
    shot(page, "wrong-code")

    # A backup code works, and brings the person where they were going.
    page.fill("#id_code", backup_codes[0])
    _submit(page)
    expect(page).to_have_url(f"{base}/accounts/preferences/")
    expect(page.locator("h1")).to_have_text("Preferences")
    shot(page, "in-with-backup-code")

    # Once.
    _log_out(page)
    _log_in_with_password(page, base)
    page.fill("#id_code", backup_codes[0])
    _submit(page)
    expect(page.locator(".field .error")).to_contain_text("not valid")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/verify/"))
    shot(page, "backup-code-used-twice")

    # The authenticator app's next code still lets the person in (once the pause after the wrong code is over).
    device = TOTPDevice.objects.get(user=user)
    _wait_out_the_pause(page, device)
    page.fill("#id_code", fresh_totp_code(device))
    _submit(page)
    expect(page.locator("header")).to_contain_text("Log out")
    page.goto(f"{base}/accounts/2fa/")
    expect(page.locator("main")).to_contain_text("9 unused backup codes")
    shot(page, "security-page")
