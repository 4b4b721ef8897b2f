"""Closing an account while money arrives, on PostgreSQL (SQLite ignores row locks): whichever commits first, the
closed account ends with nothing and the ledger balances. Closing and every late credit take the person's row first
(``wallet.services.user_lock_for_credit``), so they queue instead of interleaving."""

from __future__ import annotations

import pytest

from coinshop.closing import account_close
from gifts.models import GiftSend, SubscriptionPlan
from gifts.sending.services import GiftRefused, gift_send
from gifts.subscriptions.services import SubscriptionRefused, subscription_start
from payouts import services as payout_services
from payouts.models import Payout, PayoutAccount, PayoutStatus
from wallet import services as wallet_services
from wallet.models import Asset, Purchase, PurchaseStatus
from wallet.selectors import wallet_balance_get

from ..concurrency import first_then_second
from ..gifts import conftest as gift_fixtures
from ..payouts import conftest as payout_fixtures
from ..payouts.conftest import sending_when_the_worker_died
from ..wallet import conftest as wallet_fixtures
from ..wallet.conftest import assert_ledger_ok, mark_sandbox_paid

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

payee = payout_fixtures.payee
earn = payout_fixtures.earn
packages = wallet_fixtures.packages
buyer = wallet_fixtures.buyer
catalog = gift_fixtures.catalog


@pytest.mark.parametrize("first", ["closing", "confirmation"])
def test_a_payment_confirmed_while_the_account_closes_is_forfeited(first, buyer, packages):
    quote = wallet_services.recharge_quote(package_id=packages[350].pk, custom_coins=None, payment_method="card")
    purchase = wallet_services.purchase_create(user=buyer, quote=quote)
    wallet_services.purchase_checkout_start(purchase=purchase, base_url="http://testserver")
    purchase.refresh_from_db()
    mark_sandbox_paid(purchase)

    def close() -> None:
        account_close(user=buyer)

    def confirm() -> None:
        wallet_services.purchase_confirm(purchase_id=purchase.pk)

    if first == "closing":
        first_then_second(close, confirm)
    else:
        first_then_second(confirm, close)

    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.PAID
    assert wallet_balance_get(user=buyer) == 0
    assert_ledger_ok()  # includes "closed accounts hold nothing"


@pytest.mark.parametrize("first", ["closing", "failed payout"])
def test_a_payout_failing_while_the_account_closes_is_forfeited(first, payee, earn):
    creator, _ = payee
    earn(creator, 30_000)
    PayoutAccount.objects.filter(creator=creator).update(sandbox_outcome=PayoutAccount.Outcome.FAIL)
    payout = payout_services.payout_request_create(creator=creator, diamonds=20_000)
    sending_when_the_worker_died(payout.pk)  # being sent to the bank (to the details recorded then)

    def close() -> None:
        account_close(user=creator.user)

    def fail() -> None:
        payout_services.payout_process(payout_id=payout.pk)

    if first == "closing":
        first_then_second(close, fail)
    else:
        first_then_second(fail, close)

    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.FAILED
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert_ledger_ok()


@pytest.mark.parametrize("earned", [False, True], ids=["first-earnings", "has-earned"])
@pytest.mark.parametrize("first", ["closing", "gift"])
def test_a_gift_sent_while_the_creator_closes_their_account_never_reaches_the_closed_account(
    first, earned, viewer, make_creator, catalog, fund, make_user
):
    """The gift passed its "does this creator accept gifts" check before the closing committed; the closing holds
    the creator's diamond rows. Closing first: the gift is refused when it gets the rows, and the viewer keeps the
    coins. Gift first: the closing forfeits its diamonds with the rest. Either way, neither waits on the other in a
    cycle (the gift's foreign keys are checked at its commit, on rows the closing holds)."""
    creator = make_creator("mira")
    if earned:  # the creator's diamond account exists already
        fan = make_user("fan@example.com")
        fund(fan, 100)
        gift_send(sender=fan, creator=creator, gift=catalog["rose"])
    fund(viewer, 1_000)
    refused: list[str] = []

    def close() -> None:
        account_close(user=creator.user)

    def send() -> None:
        try:
            gift_send(sender=viewer, creator=creator, gift=catalog["rose"])
        except GiftRefused as exc:
            refused.append(exc.messages[0])

    if first == "closing":
        first_then_second(close, send)
        assert refused == ["Mira does not accept gifts right now."]
        assert wallet_balance_get(user=viewer) == 1_000  # not charged
        assert not GiftSend.objects.filter(sender=viewer).exists()
    else:
        first_then_second(send, close)
        assert refused == [] and GiftSend.objects.filter(sender=viewer).count() == 1
        assert wallet_balance_get(user=viewer) == 1_000 - catalog["rose"].coin_cost
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert_ledger_ok()  # includes "closed accounts hold nothing"


def test_a_subscription_started_while_the_creator_closes_their_account_is_refused(viewer, make_creator, fund):
    creator = make_creator("mira")
    SubscriptionPlan.objects.create(creator=creator, coins_per_month=100)
    fund(viewer, 1_000)
    refused: list[str] = []

    def subscribe() -> None:
        try:
            subscription_start(subscriber=viewer, creator=creator)
        except SubscriptionRefused as exc:
            refused.append(exc.messages[0])

    first_then_second(lambda: account_close(user=creator.user), subscribe)
    assert refused == ["Mira does not offer a subscription right now."]
    assert wallet_balance_get(user=viewer) == 1_000
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert_ledger_ok()
