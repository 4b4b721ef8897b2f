"""Payout fixtures: a creator with 2FA, earned diamonds (old enough to be out of the fraud hold), details set."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import CreatorProfile, User
from gifts.models import Gift
from gifts.sending.services import gift_send
from payouts.models import Payout, PayoutAccount, PayoutStatus
from wallet.ledger import Posting, ledger_account_for_user, ledger_system_account, ledger_transaction_post
from wallet.models import Asset, LedgerTransaction, SystemAccount

from ..conftest import fresh_totp_code, otp_login


@pytest.fixture
def earn(make_user: Callable[..., User]) -> Callable[..., list[User]]:
    """``earn(creator, diamonds, days_ago=10, fans=4, fan_age_days=60)``: that many fans, each with an account
    ``fan_age_days`` old, gift the creator ``diamonds`` coins between them (1 coin = 1 diamond) ``days_ago``."""
    counter = {"n": 0}

    def earn(
        creator: CreatorProfile, diamonds: int, days_ago: int = 10, fans: int = 4, fan_age_days: int = 60
    ) -> list[User]:
        made = []
        fans = max(1, min(fans, diamonds))
        for i in range(fans):
            counter["n"] += 1
            share = diamonds // fans + (diamonds % fans if i == 0 else 0)
            fan = make_user(f"fan{counter['n']}-{creator.handle}@example.com")
            User.objects.filter(pk=fan.pk).update(date_joined=timezone.now() - timedelta(days=fan_age_days))
            ledger_transaction_post(
                kind="adjustment",
                idempotency_key=f"fan-coins-{fan.pk}",
                postings=[
                    Posting(ledger_account_for_user(user=fan, asset=Asset.COIN), share),
                    Posting(ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.COIN), -share),
                ],
            )
            gift = Gift.objects.create(
                slug=f"g{counter['n']}-{creator.handle}", name="Big gift", coin_cost=share, artwork="gifts/lion.svg"
            )
            sent = gift_send(sender=fan, creator=creator, gift=gift, now=timezone.now() - timedelta(days=days_ago))
            # The gift happened ``days_ago``: so did its ledger transaction (test scaffolding only).
            LedgerTransaction.objects.filter(reference_id=str(sent.public_id)).update(
                created_at=timezone.now() - timedelta(days=days_ago)
            )
            made.append(fan)
        return made

    return earn


@pytest.fixture
def payee(make_creator, enable_2fa) -> tuple[CreatorProfile, list[str]]:
    """A creator (account older than 30 days) with 2FA and sandbox payout details past their 48-hour hold."""
    creator = make_creator("payee")
    User.objects.filter(pk=creator.user_id).update(date_joined=timezone.now() - timedelta(days=60))
    creator.user.refresh_from_db()
    _, codes = enable_2fa(creator.user)
    PayoutAccount.objects.create(
        creator=creator,
        provider="sandbox",
        holder_name="Pat Payee",
        iban="DE89370400440532013000",
        changed_at=timezone.now() - timedelta(days=3),
        hold_until=timezone.now() - timedelta(days=1),
    )
    return creator, codes


@pytest.fixture
def payee_client(client: Client, payee) -> Client:
    creator, codes = payee
    response = otp_login(client, creator.user.email, codes[0])
    assert response.status_code == 302
    return client


def young(days: int = 15) -> datetime.date:
    return datetime.date(timezone.now().year - days, 1, 1)


@pytest.fixture
def admin_client_otp(make_user: Callable[..., User], enable_2fa: Callable[..., Any]) -> Client:
    """A second browser: an OTP-verified superuser in the admin."""
    staff = make_user("boss@example.com", is_staff=True, is_superuser=True)
    device, _ = enable_2fa(staff)
    browser = Client()
    response = otp_login(browser, staff.email, fresh_totp_code(device))
    assert response.status_code == 302
    return browser


class WorkerDied(Exception):
    """The worker running a payout's task was killed."""


def sending_when_the_worker_died(payout_id: int, *, reached_the_bank: bool = False) -> None:
    """Approve the payout if it waits for staff, then run its task until it has marked the payout "sending" and calls
    the bank, and kill the worker there: before the call reached the bank, or just after. Its task will come back."""
    from payouts.providers import SandboxPayouts, StripePayouts
    from payouts.services import payout_process

    Payout.objects.filter(pk=payout_id, status=PayoutStatus.REQUESTED).update(status=PayoutStatus.APPROVED)
    calls = {SandboxPayouts: SandboxPayouts.send_payout, StripePayouts: StripePayouts.send_payout}

    def dies(provider: type[Any]) -> Callable[..., Any]:
        def send_payout(self: Any, payout: Payout, account: PayoutAccount) -> Any:
            if reached_the_bank:
                calls[provider](self, payout, account)
            raise WorkerDied

        return send_payout

    with (
        mock.patch.object(SandboxPayouts, "send_payout", dies(SandboxPayouts)),
        mock.patch.object(StripePayouts, "send_payout", dies(StripePayouts)),
        pytest.raises(WorkerDied),
    ):
        payout_process(payout_id=payout_id)
    assert Payout.objects.get(pk=payout_id).status == PayoutStatus.PROCESSING
