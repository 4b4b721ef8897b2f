"""Issue 12: what a gift is worth is computed from what coins cost (never the dearest price); the received history
shows diamonds and cash; gifts from fresh accounts to a fresh creator are flagged and held to velocity limits, with
a staff review list whose clearing is audited."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditLog
from gifts.catalog.selectors import rates
from gifts.models import CreatorGiftReview, GiftSend
from gifts.sending.services import GiftRefused, gift_send
from tests.conftest import fresh_totp_code, otp_login
from wallet.models import CoinPackage
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def packages(db, settings):
    settings.CURRENCY = "USD"
    CoinPackage.objects.create(coins=100, price_minor=150, currency="USD")  # 1.5 cents a coin
    CoinPackage.objects.create(coins=1000, price_minor=1200, currency="USD")  # 1.2 cents: the cheapest
    CoinPackage.objects.create(coins=5000, price_minor=100, currency="USD", active=False)  # not on sale
    CoinPackage.objects.create(coins=5000, price_minor=100, currency="EUR")  # not the platform currency


def test_the_creator_share_is_of_what_coins_cost_in_the_cheapest_package(client, viewer, creator, catalog, packages):
    assert rates().coin_value == Decimal("0.012")
    client.force_login(viewer)
    page = client.get(f"/@{creator.handle}/").content.decode()
    assert "about <strong>42%</strong> of what you paid goes to the creator" in page  # 0.005 / 0.012


def test_received_history_shows_diamonds_and_their_cash(client, viewer, creator, catalog, fund):
    fund(viewer, 2_000)
    gift_send(sender=viewer, creator=creator, gift=catalog["crown"])  # 1,000 coins -> 1,000 diamonds
    client.force_login(creator.user)
    page = client.get("/gifts/received/").content.decode()
    assert ">Earned</th>" in page
    assert '<td class="num">1,000</td><td class="num">$5.00</td>' in page


@pytest.fixture
def limits(settings):
    settings.GIFT_VELOCITY_MAX_GIFTS_PER_HOUR = 3
    settings.GIFT_VELOCITY_MAX_COINS_PER_HOUR = 5_000


def _age(user, days: int) -> None:
    user.date_joined = timezone.now() - timedelta(days=days)
    user.save(update_fields=["date_joined"])


def test_fresh_accounts_gifting_a_fresh_creator_are_flagged_limited_and_listed_for_review(
    client, make_user, creator, catalog, fund, limits, enable_2fa, nothing_written
):
    fans = [make_user(f"fan{i}@example.com") for i in range(4)]
    for fan in fans:
        fund(fan, 100)
    for fan in fans[:3]:
        gift_send(sender=fan, creator=creator, gift=catalog["rose"])
    assert list(GiftSend.objects.values_list("flagged", flat=True)) == [True, True, True]
    with nothing_written(), pytest.raises(GiftRefused, match="gifts from new accounts are paused"):
        gift_send(sender=fans[3], creator=creator, gift=catalog["rose"])
    assert wallet_balance_get(user=fans[3]) == 100
    review = CreatorGiftReview.objects.get(creator=creator)
    assert not review.is_cleared

    # An older account is not limited, and its gift is not flagged.
    old = make_user("old@example.com")
    _age(old, 400)
    fund(old, 100)
    assert gift_send(sender=old, creator=creator, gift=catalog["rose"]).flagged is False

    # Staff see the creator on the list in the admin and clear it: audited, and gifts go on.
    admin_user = make_user("boss@example.com", is_staff=True, is_superuser=True)
    device, _ = enable_2fa(admin_user)
    assert otp_login(client, admin_user.email, fresh_totp_code(device)).status_code == 302
    listing = client.get("/admin/gifts/creatorgiftreview/?open=yes").content.decode()
    assert creator.handle in listing or str(creator) in listing
    response = client.post(
        "/admin/gifts/creatorgiftreview/",
        {"action": "clear_reviews", "_selected_action": [review.pk]},
        follow=True,
    )
    assert response.status_code == 200
    review.refresh_from_db()
    assert review.is_cleared and review.cleared_by == admin_user
    assert AuditLog.objects.filter(action="gifts.review_clear", actor=admin_user).count() == 1
    assert gift_send(sender=fans[3], creator=creator, gift=catalog["rose"]).flagged is True


def test_an_established_creator_is_not_limited(make_user, creator, catalog, fund, limits):
    _age(creator.user, 400)
    fans = [make_user(f"fan{i}@example.com") for i in range(5)]
    for fan in fans:
        fund(fan, 100)
        gift_send(sender=fan, creator=creator, gift=catalog["rose"])
    assert GiftSend.objects.filter(flagged=True).count() == 0
    assert GiftSend.objects.count() == 5


def test_the_coin_limit_counts_too(make_user, creator, catalog, fund, limits, settings):
    settings.GIFT_VELOCITY_MAX_GIFTS_PER_HOUR = 100
    fan = make_user("big@example.com")
    fund(fan, 10_000)
    for _ in range(5):
        gift_send(sender=fan, creator=creator, gift=catalog["crown"])
    with pytest.raises(GiftRefused, match="paused"):
        gift_send(sender=fan, creator=creator, gift=catalog["crown"])
    assert CreatorGiftReview.objects.filter(creator=creator).exists()
