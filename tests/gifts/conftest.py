from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import CreatorProfile, User
from gifts.models import Event, Gift, LiveSession
from wallet.ledger import Posting, ledger_account_for_user, ledger_system_account, ledger_transaction_post
from wallet.models import Asset, SystemAccount


@pytest.fixture
def catalog(db: None) -> dict[str, Gift]:
    from gifts.demo import GIFTS

    gifts = {
        slug: Gift.objects.create(slug=slug, name=name, coin_cost=cost, artwork=f"gifts/{slug}.svg")
        for slug, name, cost in GIFTS
    }
    now = timezone.now()
    event = Event.objects.create(
        name="Winter Festival", slug="winter", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)
    )
    gifts["snowflake"] = Gift.objects.create(
        slug="snowflake", name="Snowflake", coin_cost=100, artwork="gifts/snowflake.svg", event=event
    )
    return gifts


@pytest.fixture
def fund() -> Callable[[User, int], None]:
    """Give someone coins (a staff adjustment: the gifts tests are not about buying)."""
    counter = {"n": 0}

    def fund(user: User, coins: int) -> None:
        counter["n"] += 1
        ledger_transaction_post(
            kind="adjustment",
            idempotency_key=f"fund-{user.pk}-{counter['n']}-{coins}",
            postings=[
                Posting(ledger_account_for_user(user=user, asset=Asset.COIN), coins),
                Posting(ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.COIN), -coins),
            ],
        )

    return fund


@pytest.fixture
def creator(make_creator: Callable[..., CreatorProfile]) -> CreatorProfile:
    return make_creator("alice")


@pytest.fixture
def live(creator: CreatorProfile) -> LiveSession:
    return LiveSession.objects.create(creator=creator, title="Evening songs")
