"""Issue 12, payouts: paid only to the details requested and approved with; no cash-out with a chargeback debt;
automatic approval looks at where the diamonds came from and at a daily total; IBANs checked by schwifty."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditLog, User
from gifts.models import Gift, SubscriptionPlan
from gifts.sending.services import gift_send
from gifts.subscriptions.services import subscription_start
from payouts import services
from payouts.models import Payout, PayoutAccount, PayoutStatus, SandboxTransfer
from wallet.models import Asset, CoinDebt, LedgerEntry, SystemAccount
from wallet.selectors import wallet_balance_get
from wallet.spending import spend_debt_message

from ..wallet import conftest as wallet_fixtures
from ..wallet.conftest import assert_ledger_ok
from .conftest import sending_when_the_worker_died

pytestmark = pytest.mark.django_db

packages = wallet_fixtures.packages
buyer = wallet_fixtures.buyer
paid_purchase = wallet_fixtures.paid_purchase


def _clearing() -> int:
    entries = LedgerEntry.objects.filter(account__system_code=SystemAccount.PAYOUT_CLEARING)
    return sum(entries.values_list("amount", flat=True))


# --- 1. details changed after the request ------------------------------------------------------


def test_details_changed_after_an_approved_request_send_it_back_to_review_and_nothing_is_paid(
    payee, earn, make_user, django_capture_on_commit_callbacks
):
    creator, _ = payee
    earn(creator, 10_000)
    payout = services.payout_request_create(creator=creator, diamonds=10_000)  # approved automatically
    assert payout.status == PayoutStatus.APPROVED
    # Before the worker runs, someone changes the bank details.
    services.payout_account_set(creator=creator, holder_name="Mallory", iban="GB82 WEST 1234 5698 7654 32")
    with django_capture_on_commit_callbacks(execute=True):
        payout = services.payout_process(payout_id=payout.pk)

    assert payout.status == PayoutStatus.REQUESTED
    assert "payout details changed after this payout was requested" in payout.review_reason
    assert "Mallory" in payout.review_reason
    assert not SandboxTransfer.objects.exists()  # nothing sent anywhere
    assert _clearing() == 10_000 and wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert AuditLog.objects.filter(action="payout.details_changed", object_id=str(payout.public_id)).count() == 1
    assert "staff will review it again" in mail.outbox[-1].body

    # Staff cannot approve it while the new details are on their 48-hour hold; after it, it is paid to them.
    staff = make_user("staff@example.com", is_staff=True)
    with pytest.raises(services.ValidationError, match="payout details changed recently"):
        services.payout_approve(payout=payout, staff=staff)
    PayoutAccount.objects.filter(creator=creator).update(hold_until=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.payout_approve(payout=payout, staff=staff)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert SandboxTransfer.objects.get().amount_minor == 5_000
    assert_ledger_ok()


@pytest.mark.parametrize("reached_the_bank", [False, True], ids=["died-before-the-bank", "died-after-the-bank"])
def test_a_payout_being_sent_goes_to_the_approved_details_even_if_they_change_before_its_task_comes_back(
    payee, earn, reached_the_bank
):
    """The worker died while it talked to the bank (before its call got there, or just after); the details changed
    before the task came back. The task sends again to the approved details it recorded, with the same key: one
    transfer, to them, never to the new ones (whose test-mode bank would reject it)."""
    creator, _ = payee
    earn(creator, 10_000)
    payout = services.payout_request_create(creator=creator, diamonds=10_000)  # approved automatically
    sending_when_the_worker_died(payout.pk, reached_the_bank=reached_the_bank)
    assert SandboxTransfer.objects.count() == (1 if reached_the_bank else 0)
    services.payout_account_set(
        creator=creator, holder_name="Mallory", iban="GB82 WEST 1234 5698 7654 32", sandbox_outcome="fail"
    )
    payout = services.payout_process(payout_id=payout.pk)  # the task, redelivered
    services.payout_process(payout_id=payout.pk)  # and once more: nothing new
    payout.refresh_from_db()
    transfer = SandboxTransfer.objects.get()
    assert payout.status == PayoutStatus.PAID and payout.provider_ref == transfer.id
    assert transfer.succeeded and transfer.amount_minor == payout.cash_minor
    assert payout.destination == {}  # settled: the copy of the bank details is not kept
    assert _clearing() == 0 and wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert_ledger_ok()


def test_a_task_redelivered_while_the_first_is_still_at_the_bank_makes_no_second_transfer(payee, earn, monkeypatch):
    """Worker A's call to the bank outlasts the visibility timeout; the task is redelivered to worker B after the
    details changed. B sends to the approved details with the same key and settles; A's call then returns the same
    transfer, and A finds the payout paid."""
    from payouts.providers import SandboxPayouts

    creator, _ = payee
    earn(creator, 10_000)
    payout = services.payout_request_create(creator=creator, diamonds=10_000)  # approved automatically
    send = SandboxPayouts.send_payout

    def slow_bank(self: SandboxPayouts, payout: Payout, account: PayoutAccount) -> object:
        monkeypatch.setattr(SandboxPayouts, "send_payout", send)
        services.payout_account_set(creator=creator, holder_name="Mallory", iban="GB82 WEST 1234 5698 7654 32")
        assert services.payout_process(payout_id=payout.pk).status == PayoutStatus.PAID  # worker B
        return send(self, payout, account)

    monkeypatch.setattr(SandboxPayouts, "send_payout", slow_bank)
    payout = services.payout_process(payout_id=payout.pk)  # worker A
    assert payout.status == PayoutStatus.PAID
    assert payout.provider_ref == SandboxTransfer.objects.get().id
    assert _clearing() == 0
    assert_ledger_ok()


def test_a_payout_being_sent_without_a_recorded_destination_is_not_sent(payee, earn):
    """Sent before destinations were recorded, with details changed since (migration 0005 records the others):
    the task stops with a message; nothing is sent."""
    creator, _ = payee
    earn(creator, 10_000)
    payout = services.payout_request_create(creator=creator, diamonds=10_000)
    Payout.objects.filter(pk=payout.pk).update(status=PayoutStatus.PROCESSING)
    with pytest.raises(services.ValidationError, match="no recorded destination"):
        services.payout_process(payout_id=payout.pk)
    assert not SandboxTransfer.objects.exists()
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.PROCESSING


def test_unchanged_details_are_paid(payee, earn, django_capture_on_commit_callbacks):
    creator, _ = payee
    earn(creator, 10_000)
    with django_capture_on_commit_callbacks(execute=True):
        payout = services.payout_request_create(creator=creator, diamonds=10_000)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.review_reason == ""


# --- 2. chargeback debt ------------------------------------------------------------------------


def test_a_creator_with_a_chargeback_debt_cannot_cash_out(
    payee, earn, paid_purchase, make_creator, make_user, django_capture_on_commit_callbacks
):
    """Real flows: the creator buys coins, spends them on another creator, the payment is refunded (a debt)."""
    creator, _ = payee
    earn(creator, 20_000)
    purchase = paid_purchase(350, user=creator.user)
    other = make_creator("other")
    gift = Gift.objects.create(slug="pricey", name="Pricey", coin_cost=300, artwork="gifts/lion.svg")
    gift_send(sender=creator.user, creator=other, gift=gift)
    staff = make_user("staff@example.com", is_staff=True, is_superuser=True)
    from wallet import services as wallet_services

    with django_capture_on_commit_callbacks(execute=True):
        wallet_services.purchase_sandbox_staff_event(staff=staff, purchase=purchase, event_type="payment.refunded")
    assert CoinDebt.objects.get(user=creator.user, settled_at__isnull=True).coins == 300

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.ValidationError) as refused:
        services.payout_request_create(creator=creator, diamonds=10_000)
    assert refused.value.messages == [spend_debt_message(coins=300)]
    assert not Payout.objects.exists() and not SandboxTransfer.objects.exists()
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 20_000
    assert _clearing() == 0
    assert_ledger_ok()


# --- 3. automatic approval ---------------------------------------------------------------------


def test_fifty_fresh_accounts_gifting_one_creator_wait_for_review(payee, earn):
    creator, _ = payee
    earn(creator, 10_000, fans=50, fan_age_days=0)  # accounts made the day they gifted
    payout = services.payout_request_create(creator=creator, diamonds=10_000)
    assert payout.status == PayoutStatus.REQUESTED
    assert "100% of the diamonds of the last 30 days came from accounts under 7 days old" in payout.review_reason


def test_diamonds_from_one_sender_wait_for_review(payee, earn):
    creator, _ = payee
    earn(creator, 10_000, fans=1)
    payout = services.payout_request_create(creator=creator, diamonds=10_000)
    assert payout.status == PayoutStatus.REQUESTED
    assert "100% of the diamonds of the last 30 days came from one sender" in payout.review_reason


@pytest.mark.parametrize("flag", ["restricted", "indebted"])
def test_diamonds_from_flagged_senders_wait_for_review(payee, earn, flag):
    creator, _ = payee
    fans = earn(creator, 12_000, fans=6)
    if flag == "restricted":
        User.objects.filter(pk=fans[0].pk).update(is_frozen=True)
        expected = "2,000 diamonds of the last 30 days came from restricted accounts."
    else:
        from wallet.models import Purchase

        purchase = Purchase.objects.create(
            user=fans[0], coins=2_000, price_minor=2_800, currency="USD", provider="sandbox", status="refunded"
        )
        CoinDebt.objects.create(user=fans[0], purchase=purchase, coins=2_000)
        expected = "2,000 diamonds of the last 30 days came from senders who now owe chargeback debt."
    payout = services.payout_request_create(creator=creator, diamonds=10_000)
    assert payout.status == PayoutStatus.REQUESTED
    assert expected in payout.review_reason


@pytest.mark.parametrize("who", ["fresh", "restricted"])
def test_diamonds_from_subscriptions_count_as_their_sources_too(payee, earn, make_user, fund, settings, who):
    """Subscribers pay a creator as gift senders do: fresh or restricted accounts subscribing are looked at the same
    way before a payout is approved automatically (a stolen card can buy a subscription as well as a gift)."""
    settings.PAYOUT_HOLD_DAYS = 0  # the subscriptions are paid today: no fraud hold in this test
    creator, _ = payee
    earn(creator, 2_000, fans=8)  # some ordinary gifts from established fans
    SubscriptionPlan.objects.create(creator=creator, coins_per_month=1_000)
    for i in range(8):
        subscriber = make_user(f"sub{i}@example.com")
        fund(subscriber, 1_000)
        subscription_start(subscriber=subscriber, creator=creator)
        if who == "restricted":
            User.objects.filter(pk=subscriber.pk).update(is_frozen=True)
    if who == "fresh":  # the subscribers' accounts were made the day they subscribed (make_user: today)
        expected = "80% of the diamonds of the last 30 days came from accounts under 7 days old"
    else:
        expected = "8,000 diamonds of the last 30 days came from restricted accounts."
    payout = services.payout_request_create(creator=creator, diamonds=10_000)
    assert payout.status == PayoutStatus.REQUESTED
    assert expected in payout.review_reason


def test_automatic_approvals_stop_at_the_daily_total(payee, earn, django_capture_on_commit_callbacks):
    creator, _ = payee
    earn(creator, 40_000, fans=8)
    statuses = []
    for _ in range(3):  # $50 each; $100 a day may be approved automatically
        with django_capture_on_commit_callbacks(execute=True):
            payout = services.payout_request_create(creator=creator, diamonds=10_000)
        payout.refresh_from_db()
        statuses.append(payout.status)
    assert statuses == [PayoutStatus.PAID, PayoutStatus.PAID, PayoutStatus.REQUESTED]
    assert payout.review_reason == "Automatic approvals today would reach $150.00 (daily limit $100.00)."
    assert SandboxTransfer.objects.count() == 2
    assert_ledger_ok()


def test_staff_see_the_review_reason_in_the_list_and_on_the_review_page(payee, earn, admin_client_otp):
    creator, _ = payee
    earn(creator, 10_000, fans=1)
    payout = services.payout_request_create(creator=creator, diamonds=10_000)
    listing = admin_client_otp.get("/admin/payouts/payout/").content.decode()
    assert "came from one sender" in listing and "$50.00" in listing
    review = admin_client_otp.get(f"/admin/payouts/payout/{payout.pk}/review/").content.decode()
    assert "Why it waits for review:" in review and "came from one sender" in review


# --- 5. IBAN -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iban", "saved"),
    [
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("gb82 west 1234 5698 7654 32", "GB82WEST12345698765432"),
    ],
)
def test_valid_ibans_are_saved_compact(payee, iban, saved):
    creator, _ = payee
    services.payout_account_set(creator=creator, holder_name="Pat", iban=iban)
    assert PayoutAccount.objects.get(creator=creator).iban == saved


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 0é",  # was a 500
        "DE8937040044053201300é",
        "DE89 3704 0044 0532 0130 0000",  # too long for Germany
        "GB82 WEST 1234 5698 7654",  # too short for the UK
        "DE89370400440532013001",  # checksum
    ],
)
def test_bad_ibans_get_a_message_on_the_page_and_change_nothing(payee_client, payee, iban):
    creator, _ = payee
    before = PayoutAccount.objects.get(creator=creator).iban
    response = payee_client.post(
        "/creator/payouts/details/", {"holder_name": "Pat", "iban": iban, "sandbox_outcome": "succeed"}
    )
    assert response.status_code == 400
    assert "That IBAN is not valid" in response.content.decode()
    assert PayoutAccount.objects.get(creator=creator).iban == before
