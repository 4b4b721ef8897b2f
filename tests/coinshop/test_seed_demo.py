"""``manage.py seed_demo``: the demo people and catalog, printed logins, and safe to run again."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from wallet.invariants import ledger_check

pytestmark = pytest.mark.django_db

COUNTED = [
    "accounts.User",
    "accounts.CreatorProfile",
    "wallet.CoinPackage",
    "wallet.LedgerTransaction",
    "gifts.Gift",
    "gifts.Event",
    "gifts.ShopItem",
    "gifts.SubscriptionPlan",
    "gifts.LiveSession",
]


def _counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in COUNTED}


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_loads_people_and_catalog_prints_logins_and_can_run_again():
    printed = _seed()
    first = _counts()
    assert "Demo logins" in printed and "@" in printed
    from wallet.models import CoinPackage

    assert sorted(CoinPackage.objects.values_list("coins", flat=True)) == [70, 350, 700, 1400, 3500, 7000, 17500]
    assert first["gifts.Gift"] >= 12 and first["gifts.ShopItem"] >= 9 and first["gifts.SubscriptionPlan"] == 2
    assert apps.get_model("accounts.User").objects.filter(is_staff=True).exists()
    from gifts.models import SubscriptionPlan

    assert list(
        SubscriptionPlan.objects.get(creator__handle="alice").subscriber_gifts.values_list("slug", flat=True)
    ) == ["crown"]
    _seed()
    assert _counts() == first  # nothing added twice
    assert ledger_check().ok


def test_seed_demo_prepares_a_creator_who_can_request_a_payout_and_prints_the_logins_last():
    from accounts.models import CreatorProfile
    from payouts import services as payout_services
    from payouts.models import PayoutStatus
    from payouts.selectors import creator_diamonds_summary

    printed = _seed().rstrip().splitlines()
    logins_at = next(i for i, line in enumerate(printed) if "Demo logins" in line)
    assert all("@coinshop.local" in line or "2FA" in line for line in printed[logins_at + 1 :])
    assert "staff 2FA" in printed[-1]
    assert any("@chloe has 15,000 diamonds past their hold" in line for line in printed[:logins_at])

    chloe = CreatorProfile.objects.get(handle="chloe")
    assert creator_diamonds_summary(creator=chloe).available == 15_000
    payout = payout_services.payout_request_create(creator=chloe, diamonds=15_000)
    assert (payout.status, payout.cash_minor) == (PayoutStatus.REQUESTED, 7_500)  # one patron: staff review it
    assert ledger_check().ok
