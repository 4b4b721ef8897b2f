"""The sticker and effect shop: buying once through the ledger, the gifts' rules, inventory, effects on the next
gift or chat message. Refusals say why and write nothing."""

from __future__ import annotations

import datetime
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from gifts.chat.services import chat_message_post
from gifts.models import Event, GiftSend, Ownership, ShopItem
from gifts.sending.services import gift_send
from gifts.shop.services import ShopRefused, shop_effect_arm, shop_item_buy
from wallet.models import CoinDebt, LedgerEntry, LedgerTransaction, Purchase, SystemAccount
from wallet.selectors import wallet_balance_get
from wallet.spending import SpendRefused

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_buying_a_sticker_debits_its_price_once_and_keeps_it_for_good(client, viewer, shop_items, fund):
    fund(viewer, 100)
    wave = shop_items["wave"]
    client.force_login(viewer)
    response = client.post("/shop/buy/", {"item": wave.pk}, follow=True)
    assert _messages(response) == ["You bought the Wave sticker. It is yours for good: see your inventory."]
    assert wallet_balance_get(user=viewer) == 90
    ownership = Ownership.objects.get(user=viewer, item=wave)
    assert (ownership.coins, ownership.armed) == (10, False)
    txn = LedgerTransaction.objects.get(kind="shop")
    assert txn.idempotency_key == f"shop-{viewer.pk}-{wave.pk}"
    assert (txn.reference_type, txn.reference_id) == ("ownership", str(ownership.pk))
    sink = LedgerEntry.objects.get(transaction=txn, account__system_code=SystemAccount.COIN_SINK)
    assert sink.amount == 10
    page = response.content.decode()
    assert page.count('class="badge owned">Owned<') == 1  # the shop shows it as owned, and offers the rest
    inventory = client.get("/inventory/").content.decode()
    assert 'data-item-name="Wave"' in inventory and "🪙 10" in inventory


def test_buying_the_same_item_twice_is_refused_and_writes_nothing(client, viewer, shop_items, fund, nothing_written):
    fund(viewer, 100)
    glow = shop_items["glow"]
    shop_item_buy(buyer=viewer, item=glow)
    client.force_login(viewer)
    with nothing_written():
        response = client.post("/shop/buy/", {"item": glow.pk}, follow=True)
    assert _messages(response) == ["You already own the Glow effect: it is in your inventory."]
    with nothing_written(), pytest.raises(ShopRefused, match="You already own the Glow effect"):
        shop_item_buy(buyer=viewer, item=glow)
    assert wallet_balance_get(user=viewer) == 0


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"item": "999999"}, "That item does not exist. Pick one from the shop."),
        ({"item": "rainbow-unicorn"}, "Choose an item."),
        ({}, "Choose an item."),
    ],
)
def test_an_unknown_item_is_refused_and_writes_nothing(
    client, viewer, shop_items, fund, nothing_written, posted, message
):
    fund(viewer, 100)
    client.force_login(viewer)
    with nothing_written():
        response = client.post("/shop/buy/", posted, follow=True)
    assert _messages(response) == [message]
    with nothing_written():
        response = client.post("/shop/buy/", posted, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and response.json() == {"ok": False, "error": message, "balance": 100}


def test_not_enough_coins_says_the_price_and_writes_nothing(client, viewer, shop_items, fund, nothing_written):
    fund(viewer, 60)
    client.force_login(viewer)
    with nothing_written():
        response = client.post("/shop/buy/", {"item": shop_items["rainbow"].pk}, HTTP_ACCEPT="application/json")
    assert response.json()["error"] == "Not enough coins: the Rainbow effect costs 300 coins. Recharge to buy it."
    assert wallet_balance_get(user=viewer) == 60


def test_the_gifts_rules_for_spending_coins_apply(make_user, shop_items, fund, nothing_written):
    wave = shop_items["wave"]
    teen = make_user("teen@example.com", date_of_birth=timezone.localdate() - timedelta(days=15 * 365))
    frozen = make_user("frozen@example.com", is_frozen=True)
    owing = make_user("owing@example.com")
    purchase = Purchase.objects.create(
        user=owing, coins=70, price_minor=99, currency="USD", payment_method="card", provider="sandbox"
    )
    CoinDebt.objects.create(user=owing, purchase=purchase, coins=50)
    for person, reason in [
        (teen, "You must be 18 or older to buy or spend coins"),
        (frozen, "Your account is restricted, so it cannot buy or spend coins"),
        (owing, "Your account owes 50 coins after a refund or chargeback, so it cannot buy or spend coins"),
    ]:
        fund(person, 100)
        with nothing_written(), pytest.raises(SpendRefused) as refused:
            shop_item_buy(buyer=person, item=wave)
        assert refused.value.messages[0].startswith(reason)


def test_items_off_sale_or_outside_their_event_window_cannot_be_bought(viewer, shop_items, fund, nothing_written):
    fund(viewer, 500)
    now = timezone.now()
    event = Event.objects.create(
        name="Winter Festival", slug="winter", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=8)
    )
    snowman = ShopItem.objects.create(
        kind="sticker", name="Snowman", slug="snowman", coin_price=25, artwork="shop/snowman.svg", event=event
    )
    shop_items["fire"].active = False
    shop_items["fire"].save()
    cases = [
        (shop_items["fire"], now, "The Fire sticker is not on sale."),
        (snowman, now, "The Snowman sticker goes on sale when Winter Festival starts."),
        (
            snowman,
            now + timedelta(days=9),
            "The Snowman sticker was only on sale during Winter Festival, which has ended.",
        ),
    ]
    for item, at, message in cases:
        with nothing_written(), pytest.raises(ShopRefused, match=message):
            shop_item_buy(buyer=viewer, item=item, now=at)
    shop_item_buy(buyer=viewer, item=snowman, now=now + timedelta(days=2))
    assert wallet_balance_get(user=viewer) == 475


