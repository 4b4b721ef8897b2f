"""allauth's password reset, password change and email change, as a person goes through them (emails from the
outbox)."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User

from ..conftest import PASSWORD, fresh_totp_code, otp_login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-horse-staple-42"


def _link(body: str) -> str:
    match = re.search(r"https?://testserver(/accounts/\S+)", body)
    assert match, body
    return match.group(1)


def test_password_reset_by_email(client, viewer):
    response = client.post("/accounts/password/reset/", {"email": viewer.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [viewer.email]
    assert mail.outbox[0].subject.startswith("[Coinshop] ")
    form_url = client.get(_link(mail.outbox[0].body), follow=True).redirect_chain[-1][0]
    # A weak new password is refused on the form; a good one works, and the old one no longer does.
    weak = client.post(form_url, {"password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 200 and "This password is too" in weak.content.decode()
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.check_password(NEW_PASSWORD) and not viewer.check_password(PASSWORD)


def test_a_reset_for_an_unknown_email_reveals_nothing_and_sends_nothing_useful(client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert not any("password/reset/key" in m.body for m in mail.outbox)


def test_password_change_needs_the_current_password(client, viewer):
    client.force_login(viewer)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "not-my-password", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200 and "Please type your current password." in response.content.decode()
    response = client.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=viewer.pk).check_password(NEW_PASSWORD)


def test_email_change_is_confirmed_from_the_new_address(client, viewer, enable_2fa):
    device, _ = enable_2fa(viewer)
    otp_login(client, viewer.email, fresh_totp_code(device))  # a change of address needs a recent code
    response = client.post("/accounts/email/", {"action_add": "", "email": "new-address@example.com"})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new-address@example.com"]
    assert not EmailAddress.objects.get(email="new-address@example.com").verified
    client.post(_link(mail.outbox[-1].body))
    assert EmailAddress.objects.get(email="new-address@example.com").verified
    assert User.objects.get(pk=viewer.pk).email == "new-address@example.com"  # a change, not a second address
    assert not EmailAddress.objects.filter(email=viewer.email).exists()
    # A malformed address is refused with a message.
    response = client.post("/accounts/email/", {"action_add": "", "email": "not-an-email"})
    assert response.status_code == 200 and "Enter a valid email address." in response.content.decode()
