"""Payout fixtures: a creator with 2FA, earned diamonds (old enough to be out of the fraud hold), details set."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import CreatorProfile, User
from gifts.models import Gift
from gifts.sending.services import gift_send
from payouts.models import PayoutAccount
from wallet.ledger import Posting, ledger_account_for_user, ledger_system_account, ledger_transaction_post
from wallet.models import Asset, LedgerTransaction, SystemAccount

from ..conftest import otp_login


@pytest.fixture
def earn(make_user: Callable[..., User]) -> Callable[..., None]:
    """``earn(creator, diamonds, days_ago=10)``: a fan gifts that many coins (1 coin = 1 diamond) that long ago."""
    counter = {"n": 0}

    def earn(creator: CreatorProfile, diamonds: int, days_ago: int = 10) -> None:
        counter["n"] += 1
        fan = make_user(f"fan{counter['n']}-{creator.handle}@example.com")
        ledger_transaction_post(
            kind="adjustment",
            idempotency_key=f"fan-coins-{fan.pk}",
            postings=[
                Posting(ledger_account_for_user(user=fan, asset=Asset.COIN), diamonds),
                Posting(ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.COIN), -diamonds),
            ],
        )
        gift = Gift.objects.create(
            slug=f"g{counter['n']}-{creator.handle}", name="Big gift", coin_cost=diamonds, artwork="gifts/lion.svg"
        )
        sent = gift_send(sender=fan, creator=creator, gift=gift, now=timezone.now() - timedelta(days=days_ago))
        # The gift happened ``days_ago``: so did its ledger transaction (test scaffolding only).
        LedgerTransaction.objects.filter(reference_id=str(sent.public_id)).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )

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
