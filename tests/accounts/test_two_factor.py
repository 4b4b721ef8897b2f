"""Two-factor authentication: setting it up, the code step after the password, backup codes, turning it off,
re-verification before sensitive actions, and the throttle on wrong codes."""

from __future__ import annotations

import datetime
import re
import time
from base64 import b32encode
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.selectors import OTP_VERIFIED_AT_SESSION_KEY
from tests.conftest import fresh_totp_code, otp_login, password_login, totp_code

pytestmark = pytest.mark.django_db

VERIFY_URL = "/accounts/2fa/verify/"
NOT_VALID = "That code is not valid"
THROTTLED = "Too many wrong codes"


def _wrong_code(device: TOTPDevice) -> str:
    """A six-digit code the device does not accept now (none of the steps within its tolerance)."""
    accepted = {totp_code(device, steps_ahead=s) for s in range(-device.tolerance - 1, device.tolerance + 2)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in accepted)


def _codes_on_page(response) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9]+)</code></li>", response.content.decode())


def _redirect_target(response) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(response["Location"])
    return parts.path, parse_qs(parts.query)


@pytest.fixture
def person(make_user):
    return make_user("ada@example.com")


@pytest.fixture
def logged_in(client: Client, person) -> Client:
    """A person without 2FA, logged in with their password."""
    response = password_login(client, person.email)
    assert response.status_code == 302 and response["Location"] == "/"
    return client


@pytest.fixture
def with_2fa(person, enable_2fa):
    device, codes = enable_2fa(person)
    return person, device, codes


@pytest.fixture
def verified(client: Client, with_2fa) -> Client:
    """A person with 2FA who passed password and code."""
    person, device, _ = with_2fa
    response = otp_login(client, person.email, fresh_totp_code(device))
    assert response.status_code == 302
    return client


# --- setup -----------------------------------------------------------------------------------


def test_setup_page_shows_a_qr_code_and_the_secret(logged_in, person):
    response = logged_in.get("/accounts/2fa/setup/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    secret = b32encode(device.bin_key).decode()
    assert f'data-secret="{secret}"' in body
    assert 'id="totp-secret"' in body


def test_setup_page_keeps_the_same_secret_on_reload(logged_in, person):
    first = logged_in.get("/accounts/2fa/setup/")
    second = logged_in.get("/accounts/2fa/setup/")

    secret = re.search(r'data-secret="([A-Z2-7=]+)"', first.content.decode()).group(1)
    assert f'data-secret="{secret}"' in second.content.decode()
    assert TOTPDevice.objects.filter(user=person).count() == 1


def test_setup_refuses_a_wrong_code(logged_in, person):
    logged_in.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=person)

    response = logged_in.post("/accounts/2fa/setup/", {"code": _wrong_code(device)})

    assert response.status_code == 200
    assert NOT_VALID in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert not StaticToken.objects.filter(device__user=person).exists()


def test_wrong_codes_at_setup_count_towards_the_throttle(logged_in, person):
    logged_in.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=person)

    logged_in.post("/accounts/2fa/setup/", {"code": _wrong_code(device)})
    response = logged_in.post("/accounts/2fa/setup/", {"code": totp_code(device)})

    assert response.status_code == 200
    assert NOT_VALID in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert device.confirmed is False


def test_setup_with_the_right_code_turns_2fa_on_and_shows_ten_backup_codes(logged_in, person):
    logged_in.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=person)

    response = logged_in.post("/accounts/2fa/setup/", {"code": totp_code(device)})

    assert response.status_code == 200
    shown = _codes_on_page(response)
    assert len(shown) == 10
    assert len(set(shown)) == 10
    stored = set(StaticToken.objects.filter(device__user=person).values_list("token", flat=True))
    assert stored == set(shown)
    device.refresh_from_db()
    assert device.confirmed is True
    index = logged_in.get("/accounts/2fa/")
    assert "Two-factor authentication is <strong>on</strong>" in index.content.decode()
    assert "<strong>10</strong> unused backup codes" in index.content.decode()


