"""What pages say about money and about the operator's settings (issue 11).

1. With a three-decimal (KWD) or a zero-decimal (JPY) currency configured, every page that shows cash writes it
   with the currency's own digits and sign, as Babel writes it for the site's locale, and never a dollar sign.
2. Every page that states a setting (the undo window, diamonds per coin, a diamond's cash value, the creator's share,
   the payout holds, the budget delay) states the value in force: change the setting and the page changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import CreatorProfile, User
from gifts.models import Gift, LiveSession
from gifts.sending.services import gift_send
from payouts import services as payout_services
from payouts.models import Payout, PayoutAccount
from wallet import services as wallet_services
from wallet.models import CoinPackage, LedgerTransaction, Purchase, SandboxPayment

from ..conftest import fresh_totp_code, otp_login


@dataclass(frozen=True)
class Setup:
    """What a small operator in that currency would configure, and what the pages must then say."""

    currency: str
    coin_price: Decimal  # CUSTOM_COIN_PRICE
    diamond_value: Decimal  # DIAMOND_CASH_VALUE
    package_minor: int  # 350 coins
    package_text: str
    per_100_text: str  # 350 coins' price per 100 coins, rounded half up
    payout_minor: int  # 40,000 diamonds at diamond_value
    payout_text: str
    rate_text: str
    money: re.Pattern[str]  # any amount written in this currency


KWD = Setup(
    currency="KWD",
    coin_price=Decimal("0.0045"),
    diamond_value=Decimal("0.0015"),
    package_minor=1_535,
    package_text="KWD1.535",
    per_100_text="KWD0.439",  # 1.535 / 3.5 = 0.43857...
    payout_minor=60_000,
    payout_text="KWD60.000",
    rate_text="KWD0.0015",
    money=re.compile(r"KWD[\d,]+\.\d+"),
)
JPY = Setup(
    currency="JPY",
    coin_price=Decimal("2.2"),
    diamond_value=Decimal("0.75"),
    package_minor=770,
    package_text="¥770",
    per_100_text="¥220",
    payout_minor=30_000,
    payout_text="¥30,000",
    rate_text="¥0.75",
    money=re.compile(r"¥[\d,]+(?:\.\d+)?"),
)
DIAMONDS = 40_000


def _decimals(setup: Setup, text: str) -> set[int]:
    """How many decimals each amount of the page has (the rates aside: they keep their own digits)."""
    amounts = [m for m in setup.money.findall(text) if m != setup.rate_text]
    assert amounts, f"no {setup.currency} amount on the page"
    return {len(a.split(".")[1]) if "." in a else 0 for a in amounts}


def assert_money_in(setup: Setup, text: str) -> None:
    assert "$" not in text, re.findall(r".{40}\$.{40}", text, re.S)
    assert _decimals(setup, text) == {3 if setup.currency == "KWD" else 0}


@pytest.fixture
def earn(make_user: Callable[..., User], fund: Callable[[User, int], None]) -> Callable[..., None]:
    """``earn(creator, diamonds, days_ago)``: a fan's gift of that many coins that long ago (1 coin, 1 diamond)."""
    counter = {"n": 0}

    def earn(creator: CreatorProfile, diamonds: int, days_ago: int = 10) -> None:
        counter["n"] += 1
        fan = make_user(f"texts-fan{counter['n']}@example.com")
        fund(fan, diamonds)
        gift = Gift.objects.create(
            slug=f"texts-g{counter['n']}", name="Big gift", coin_cost=diamonds, artwork="gifts/lion.svg"
        )
        when = timezone.now() - timedelta(days=days_ago)
        sent = gift_send(sender=fan, creator=creator, gift=gift, now=when)
        LedgerTransaction.objects.filter(reference_id=str(sent.public_id)).update(created_at=when)

    return earn


@pytest.fixture
def creator(make_creator: Callable[..., CreatorProfile], enable_2fa: Callable[..., Any]) -> CreatorProfile:
    """A creator with 2FA and sandbox payout details past their hold, old enough for payouts."""
    creator = make_creator("texts")
    User.objects.filter(pk=creator.user_id).update(date_joined=timezone.now() - timedelta(days=60))
    creator.user.refresh_from_db()
    enable_2fa(creator.user)
    PayoutAccount.objects.create(
        creator=creator,
        provider="sandbox",
        holder_name="Pat Payee",
        iban="DE89370400440532013000",
        changed_at=timezone.now() - timedelta(days=3),
        hold_until=timezone.now() - timedelta(days=1),
    )
    return creator


