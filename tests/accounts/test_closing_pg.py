"""Closing an account while money arrives, on PostgreSQL (SQLite ignores row locks): whichever commits first, the
closed account ends with nothing and the ledger balances. Closing and every late credit take the person's row first
(``wallet.services.user_lock_for_credit``), so they queue instead of interleaving."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connections, transaction

from coinshop.closing import account_close
from payouts import services as payout_services
from payouts.models import Payout, PayoutAccount, PayoutStatus
from wallet import services as wallet_services
from wallet.models import Asset, Purchase, PurchaseStatus
from wallet.selectors import wallet_balance_get

from ..concurrency import backend_waiting_on_lock, wait_for
from ..payouts import conftest as payout_fixtures
from ..wallet import conftest as wallet_fixtures
from ..wallet.conftest import assert_ledger_ok, mark_sandbox_paid

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

payee = payout_fixtures.payee
earn = payout_fixtures.earn
packages = wallet_fixtures.packages
buyer = wallet_fixtures.buyer


def _first_then_second(first: Callable[[], object], second: Callable[[], object]) -> None:
    """Run ``first`` in a transaction kept open until ``second`` (started once ``first`` did its work) waits for a
    lock ``first`` holds; then commit ``first`` and let ``second`` finish. Each runs on its own connection."""
    worked, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                worked.set()
                release.wait(30)
        except BaseException as exc:
            errors.append(exc)
            worked.set()
        finally:
            connections.close_all()

    def run_second() -> None:
        try:
            second()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    one = threading.Thread(target=run_first)
    one.start()
    assert worked.wait(30)
    two = threading.Thread(target=run_second)
    two.start()
    try:
        wait_for(lambda: backend_waiting_on_lock("%"), 30, "the second to wait for the first's row locks")
    finally:
        release.set()
        one.join(60)
        two.join(60)
    assert not errors, errors


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
        _first_then_second(close, confirm)
    else:
        _first_then_second(confirm, close)

    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.PAID
    assert wallet_balance_get(user=buyer) == 0
    assert_ledger_ok()  # includes "closed accounts hold nothing"


@pytest.mark.parametrize("first", ["closing", "failed payout"])
def test_a_payout_failing_while_the_account_closes_is_forfeited(first, payee, earn):
    creator, _ = payee
    earn(creator, 30_000)
    payout = payout_services.payout_request_create(creator=creator, diamonds=20_000)
    Payout.objects.filter(pk=payout.pk).update(status=PayoutStatus.PROCESSING)  # being sent to the bank
    PayoutAccount.objects.filter(creator=creator).update(sandbox_outcome=PayoutAccount.Outcome.FAIL)

    def close() -> None:
        account_close(user=creator.user)

    def fail() -> None:
        payout_services.payout_process(payout_id=payout.pk)

    if first == "closing":
        _first_then_second(close, fail)
    else:
        _first_then_second(fail, close)

    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.FAILED
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert_ledger_ok()
