"""Payout requests, review and processing, exact to the cent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditLog
from payouts import services
from payouts.models import Payout, PayoutAccount, PayoutStatus, SandboxTransfer
from payouts.selectors import creator_diamonds_summary
from wallet.models import Asset
from wallet.selectors import wallet_balance_get

from ..wallet.conftest import assert_ledger_ok

pytestmark = pytest.mark.django_db


def test_diamonds_from_the_last_7_days_are_pending_and_shown_apart(payee, earn):
    creator, _ = payee
    earn(creator, 12_000, days_ago=10)
    earn(creator, 3_000, days_ago=2)
    summary = creator_diamonds_summary(creator=creator)
    assert (summary.balance, summary.available, summary.pending) == (15_000, 12_000, 3_000)
    assert summary.available_cash == Decimal("60.00")


def test_request_moves_diamonds_to_clearing_and_staff_approval_pays_exactly(
    payee, earn, make_user, django_capture_on_commit_callbacks
):
    creator, _ = payee
    earn(creator, 30_001)
    staff = make_user("staff@example.com", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        payout = services.payout_request_create(creator=creator, diamonds=30_001)
    assert (payout.diamonds, payout.cash_minor, payout.rate) == (
        30_000,
        15_000,
        Decimal("0.005"),
    )  # rounded to whole cents
    assert payout.status == PayoutStatus.REQUESTED  # $150 is above the automatic-approval amount
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.payout_approve(payout=payout, staff=staff)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    transfer = SandboxTransfer.objects.get()
    assert (transfer.amount_minor, transfer.currency) == (15_000, "USD")
    assert Decimal(payout.diamonds) * payout.rate == payout.cash == Decimal("150.00")
    assert [e.status for e in payout.events.all()] == ["requested", "approved", "processing", "paid"]
    assert payout.events.get(status="approved").actor == staff
    assert AuditLog.objects.get(action="payout.approve").actor == staff
    assert [m.subject for m in mail.outbox][-1] == "[Coinshop] Payout paid"
    assert_ledger_ok()


def test_the_rate_is_snapshotted_on_the_request_and_a_later_change_does_not_touch_it(
    payee, earn, make_user, settings, django_capture_on_commit_callbacks
):
    creator, _ = payee
    earn(creator, 50_000)
    settings.DIAMOND_CASH_VALUE = Decimal("0.0043")  # 100 diamonds are 43 cents: requests round down to whole cents
    payout = services.payout_request_create(creator=creator, diamonds=33_333)
    assert (payout.rate, payout.diamonds, payout.cash) == (Decimal("0.0043"), 33_300, Decimal("143.19"))
    assert Decimal(payout.diamonds) * payout.rate == payout.cash  # exact, to the cent
    assert payout.cash_minor == int(Decimal(payout.diamonds) * Decimal("0.43"))
    settings.DIAMOND_CASH_VALUE = Decimal("0.01")  # the operator doubles the rate before staff approve
    staff = make_user("staff@example.com", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.payout_approve(payout=payout, staff=staff)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.rate == Decimal("0.0043")
    assert SandboxTransfer.objects.get().amount_minor == payout.cash_minor  # paid at the snapshotted rate
    assert_ledger_ok()


def test_small_request_from_an_established_creator_is_approved_and_paid_automatically(
    payee, earn, django_capture_on_commit_callbacks
):
    creator, _ = payee
    earn(creator, 10_000)
    with django_capture_on_commit_callbacks(execute=True):
        payout = services.payout_request_create(creator=creator, diamonds=10_000)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.cash_minor == 5_000
    assert payout.events.get(status="approved").note == "Approved automatically."
    assert_ledger_ok()


def test_new_creators_always_wait_for_staff(payee, earn):
    creator, _ = payee
    creator.user.date_joined = timezone.now() - timedelta(days=5)
    creator.user.save()
    earn(creator, 10_000)
    payout = services.payout_request_create(creator=creator, diamonds=10_000)
    assert payout.status == PayoutStatus.REQUESTED


def test_failed_transfer_returns_the_diamonds(payee, earn, django_capture_on_commit_callbacks):
    creator, _ = payee
    PayoutAccount.objects.filter(creator=creator).update(sandbox_outcome="fail")
    earn(creator, 10_000)
    with django_capture_on_commit_callbacks(execute=True):
        payout = services.payout_request_create(creator=creator, diamonds=10_000)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert "rejected the transfer" in payout.failure_reason
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 10_000
    assert_ledger_ok()


def test_rejection_needs_a_reason_and_returns_the_diamonds(payee, earn, make_user):
    creator, _ = payee
    earn(creator, 40_000)
    staff = make_user("staff@example.com", is_staff=True)
    payout = services.payout_request_create(creator=creator, diamonds=40_000)
    with pytest.raises(services.ValidationError, match="Give the creator a reason"):
        services.payout_reject(payout=payout, staff=staff, reason="  ")
    services.payout_reject(payout=payout, staff=staff, reason="Suspicious gifts from new accounts")
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REJECTED
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 40_000
    with pytest.raises(services.ValidationError, match="only waiting ones"):
        services.payout_approve(payout=payout, staff=staff)
    assert_ledger_ok()


def test_nobody_approves_their_own_payout(payee, earn):
    creator, _ = payee
    creator.user.is_staff = True
    creator.user.save()
    earn(creator, 40_000)
    payout = services.payout_request_create(creator=creator, diamonds=40_000)
    with pytest.raises(services.ValidationError, match="Nobody may approve their own payout"):
        services.payout_approve(payout=payout, staff=creator.user)


@pytest.mark.parametrize(
    ("diamonds", "message"),
    [
        (9_998, "The minimum payout is 10,000 diamonds ($50.00)."),
        (25_000, "You have 20,000 diamonds available to pay out. 3,000 more are on hold for 7 days."),
        (0, "Enter a whole number of diamonds."),
    ],
)
def test_requests_outside_the_limits_are_refused_with_a_message(payee, earn, diamonds, message):
    creator, _ = payee
    earn(creator, 20_000)
    earn(creator, 3_000, days_ago=1)
    with pytest.raises(services.ValidationError) as refused:
        services.payout_request_create(creator=creator, diamonds=diamonds)
    assert refused.value.messages == [message]
    assert not Payout.objects.exists()
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 23_000


def test_daily_limit_of_1000_dollars(payee, earn, settings):
    creator, _ = payee
    earn(creator, 300_000)
    services.payout_request_create(creator=creator, diamonds=190_000)  # $950
    with pytest.raises(services.ValidationError, match=r"daily payout limit is \$1,000.00; \$50.00 is left today"):
        services.payout_request_create(creator=creator, diamonds=20_000)
    services.payout_request_create(creator=creator, diamonds=10_000)  # exactly $50 more is fine
    assert_ledger_ok()


def test_changed_details_hold_payouts_for_48_hours_and_email(payee, earn, django_capture_on_commit_callbacks):
    creator, _ = payee
    earn(creator, 20_000)
    with django_capture_on_commit_callbacks(execute=True):
        services.payout_account_set(creator=creator, holder_name="Pat", iban="GB82 WEST 1234 5698 7654 32")
    assert mail.outbox[-1].subject == "[Coinshop] Your payout details changed"
    with pytest.raises(services.ValidationError, match="payouts resume on"):
        services.payout_request_create(creator=creator, diamonds=10_000)
    later = timezone.now() + timedelta(hours=48, minutes=1)
    assert services.payout_request_create(creator=creator, diamonds=10_000, now=later).diamonds == 10_000


@pytest.mark.parametrize("iban", ["DE89370400440532013001", "XX00", "DE89 3704 0044 0532 0130 0!", ""])
def test_bad_ibans_are_refused(payee, iban):
    creator, _ = payee
    before = PayoutAccount.objects.get(creator=creator).iban
    with pytest.raises(services.ValidationError):
        services.payout_account_set(creator=creator, holder_name="Pat", iban=iban)
    assert PayoutAccount.objects.get(creator=creator).iban == before


def test_creators_without_2fa_cannot_request(make_creator, earn):
    creator = make_creator("no2fa")
    earn(creator, 20_000)
    with pytest.raises(services.ValidationError, match="Turn on two-factor authentication"):
        services.payout_request_create(creator=creator, diamonds=10_000)
