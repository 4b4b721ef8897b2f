"""One spending rule (``wallet.spending.spend_check``), asked by every entry point: a frozen, an under-18, an indebted
and an over-budget person are refused the same way, with the same words, by recharges, gifts (on a profile and in a
live room), the shop, chat effects, subscriptions (start and renewal) and payouts, and nothing is written."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import CreatorProfile, User
from gifts.chat.services import chat_message_post
from gifts.models import Gift, LiveSession, Ownership, ShopItem, Subscription, SubscriptionPlan, SubscriptionStatus
from gifts.sending.services import gift_send
from gifts.shop.services import shop_effect_arm, shop_item_buy
from gifts.subscriptions.renewals import subscription_renew
from gifts.subscriptions.services import subscription_start
from payouts.models import Payout, PayoutAccount
from payouts.services import payout_request_create
from wallet import services as wallet_services
from wallet.models import CoinDebt, LedgerTransaction, Purchase
from wallet.selectors import wallet_balance_get

PEOPLE = ["frozen", "minor", "indebted", "over_budget"]
EXPECTED = {
    "frozen": "Your account is restricted, so it cannot buy or spend coins or receive payouts. Contact support.",
    "minor": "You must be 18 or older to buy or spend coins, or to receive payouts.",
    "indebted": (
        "Your account owes 40 coins after a refund or chargeback, so it cannot buy or spend coins or receive payouts "
        "until that is settled. Contact support."
    ),
    "over_budget": "This is over your monthly budget: ",
}


@pytest.fixture
def world(
    make_creator: Callable[..., CreatorProfile], enable_2fa: Callable[..., Any], fund: Callable[[User, int], None]
) -> dict[str, Any]:
    star = make_creator("star")
    SubscriptionPlan.objects.create(creator=star, coins_per_month=100, name="Fan club")
    return {
        "star": star,
        "rose": Gift.objects.create(slug="rose", name="Rose", coin_cost=100, artwork="gifts/rose.svg"),
        "sticker": ShopItem.objects.create(
            slug="wave", name="Wave", kind="sticker", coin_price=100, artwork="shop/wave.svg"
        ),
        "effect": ShopItem.objects.create(
            slug="sparkle", name="Sparkle", kind="effect", coin_price=100, artwork="shop/glow.svg", effect_style="glow"
        ),
        "live": LiveSession.objects.create(creator=star),
        "enable_2fa": enable_2fa,
        "fund": fund,
    }


def _person(kind: str, make_creator: Callable[..., CreatorProfile], world: dict[str, Any]) -> User:
    """A creator too (payouts are an entry point), with 2FA, payout details past their hold and 1,000 coins."""
    profile = make_creator(f"p-{kind.replace('_', '-')}")
    user = profile.user
    world["enable_2fa"](user)
    PayoutAccount.objects.create(
        creator=profile,
        provider="sandbox",
        holder_name="Pat",
        iban="DE89370400440532013000",
        changed_at=timezone.now() - timedelta(days=3),
        hold_until=timezone.now() - timedelta(days=1),
    )
    world["fund"](user, 1_000)
    if kind == "frozen":
        User.objects.filter(pk=user.pk).update(is_frozen=True)
    elif kind == "minor":
        User.objects.filter(pk=user.pk).update(date_of_birth=datetime.date(timezone.now().year - 16, 1, 1))
    elif kind == "indebted":
        purchase = Purchase.objects.create(
            user=user, coins=70, price_minor=99, currency="USD", payment_method="card", provider="sandbox"
        )
        CoinDebt.objects.create(user=user, purchase=purchase, coins=40)
    elif kind == "over_budget":
        gift_send(sender=user, creator=world["star"], gift=world["rose"])  # 100 coins ≈ 1.45 USD
        wallet_services.budget_set(user=user, limit_minor=100)  # lowered to 1.00 USD: applies at once
    user.refresh_from_db()
    return user


def _renew(user: User, world: dict[str, Any]) -> None:
    """A subscription started last month comes up for renewal: it lapses, with the refusal as its reason."""
    now = timezone.now()
    subscription = Subscription.objects.create(
        subscriber=user,
        plan=world["star"].subscription_plan,
        status=SubscriptionStatus.ACTIVE,
        coins_per_month=100,
        current_period_start=now - timedelta(days=31),
        current_period_end=now - timedelta(minutes=1),
        next_renewal_at=now - timedelta(minutes=1),
    )
    outcome = subscription_renew(subscription_id=subscription.pk)
    assert outcome == "lapsed"
    subscription.refresh_from_db()
    raise ValidationError(subscription.lapse_reason)  # what the subscriptions page and the lapse email say


def _chat_with_effect(user: User, world: dict[str, Any]) -> None:
    Ownership.objects.create(user=user, item=world["effect"], coins=100, armed=True)
    chat_message_post(sender=user, session=world["live"], text="hello")


ENTRY_POINTS: dict[str, Callable[[User, dict[str, Any]], object]] = {
    "recharge": lambda user, w: wallet_services.purchase_create(
        user=user, quote=wallet_services.recharge_quote(package_id=None, custom_coins=100, payment_method="card")
    ),
    "gift on a profile": lambda user, w: gift_send(sender=user, creator=w["star"], gift=w["rose"]),
    "gift in a live room": lambda user, w: gift_send(
        sender=user, creator=w["star"], gift=w["rose"], live_session=w["live"]
    ),
    "shop": lambda user, w: shop_item_buy(buyer=user, item=w["sticker"]),
    "arming an owned effect": lambda user, w: (
        Ownership.objects.create(user=user, item=w["effect"], coins=100),
        shop_effect_arm(user=user, item=w["effect"]),
    ),
    "chat effect": _chat_with_effect,
    "subscription": lambda user, w: subscription_start(subscriber=user, creator=w["star"]),
    "subscription renewal": _renew,
    "payout": lambda user, w: payout_request_create(creator=user.creator, diamonds=1_000),
}


def _state(user: User) -> tuple[object, ...]:
    return (
        wallet_balance_get(user=user),
        LedgerTransaction.objects.count(),
        Purchase.objects.filter(status="pending").count(),
        Payout.objects.count(),
        Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).count(),
    )


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("kind", PEOPLE)
def test_every_entry_point_refuses_the_same_way(make_creator, world, kind, entry):
    if entry == "payout" and kind == "over_budget":
        pytest.skip("a budget limits spending, not cashing out")
    person = _person(kind, make_creator, world)
    if entry == "payout":  # earned diamonds out of their hold
        User.objects.filter(pk=person.pk).update(date_joined=timezone.now() - timedelta(days=60))
    before = _state(person)
    with pytest.raises(ValidationError) as refused:
        ENTRY_POINTS[entry](person, world)
    words = " ".join(refused.value.messages)
    assert EXPECTED[kind] in words
    if entry == "subscription renewal":  # the lapse email says why; the subscription it made for the test lapsed
        assert Subscription.objects.get(subscriber=person).status == SubscriptionStatus.LAPSED
    else:
        assert _state(person) == before


def test_the_budget_message_names_what_is_left_and_a_person_within_it_may_spend(make_creator, world):
    person = _person("over_budget", make_creator, world)
    with pytest.raises(ValidationError, match=r"over your monthly budget: .*0\.00.* is left this month"):
        shop_item_buy(buyer=person, item=world["sticker"])
    wallet_services.budget_set(user=person, limit_minor=500, now=timezone.now() - timedelta(days=2))
    # 5.00 USD a month, 100 coins (1.45) spent: 3.55 left, so a second Rose (1.45) fits and a sixth would not
    gift_send(sender=person, creator=world["star"], gift=world["rose"])
    gift_send(sender=person, creator=world["star"], gift=world["rose"])
    with pytest.raises(ValidationError, match=r"0\.65"):
        gift_send(sender=person, creator=world["star"], gift=world["rose"])
    assert wallet_balance_get(user=person) == 700


def test_a_person_in_good_standing_passes_every_entry_point(make_creator, world):
    person = _person("ok", make_creator, world)
    gift_send(sender=person, creator=world["star"], gift=world["rose"])
    shop_item_buy(buyer=person, item=world["sticker"])
    shop_item_buy(buyer=person, item=world["effect"])
    chat_message_post(sender=person, session=world["live"], text="hello")
    subscription_start(subscriber=person, creator=world["star"])
    wallet_services.purchase_create(
        user=person, quote=wallet_services.recharge_quote(package_id=None, custom_coins=100, payment_method="card")
    )
    assert wallet_balance_get(user=person) == 600
