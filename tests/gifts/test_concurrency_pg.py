"""Gifting under real concurrency on PostgreSQL: no overdraft, no lost diamond, no serialization on the creator.

Each thread has its own database connection (``transaction=True``); a barrier releases them together.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from gifts.models import GiftSend
from gifts.sending.services import GiftRefused, gift_send
from wallet.models import Asset, LedgerBalanceShard
from wallet.selectors import wallet_balance_get

from ..concurrency import run_concurrently
from ..wallet.conftest import assert_ledger_ok

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_gifts_from_exactly_enough_coins_succeed_once(viewer, creator, catalog, fund):
    gift = catalog["rose"]
    gift.coin_cost = 100
    gift.save()
    fund(viewer, 100)
    results = run_concurrently([lambda: gift_send(sender=viewer, creator=creator, gift=gift) for _ in range(20)])
    sent = [r for r in results if isinstance(r, GiftSend)]
    refused = [r for r in results if isinstance(r, GiftRefused)]
    assert len(sent) == 1 and len(refused) == 19, results
    assert all("Not enough coins" in r.messages[0] for r in refused)
    assert wallet_balance_get(user=viewer) == 0
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 100
    assert_ledger_ok()


def test_fifty_senders_two_hundred_concurrent_gifts_to_one_creator(client, make_user, creator, catalog, fund, settings):
    senders = [make_user(f"fan{i}@example.com") for i in range(50)]
    for sender in senders:
        fund(sender, 40)  # rose + heart + clap = 16 coins fit; the 30-coin doughnut after them does not
    gifts = [catalog["rose"], catalog["heart"], catalog["clap"], catalog["doughnut"]]

    def four_gifts(sender):  # one connection per sender (PostgreSQL allows ~100), 200 gifts in all
        outcomes = []
        for gift in gifts:
            try:
                outcomes.append(gift_send(sender=sender, creator=creator, gift=gift))
            except GiftRefused as exc:
                outcomes.append(exc)
        return outcomes

    results = [r for batch in run_concurrently([lambda s=s: four_gifts(s) for s in senders]) for r in batch]
    assert len(results) == 200
    sent = [r for r in results if isinstance(r, GiftSend)]
    errors = [r for r in results if not isinstance(r, GiftSend | GiftRefused)]
    assert not errors, errors[:3]
    total = sum(s.coins for s in sent)
    assert (len(sent), len(results) - len(sent), total) == (150, 50, 50 * 16)
    # The creator's balance, as every page and the payout check read it, equals the sum of the gifts.
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == total
    from gifts.sending.selectors import diamonds_credited_total

    assert diamonds_credited_total() == total
    assert GiftSend.objects.aggregate(t=Sum("diamonds"))["t"] == total
    # ...on the creator's wallet and earnings pages, and in the payout check (once the 7-day hold has passed).
    from payouts.selectors import creator_diamonds_summary
    from payouts.services import payout_quote

    client.force_login(creator.user)
    assert f'<strong id="diamond-balance">{total:,}</strong>' in client.get("/wallet/").content.decode()
    assert f'<strong id="diamonds-pending">{total:,}</strong>' in client.get("/creator/earnings/").content.decode()
    later = timezone.now() + timedelta(days=settings.PAYOUT_HOLD_DAYS, seconds=1)
    assert creator_diamonds_summary(creator=creator, now=later).available == total
    settings.PAYOUT_MIN_DIAMONDS = 2
    assert payout_quote(creator=creator, diamonds=total, now=later).diamonds == total
    with pytest.raises(ValidationError, match=f"You have {total:,} diamonds available to pay out."):
        payout_quote(creator=creator, diamonds=total + 2, now=later)
    # Spread over shards rather than one hot row.
    assert LedgerBalanceShard.objects.filter(account__owner=creator.user, balance__gt=0).count() > 1
    for sender in senders:
        assert wallet_balance_get(user=sender) == 40 - 16
    assert_ledger_ok()
