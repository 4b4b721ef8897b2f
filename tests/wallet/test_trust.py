"""Issue 12 (trust and security), wallet items: foreign idempotency keys, custom pricing, budget currency and caps,
purchase velocity limits."""

from __future__ import annotations

import uuid

import pytest

from wallet import services
from wallet.models import Purchase

pytestmark = pytest.mark.django_db


def test_an_idempotency_key_of_another_person_gets_a_clear_message_and_changes_nothing(
    client, make_user, buyer, buyer_client, start_purchase, packages
):
    theirs = start_purchase(buyer_client)
    other = make_user("other@example.com")
    client.force_login(other)
    response = client.post(
        "/wallet/recharge/confirm/",
        {"package": packages[70].pk, "method": "card", "idempotency_key": str(theirs.public_id)},
        follow=True,
    )
    assert response.status_code == 200
    assert "no longer valid" in response.content.decode()
    assert Purchase.objects.count() == 1 and Purchase.objects.get().user == buyer
    quote = services.recharge_quote(package_id=packages[70].pk, custom_coins=None, payment_method="card")
    with pytest.raises(services.ValidationError, match="no longer valid"):
        services.purchase_create(user=other, quote=quote, idempotency_key=theirs.public_id)


def test_a_custom_amount_is_never_dearer_per_coin_than_the_package_below_it(packages):
    # 1,400 coins cost $19.19 as a package; 1,500 custom coins at 1.45 c would be $21.75, dearer per coin
    quote = services.recharge_quote(package_id=None, custom_coins=1500, payment_method="card")
    assert quote.price_minor == 1500 * 1919 // 1400  # $20.56: the package's price per coin, rounded down
    assert quote.price_minor * 1400 <= 1919 * 1500
    small = services.recharge_quote(package_id=None, custom_coins=50, payment_method="card")  # no package below
    assert small.price_minor == services.custom_price_minor(coins=50)