def _creator_client(creator: CreatorProfile) -> Client:
    """The creator, logged in with a fresh code (payout pages want one)."""
    client = Client()
    device = creator.user.totpdevice_set.get()
    assert otp_login(client, creator.user.email, fresh_totp_code(device)).status_code == 302
    return client


def _staff_client(make_user: Callable[..., User], enable_2fa: Callable[..., Any]) -> Client:
    staff = make_user("texts-staff@example.com", is_staff=True, is_superuser=True)
    device, _ = enable_2fa(staff)
    client = Client()
    assert otp_login(client, staff.email, fresh_totp_code(device)).status_code == 302
    return client


def _page(client: Client, url: str, **kwargs: Any) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


# --- 1. a three-decimal and a zero-decimal currency -----------------------------------------------


@pytest.mark.parametrize("setup", [KWD, JPY], ids=["KWD", "JPY"])
def test_main_pages_write_cash_in_the_configured_currency(
    setup: Setup,
    settings: Any,
    client: Client,
    make_user: Callable[..., User],
    enable_2fa: Callable[..., Any],
    creator: CreatorProfile,
    earn: Callable[..., None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.CURRENCY = setup.currency
    settings.CUSTOM_COIN_PRICE = setup.coin_price
    settings.DIAMOND_CASH_VALUE = setup.diamond_value
    settings.PAYOUT_DAILY_LIMIT_MINOR = 10**9
    settings.PAYOUT_AUTO_APPROVE_BELOW_MINOR = 1  # every payout waits for staff: the review page has one to show
    package = CoinPackage.objects.create(coins=350, price_minor=setup.package_minor, currency=setup.currency)
    Gift.objects.create(slug="rose", name="Rose", coin_cost=1, artwork="gifts/rose.svg")
    Gift.objects.create(slug="crown", name="Crown", coin_cost=99, artwork="gifts/crown.svg")
    buyer = make_user("texts-buyer@example.com")
    client.force_login(buyer)

    # Recharge: the packages, the review, the purchase, its receipt (page and email), the wallet's history.
    recharge = _page(client, "/wallet/recharge/")
    assert setup.package_text in recharge and f"{setup.per_100_text} per 100 coins" in recharge
    assert_money_in(setup, recharge)
    review = _page(client, "/wallet/recharge/review/", data={"package": package.pk, "method": "card"})
    assert f'id="review-price">{setup.package_text}<' in review
    assert_money_in(setup, review)
    wallet_services.budget_set(user=buyer, limit_minor=100 * setup.package_minor)
    quote = wallet_services.recharge_quote(package_id=package.pk, custom_coins=None, payment_method="card")
    purchase = wallet_services.purchase_create(user=buyer, quote=quote)
    wallet_services.purchase_checkout_start(purchase=purchase, base_url="http://testserver")
    purchase.refresh_from_db()
    SandboxPayment.objects.filter(pk=purchase.provider_ref).update(status=SandboxPayment.Status.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=True):
        wallet_services.purchase_confirm(purchase_id=purchase.pk)
    assert Purchase.objects.get(pk=purchase.pk).status == "paid"
    for url in (f"/wallet/purchases/{purchase.public_id}/", "/wallet/purchases/", "/wallet/"):
        page = _page(client, url)
        assert setup.package_text in page, url
        assert_money_in(setup, page)
    receipt = mail.outbox[-1]
    html = str(receipt.alternatives[0][0])  # type: ignore[attr-defined]
    for body in (receipt.body, html):
        assert f"Price: {setup.package_text}" in body or f"<td>{setup.package_text}</td>" in body
        assert_money_in(setup, body)

    # The gift panel on the creator's page: a diamond's value, each gift's value and the creator's part.
    panel = _page(client, f"/@{creator.handle}/")
    assert f"worth {setup.rate_text} each" in panel
    assert_money_in(setup, panel)

    # The creator: earnings, a payout request (quote, then confirmed) and its page.
    earn(creator, DIAMONDS)
    creator_client = _creator_client(creator)
    earnings = _page(creator_client, "/creator/earnings/")
    assert setup.payout_text in earnings and f"pays out {setup.rate_text}" in earnings
    assert_money_in(setup, earnings)
    request = _page(creator_client, "/creator/payouts/request/")
    assert f"diamonds ({setup.payout_text})" in request
    assert_money_in(setup, request)
    quoted = creator_client.post("/creator/payouts/request/", {"diamonds": str(DIAMONDS)}).content.decode()
    assert f"You will receive <strong>{setup.payout_text}</strong> ({setup.currency})" in quoted
    assert f"at {setup.rate_text} per diamond" in quoted
    assert_money_in(setup, quoted)
    done = creator_client.post("/creator/payouts/request/", {"diamonds": str(DIAMONDS), "confirm": "1"}, follow=True)
    assert f"Payout requested: 40,000 diamonds for {setup.payout_text}." in done.content.decode()
    payout = Payout.objects.get()
    assert (payout.currency, payout.cash_minor) == (setup.currency, setup.payout_minor)
    detail = _page(creator_client, f"/creator/payouts/{payout.public_id}/")
    assert f'id="payout-cash">{setup.payout_text}<' in detail
    assert_money_in(setup, detail)

    # Staff: the payout list and the review page in the admin.
    staff = _staff_client(make_user, enable_2fa)
    for url in ("/admin/payouts/payout/", f"/admin/payouts/payout/{payout.pk}/review/"):
        page = _page(staff, url)
        assert setup.payout_text in page, url
        assert "$" not in re.sub(r"<script.*?</script>", "", page, flags=re.S)


def test_gift_panel_values_keep_the_third_decimal(
    settings: Any, client: Client, make_user: Callable[..., User], creator: CreatorProfile
) -> None:
    client.force_login(make_user("panel-viewer@example.com"))
    settings.CURRENCY = KWD.currency
    settings.CUSTOM_COIN_PRICE, settings.DIAMOND_CASH_VALUE = KWD.coin_price, KWD.diamond_value
    Gift.objects.create(slug="crown", name="Crown", coin_cost=99, artwork="gifts/crown.svg")
    panel = _page(client, f"/@{creator.handle}/")
    assert "≈ KWD0.446 · creator gets 99 💎 (KWD0.149)" in panel  # 99 x 0.0045 = 0.4455; 99 x 0.0015 = 0.1485


def test_a_payout_quote_is_exact_in_the_currency_minor_units(
    settings: Any, creator: CreatorProfile, earn: Callable[..., None]
) -> None:
    earn(creator, DIAMONDS)
    settings.PAYOUT_DAILY_LIMIT_MINOR = 10**9
    settings.CURRENCY, settings.DIAMOND_CASH_VALUE = "KWD", Decimal("0.0015")  # 1.5 fils: 2 diamonds make 3 fils
    quote = payout_services.payout_quote(creator=creator, diamonds=12_345)
    assert (quote.diamonds, quote.cash_minor, quote.cash) == (12_344, 18_516, Decimal("18.516"))
    settings.CURRENCY, settings.DIAMOND_CASH_VALUE = "JPY", Decimal("0.75")  # 3 yen for 4 diamonds
    quote = payout_services.payout_quote(creator=creator, diamonds=12_345)
    assert (quote.diamonds, quote.cash_minor, quote.cash) == (12_344, 9_258, Decimal("9258"))
    settings.PAYOUT_DAILY_LIMIT_MINOR = 5_000
    with pytest.raises(payout_services.ValidationError, match="daily payout limit is ¥5,000; ¥5,000 is left today"):
        payout_services.payout_quote(creator=creator, diamonds=12_345)


# --- 2. texts that state a setting --------------------------------------------------------------


@pytest.fixture
def viewer_client(client: Client, make_user: Callable[..., User]) -> Client:
    client.force_login(make_user("texts-viewer@example.com"))
    return client


@pytest.fixture
def live(creator: CreatorProfile) -> LiveSession:
    Gift.objects.create(slug="rose", name="Rose", coin_cost=1, artwork="gifts/rose.svg")
    return LiveSession.objects.create(creator=creator, title="Evening songs")


def test_the_undo_window_is_stated_as_set_in_the_live_room(
    settings: Any, viewer_client: Client, creator: CreatorProfile, live: LiveSession
) -> None:
    settings.GIFT_UNDO_MIN_COINS, settings.GIFT_UNDO_SECONDS = 2_500, 9
    room = _page(viewer_client, f"/live/{live.pk}/")
    assert "Gifts of 2,500 coins or more can be cancelled for 9 seconds." in room


def test_the_undo_window_is_stated_as_set_on_the_gift_panel(
    settings: Any, viewer_client: Client, creator: CreatorProfile, live: LiveSession
) -> None:
    settings.GIFT_UNDO_MIN_COINS, settings.GIFT_UNDO_SECONDS = 2_500, 9
    panel = _page(viewer_client, f"/@{creator.handle}/")
    assert "Gifts of 2,500 coins or more can be cancelled for 9 seconds." in panel


def test_diamonds_per_coin_value_and_share_are_stated_as_set(
    settings: Any, viewer_client: Client, creator: CreatorProfile, live: LiveSession, earn: Callable[..., None]
) -> None:
    settings.DIAMONDS_PER_COIN = 3
    settings.DIAMOND_CASH_VALUE = Decimal("0.002")
    settings.CUSTOM_COIN_PRICE = Decimal("0.01")  # 3 diamonds x 0.2 cent of a 1-cent coin: 60%
    panel = _page(viewer_client, f"/@{creator.handle}/")
    assert "<strong>3 diamonds</strong>, worth $0.002 each: about <strong>60%</strong>" in panel
    assert "creator gets 3 💎 ($0.01)" in panel  # a 1-coin rose
    assert "About 60% of what you paid goes to" in _page(viewer_client, f"/live/{live.pk}/")
    earn(creator, 20_000)
    creator_client = _creator_client(creator)
    earnings = _page(creator_client, "/creator/earnings/")
    assert "A gift of 1 coin earns you 3 diamonds; 1 diamond pays out $0.002: about <strong>60%</strong>" in earnings
    assert "1 diamond = $0.002" in _page(creator_client, "/gifts/received/")
    settings.PAYOUT_MIN_DIAMONDS = 1_000
    quote = creator_client.post("/creator/payouts/request/", {"diamonds": "10000"}).content.decode()
    assert "<strong>$20.00</strong> (USD) for <strong>10,000</strong> diamonds, at $0.002 per diamond" in quote


def test_payout_holds_are_stated_as_set(
    settings: Any, creator: CreatorProfile, earn: Callable[..., None], django_capture_on_commit_callbacks: Any
) -> None:
    settings.PAYOUT_HOLD_DAYS = 12
    settings.PAYOUT_DETAILS_HOLD_HOURS = 36
    earn(creator, 20_000, days_ago=20)
    earn(creator, 3_000, days_ago=5)  # within the 12-day hold
    client = _creator_client(creator)
    earnings = _page(client, "/creator/earnings/")
    assert "On hold (last 12 days)" in earnings and "Diamonds from the last 12 days are on hold" in earnings
    assert "3,000 more are on hold for 12 days" in _page(client, "/creator/payouts/request/")
    too_many = client.post("/creator/payouts/request/", {"diamonds": "23000"}).content.decode()
    assert "3,000 more are on hold for 12 days." in too_many
    details = _page(client, "/creator/payouts/details/")
    assert "pauses payouts for 36 hours" in details
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(
            "/creator/payouts/details/",
            {"holder_name": "Pat Payee", "iban": "GB82 WEST 1234 5698 7654 32", "sandbox_outcome": "succeed"},
            follow=True,
        )
    assert "Payouts are paused for 36 hours for your safety." in saved.content.decode()
    assert "payouts are paused for 36 hours" in mail.outbox[-1].body
    settings.PAYMENT_PROVIDER = "stripe"
    assert "pauses payouts for 36 hours" in _page(client, "/creator/payouts/details/")


def test_the_budget_delay_is_stated_as_set(settings: Any, viewer_client: Client) -> None:
    settings.BUDGET_RAISE_DELAY_HOURS = 72
    page = _page(viewer_client, "/wallet/budget/")
    assert "raising takes effect after 72 hours" in page
    viewer_client.post("/wallet/budget/", {"limit": "10"})
    raised = viewer_client.post("/wallet/budget/", {"limit": "20"}, follow=True).content.decode()
    assert "Your higher limit takes effect in 72 hours" in raised
