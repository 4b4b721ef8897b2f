"""Payout pages: fresh 2FA re-verification, the request flow, timelines, dashboards, staff review."""

from __future__ import annotations

import time

import pytest
from django.core import mail

from accounts.selectors import OTP_VERIFIED_AT_SESSION_KEY
from payouts import services
from payouts.models import Payout, PayoutStatus

from ..conftest import fresh_totp_code, otp_login

pytestmark = pytest.mark.django_db


def _age_verification(client, seconds=301):
    session = client.session
    session[OTP_VERIFIED_AT_SESSION_KEY] = time.time() - seconds
    session.save()


def test_request_without_a_recent_code_goes_to_verify_and_comes_back(payee_client, payee, earn):
    creator, codes = payee
    earn(creator, 20_000)
    _age_verification(payee_client)
    response = payee_client.get("/creator/payouts/request/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/reverify/?next=%2Fcreator%2Fpayouts%2Frequest%2F"
    back = payee_client.post("/accounts/2fa/reverify/", {"code": codes[1], "next": "/creator/payouts/request/"})
    assert back["Location"] == "/creator/payouts/request/"
    page = payee_client.get("/creator/payouts/request/")
    assert page.status_code == 200 and "Available: <strong>20,000</strong>" in page.content.decode()


def test_the_request_shows_the_cash_first_then_confirms(payee_client, payee, earn, django_capture_on_commit_callbacks):
    creator, _ = payee
    earn(creator, 20_000)
    quote = payee_client.post("/creator/payouts/request/", {"diamonds": "15001"})
    text = quote.content.decode()
    assert "You will receive <strong>$75.00</strong> (USD) for <strong>15,000</strong> diamonds" in text
    assert not Payout.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = payee_client.post("/creator/payouts/request/", {"diamonds": "15000", "confirm": "1"})
    payout = Payout.objects.get()
    assert done["Location"] == f"/creator/payouts/{payout.public_id}/"
    timeline = payee_client.get(done["Location"]).content.decode()
    assert "Waiting for review" in timeline or "Paid" in timeline
    assert 'id="payout-timeline"' in timeline


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Enter a whole number of diamonds."),
        ("-5", "Enter a positive number."),
        ("100", "The minimum payout is 10,000 diamonds"),
    ],
)
def test_bad_request_input_gets_a_message(payee_client, payee, earn, value, message):
    creator, _ = payee
    earn(creator, 20_000)
    response = payee_client.post("/creator/payouts/request/", {"diamonds": value})
    assert response.status_code == 400 and message in response.content.decode()
    assert not Payout.objects.exists()


def test_another_creators_payout_is_404(client, payee, earn, make_creator):
    creator, _ = payee
    earn(creator, 20_000)
    payout = services.payout_request_create(creator=creator, diamonds=10_000)
    other = make_creator("other")
    client.force_login(other.user)
    assert client.get(f"/creator/payouts/{payout.public_id}/").status_code == 404


def test_details_need_a_fresh_code_and_a_valid_iban(payee_client, payee, django_capture_on_commit_callbacks):
    _age_verification(payee_client)
    assert payee_client.get("/creator/payouts/details/")["Location"].startswith("/accounts/2fa/reverify/")
    _age_verification(payee_client, seconds=0)
    bad = payee_client.post(
        "/creator/payouts/details/", {"holder_name": "Pat", "iban": "DE00 1234", "sandbox_outcome": "succeed"}
    )
    assert bad.status_code == 400 and "That IBAN is not valid" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        good = payee_client.post(
            "/creator/payouts/details/",
            {"holder_name": "Pat", "iban": "NL91ABNA0417164300", "sandbox_outcome": "succeed"},
        )
    assert good["Location"] == "/creator/earnings/"
    assert mail.outbox[-1].subject == "[Coinshop] Your payout details changed"


def test_earnings_page_shows_balances_chart_and_history(payee_client, payee, earn):
    creator, _ = payee
    earn(creator, 20_000, days_ago=10)
    earn(creator, 4_000, days_ago=1)
    page = payee_client.get("/creator/earnings/").content.decode()
    assert 'id="diamonds-available">20,000<' in page and 'id="diamonds-pending">4,000<' in page
    assert '<svg class="chart"' in page and 'id="chart-total">24,000<' in page
    assert "No payouts yet." in page
    assert 'id="chart-total">24,000<' in payee_client.get("/creator/earnings/?days=90").content.decode()


def test_staff_review_in_the_admin_needs_otp_and_approves(
    client, payee, earn, make_user, enable_2fa, django_capture_on_commit_callbacks
):
    creator, _ = payee
    earn(creator, 40_000)
    payout = services.payout_request_create(creator=creator, diamonds=40_000)
    staff = make_user("boss@example.com", is_staff=True, is_superuser=True)
    device, _ = enable_2fa(staff)
    client.force_login(staff)  # a password-only session: the admin stays shut
    assert client.get(f"/admin/payouts/payout/{payout.pk}/review/").status_code == 302
    client.logout()
    otp_login(client, staff.email, fresh_totp_code(device))
    page = client.get(f"/admin/payouts/payout/{payout.pk}/review/")
    assert page.status_code == 200 and "$200.00" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/payouts/payout/{payout.pk}/review/", {"approve": "1"})
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    overview = client.get("/admin/overview/")
    assert overview.status_code == 200 and '<svg class="chart"' in overview.content.decode()
    assert client.get("/admin/accounts/auditlog/").status_code == 200
