"""Sending gifts: one ledger transaction, refused with a clear message and no change when not allowed."""

from __future__ import annotations

import datetime
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gifts.models import GiftSend, GiftSendStatus
from gifts.sending.services import GiftRefused, gift_send, gift_undo
from wallet.models import Asset, LedgerTransaction
from wallet.selectors import wallet_balance_get
from wallet.spending import SpendRefused

from ..wallet.conftest import assert_ledger_ok

pytestmark = pytest.mark.django_db


def test_a_gift_debits_coins_credits_diamonds_and_records_it(viewer, creator, catalog, fund):
    fund(viewer, 100)
    send = gift_send(sender=viewer, creator=creator, gift=catalog["clap"], quantity=3)
    assert (send.coins, send.diamonds, send.status) == (30, 30, GiftSendStatus.FINAL)
    assert wallet_balance_get(user=viewer) == 70
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 30
    txn = LedgerTransaction.objects.get(kind="gift")
    assert txn.reference_id == str(send.public_id)
    assert sorted(txn.entries.values_list("amount", flat=True)) == [-30, -30, 30, 30]
    assert_ledger_ok()


def _post(client, creator, gift_obj, **data):
    payload = {"gift": gift_obj.pk, "quantity": 1, "visibility": "public", "idempotency_key": str(uuid.uuid4()), **data}
    return client.post(f"/@{creator.handle}/gift/", payload, HTTP_ACCEPT="application/json")


def test_sending_from_the_page_answers_with_the_new_balance(client, viewer, creator, catalog, fund):
    fund(viewer, 50)
    client.force_login(viewer)
    response = _post(client, creator, catalog["heart"], quantity=2)
    assert response.status_code == 200
    assert response.json()["balance"] == 40
    assert response.json()["message"] == "You sent 2 × Heart to Alice."


def test_the_same_form_submitted_twice_sends_once(client, viewer, creator, catalog, fund):
    fund(viewer, 50)
    client.force_login(viewer)
    key = str(uuid.uuid4())
    assert _post(client, creator, catalog["heart"], idempotency_key=key).status_code == 200
    assert _post(client, creator, catalog["heart"], idempotency_key=key).status_code == 200
    assert GiftSend.objects.count() == 1 and wallet_balance_get(user=viewer) == 45


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"gift": 999999}, "That gift does not exist."),
        ({"gift": "rose"}, "Choose a gift."),
        ({"quantity": 0}, "Send at least one gift."),
        ({"quantity": -3}, "Send at least one gift."),
        ({"quantity": 10**9}, "You can send at most 99 at once."),
        ({"quantity": "lots"}, "Enter a whole number of gifts."),
        ({"quantity": "1.5"}, "Enter a whole number of gifts."),
        ({"visibility": "shouty"}, "Select a valid choice."),
        ({"idempotency_key": "not-a-uuid"}, "Enter a valid UUID."),
        ({"live_session": "999999"}, "That live stream does not exist."),
    ],
)
def test_bad_input_gets_a_message_and_writes_no_ledger_rows(client, viewer, creator, catalog, fund, data, message):
    fund(viewer, 1000)
    client.force_login(viewer)
    before = LedgerTransaction.objects.count()
    response = _post(client, creator, catalog["rose"], **data)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert LedgerTransaction.objects.count() == before and GiftSend.objects.count() == 0
    assert wallet_balance_get(user=viewer) == 1000


def test_not_enough_coins_says_so_with_a_link_to_recharge(client, viewer, creator, catalog, fund):
    fund(viewer, 4)
    client.force_login(viewer)
    response = _post(client, creator, catalog["heart"])
    assert response.status_code == 400
    assert response.json()["error"] == "Not enough coins: this gift costs 5 coins. Recharge to send it."
    assert response.json()["recharge"] == "/wallet/recharge/"
    assert wallet_balance_get(user=viewer) == 4
    page = client.post(
        f"/@{creator.handle}/gift/",
        {"gift": catalog["heart"].pk, "quantity": 1, "visibility": "public", "idempotency_key": str(uuid.uuid4())},
        follow=True,
    )
    assert "Not enough coins" in page.content.decode() and "/wallet/recharge/" in page.content.decode()


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("self", "You cannot spend coins on yourself."),
        ("minor", "You must be 18 or older to buy or spend coins"),
        ("frozen", "Your account is restricted"),
        ("closed_creator", "does not accept gifts right now"),
    ],
)
def test_people_and_creators_who_may_not_gift(make_user, creator, catalog, fund, who, message):
    sender = {
        "self": lambda: creator.user,
        "minor": lambda: make_user(date_of_birth=datetime.date(timezone.now().year - 16, 1, 1)),
        "frozen": lambda: make_user(is_frozen=True),
        "closed_creator": lambda: make_user(),
    }[who]()
    if who == "closed_creator":
        creator.accepts_gifts = False
        creator.save()
    fund(sender, 100)
    with pytest.raises(ValidationError, match=message):
        gift_send(sender=sender, creator=creator, gift=catalog["rose"])
    assert wallet_balance_get(user=sender) == 100 and not GiftSend.objects.exists()


