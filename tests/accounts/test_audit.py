"""The audit log is written by each staff action itself, in the action's own database transaction: no signal, no
receiver in another app. So it is written with the payouts app (its old keeper) not installed at all, and a staff
action that rolls back leaves no row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import AuditOutsideTransaction, audit_record
from accounts.models import AuditLog, User
from accounts.services import user_frozen_set
from wallet.ledger import ledger_adjustment_post
from wallet.models import Asset, LedgerTransaction
from wallet.selectors import wallet_balance_get

ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter with ``tests.accounts.settings_without_payouts``: migrate an in-memory database (the
# real accounts and wallet migrations: the audit table is created by accounts' own migration there), then freeze an
# account (accounts) and post a ledger correction and settle a debt (wallet), all as staff, through the services.
WITHOUT_PAYOUTS = r"""
import json, sys
import django
django.setup()
from django.apps import apps
from django.core.management import call_command
call_command("migrate", run_syncdb=True, verbosity=0, skip_checks=True)

from accounts.models import AuditLog, User
from accounts.services import user_frozen_set
from wallet.ledger import ledger_adjustment_post
from wallet.models import CoinDebt, Purchase
from wallet.services import debt_settle

staff = User.objects.create_user(email="staff@example.com", password="x", is_staff=True)
person = User.objects.create_user(email="person@example.com", password="x")
user_frozen_set(staff=staff, users=[person], frozen=True)
ledger_adjustment_post(
    staff=staff, user=person, asset="COIN", amount=70, reason="Goodwill", idempotency_key="goodwill-1"
)
purchase = Purchase.objects.create(
    user=person, coins=70, price_minor=99, currency="USD", payment_method="card", provider="sandbox"
)
debt = CoinDebt.objects.create(user=person, purchase=purchase, coins=20)
debt_settle(debt=debt, staff=staff, reason="Paid back by bank transfer")
print(json.dumps({
    "installed": sorted(app.label for app in apps.get_app_configs()),
    "imported": sorted({name.split(".")[0] for name in sys.modules} & {"payouts", "gifts", "videos"}),
    "log": list(AuditLog.objects.order_by("id").values_list("actor__email", "action", "object_type", "details")),
}))
"""


def test_staff_actions_are_audited_without_the_payouts_app_installed():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.accounts.settings_without_payouts"}
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PAYOUTS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "accounts" in result["installed"] and "wallet" in result["installed"]
    assert not {"payouts", "gifts", "videos"} & set(result["installed"])
    assert result["imported"] == []  # not installed, and not even imported by anything that ran
    assert result["log"] == [
        ["staff@example.com", "user.freeze", "user", {}],
        [
            "staff@example.com",
            "ledger.adjust",
            "ledgertransaction",
            {"user": "2", "asset": "COIN", "amount": "70", "reason": "Goodwill"},
        ],
        [
            "staff@example.com",
            "debt.settle",
            "coindebt",
            {"coins": "20", "reason": "Paid back by bank transfer"},
        ],
    ]


pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user) -> User:
    return make_user("staff@example.com", is_staff=True)


class Abandoned(Exception):
    """The work around the staff action failed after it: everything in the transaction goes."""


def test_a_staff_action_that_rolls_back_leaves_no_audit_row(staff, viewer):
    with pytest.raises(Abandoned), transaction.atomic():
        user_frozen_set(staff=staff, users=[viewer], frozen=True)
        ledger_adjustment_post(
            staff=staff, user=viewer, asset=Asset.COIN, amount=50, reason="Goodwill", idempotency_key="gw-1"
        )
        assert AuditLog.objects.count() == 2  # written inside the transaction...
        raise Abandoned

    assert AuditLog.objects.count() == 0  # ...and gone with it, as the changes are
    assert not User.objects.get(pk=viewer.pk).is_frozen
    assert wallet_balance_get(user=viewer) == 0
    assert not LedgerTransaction.objects.filter(kind="adjustment").exists()


def test_a_refused_staff_action_writes_no_audit_row(staff, viewer):
    with pytest.raises(ValidationError):
        ledger_adjustment_post(staff=staff, user=viewer, asset=Asset.COIN, amount=5, reason=" ", idempotency_key="x")
    assert not AuditLog.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_audit_row_outside_the_actions_transaction_is_a_programming_error(make_user):
    staff = make_user("staff@example.com", is_staff=True)
    with pytest.raises(AuditOutsideTransaction):
        audit_record(actor=staff, action="user.freeze", obj=staff)
    assert not AuditLog.objects.exists()
