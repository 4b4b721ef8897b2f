"""Closing an account is one flow (``coinshop.closing``): subscriptions end, payouts not yet sent are cancelled (their
diamonds come back, then are forfeited with everything else), personal data is erased; money that arrives later is
forfeited as it arrives. The ledger invariants are checked after every test (``tests/conftest.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditLog, User
from coinshop.closing import account_close
from gifts.models import GiftSend, Subscription, SubscriptionPlan, SubscriptionStatus
from gifts.sending.services import GiftRefused, gift_send, gift_undo
from gifts.subscriptions.renewals import subscription_renew
from gifts.subscriptions.services import subscription_start
from payouts import services as payout_services
from payouts.models import Payout, PayoutAccount, PayoutStatus
from payouts.providers import PayoutResult, SandboxPayouts
from wallet import services as wallet_services
from wallet.ledger import ledger_adjustment_post, ledger_transaction_reverse
from wallet.models import Asset, LedgerEntry, LedgerTransaction, PurchaseStatus, SystemAccount
from wallet.selectors import wallet_balance_get

from ..conftest import PASSWORD
from ..gifts import conftest as gift_fixtures
from ..payouts import conftest as payout_fixtures
from ..payouts.conftest import sending_when_the_worker_died
from ..wallet import conftest as wallet_fixtures
from ..wallet.conftest import assert_ledger_ok, mark_sandbox_paid, post_webhook, sandbox_event

pytestmark = pytest.mark.django_db

# Fixtures from the apps' own tests: a payee creator with 2FA and payout details, diamonds earned by gifts, coins
# given by staff adjustment, the demo coin packages.
payee = payout_fixtures.payee
payee_client = payout_fixtures.payee_client
earn = payout_fixtures.earn
packages = wallet_fixtures.packages
buyer = wallet_fixtures.buyer


def _forfeited(asset: str) -> int:
    return sum(
        LedgerEntry.objects.filter(
            account__system_code=SystemAccount.FORFEITURE, asset=asset, transaction__kind="forfeiture"
        ).values_list("amount", flat=True)
    )


@pytest.fixture
def busy_creator(payee, earn, fund, make_creator, make_user):
    """A creator with everything a closing must handle:

    - 50,000 diamonds earned ten days ago and 3,000 yesterday (on hold), plus 100 from a fan's subscription (on hold);
    - three payouts: 20,000 waiting for review, 10,000 approved (queued), 12,000 already being sent;
    - a plan with one subscriber (the fan), and a subscription of their own to another creator;
    - 400 coins left after paying that subscription.
    """
    creator, _codes = payee
    earn(creator, 50_000, days_ago=10)
    earn(creator, 3_000, days_ago=1)
    waiting = payout_services.payout_request_create(creator=creator, diamonds=20_000)
    approved = payout_services.payout_request_create(creator=creator, diamonds=10_000)  # small: approved at once
    sending = payout_services.payout_request_create(creator=creator, diamonds=12_000)
    sending_when_the_worker_died(sending.pk)  # being sent: its task will come back
    assert (waiting.status, approved.status) == (PayoutStatus.REQUESTED, PayoutStatus.APPROVED)

    SubscriptionPlan.objects.create(creator=creator, name="Front row", coins_per_month=100)
    fan = make_user("loyal-fan@example.com")
    fund(fan, 300)
    fan_subscription = subscription_start(subscriber=fan, creator=creator)
    other = make_creator("bob")
    SubscriptionPlan.objects.create(creator=other, name="Bob's club", coins_per_month=100)
    fund(creator.user, 500)
    own_subscription = subscription_start(subscriber=creator.user, creator=other)
    return {
        "creator": creator,
        "waiting": waiting,
        "approved": approved,
        "sending": sending,
        "fan": fan,
        "fan_subscription": fan_subscription,
        "own_subscription": own_subscription,
        "other": other,
    }


def test_closing_a_busy_creator_forfeits_everything_cancels_payouts_and_ends_subscriptions(busy_creator):
    creator = busy_creator["creator"]
    user = creator.user
    assert wallet_balance_get(user=user) == 400
    assert wallet_balance_get(user=user, asset=Asset.DIAMOND) == 53_100 - 42_000

    forfeited = account_close(user=user)

    # Payouts not yet sent came back (20,000 + 10,000), then everything was forfeited, on hold or not.
    assert forfeited == {Asset.COIN: 400, Asset.DIAMOND: 11_100 + 30_000}
    assert wallet_balance_get(user=user) == 0
    assert wallet_balance_get(user=user, asset=Asset.DIAMOND) == 0
    assert (_forfeited(Asset.COIN), _forfeited(Asset.DIAMOND)) == (400, 41_100)
    statuses = dict(Payout.objects.values_list("pk", "status"))
    assert statuses[busy_creator["waiting"].pk] == PayoutStatus.CANCELLED
    assert statuses[busy_creator["approved"].pk] == PayoutStatus.CANCELLED
    assert statuses[busy_creator["sending"].pk] == PayoutStatus.PROCESSING  # cannot be stopped: it completes
    returned = LedgerTransaction.objects.filter(kind="payout_return").values_list("reference_id", flat=True)
    assert set(returned) == {str(busy_creator["waiting"].public_id), str(busy_creator["approved"].public_id)}

    # Subscriptions: both ways, ended now (no benefits, nothing renews), nothing refunded.
    own = Subscription.objects.get(pk=busy_creator["own_subscription"].pk)
    fans = Subscription.objects.get(pk=busy_creator["fan_subscription"].pk)
    assert (own.status, own.next_renewal_at, own.lapse_reason) == (
        SubscriptionStatus.LAPSED,
        None,
        "You closed your account.",
    )
    assert (fans.status, fans.next_renewal_at, fans.lapse_reason) == (
        SubscriptionStatus.LAPSED,
        None,
        "The creator closed their account.",
    )
    assert not SubscriptionPlan.objects.get(creator=creator).active
    assert wallet_balance_get(user=busy_creator["fan"]) == 200  # paid 100 for the month, not refunded
    later = fans.current_period_end + timedelta(minutes=1)
    assert subscription_renew(subscription_id=fans.pk, now=later) == "not due"
    assert wallet_balance_get(user=busy_creator["fan"]) == 200

    # Personal data is gone; the rows that records point to stay.
    user = User.objects.get(pk=user.pk)
    assert user.is_deleted and not user.is_active and not user.has_usable_password()
    assert (user.email, user.date_of_birth) == (f"deleted-{user.pk}@deleted.invalid", None)
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not TOTPDevice.objects.filter(user=user).exists()
    creator.refresh_from_db()
    assert (creator.handle, creator.display_name, creator.accepts_gifts) == (
        f"deleted-{user.pk}",
        "Deleted creator",
        False,
    )
    details = PayoutAccount.objects.get(creator=creator)
    assert (details.holder_name, details.iban) == ("", "")

    entry = AuditLog.objects.get(action="user.close")
    assert entry.actor == user and entry.object_id == str(user.pk)
    assert entry.details == {
        "coins": "400",
        "diamonds": "41100",
        "payouts_cancelled": "2",
        "payouts_being_sent": "1",
        "subscriptions_ended": "1",
        "subscribers_lost": "1",
        "posts_erased": "0",
        "moderators_erased": "0",
    }
    assert_ledger_ok()

    # Closing again changes nothing.
    assert account_close(user=user) == {}
    assert AuditLog.objects.filter(action="user.close").count() == 1


def _closing_while_the_bank_is_asked(monkeypatch: pytest.MonkeyPatch, user: User) -> None:
    """The account closes while the payout's transfer is on its way to the bank (the worker read the details
    before; closing erases them)."""
    send = SandboxPayouts.send_payout

    def sending(self: SandboxPayouts, payout: Payout, account: PayoutAccount) -> PayoutResult:
        account_close(user=user)
        return send(self, payout, account)

    monkeypatch.setattr(SandboxPayouts, "send_payout", sending)


def test_a_payout_being_sent_when_the_account_closed_completes(busy_creator, monkeypatch):
    sending = busy_creator["sending"]
    _closing_while_the_bank_is_asked(monkeypatch, busy_creator["creator"].user)

    payout = payout_services.payout_process(payout_id=sending.pk)

    assert payout.status == PayoutStatus.PAID
    assert wallet_balance_get(user=busy_creator["creator"].user, asset=Asset.DIAMOND) == 0
    assert not mail.outbox  # a closed account has no address to write to
    assert_ledger_ok()


def test_a_payout_that_fails_after_closing_is_forfeited_never_credited(busy_creator, monkeypatch):
    creator, sending = busy_creator["creator"], busy_creator["sending"]
    destination = {**Payout.objects.get(pk=sending.pk).destination, "sandbox_outcome": PayoutAccount.Outcome.FAIL}
    Payout.objects.filter(pk=sending.pk).update(destination=destination)  # the (test-mode) bank will reject it
    before = _forfeited(Asset.DIAMOND)
    _closing_while_the_bank_is_asked(monkeypatch, creator.user)

    payout = payout_services.payout_process(payout_id=sending.pk)
    payout_services.payout_process(payout_id=sending.pk)  # a redelivered task changes nothing

    assert payout.status == PayoutStatus.FAILED
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    late = LedgerTransaction.objects.get(
        idempotency_key__endswith=f"{sending.idempotency_key}-return", kind="forfeiture"
    )
    assert late.entries.get(account__system_code=SystemAccount.FORFEITURE).amount == 12_000
    closing = LedgerTransaction.objects.get(kind="forfeiture", idempotency_key=f"forfeit-{creator.user_id}-DIAMOND")
    assert _forfeited(Asset.DIAMOND) - before == closing.entries.get(amount__gt=0).amount + 12_000
    assert late.memo == "Arrived after the account was closed: forfeited"
    assert not mail.outbox
    assert_ledger_ok()


def test_a_purchase_confirmed_after_closing_is_paid_and_its_coins_forfeited(
    buyer, packages, client, django_capture_on_commit_callbacks
):
    quote = wallet_services.recharge_quote(package_id=packages[350].pk, custom_coins=None, payment_method="card")
    purchase = wallet_services.purchase_create(user=buyer, quote=quote)
    wallet_services.purchase_checkout_start(purchase=purchase, base_url="http://testserver")
    purchase.refresh_from_db()
    account_close(user=buyer)  # while the bank is still confirming the payment

    mark_sandbox_paid(purchase)
    with django_capture_on_commit_callbacks(execute=True):  # the webhook, then the confirmation task
        assert post_webhook(client, sandbox_event(purchase)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        wallet_services.purchase_confirm(purchase_id=purchase.pk)  # run twice: still once

    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.PAID and purchase.paid_at is not None  # the provider's side agrees
    assert wallet_balance_get(user=buyer) == 0
    assert LedgerTransaction.objects.filter(kind="purchase").count() == 1  # coins issued = coins bought
    assert _forfeited(Asset.COIN) == 350
    assert not mail.outbox  # no receipt to an erased address
    assert_ledger_ok()


def test_coins_restored_by_a_dispute_won_after_closing_are_forfeited(buyer, packages):
    quote = wallet_services.recharge_quote(package_id=packages[350].pk, custom_coins=None, payment_method="card")
    purchase = wallet_services.purchase_create(user=buyer, quote=quote)
    wallet_services.purchase_checkout_start(purchase=purchase, base_url="http://testserver")
    purchase.refresh_from_db()
    mark_sandbox_paid(purchase)
    wallet_services.purchase_confirm(purchase_id=purchase.pk)
    wallet_services.purchase_claw_back(purchase=purchase, kind="dispute_clawback", new_status=PurchaseStatus.DISPUTED)
    account_close(user=buyer)

    wallet_services.purchase_dispute_won(purchase=purchase)

    assert wallet_balance_get(user=buyer) == 0
    assert _forfeited(Asset.COIN) == 350
    assert_ledger_ok()


def test_staff_cannot_credit_a_closed_account(make_user, viewer, fund):
    staff = make_user("staff@example.com", is_staff=True)
    fund(viewer, 250)
    account_close(user=viewer, actor=staff)
    forfeiture = LedgerTransaction.objects.get(kind="forfeiture")

    with pytest.raises(ValidationError, match="closed"):
        ledger_adjustment_post(
            staff=staff, user=viewer, asset=Asset.COIN, amount=10, reason="Goodwill", idempotency_key="gw"
        )
    with pytest.raises(ValidationError, match="closed"):
        ledger_transaction_reverse(original=forfeiture, staff=staff, reason="Undo the forfeiture")

    assert wallet_balance_get(user=viewer) == 0
    assert AuditLog.objects.get().actor == staff  # the closing, by staff; the refused corrections are not logged


catalog = gift_fixtures.catalog


def test_a_gift_that_passed_its_checks_before_the_creator_closed_is_refused_and_costs_nothing(
    viewer, make_creator, catalog, fund
):
    """The gift page loaded the creator while their account was open; it closed before the gift was sent. (On
    PostgreSQL the two also meet mid-transaction: tests/accounts/test_closing_pg.py.)"""
    creator = make_creator("mira")
    fund(viewer, 1_000)
    stale = type(creator).objects.select_related("user").get(pk=creator.pk)  # as the page had it: still open
    account_close(user=creator.user)
    assert stale.user.is_active  # what the checks before the transaction see
    with pytest.raises(GiftRefused, match="Mira does not accept gifts right now"):
        gift_send(sender=viewer, creator=stale, gift=catalog["rose"])
    assert wallet_balance_get(user=viewer) == 1_000
    assert not GiftSend.objects.exists()
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert_ledger_ok()
    # Money that was the creator's own still arrives, and is forfeited: test_a_payout_that_fails_after_closing_...


def test_a_large_gift_cannot_be_cancelled_once_the_creator_closed_their_account(viewer, make_creator, catalog, fund):
    """Inside the undo window the creator closes their account: the gift's diamonds were forfeited, so the undo is
    refused with words (it was a 500), and nothing moves."""
    creator = make_creator("mira")
    fund(viewer, 5_000)
    crown = gift_send(sender=viewer, creator=creator, gift=catalog["crown"])
    assert crown.status == "undoable"
    account_close(user=creator.user)
    with pytest.raises(GiftRefused, match="can no longer be cancelled: the creator's account was closed"):
        gift_undo(send=crown, by=viewer)
    assert wallet_balance_get(user=viewer) == 5_000 - crown.coins
    assert GiftSend.objects.get(pk=crown.pk).status == "undoable"
    assert_ledger_ok()


# --- the page ---------------------------------------------------------------------------------------------------


def test_the_confirmation_page_lists_what_will_be_lost(payee_client, busy_creator):
    page = payee_client.get("/accounts/delete/")

    assert page.status_code == 200
    text = page.content.decode()
    assert '<li id="lose-coins"><strong>400 coins</strong> forfeited.' in text
    assert "<strong>41,100 diamonds</strong> forfeited:" in text
    assert "8,000 available to pay out" in text
    assert "3,100 still on hold" in text
    assert "30,000 in payouts not yet sent" in text
    assert "12,000 diamonds in a payout already being sent" in text
    own = busy_creator["own_subscription"]
    assert f"Your subscription to <strong>Bob</strong> ends now (paid until {own.current_period_end:%B} " in text
    assert "your <strong>1 subscriber</strong> lose their subscription" in text
    assert "I understand that my coins and diamonds are forfeited" in text


def test_a_viewer_sees_their_coins_and_no_diamond_lines(client, viewer, fund):
    fund(viewer, 70)
    client.force_login(viewer)
    text = client.get("/accounts/delete/").content.decode()
    assert "<strong>70 coins</strong> forfeited." in text
    assert 'id="lose-diamonds"' not in text and 'id="lose-subscribers"' not in text


def test_closing_from_the_page_still_needs_the_password_and_a_2fa_code(payee_client, payee, busy_creator):
    creator, codes = payee
    data = {"password": PASSWORD, "confirm": "on"}

    wrong = payee_client.post("/accounts/delete/", {**data, "password": "not-my-password", "code": codes[1]})
    missing = payee_client.post("/accounts/delete/", data)

    assert (wrong.status_code, missing.status_code) == (400, 400)
    assert "That password is not right." in wrong.content.decode()
    assert "This field is required." in missing.content.decode()
    assert not User.objects.get(pk=creator.user_id).is_deleted
    assert wallet_balance_get(user=creator.user) == 400
    assert Payout.objects.filter(status=PayoutStatus.CANCELLED).count() == 0

    done = payee_client.post("/accounts/delete/", {**data, "code": codes[2]}, follow=True)

    assert done.redirect_chain == [("/", 302)]
    assert "Your account was deleted. Your coins and diamonds were forfeited" in done.content.decode()
    assert User.objects.get(pk=creator.user_id).is_deleted
    assert wallet_balance_get(user=creator.user, asset=Asset.DIAMOND) == 0
    assert Payout.objects.filter(status=PayoutStatus.CANCELLED).count() == 2
    assert timezone.now() - AuditLog.objects.get(action="user.close").created_at < timedelta(minutes=1)


@pytest.mark.corrupts_ledger
def test_ledger_check_finds_money_left_on_a_closed_account(viewer, make_creator, fund):
    from wallet.invariants import ledger_check
    from wallet.ledger import Posting, ledger_account_for_user, ledger_system_account, ledger_transaction_post

    creator = make_creator("ada")
    account_close(user=viewer)
    account_close(user=creator.user)
    assert ledger_check().ok
    fund(viewer, 5)  # a credit that went around every closing-aware path
    ledger_transaction_post(
        kind="adjustment",
        idempotency_key="stray-diamonds",
        postings=[
            Posting(ledger_account_for_user(user=creator.user, asset=Asset.DIAMOND), 7),
            Posting(ledger_system_account(code=SystemAccount.ADJUSTMENT, asset=Asset.DIAMOND), -7),
        ],
    )

    violations = [v for v in ledger_check().violations if v.startswith("closed accounts hold nothing")]
    assert len(violations) == 2
    assert "holds 5" in violations[0] and "holds 7" in violations[1]


def test_closing_erases_the_creators_posts_with_their_images_and_moderator_appointments_both_ways(
    client, make_creator, make_user, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Review of issue 14: a closed creator's posts (text and image files) and moderator rows stayed."""
    from gifts.moderation.models import Moderator
    from gifts.moderation.services import moderator_appoint
    from posts.models import Post
    from posts.services import PostContent, post_create
    from tests.posts.conftest import upload

    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "videos": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    vera, mia, other = make_creator("vera"), make_creator("mia"), make_creator("olga")
    post = post_create(creator=vera, content=PostContent(text="Backstage notes"), image=upload())
    kept = post_create(creator=other, content=PostContent(text="Olga's notes"), image=upload())
    moderator_appoint(creator=vera, by=vera.user, handle="mia")  # vera's rooms are moderated by mia
    moderator_appoint(creator=mia, by=mia.user, handle="vera")  # vera moderates mia's rooms
    moderator_appoint(creator=other, by=other.user, handle="mia")
    assert (root / post.image_name).is_file()
    with django_capture_on_commit_callbacks(execute=True):
        account_close(user=vera.user)
    assert list(Post.objects.values_list("text", flat=True)) == ["Olga's notes"]
    assert not (root / post.image_name).exists() and (root / kept.image_name).is_file()
    assert list(Moderator.objects.values_list("creator__handle", "user_id")) == [("olga", mia.user_id)]
    details = AuditLog.objects.get(action="user.close").details
    assert (details["posts_erased"], details["moderators_erased"]) == ("1", "2")
    client.force_login(mia.user)
    assert client.get(f"/p/{post.public_id}/").status_code == 404
    assert client.get(f"/p/{post.public_id}/image").status_code == 404