def test_an_account_with_a_debt_may_not_gift(viewer, creator, catalog, fund):
    from wallet.models import CoinDebt, Purchase

    fund(viewer, 100)
    purchase = Purchase.objects.create(
        user=viewer, coins=70, price_minor=99, currency="USD", payment_method="card", provider="sandbox"
    )
    CoinDebt.objects.create(user=viewer, purchase=purchase, coins=20)
    with pytest.raises(SpendRefused, match="owes 20 coins"):
        gift_send(sender=viewer, creator=creator, gift=catalog["rose"])


def test_event_gift_is_on_sale_inside_its_window_and_refused_one_second_after(viewer, creator, catalog, fund):
    fund(viewer, 1000)
    snowflake = catalog["snowflake"]
    inside = snowflake.event.ends_at - timedelta(seconds=1)
    gift_send(sender=viewer, creator=creator, gift=snowflake, now=inside)
    after = snowflake.event.ends_at + timedelta(seconds=1)
    with pytest.raises(GiftRefused, match="only on sale during Winter Festival, which has ended"):
        gift_send(sender=viewer, creator=creator, gift=snowflake, now=after)
    before = snowflake.event.starts_at - timedelta(seconds=1)
    with pytest.raises(GiftRefused, match="goes on sale when Winter Festival starts"):
        gift_send(sender=viewer, creator=creator, gift=snowflake, now=before)
    assert wallet_balance_get(user=viewer) == 900
    assert_ledger_ok()


def test_an_ended_event_gift_leaves_the_panel_but_stays_in_history(client, viewer, creator, catalog, fund):
    fund(viewer, 1000)
    client.force_login(viewer)
    gift_send(sender=viewer, creator=creator, gift=catalog["snowflake"])
    assert "Snowflake" in client.get(f"/@{creator.handle}/").content.decode()
    event = catalog["snowflake"].event
    event.ends_at = timezone.now() - timedelta(seconds=1)
    event.starts_at = event.ends_at - timedelta(days=2)
    event.save()
    assert "Snowflake" not in client.get(f"/@{creator.handle}/").content.decode()
    assert "Snowflake" in client.get("/gifts/sent/").content.decode()


def test_a_large_gift_can_be_cancelled_inside_the_window_and_not_after(viewer, creator, catalog, fund):
    fund(viewer, 5000)
    now = timezone.now()
    crown = gift_send(sender=viewer, creator=creator, gift=catalog["crown"], now=now)
    assert crown.status == GiftSendStatus.UNDOABLE
    assert wallet_balance_get(user=viewer) == 4000
    gift_undo(send=crown, by=viewer, now=now + timedelta(seconds=4))
    assert wallet_balance_get(user=viewer) == 5000
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    gift_undo(send=crown, by=viewer, now=now + timedelta(seconds=4))  # twice: still once
    assert wallet_balance_get(user=viewer) == 5000
    second = gift_send(sender=viewer, creator=creator, gift=catalog["crown"], now=now)
    with pytest.raises(GiftRefused, match="This gift is final"):
        gift_undo(send=second, by=viewer, now=now + timedelta(seconds=5))
    assert wallet_balance_get(user=viewer) == 4000
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 1000
    small = gift_send(sender=viewer, creator=creator, gift=catalog["microphone"], now=now)
    with pytest.raises(GiftRefused, match="This gift is final"):
        gift_undo(send=small, by=viewer, now=now)
    assert_ledger_ok()


def test_only_the_sender_can_cancel(client, viewer, make_user, creator, catalog, fund):
    fund(viewer, 5000)
    crown = gift_send(sender=viewer, creator=creator, gift=catalog["crown"])
    client.force_login(make_user("other@example.com"))
    assert client.post(f"/gifts/{crown.public_id}/undo/").status_code == 404
    client.force_login(viewer)
    response = client.post(f"/gifts/{crown.public_id}/undo/", HTTP_ACCEPT="application/json")
    assert response.json() == {"ok": True, "message": "Gift cancelled; your coins are back.", "balance": 5000}
