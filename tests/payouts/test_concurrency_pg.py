"""A payout request while a gift to the same creator is on its way, on PostgreSQL (SQLite has no row locks).

The gift holds one of the creator's diamond rows; the request's debit waits for every one of them. The gift checks its
foreign keys (a key-share lock on the creator's profile) only as it commits: the request must not hold the profile
with a full lock meanwhile, or each waits on the other until PostgreSQL aborts one of them (a 500 for somebody)."""

from __future__ import annotations

import pytest

from gifts.models import GiftSend
from gifts.sending.services import gift_send
from payouts import services
from payouts.models import Payout
from wallet.models import Asset
from wallet.selectors import wallet_balance_get

from ..concurrency import first_then_second
from ..gifts import conftest as gift_fixtures
from ..wallet.conftest import assert_ledger_ok

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

catalog = gift_fixtures.catalog


@pytest.mark.parametrize("first", ["gift", "payout request"])
def test_a_payout_request_and_a_gift_in_flight_to_the_same_creator_both_go_through(
    first, payee, earn, viewer, fund, catalog
):
    creator, _ = payee
    earn(creator, 30_000)
    fund(viewer, 1_000)

    def gift() -> None:
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"])

    def request() -> None:
        services.payout_request_create(creator=creator, diamonds=30_000)

    if first == "gift":
        first_then_second(gift, request)
    else:
        first_then_second(request, gift)

    rose = catalog["rose"].coin_cost
    assert GiftSend.objects.filter(sender=viewer).count() == 1
    assert Payout.objects.get().diamonds == 30_000
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == rose  # the gift's diamonds, after the payout
    assert_ledger_ok()
