"""Issue 12, accounts: names nobody can misuse, privacy by default, email changes behind a recent 2FA code."""

from __future__ import annotations

import html
import time

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import CreatorProfile, User
from accounts.selectors import OTP_VERIFIED_AT_SESSION_KEY
from tests.conftest import PASSWORD, fresh_totp_code, otp_login, password_login

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html.unescape(response.content.decode())


# --- privacy by default ------------------------------------------------------------------------------------------

SIGNUP = {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD, "date_of_birth": "1995-06-15"}


def test_a_new_account_is_anonymous_and_off_leaderboards_unless_the_person_opts_in(client):
    page = _text(client.get("/accounts/signup/"))
    assert "Show my name on leaderboards and next to my gifts" in page
    assert "Off unless you tick it" in page
    client.post("/accounts/signup/", SIGNUP)
    user = User.objects.get(email="new@example.com")
    assert user.show_on_leaderboards is False and user.default_gift_visibility == "anonymous"


def test_opting_in_at_sign_up_shows_the_person(client):
    client.post("/accounts/signup/", {**SIGNUP, "show_publicly": "on"})
    user = User.objects.get(email="new@example.com")
    assert user.show_on_leaderboards is True and user.default_gift_visibility == "public"


def test_preferences_say_that_names_are_private_unless_chosen(client, viewer):
    client.force_login(viewer)
    page = _text(client.get("/accounts/preferences/"))
    assert "Off unless you turn it on" in page and "Anonymous unless you choose otherwise" in page


# --- names -------------------------------------------------------------------------------------------------------


@pytest.fixture
def ada(make_creator) -> CreatorProfile:
    creator = make_creator("ada")
    creator.display_name = "Ada Lovelace"
    creator.save()
    return creator


def _nickname(client, nickname: str):
    return client.post("/accounts/preferences/", {"default_gift_visibility": "anonymous", "nickname": nickname})


@pytest.mark.parametrize(
    "nickname",
    ["Ann\nBcc: everyone@example.com", "Ann\rX", "\u202eevil", "Ann\u2066x", "zero\u200bwidth", "tab\there"],
)
def test_a_nickname_with_control_or_direction_characters_is_refused_and_changes_nothing(client, viewer, nickname):
    client.force_login(viewer)
    response = _nickname(client, nickname)
    assert response.status_code == 400
    assert "may not contain line breaks, control characters or characters that change the reading direction" in (
        _text(response)
    )
    viewer.refresh_from_db()
    assert viewer.nickname == ""


@pytest.mark.parametrize(
    "nickname", ["ada", "ADA", "a d a", "Ada_", "Ada Lovelace", "ada.lovelace", "\u0410d\u0430", "Ａｄａ", "Ádá"]
)
def test_a_nickname_that_imitates_a_creator_is_refused(client, viewer, ada, nickname):
    client.force_login(viewer)
    response = _nickname(client, nickname)
    assert response.status_code == 400
    assert "looks like a creator's name or handle; please choose another." in _text(response)
    viewer.refresh_from_db()
    assert viewer.nickname == ""


def test_a_nickname_that_merely_resembles_is_fine(client, viewer, ada):
    client.force_login(viewer)
    assert _nickname(client, "Ada fan 42").status_code == 302
    viewer.refresh_from_db()
    assert viewer.nickname == "Ada fan 42"


@pytest.mark.parametrize("nickname", ["Admin", "SUPPORT", "Supp0rt", "st\u0430ff"])
def test_reserved_names_are_refused_as_nicknames(client, viewer, nickname):
    client.force_login(viewer)
    response = _nickname(client, nickname)
    assert response.status_code == 400 and "is reserved" in _text(response)


def _become(client, **overrides: str):
    return client.post("/creator/become/", {"handle": "newcomer", "display_name": "Newcomer", "bio": "", **overrides})


@pytest.mark.parametrize("handle", ["admin", "staff", "support", "coinshop", "moderator"])
def test_reserved_handles_are_refused(client, make_user, handle):
    client.force_login(make_user("newcomer@example.com"))
    response = _become(client, handle=handle)
    assert response.status_code == 400 and "is reserved" in _text(response)
    assert not CreatorProfile.objects.filter(handle=handle).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("handle", "a-da"), ("handle", "adalovelace"), ("display_name", "ADA"), ("display_name", "Ada  Lovelace")],
)
def test_a_creator_cannot_take_a_name_that_imitates_another_creator(client, make_user, ada, field, value):
    client.force_login(make_user("newcomer@example.com"))
    response = _become(client, **{field: value})
    assert response.status_code == 400
    assert "looks like a creator's name or handle" in _text(response)
    assert CreatorProfile.objects.count() == 1


def test_a_creator_cannot_rename_themselves_into_another_creator_or_with_a_newline(client, ada, make_creator):
    other = make_creator("grace")
    client.force_login(other.user)
    for name, message in (("Ada Lovelace", "looks like a creator"), ("Grace\nHopper", "may not contain line breaks")):
        response = client.post("/creator/profile/", {"display_name": name, "bio": "", "accepts_gifts": "on"})
        assert response.status_code == 400 and message in _text(response)
    other.refresh_from_db()
    assert other.display_name == "Grace"
    # Their own name, in another case, is theirs to keep.
    ok = client.post("/creator/profile/", {"display_name": "GRACE", "bio": "", "accepts_gifts": "on"})
    assert ok.status_code == 302


# --- email changes need a recent 2FA code --------------------------------------------------------------------------

ADD = {"action_add": "", "email": "new-address@example.com"}


def test_adding_an_email_needs_2fa_turned_on_first(client, viewer):
    assert password_login(client, viewer.email).status_code == 302
    response = client.post("/accounts/email/", ADD)
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/"
    assert not EmailAddress.objects.filter(email="new-address@example.com").exists()
    assert mail.outbox == []
    assert client.get("/accounts/email/").status_code == 200  # looking is fine


def test_adding_or_changing_an_email_needs_a_code_from_the_last_five_minutes(client, viewer, enable_2fa):
    device, _ = enable_2fa(viewer)
    otp_login(client, viewer.email, fresh_totp_code(device))
    session = client.session
    session[OTP_VERIFIED_AT_SESSION_KEY] = time.time() - 301
    session.save()
    for data in (ADD, {"action_primary": "", "email": viewer.email}, {"action_remove": "", "email": viewer.email}):
        response = client.post("/accounts/email/", data)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/reverify/"), data
    assert list(EmailAddress.objects.filter(user=viewer).values_list("email", flat=True)) == [viewer.email]
    assert mail.outbox == []
    # A fresh code, and the same request goes through.
    client.post("/accounts/2fa/reverify/", {"code": fresh_totp_code(device), "next": "/accounts/email/"})
    assert client.post("/accounts/email/", ADD).status_code == 302
    assert mail.outbox[-1].to == ["new-address@example.com"]


def test_the_session_key_changes_at_the_code_step(client, viewer, enable_2fa):
    device, _ = enable_2fa(viewer)
    password_login(client, viewer.email)
    before = client.session.session_key
    response = client.post("/accounts/2fa/verify/", {"code": fresh_totp_code(device), "next": "/"})
    assert response.status_code == 302
    assert client.session.session_key != before
    assert client.get("/wallet/").status_code == 200  # still logged in, and past the code step
