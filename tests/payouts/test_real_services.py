"""Payouts on the real stack (PostgreSQL, Redis, real Celery workers): one payout per balance, paid at most once.

The worker is SIGKILLed mid-payout at the two places that matter, held there by a lock the test takes:
  - "before the transfer": the sandbox bank's insert of the transfer row waits on the test's uncommitted row;
  - "after the transfer": the settlement's ledger insert waits on the test's uncommitted ledger row.
The test then rolls its row back, starts a fresh worker, and the redelivered task must finish the payout exactly once.
"""

from __future__ import annotations

import pytest

from payouts import services
from payouts.models import Payout, PayoutAccount, PayoutStatus, SandboxTransfer
from wallet.models import Asset, LedgerTransaction
from wallet.selectors import wallet_balance_get

from ..concurrency import kill_worker_mid_task, run_concurrently, start_worker, wait_for
from ..wallet.conftest import assert_ledger_ok

pytestmark = [pytest.mark.postgres, pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_full_balance_requests_make_exactly_one_payout(payee, earn):
    creator, _ = payee
    earn(creator, 40_000)
    results = run_concurrently(
        [lambda: services.payout_request_create(creator=creator, diamonds=40_000) for _ in range(20)]
    )
    payouts = [r for r in results if isinstance(r, Payout)]
    refused = [r for r in results if isinstance(r, services.ValidationError)]
    assert len(payouts) == 1 and len(refused) == 19, results
    assert all("You have 0 diamonds available" in r.messages[0] for r in refused)
    assert Payout.objects.count() == 1
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert_ledger_ok()


def _hold_and_kill(payout: Payout, blocker, lock_query: str, name: str, workers) -> None:
    from payouts.tasks import payout_process_task

    kill_worker_mid_task(
        enqueue=lambda: payout_process_task.delay(payout.pk),
        blocker=blocker,
        lock_query=lock_query,
        name=name,
        workers=workers,
    )


def test_worker_killed_mid_payout_ten_times_pays_each_payout_once(
    purged_broker, workers, payee, earn, settings, make_creator, enable_2fa
):
    creator, _ = payee
    settings.PAYOUT_DAILY_LIMIT_MINOR = 10**9  # ten payouts in one test day
    earn(creator, 500_000)
    # A second creator whose bank refuses every transfer: that payout must end failed, its diamonds back.
    unlucky = make_creator("unlucky")
    enable_2fa(unlucky.user)
    account = PayoutAccount.objects.get(creator=creator)
    PayoutAccount.objects.create(
        creator=unlucky,
        provider="sandbox",
        holder_name="Una",
        iban=account.iban,
        sandbox_outcome="fail",
        changed_at=account.changed_at,
        hold_until=account.hold_until,
    )
    earn(unlucky, 10_000)
    payouts = []
    for round_ in range(10):
        outcome = "fail" if round_ == 9 else "succeed"
        who = unlucky if outcome == "fail" else creator
        payout = services.payout_request_create(creator=who, diamonds=10_000 + (0 if outcome == "fail" else round_ * 2))
        # Approve without enqueuing: the test sends the task itself, into a worker it will kill.
        Payout.objects.filter(pk=payout.pk).update(status=PayoutStatus.APPROVED)
        if round_ % 2 == 0:
            blocker = lambda p=payout: SandboxTransfer.objects.create(  # noqa: E731
                id=f"tr_blocker_{p.pk}", payout_public_id=p.public_id, amount_minor=1, currency="USD", succeeded=True
            )
            query = "%payouts_sandboxtransfer%"
        else:
            blocker = lambda p=payout: LedgerTransaction.objects.create(  # noqa: E731
                kind="payout_settle", idempotency_key=f"{p.idempotency_key}-settle"
            )
            query = "%wallet_ledgertransaction%"
        if outcome == "fail":
            blocker = lambda p=payout: LedgerTransaction.objects.create(  # noqa: E731
                kind="payout_return", idempotency_key=f"{p.idempotency_key}-return"
            )
        _hold_and_kill(payout, blocker, query, f"doomed{round_}", workers)
        assert Payout.objects.get(pk=payout.pk).status in (PayoutStatus.APPROVED, PayoutStatus.PROCESSING)
        payouts.append(payout)

    workers.append(start_worker("rescuer"))
    finished = (PayoutStatus.PAID, PayoutStatus.FAILED)
    wait_for(
        lambda: Payout.objects.filter(pk__in=[p.pk for p in payouts], status__in=finished).count() == 10,
        90,
        "every redelivered payout to finish",
    )
    for payout in payouts:
        payout.refresh_from_db()
        transfers = SandboxTransfer.objects.filter(payout_public_id=payout.public_id)
        assert transfers.count() == 1, payout  # the bank saw at most one transfer per payout
        if payout.status == PayoutStatus.PAID:
            assert transfers.get().amount_minor == payout.cash_minor == payout.diamonds // 2
            assert LedgerTransaction.objects.filter(idempotency_key=f"{payout.idempotency_key}-settle").count() == 1
    assert [p.status for p in payouts].count(PayoutStatus.PAID) == 9
    failed = payouts[-1]
    assert failed.status == PayoutStatus.FAILED
    paid_diamonds = sum(p.diamonds for p in payouts[:9])
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 500_000 - paid_diamonds
    assert wallet_balance_get(user=unlucky.user, asset=Asset.DIAMOND) == 10_000  # returned
    assert_ledger_ok()