def test_the_shop_lists_what_is_on_sale_and_asks_visitors_to_log_in(client, shop_items):
    shop_items["shake"].active = False
    shop_items["shake"].save()
    page = client.get("/shop/").content.decode()
    assert 'data-item-name="Wave"' in page and 'data-item-name="Rainbow"' in page
    assert 'data-item-name="Shake"' not in page
    assert "Log in to buy" in page
    assert client.post("/shop/buy/", {"item": shop_items["wave"].pk})["Location"].startswith("/accounts/login/")


def test_buying_an_effect_arms_it_for_the_next_chat_message_only(viewer, creator, live, shop_items, fund):
    fund(viewer, 1000)
    shop_item_buy(buyer=viewer, item=shop_items["glow"])
    assert Ownership.objects.get(item=shop_items["glow"]).armed
    first = chat_message_post(sender=viewer, session=live, text="look at me")
    second = chat_message_post(sender=viewer, session=live, text="and now?")
    assert first.effect == shop_items["glow"] and second.effect is None
    assert not Ownership.objects.filter(armed=True).exists()
    # Buying another effect arms that one instead; the inventory arms an owned one again.
    shop_item_buy(buyer=viewer, item=shop_items["rainbow"])
    shop_effect_arm(user=viewer, item=shop_items["glow"])
    assert list(Ownership.objects.filter(armed=True).values_list("item__slug", flat=True)) == ["glow"]


def test_an_armed_effect_goes_with_the_next_gift_in_a_live_room(viewer, creator, live, shop_items, catalog, fund):
    fund(viewer, 1000)
    shop_item_buy(buyer=viewer, item=shop_items["highlight"])
    off_stream = gift_send(sender=viewer, creator=creator, gift=catalog["rose"], effect=shop_items["highlight"])
    assert off_stream.effect is None and Ownership.objects.get(item=shop_items["highlight"]).armed  # kept for a room
    in_room = gift_send(
        sender=viewer, creator=creator, gift=catalog["rose"], live_session=live, effect=shop_items["highlight"]
    )
    again = gift_send(
        sender=viewer, creator=creator, gift=catalog["rose"], live_session=live, effect=shop_items["highlight"]
    )
    assert (in_room.effect, again.effect) == (shop_items["highlight"], None)


def test_the_gift_view_applies_the_armed_effect_and_the_feed_shows_it(
    client, viewer, creator, live, shop_items, catalog, fund
):
    fund(viewer, 1000)
    shop_item_buy(buyer=viewer, item=shop_items["glow"])
    client.force_login(viewer)
    room = client.get(f"/live/{live.pk}/").content.decode()
    assert 'id="armed-effect"' in room and "<strong>Glow</strong> effect" in room
    response = client.post(
        f"/@{creator.handle}/gift/",
        {
            "gift": catalog["rose"].pk,
            "quantity": 1,
            "visibility": "public",
            "idempotency_key": uuid.uuid4(),
            "live_session": live.pk,
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.json()["message"] == "You sent 1 × Rose to Alice. ✨ Glow applied."
    assert GiftSend.objects.get().effect == shop_items["glow"]
    assert client.get(f"/live/{live.pk}/feed.json").json()["gifts"][0]["effect"] == "effect-glow"
    assert 'id="armed-effect"' not in client.get(f"/live/{live.pk}/").content.decode()


def test_the_inventory_arms_and_disarms_only_owned_effects(client, viewer, shop_items, fund):
    fund(viewer, 1000)
    shop_item_buy(buyer=viewer, item=shop_items["glow"])
    shop_item_buy(buyer=viewer, item=shop_items["wave"])
    client.force_login(viewer)
    response = client.post("/inventory/effect/", {"item": "none"}, follow=True)
    assert _messages(response) == ["No effect will be applied to your next message."]
    assert not Ownership.objects.filter(armed=True).exists()
    response = client.post("/inventory/effect/", {"item": shop_items["glow"].pk}, follow=True)
    assert _messages(response) == ["Glow will be applied to your next gift or chat message in a live room."]
    assert "On your next message" in response.content.decode()
    response = client.post("/inventory/effect/", {"item": shop_items["rainbow"].pk}, follow=True)
    assert _messages(response) == ["You do not own the Rainbow effect. Buy it in the shop first."]
    response = client.post("/inventory/effect/", {"item": shop_items["wave"].pk}, follow=True)
    assert "Only effects can be applied" in _messages(response)[0]
    response = client.post("/inventory/effect/", {"item": "999999"}, follow=True)
    assert _messages(response) == ["That item does not exist."]
    assert list(Ownership.objects.filter(armed=True).values_list("item__slug", flat=True)) == ["glow"]


def test_a_purchase_is_a_shop_transaction_in_the_wallet_history(client, viewer, shop_items, fund):
    fund(viewer, 100)
    shop_item_buy(buyer=viewer, item=shop_items["laugh"], now=timezone.now())
    entry = LedgerEntry.objects.get(account__owner=viewer, transaction__kind="shop")
    assert entry.amount == -20 and entry.transaction.memo == "Sticker: Laugh"
    assert isinstance(entry.transaction.created_at, datetime.datetime)
