"""The admin opens only for staff who passed a 2FA code; its own login page is not a way in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import PASSWORD, fresh_totp_code, otp_login, password_login

pytestmark = pytest.mark.django_db

ADMIN_INDEX_TEXT = "Run Coinshop"  # CoinshopAdminSite.index_title


@pytest.fixture
def staff(make_user):
    return make_user("staff@example.com", is_staff=True, is_superuser=True)


def _path_and_query(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(url)
    return parts.path, parse_qs(parts.query)


def test_staff_with_2fa_who_only_gave_the_password_is_sent_to_the_code_step(client, staff, enable_2fa):
    enable_2fa(staff)
    password_login(client, staff.email)

    response = client.get("/admin/")

    assert response.status_code == 302
    path, query = _path_and_query(response["Location"])
    assert path == "/accounts/2fa/verify/"
    assert query["next"] == ["/admin/"]
    assert ADMIN_INDEX_TEXT not in client.get("/admin/", follow=True).content.decode()


def test_staff_without_2fa_is_asked_to_turn_it_on(client, staff):
    password_login(client, staff.email)

    response = client.get("/admin/", follow=True)

    assert ADMIN_INDEX_TEXT not in response.content.decode()
    assert response.redirect_chain[-1][0] == "/accounts/2fa/"
    assert "Staff must turn on two-factor authentication" in response.content.decode()
    assert client.get("/admin/accounts/user/").status_code == 302


def test_staff_who_passed_the_code_sees_the_admin(client, staff, enable_2fa):
    device, _ = enable_2fa(staff)
    assert otp_login(client, staff.email, fresh_totp_code(device), next_url="/admin/")["Location"] == "/admin/"

    response = client.get("/admin/")

    assert response.status_code == 200
    assert ADMIN_INDEX_TEXT in response.content.decode()
    assert client.get("/admin/accounts/user/").status_code == 200


@pytest.mark.parametrize("with_2fa", [False, True])
def test_a_person_who_is_not_staff_never_gets_the_admin(client, make_user, enable_2fa, with_2fa):
    person = make_user("visitor@example.com")
    if with_2fa:
        device, _ = enable_2fa(person)
        otp_login(client, person.email, fresh_totp_code(device))
    else:
        password_login(client, person.email)

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert ADMIN_INDEX_TEXT not in response.content.decode()
    users_page = client.get("/admin/accounts/user/", follow=True)
    assert users_page.status_code == 403
    assert "Select user to change" not in users_page.content.decode()


def test_the_admin_login_page_redirects_to_the_site_login(client):
    response = client.get("/admin/login/?next=/admin/accounts/user/")

    assert response.status_code == 302
    path, query = _path_and_query(response["Location"])
    assert path == "/accounts/login/"
    assert query["next"] == ["/admin/accounts/user/"]


def test_the_admin_login_page_does_not_accept_a_password(client, staff):
    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})

    assert response.status_code == 302
    assert _path_and_query(response["Location"])[0] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_the_admin_login_page_does_not_redirect_to_another_site(client):
    response = client.get("/admin/login/?next=https://evil.example/")

    assert _path_and_query(response["Location"])[1]["next"] == ["/admin/"]