def test_the_review_page_says_which_amount_it_used(buyer_client, packages):
    response = buyer_client.get(
        "/wallet/recharge/review/", {"package": packages[350].pk, "coins": 999, "method": "card"}
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "also typed 999 coins: this purchase uses the package of 350 coins" in text


def test_a_fresh_key_is_fine(buyer, packages):
    quote = services.recharge_quote(package_id=packages[70].pk, custom_coins=None, payment_method="card")
    assert services.purchase_create(user=buyer, quote=quote, idempotency_key=uuid.uuid4()).user == buyer


# --- budget: currency, daily and per-gift caps -----------------------------------------------------------------------


def test_with_a_budget_a_package_in_another_currency_is_refused_in_words(buyer, buyer_client, packages):
    from wallet.models import CoinPackage

    euros = CoinPackage.objects.create(coins=350, price_minor=459, currency="EUR")
    quote = services.recharge_quote(package_id=euros.pk, custom_coins=None, payment_method="card")
    services.purchase_create(user=buyer, quote=quote)  # no budget: fine
    services.budget_set(user=buyer, limit_minor=1000)
    review = buyer_client.get("/wallet/recharge/review/", {"package": euros.pk, "method": "card"})
    assert review.status_code == 400
    assert "only buy packages priced in USD, not EUR" in review.content.decode()
    with pytest.raises(services.ValidationError, match="priced in USD"):
        services.purchase_create(user=buyer, quote=quote)
    assert Purchase.objects.count() == 1


@pytest.fixture
def giving(make_creator, buyer, fund):
    from gifts.models import Gift, ShopItem

    fund(buyer, 5000)
    return {
        "star": make_creator("star"),
        "rose": Gift.objects.create(slug="rose", name="Rose", coin_cost=100, artwork="gifts/rose.svg"),
        "big": Gift.objects.create(slug="car", name="Car", coin_cost=1000, artwork="gifts/rose.svg"),
        "sticker": ShopItem.objects.create(
            slug="wave", name="Wave", kind="sticker", coin_price=1000, artwork="shop/wave.svg"
        ),
    }


def test_a_per_gift_cap_refuses_one_dear_gift_or_item_but_not_cheap_ones(buyer, giving):
    from gifts.sending.services import gift_send
    from gifts.shop.services import shop_item_buy
    from wallet.selectors import wallet_balance_get

    services.budget_set(user=buyer, limit_minor=None, gift_limit_minor=500)  # $5.00 a gift; 1,000 coins = $14.50
    with pytest.raises(services.ValidationError, match=r"single gift or purchase: \$5\.00"):
        gift_send(sender=buyer, creator=giving["star"], gift=giving["big"])
    with pytest.raises(services.ValidationError, match=r"single gift or purchase: \$5\.00"):
        shop_item_buy(buyer=buyer, item=giving["sticker"])
    assert wallet_balance_get(user=buyer) == 5000
    gift_send(sender=buyer, creator=giving["star"], gift=giving["rose"])  # $1.45: fine
    assert wallet_balance_get(user=buyer) == 4900


def test_a_daily_cap_counts_the_days_spending(buyer, giving):
    from gifts.sending.services import gift_send
    from wallet.selectors import wallet_balance_get

    services.budget_set(user=buyer, limit_minor=None, daily_limit_minor=300)  # $3.00 a day = 206 coins
    gift_send(sender=buyer, creator=giving["star"], gift=giving["rose"])
    gift_send(sender=buyer, creator=giving["star"], gift=giving["rose"])
    with pytest.raises(services.ValidationError, match=r"daily budget: \$0\.10 is left today"):
        gift_send(sender=buyer, creator=giving["star"], gift=giving["rose"])
    assert wallet_balance_get(user=buyer) == 4800


def test_the_budget_page_sets_the_caps_and_raising_one_waits(buyer_client, buyer):
    from wallet.spending import budget_effective_caps

    response = buyer_client.post("/wallet/budget/", {"limit": "", "daily": "20.00", "gift": "5"}, follow=True)
    assert "applies now" in response.content.decode()
    assert budget_effective_caps(user=buyer) == (2000, 500)
    response = buyer_client.post("/wallet/budget/", {"limit": "", "daily": "50", "gift": "abc"})
    assert response.status_code == 400 and "Enter a number" in response.content.decode()
    buyer_client.post("/wallet/budget/", {"limit": "", "daily": "50", "gift": "5"})
    assert budget_effective_caps(user=buyer) == (2000, 500)  # the raise waits 24 hours


# --- purchase velocity (card testing) --------------------------------------------------------------------------------


def test_many_failed_payments_put_the_person_on_the_review_queue_until_staff_clear_it(
    settings, buyer, buyer_client, packages, make_user, enable_2fa
):
    from django.test import Client

    from accounts.models import AuditLog
    from wallet.models import PurchaseReview, PurchaseStatus

    from ..conftest import fresh_totp_code, otp_login

    settings.PURCHASE_VELOCITY_MAX_FAILED = 3
    quote = services.recharge_quote(package_id=packages[70].pk, custom_coins=None, payment_method="card")
    for _ in range(3):
        purchase = services.purchase_create(user=buyer, quote=quote)
        Purchase.objects.filter(pk=purchase.pk).update(status=PurchaseStatus.FAILED)
    with pytest.raises(services.ValidationError, match="being reviewed by our staff"):
        services.purchase_create(user=buyer, quote=quote)
    assert Purchase.objects.count() == 3
    review = PurchaseReview.objects.get(user=buyer, cleared_at__isnull=True)
    assert "3 failed payments" in review.reason
    page = buyer_client.get("/wallet/recharge/review/", {"package": packages[70].pk, "method": "card"})
    assert page.status_code == 400 and "being reviewed by our staff" in page.content.decode()

    staff = make_user("staff@example.com", is_staff=True, is_superuser=True)
    device, _ = enable_2fa(staff)
    client = Client()
    assert otp_login(client, staff.email, fresh_totp_code(device)).status_code == 302
    listing = client.get("/admin/wallet/purchasereview/")
    assert listing.status_code == 200 and buyer.email in listing.content.decode()
    response = client.post(
        "/admin/wallet/purchasereview/", {"action": "clear", "_selected_action": [review.pk]}, follow=True
    )
    assert "Reviews cleared." in response.content.decode()
    assert AuditLog.objects.filter(action="purchase_review.clear", actor=staff).count() == 1
    assert services.purchase_create(user=buyer, quote=quote).status == PurchaseStatus.PENDING  # may buy again


def test_many_purchases_in_a_short_time_are_refused(settings, buyer, packages):
    settings.PURCHASE_VELOCITY_MAX_STARTED = 5
    quote = services.recharge_quote(package_id=packages[70].pk, custom_coins=None, payment_method="card")
    for _ in range(5):
        services.purchase_create(user=buyer, quote=quote)
    with pytest.raises(services.ValidationError, match="being reviewed"):
        services.purchase_create(user=buyer, quote=quote)
    assert Purchase.objects.filter(user=buyer).count() == 5
