"""Payouts through Stripe, offline: Connect (Express) onboarding, then Transfers to the connected account, against the
local fake of Stripe's API (``stripe_fake``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from payouts import services
from payouts.models import PayoutAccount, PayoutStatus
from wallet.models import Asset
from wallet.providers import ProviderError
from wallet.selectors import wallet_balance_get

from ..conftest import otp_login
from ..payouts.conftest import sending_when_the_worker_died
from ..wallet import conftest as wallet_fixtures
from ..wallet.conftest import SECRET_KEY, assert_ledger_ok

pytestmark = pytest.mark.django_db
stripe_fake = wallet_fixtures.stripe_fake  # Stripe on 127.0.0.1; settings.PAYMENT_PROVIDER = "stripe"


@pytest.fixture
def creator(make_creator, enable_2fa):
    creator = make_creator("stella")
    User.objects.filter(pk=creator.user_id).update(date_joined=timezone.now() - timedelta(days=60))
    creator.user.refresh_from_db()
    enable_2fa(creator.user)
    return creator


@pytest.fixture
def creator_client(client, creator):
    from django_otp.plugins.otp_static.models import StaticDevice

    code = StaticDevice.objects.get(user=creator.user).token_set.first().token
    otp_login(client, creator.user.email, code)
    return client


def _connect(client) -> str:
    response = client.post("/creator/payouts/details/")
    assert response.status_code == 302
    return response["Location"]


def _said(response) -> str:
    """The page's last message (the login's "Successfully signed in" may still be before it)."""
    return [str(m) for m in response.context["messages"]][-1]


def test_onboarding_creates_one_express_account_and_sends_the_creator_to_stripe(
    creator, creator_client, stripe_fake, django_capture_on_commit_callbacks
):
    page = creator_client.get("/creator/payouts/details/").content.decode()
    assert "Connect with Stripe" in page and "IBAN" not in page
    with django_capture_on_commit_callbacks(execute=True):
        url = _connect(creator_client)
    account = PayoutAccount.objects.get(creator=creator)
    assert url.startswith(f"https://connect.stripe.com/setup/e/{account.stripe_account_id}/")
    assert (account.provider, account.stripe_payouts_enabled) == ("stripe", False)
    assert account.hold_until > timezone.now() + timedelta(hours=47)  # a new payout account: 48 hours' hold
    assert [m.subject for m in mail.outbox] == ["[Coinshop] Your payout details changed"]
    assert account.stripe_account_id in mail.outbox[0].body
    (created,) = stripe_fake.calls("POST", "/v1/accounts")
    assert created.params["type"] == "express" and created.params["email"] == creator.user.email
    assert created.params["capabilities"] == {"transfers": {"requested": "true"}}
    assert created.headers["authorization"] == f"Bearer {SECRET_KEY}"
    (link,) = stripe_fake.calls("POST", "/v1/account_links")
    assert link.params["account"] == account.stripe_account_id and link.params["type"] == "account_onboarding"
    assert link.params["return_url"] == "http://testserver/creator/payouts/stripe/return/"
    assert link.params["refresh_url"] == "http://testserver/creator/payouts/stripe/refresh/"
    # Continuing later reuses the account: a new link, no new account, no new hold or email.
    _connect(creator_client)
    assert len(stripe_fake.calls("POST", "/v1/accounts")) == 1
    assert len(stripe_fake.calls("POST", "/v1/account_links")) == 2
    assert len(mail.outbox) == 1


def test_payouts_wait_for_stripe_to_enable_the_account_then_transfer_exactly_once(
    creator, creator_client, stripe_fake, earn, make_user, django_capture_on_commit_callbacks
):
    _connect(creator_client)
    account = PayoutAccount.objects.get(creator=creator)
    # Back from Stripe before finishing: payouts stay off, and say why.
    response = creator_client.get("/creator/payouts/stripe/return/", follow=True)
    assert _said(response) == "Stripe still needs some details from you before it can pay you out."
    PayoutAccount.objects.filter(pk=account.pk).update(hold_until=timezone.now() - timedelta(minutes=1))
    earn(creator, 40_000)
    with pytest.raises(services.ValidationError, match="Finish your Stripe onboarding first"):
        services.payout_request_create(creator=creator, diamonds=40_000)
    # Onboarding finished on Stripe's side: the return page asks Stripe, and payouts are on.
    stripe_fake.connect_account_onboarded(account.stripe_account_id)
    response = creator_client.get("/creator/payouts/stripe/return/", follow=True)
    assert _said(response).startswith("Your Stripe account is connected.")
    account.refresh_from_db()
    assert account.stripe_payouts_enabled
    assert f"Stripe account {account.stripe_account_id} (ready)" in response.content.decode()

    payout = services.payout_request_create(creator=creator, diamonds=40_000)
    with django_capture_on_commit_callbacks(execute=True):
        services.payout_approve(payout=payout, staff=make_user("staff@example.com", is_staff=True))
    services.payout_process(payout_id=payout.pk)  # a redelivered task: already paid, nothing sent again
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.provider == "stripe"
    (transfer,) = stripe_fake.calls("POST", "/v1/transfers")
    assert transfer.params == {
        "amount": "20000",  # $200.00: 40,000 diamonds at the snapshotted $0.005
        "currency": "usd",
        "destination": account.stripe_account_id,
        "transfer_group": payout.idempotency_key,
        "metadata": {"payout_id": str(payout.public_id)},
    }
    assert transfer.headers["idempotency-key"] == payout.idempotency_key
    assert payout.provider_ref == stripe_fake.idempotent[payout.idempotency_key]["id"]
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert_ledger_ok()


def _ready_to_be_paid(creator, creator_client, stripe_fake) -> PayoutAccount:
    """Connected, onboarding finished on Stripe's side, the new account's 48-hour hold over."""
    _connect(creator_client)
    account = PayoutAccount.objects.get(creator=creator)
    stripe_fake.connect_account_onboarded(account.stripe_account_id)
    creator_client.get("/creator/payouts/stripe/return/")
    PayoutAccount.objects.filter(pk=account.pk).update(hold_until=timezone.now() - timedelta(minutes=1))
    account.refresh_from_db()
    return account


def test_a_transfer_stripe_refuses_fails_the_payout_and_returns_the_diamonds(
    creator, creator_client, stripe_fake, earn, make_user, django_capture_on_commit_callbacks
):
    _ready_to_be_paid(creator, creator_client, stripe_fake)
    earn(creator, 40_000)
    payout = services.payout_request_create(creator=creator, diamonds=40_000)
    stripe_fake.refuse(400, "Insufficient funds in Stripe account.", request="POST /v1/transfers")
    with django_capture_on_commit_callbacks(execute=True):
        services.payout_approve(payout=payout, staff=make_user("staff@example.com", is_staff=True))
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert "Insufficient funds in Stripe account." in payout.failure_reason
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 40_000
    assert_ledger_ok()


@pytest.mark.parametrize("reached_stripe", [False, True])
def test_a_transfer_being_sent_never_goes_to_a_connected_account_changed_meanwhile(
    reached_stripe, creator, creator_client, stripe_fake, earn
):
    """The worker died while sending (before or after Stripe made the transfer); the creator then connected another
    Stripe account. The redelivered task sends again to the account the payout was approved with, with the same
    idempotency key: Stripe makes one transfer, to that account."""
    account = _ready_to_be_paid(creator, creator_client, stripe_fake)
    earn(creator, 40_000)
    payout = services.payout_request_create(creator=creator, diamonds=40_000)
    sending_when_the_worker_died(payout.pk, reached_the_bank=reached_stripe)
    PayoutAccount.objects.filter(pk=account.pk).update(stripe_account_id="acct_someone_else")

    payout = services.payout_process(payout_id=payout.pk)

    calls = stripe_fake.calls("POST", "/v1/transfers")
    assert {c.params["destination"] for c in calls} == {account.stripe_account_id}
    assert {c.headers["idempotency-key"] for c in calls} == {payout.idempotency_key}
    transfer = stripe_fake.idempotent[payout.idempotency_key]
    assert [o["id"] for o in stripe_fake.objects.values() if o.get("object") == "transfer"] == [transfer["id"]]
    assert payout.status == PayoutStatus.PAID and payout.provider_ref == transfer["id"]
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert_ledger_ok()


def test_a_task_back_after_stripe_forgot_its_idempotency_key_finds_the_transfer_already_made(
    creator, creator_client, stripe_fake, earn
):
    """Stripe keeps an idempotency key for 24 hours. The worker died after Stripe made the transfer, and the task came
    back days later (a broker outage): the same key would now make a second transfer. The payout asks Stripe for the
    transfer in its group first, finds it, and is paid once."""
    _ready_to_be_paid(creator, creator_client, stripe_fake)
    earn(creator, 40_000)
    payout = services.payout_request_create(creator=creator, diamonds=40_000)
    sending_when_the_worker_died(payout.pk, reached_the_bank=True)
    (first,) = [o for o in stripe_fake.objects.values() if o.get("object") == "transfer"]
    stripe_fake.idempotent.clear()  # more than 24 hours later

    payout = services.payout_process(payout_id=payout.pk)

    assert [o["id"] for o in stripe_fake.objects.values() if o.get("object") == "transfer"] == [first["id"]]
    assert len(stripe_fake.calls("POST", "/v1/transfers")) == 1
    assert payout.status == PayoutStatus.PAID and payout.provider_ref == first["id"]
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert_ledger_ok()


@pytest.mark.parametrize("status", [400, 500])
def test_a_failed_lookup_of_an_earlier_transfer_retries_and_never_fails_the_payout(
    status, creator, creator_client, stripe_fake, earn
):
    """The worker died after Stripe made the transfer; on the next attempt Stripe cannot answer the lookup. Failing
    the payout would return the diamonds for a transfer that exists (paid twice once the creator asks again): the
    attempt stops with a provider error, for the task to retry, and the retry settles with the transfer."""
    _ready_to_be_paid(creator, creator_client, stripe_fake)
    earn(creator, 40_000)
    payout = services.payout_request_create(creator=creator, diamonds=40_000)
    sending_when_the_worker_died(payout.pk, reached_the_bank=True)
    stripe_fake.idempotent.clear()
    stripe_fake.refuse(status, "Something went wrong on Stripe's end.", request="GET /v1/transfers")

    with pytest.raises(ProviderError):
        services.payout_process(payout_id=payout.pk)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PROCESSING
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0

    payout = services.payout_process(payout_id=payout.pk)  # the task's retry
    assert payout.status == PayoutStatus.PAID
    assert len([o for o in stripe_fake.objects.values() if o.get("object") == "transfer"]) == 1
    assert_ledger_ok()


def test_a_reversed_transfer_found_on_a_retry_is_left_to_staff_not_settled(creator, creator_client, stripe_fake, earn):
    """Staff reversed the transfer in Stripe's dashboard while the payout was still being sent: the payout is neither
    paid (the creator has no cash) nor failed (the diamonds would come back though Stripe may have paid part)."""
    _ready_to_be_paid(creator, creator_client, stripe_fake)
    earn(creator, 40_000)
    payout = services.payout_request_create(creator=creator, diamonds=40_000)
    sending_when_the_worker_died(payout.pk, reached_the_bank=True)
    (transfer,) = [o for o in stripe_fake.objects.values() if o.get("object") == "transfer"]
    transfer.update(reversed=True, amount_reversed=transfer["amount"])

    with pytest.raises(ProviderError, match="as reversed: staff must settle it"):
        services.payout_process(payout_id=payout.pk)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PROCESSING and len(stripe_fake.calls("POST", "/v1/transfers")) == 1
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert_ledger_ok()


def test_stripe_down_at_onboarding_says_so_and_changes_nothing(creator, creator_client, stripe_fake):
    stripe_fake.refuse(400, "Your platform is not set up for Connect.")
    response = creator_client.post("/creator/payouts/details/", follow=True)
    assert _said(response) == "Stripe could not start the onboarding: Your platform is not set up for Connect."
    assert not PayoutAccount.objects.exists()
