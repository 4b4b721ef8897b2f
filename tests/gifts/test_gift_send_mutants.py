"""Gift send, held to what mutation testing (``make mutation``, tests/MUTATION.md) found untested: the service's own
limits (not only the form's), subscriber gifts, effects, and what each ledger transaction records. The undo window is
in test_gift_undo_mutants.py."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gifts.models import GiftSend, GiftSendStatus, LiveSession
from gifts.sending.services import GiftRefused, gift_diamonds_for, gift_send, gift_undo
from wallet.invariants import ledger_check
from wallet.ledger import ledger_account_for_user, ledger_system_account
from wallet.models import Asset, LedgerEntry, LedgerTransaction, SystemAccount
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


def _ok() -> None:
    report = ledger_check()
    assert report.ok, report.violations


def _balances(viewer, creator) -> tuple[int, int]:
    return wallet_balance_get(user=viewer), wallet_balance_get(user=creator.user, asset=Asset.DIAMOND)


@pytest.mark.parametrize("quantity", [0, -1, 100, 10**6, True, 2.0, "3", None])
def test_the_service_refuses_a_quantity_outside_1_to_99_whatever_the_form_did(
    viewer, creator, catalog, fund, quantity
) -> None:
    fund(viewer, 10_000)
    with pytest.raises(GiftRefused, match="Choose a quantity from 1 to 99"):
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"], quantity=quantity)
    assert _balances(viewer, creator) == (10_000, 0)
    assert not GiftSend.objects.exists() and not LedgerTransaction.objects.filter(kind="gift").exists()


@pytest.mark.parametrize("quantity", [1, 99])
def test_the_service_sends_1_and_99(viewer, creator, catalog, fund, quantity) -> None:
    fund(viewer, 200)
    send = gift_send(sender=viewer, creator=creator, gift=catalog["rose"], quantity=quantity)
    assert (send.quantity, send.coins, send.diamonds) == (quantity, quantity, quantity)
    assert _balances(viewer, creator) == (200 - quantity, quantity)
    _ok()


def test_the_maximum_follows_the_setting(viewer, creator, catalog, fund, settings) -> None:
    settings.GIFT_MAX_QUANTITY = 5
    fund(viewer, 100)
    with pytest.raises(GiftRefused, match="Choose a quantity from 1 to 5"):
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"], quantity=6)
    assert gift_send(sender=viewer, creator=creator, gift=catalog["rose"], quantity=5).coins == 5


def test_diamonds_per_coin_follow_the_setting(viewer, creator, catalog, fund, settings) -> None:
    settings.DIAMONDS_PER_COIN = 2
    assert gift_diamonds_for(coins=7) == 14
    fund(viewer, 100)
    send = gift_send(sender=viewer, creator=creator, gift=catalog["clap"], quantity=2)
    assert (send.coins, send.diamonds) == (20, 40)
    assert _balances(viewer, creator) == (80, 40)


def test_a_visibility_other_than_public_or_anonymous_is_refused(viewer, creator, catalog, fund) -> None:
    fund(viewer, 100)
    with pytest.raises(GiftRefused, match="Choose public or anonymous"):
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"], visibility="secret")
    assert _balances(viewer, creator) == (100, 0)
    anonymous = gift_send(sender=viewer, creator=creator, gift=catalog["rose"], visibility="anonymous")
    assert anonymous.visibility == "anonymous"
    default = gift_send(sender=viewer, creator=creator, gift=catalog["rose"])
    assert default.visibility == viewer.default_gift_visibility == "public"


def test_a_creator_who_does_not_accept_gifts_or_is_inactive_gets_none(viewer, creator, catalog, fund) -> None:
    fund(viewer, 100)
    creator.accepts_gifts = False
    creator.save()
    with pytest.raises(GiftRefused, match="does not accept gifts"):
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"])
    creator.accepts_gifts = True
    creator.save()
    creator.user.is_active = False
    creator.user.save()
    with pytest.raises(GiftRefused, match="does not accept gifts"):
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"])
    assert _balances(viewer, creator) == (100, 0)


def test_a_gift_in_a_live_room_needs_that_creators_room_still_live(
    viewer, creator, make_creator, catalog, fund
) -> None:
    fund(viewer, 100)
    other = make_creator("bob")
    others_room = LiveSession.objects.create(creator=other, title="Bob's")
    with pytest.raises(GiftRefused, match="This live stream has ended"):
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"], live_session=others_room)
    ended = LiveSession.objects.create(creator=creator, title="Done", ended_at=timezone.now())
    with pytest.raises(GiftRefused, match="This live stream has ended"):
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"], live_session=ended)
    assert _balances(viewer, creator) == (100, 0)
    room = LiveSession.objects.create(creator=creator, title="Live")
    send = gift_send(sender=viewer, creator=creator, gift=catalog["rose"], live_session=room)
    assert send.live_session_id == room.pk


def test_not_enough_coins_names_the_price(viewer, creator, catalog, fund) -> None:
    fund(viewer, 4)
    with pytest.raises(GiftRefused, match="this gift costs 10 coins") as refused:
        gift_send(sender=viewer, creator=creator, gift=catalog["clap"])
    assert refused.value.code == "insufficient_funds"
    with pytest.raises(GiftRefused, match="this gift costs 5 coins"):
        gift_send(sender=viewer, creator=creator, gift=catalog["heart"])
    assert _balances(viewer, creator) == (4, 0)
    assert not GiftSend.objects.exists()


# --- what the ledger records -----------------------------------------------------------------------------------------


def test_a_gift_and_its_undo_record_their_reference_key_and_entries(viewer, creator, catalog, fund) -> None:
    fund(viewer, 3000)
    now = timezone.now()
    key = uuid.uuid4()
    send = gift_send(sender=viewer, creator=creator, gift=catalog["crown"], idempotency_key=key, now=now)
    assert send.public_id == key
    sent = LedgerTransaction.objects.get(kind="gift")
    assert (sent.idempotency_key, sent.reference_type, sent.reference_id) == (f"gift-{key}", "gift_send", str(key))
    assert sent.created_by_id is None
    coin = ledger_account_for_user(user=viewer, asset=Asset.COIN)
    diamonds = ledger_account_for_user(user=creator.user, asset=Asset.DIAMOND)
    sink = ledger_system_account(code=SystemAccount.COIN_SINK)
    issuance = ledger_system_account(code=SystemAccount.DIAMOND_ISSUANCE)
    expected = {(coin.pk, -1000), (sink.pk, 1000), (diamonds.pk, 1000), (issuance.pk, -1000)}
    assert set(LedgerEntry.objects.filter(transaction=sent).values_list("account_id", "amount")) == expected
    gift_undo(send=send, by=viewer, now=now + timedelta(seconds=1))
    undone = LedgerTransaction.objects.get(kind="gift_undo")
    assert (undone.idempotency_key, undone.reference_type, undone.reference_id) == (
        f"gift-{key}-undo",
        "gift_send",
        str(key),
    )
    negated = {(account, -amount) for account, amount in expected}
    assert set(LedgerEntry.objects.filter(transaction=undone).values_list("account_id", "amount")) == negated
    assert GiftSend.objects.get(pk=send.pk).status == GiftSendStatus.CANCELLED
    _ok()


def test_the_same_key_from_the_same_sender_sends_once_and_from_another_is_refused(
    viewer, make_user, creator, catalog, fund
) -> None:
    fund(viewer, 100)
    key = uuid.uuid4()
    first = gift_send(sender=viewer, creator=creator, gift=catalog["clap"], idempotency_key=key)
    again = gift_send(sender=viewer, creator=creator, gift=catalog["clap"], idempotency_key=key)
    assert again.pk == first.pk and _balances(viewer, creator) == (90, 10)
    other = make_user("other@example.com")
    fund(other, 100)
    with pytest.raises(GiftRefused, match="This gift form has expired") as refused:
        gift_send(sender=other, creator=creator, gift=catalog["clap"], idempotency_key=key)
    assert refused.value.code == "key_taken"
    assert wallet_balance_get(user=other) == 100 and GiftSend.objects.count() == 1
    _ok()


def test_a_subscriber_only_gift_or_one_the_creator_keeps_needs_a_current_subscription(
    viewer, make_creator, creator, plan, catalog, fund
) -> None:
    from gifts.models import Subscription
    from gifts.subscriptions.services import subscription_cancel, subscription_start

    fund(viewer, 1000)
    star, heart = catalog["rose"], catalog["heart"]
    star.subscriber_only = True
    star.save()
    plan.subscriber_gifts.add(heart)  # Alice keeps the heart for her subscribers
    other = make_creator("bob")
    for gift in (star, heart):
        with pytest.raises(GiftRefused, match=rf"The {gift.name} gift is for Alice's subscribers"):
            gift_send(sender=viewer, creator=creator, gift=gift)
    assert gift_send(sender=viewer, creator=other, gift=heart).coins == 5  # Bob does not keep it
    assert not GiftSend.objects.filter(creator=creator).exists()
    subscription_start(subscriber=viewer, creator=creator)  # 100 coins
    assert gift_send(sender=viewer, creator=creator, gift=star).coins == 1
    assert gift_send(sender=viewer, creator=creator, gift=heart).coins == 5
    # A subscription to Alice is not one to Bob; a cancelled one holds until its period ends, at the gift's time.
    with pytest.raises(GiftRefused, match="for Bob's subscribers"):
        gift_send(sender=viewer, creator=other, gift=star)
    subscription = subscription_cancel(subscription=Subscription.objects.get(subscriber=viewer), by=viewer)
    period_end = subscription.current_period_end
    assert gift_send(sender=viewer, creator=creator, gift=star, now=period_end - timedelta(seconds=1)).coins == 1
    with pytest.raises(GiftRefused, match="for Alice's subscribers"):
        gift_send(sender=viewer, creator=creator, gift=star, now=period_end)
    assert wallet_balance_get(user=viewer) == 1000 - 5 - 100 - 1 - 5 - 1
    _ok()


def test_an_armed_effect_goes_with_a_gift_in_a_live_room_only_and_once(
    viewer, creator, live, shop_items, catalog, fund
) -> None:
    from gifts.models import Ownership
    from gifts.shop.services import shop_item_buy

    fund(viewer, 1000)
    highlight = shop_items["highlight"]
    shop_item_buy(buyer=viewer, item=highlight)
    off_stream = gift_send(sender=viewer, creator=creator, gift=catalog["rose"], effect=highlight)
    assert off_stream.effect is None and Ownership.objects.get(user=viewer, item=highlight).armed
    in_room = gift_send(sender=viewer, creator=creator, gift=catalog["rose"], live_session=live, effect=highlight)
    assert in_room.effect == highlight and not Ownership.objects.get(user=viewer, item=highlight).armed
    again = gift_send(sender=viewer, creator=creator, gift=catalog["rose"], live_session=live, effect=highlight)
    assert again.effect is None
    plain = gift_send(sender=viewer, creator=creator, gift=catalog["rose"], live_session=live)
    assert plain.effect is None


def test_a_gift_records_when_it_was_sent_and_a_repeated_key_finds_that_very_gift(
    viewer, creator, catalog, fund
) -> None:
    fund(viewer, 100)
    when = timezone.now() - timedelta(minutes=3)
    key = uuid.uuid4()
    first = gift_send(sender=viewer, creator=creator, gift=catalog["heart"], idempotency_key=key, now=when)
    assert GiftSend.objects.get(pk=first.pk).created_at == when
    for later in (1, 2):  # newer gifts of the same sender, either way they are ordered
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"], now=when + timedelta(minutes=later))
    assert gift_send(sender=viewer, creator=creator, gift=catalog["heart"], idempotency_key=key).pk == first.pk
    assert _balances(viewer, creator) == (93, 7)


def test_a_gift_is_held_to_the_budget_of_the_day_it_is_sent(viewer, creator, catalog, fund) -> None:
    from wallet.services import budget_set

    fund(viewer, 1000)
    budget_set(user=viewer, limit_minor=None, daily_limit_minor=100)  # $1.00 a day: 68 coins at the custom price
    now = timezone.now()
    gift_send(sender=viewer, creator=creator, gift=catalog["ice-cream"], now=now)  # 50 coins
    with pytest.raises(ValidationError, match="over your daily budget"):
        gift_send(sender=viewer, creator=creator, gift=catalog["ice-cream"], now=now)
    tomorrow = gift_send(sender=viewer, creator=creator, gift=catalog["ice-cream"], now=now + timedelta(days=1))
    assert tomorrow.coins == 50 and wallet_balance_get(user=viewer) == 900