def test_setup_is_not_offered_again_once_2fa_is_on(verified):
    response = verified.get("/accounts/2fa/setup/", follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/2fa/"
    assert "already on" in response.content.decode()


# --- the code step after the password ----------------------------------------------------------


def test_a_person_without_2fa_goes_straight_in(logged_in):
    assert logged_in.get("/accounts/preferences/").status_code == 200


def test_password_login_with_2fa_leads_to_the_code_step(client, with_2fa):
    person, _, _ = with_2fa

    response = password_login(client, person.email)

    assert response.status_code == 302
    assert _redirect_target(response)[0] == VERIFY_URL


@pytest.mark.parametrize("page", ["/accounts/preferences/", "/", "/accounts/2fa/", "/creator/become/"])
def test_every_other_page_sends_to_the_code_step_until_it_is_passed(client, with_2fa, page):
    person, _, _ = with_2fa
    password_login(client, person.email)

    response = client.get(page)

    assert response.status_code == 302
    path, query = _redirect_target(response)
    assert path == VERIFY_URL
    assert query["next"] == [page]


def test_the_right_code_lets_the_person_in_and_back_to_where_they_were_going(client, with_2fa):
    person, device, _ = with_2fa
    password_login(client, person.email)

    page = client.get(f"{VERIFY_URL}?next=/accounts/preferences/")
    assert page.status_code == 200
    assert "enter the code from your authenticator app" in page.content.decode()

    response = client.post(VERIFY_URL, {"code": totp_code(device), "next": "/accounts/preferences/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/preferences/"
    assert client.get("/accounts/preferences/").status_code == 200


def test_the_code_step_does_not_redirect_to_another_site(client, with_2fa):
    person, device, _ = with_2fa
    password_login(client, person.email)

    response = client.post(VERIFY_URL, {"code": totp_code(device), "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_wrong_code_is_refused_with_a_message(client, with_2fa):
    person, device, _ = with_2fa
    password_login(client, person.email)

    response = client.post(VERIFY_URL, {"code": _wrong_code(device), "next": "/accounts/preferences/"})

    assert response.status_code == 200
    assert NOT_VALID in response.content.decode()
    assert _redirect_target(client.get("/accounts/preferences/"))[0] == VERIFY_URL


def test_a_code_of_the_wrong_shape_is_explained(client, with_2fa):
    person, _, _ = with_2fa
    password_login(client, person.email)

    response = client.post(VERIFY_URL, {"code": "12345"})

    assert response.status_code == 200
    assert "Enter the 6-digit code" in response.content.decode()


def test_an_authenticator_code_cannot_be_used_twice(client, with_2fa):
    person, device, _ = with_2fa
    code = totp_code(device)
    assert otp_login(client, person.email, code).status_code == 302
    client.post("/accounts/logout/")

    response = otp_login(Client(), person.email, code)

    assert response.status_code == 200
    assert NOT_VALID in response.content.decode()


def test_a_backup_code_works_once(client, with_2fa):
    person, _, codes = with_2fa

    first = otp_login(client, person.email, codes[0].upper(), next_url="/accounts/preferences/")
    assert first.status_code == 302
    assert first["Location"] == "/accounts/preferences/"
    assert client.get("/accounts/preferences/").status_code == 200
    assert StaticToken.objects.filter(device__user=person).count() == 9

    client.post("/accounts/logout/")
    second = otp_login(client, person.email, codes[0])

    assert second.status_code == 200
    assert NOT_VALID in second.content.decode()
    assert _redirect_target(client.get("/accounts/preferences/"))[0] == VERIFY_URL


def test_logging_out_is_possible_from_the_code_step(client, with_2fa):
    person, _, _ = with_2fa
    password_login(client, person.email)

    client.post("/accounts/logout/")

    response = client.get("/accounts/preferences/")
    assert _redirect_target(response)[0] == "/accounts/login/"


# --- turning 2FA off ---------------------------------------------------------------------------


def test_turning_2fa_off_needs_a_code(verified, person):
    response = verified.post("/accounts/2fa/disable/", {"code": ""})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert TOTPDevice.objects.filter(user=person, confirmed=True).exists()


def test_turning_2fa_off_refuses_a_wrong_code(verified, with_2fa):
    person, device, _ = with_2fa

    response = verified.post("/accounts/2fa/disable/", {"code": _wrong_code(device)})

    assert response.status_code == 400
    assert NOT_VALID in response.content.decode()
    assert TOTPDevice.objects.filter(user=person, confirmed=True).exists()
    assert StaticToken.objects.filter(device__user=person).count() == 10


def test_wrong_codes_to_turn_2fa_off_count_towards_the_throttle(verified, with_2fa):
    person, device, _ = with_2fa

    verified.post("/accounts/2fa/disable/", {"code": _wrong_code(device)})
    response = verified.post("/accounts/2fa/disable/", {"code": fresh_totp_code(device)})

    assert response.status_code == 400
    assert THROTTLED in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert TOTPDevice.objects.filter(user=person, confirmed=True).exists()


def test_turning_2fa_off_with_a_current_code(verified, with_2fa):
    person, device, _ = with_2fa

    response = verified.post("/accounts/2fa/disable/", {"code": fresh_totp_code(device)}, follow=True)

    assert response.status_code == 200
    assert "Two-factor authentication is off" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert not StaticDevice.objects.filter(user=person).exists()
    verified.post("/accounts/logout/")
    assert password_login(verified, person.email)["Location"] == "/"


def test_turning_2fa_off_with_a_backup_code(verified, with_2fa):
    person, _, codes = with_2fa

    response = verified.post("/accounts/2fa/disable/", {"code": codes[3]})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=person).exists()


# --- re-verification before sensitive actions (recent_otp_required) ------------------------------


def _age_verification(client: Client, seconds: int) -> None:
    session = client.session
    session[OTP_VERIFIED_AT_SESSION_KEY] = time.time() - seconds
    session.save()


def test_new_backup_codes_right_after_the_code_step(verified, with_2fa):
    person, _, old_codes = with_2fa

    response = verified.post("/accounts/2fa/backup-codes/")

    assert response.status_code == 200
    new_codes = _codes_on_page(response)
    assert len(new_codes) == 10
    stored = set(StaticToken.objects.filter(device__user=person).values_list("token", flat=True))
    assert stored == set(new_codes)
    assert not stored & set(old_codes)


def test_an_old_verification_asks_for_a_code_again_then_returns(verified, with_2fa):
    person, device, old_codes = with_2fa
    _age_verification(verified, 301)

    response = verified.post("/accounts/2fa/backup-codes/", HTTP_REFERER="http://testserver/accounts/2fa/")

    assert response.status_code == 302
    path, query = _redirect_target(response)
    assert path == "/accounts/2fa/reverify/"
    assert query["next"] == ["http://testserver/accounts/2fa/"]
    assert set(StaticToken.objects.filter(device__user=person).values_list("token", flat=True)) == set(old_codes)

    page = verified.get(response["Location"])
    assert page.status_code == 200
    assert "Confirm it" in page.content.decode()
    wrong = verified.post(response["Location"], {"code": _wrong_code(device), "next": query["next"][0]})
    assert wrong.status_code == 200
    assert NOT_VALID in wrong.content.decode()

    device.throttle_reset()
    back = verified.post(response["Location"], {"code": fresh_totp_code(device), "next": query["next"][0]})
    assert back.status_code == 302
    assert back["Location"] == "http://testserver/accounts/2fa/"

    again = verified.post("/accounts/2fa/backup-codes/")
    assert again.status_code == 200
    assert len(_codes_on_page(again)) == 10


def test_a_verification_within_five_minutes_is_recent_enough(verified):
    _age_verification(verified, 290)

    assert verified.post("/accounts/2fa/backup-codes/").status_code == 200


def test_sensitive_actions_need_2fa_turned_on(logged_in):
    response = logged_in.post("/accounts/2fa/backup-codes/", follow=True)

    assert response.redirect_chain[0][0] == "/accounts/2fa/"
    assert "Turn on two-factor authentication first" in response.content.decode()


# --- throttling ---------------------------------------------------------------------------------


def _let_the_pause_pass(device: TOTPDevice) -> None:
    """Move the last failure back in time, as if the person waited out the pause before trying again."""
    device.refresh_from_db()
    if device.throttling_failure_timestamp is not None:
        device.throttling_failure_timestamp = timezone.now() - datetime.timedelta(days=1)
        device.save(update_fields=["throttling_failure_timestamp"])


def test_a_second_wrong_code_straight_away_is_paused(client, with_2fa):
    person, device, _ = with_2fa
    password_login(client, person.email)

    client.post(VERIFY_URL, {"code": _wrong_code(device)})
    response = client.post(VERIFY_URL, {"code": _wrong_code(device)})

    assert THROTTLED in response.content.decode()


def test_ten_wrong_codes_pause_verification_even_for_the_right_code(client, with_2fa):
    person, device, _ = with_2fa
    password_login(client, person.email)

    for _ in range(10):
        _let_the_pause_pass(device)
        response = client.post(VERIFY_URL, {"code": _wrong_code(device)})
        assert response.status_code == 200
        assert NOT_VALID in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 10

    response = client.post(VERIFY_URL, {"code": totp_code(device)})

    assert response.status_code == 200
    assert THROTTLED in response.content.decode()
    assert _redirect_target(client.get("/accounts/preferences/"))[0] == VERIFY_URL
    # The pause is 2^9 = 512 seconds: a minute later it still holds.
    device.refresh_from_db()
    device.throttling_failure_timestamp = timezone.now() - datetime.timedelta(seconds=60)
    device.save(update_fields=["throttling_failure_timestamp"])
    assert THROTTLED in client.post(VERIFY_URL, {"code": totp_code(device)}).content.decode()


def test_the_right_code_after_the_pause_resets_the_counter(client, with_2fa):
    person, device, _ = with_2fa
    password_login(client, person.email)
    for _ in range(3):
        _let_the_pause_pass(device)
        client.post(VERIFY_URL, {"code": _wrong_code(device)})
    _let_the_pause_pass(device)

    response = client.post(VERIFY_URL, {"code": totp_code(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_the_code_step_lets_go_when_2fa_was_turned_off_meanwhile(client, with_2fa):
    """Support removed the devices of someone who lost their phone while they sat on the code step."""
    person, _, _ = with_2fa
    password_login(client, person.email)
    TOTPDevice.objects.filter(user=person).delete()
    StaticDevice.objects.filter(user=person).delete()

    response = client.get("/accounts/preferences/")

    assert response.status_code == 200
    assert "<h1>Preferences</h1>" in response.content.decode()
    assert client.get("/accounts/2fa/verify/?next=/accounts/2fa/")["Location"] == "/accounts/2fa/"
