"""Wallet writes: purchases (recharge), confirmation, refunds and disputes, budgets, forfeiture.

Every balance change goes through ``wallet.ledger.ledger_transaction_post``; it is re-exported here so other
apps import the ledger from one place: ``from wallet.services import ledger_transaction_post, Posting``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from accounts.services import user_is_email_verified
from coinshop.celery import task_enqueue

from .ledger import (
    InsufficientFunds,
    Posting,
    UnbalancedTransaction,
    ledger_account_for_user,
    ledger_accounts_get,
    ledger_adjustment_post,
    ledger_system_account,
    ledger_transaction_post,
    ledger_transaction_reverse,
)
from .models import (
    Asset,
    CoinDebt,
    CoinPackage,
    LedgerAccount,
    LedgerBalanceShard,
    LedgerTransaction,
    PaymentEvent,
    PaymentMethod,
    Purchase,
    PurchaseStatus,
    RechargeBudget,
    SystemAccount,
    TransactionKind,
)
from .money import money_format, money_to_minor
from .providers import ProviderError, WebhookEvent, get_provider
from .providers import base as events
from .spending import SpendRefused, budget_effective_limit, spend_check

__all__ = [
    "InsufficientFunds",
    "Posting",
    "UnbalancedTransaction",
    "ledger_account_for_user",
    "ledger_accounts_get",
    "ledger_adjustment_post",
    "ledger_system_account",
    "ledger_transaction_post",
    "ledger_transaction_reverse",
]

logger = logging.getLogger(__name__)

# Methods each currency can be paid with (Stripe Checkout offers Apple Pay and Google Pay as card wallets).
METHODS_BY_CURRENCY: dict[str, list[str]] = {
    "USD": [m.value for m in PaymentMethod],
    "EUR": [m.value for m in PaymentMethod],
    "CNY": [PaymentMethod.CARD, PaymentMethod.ALIPAY, PaymentMethod.WECHAT_PAY],
}


# --- prices ------------------------------------------------------------------------------------


def custom_price_minor(*, coins: int) -> int:
    return money_to_minor(Decimal(coins) * settings.CUSTOM_COIN_PRICE, settings.CURRENCY)


# --- who may buy ---------------------------------------------------------------------------------


def user_purchase_check(*, user: User, price_minor: int = 0, currency: str | None = None) -> None:
    """Raise ``SpendRefused`` unless this person may buy coins now (and this price fits their budget)."""
    if user.is_authenticated and user.is_adult and not user_is_email_verified(user=user):
        raise SpendRefused("Confirm your email address before you buy coins.", code="email")
    spend_check(user=user, cash_minor=price_minor, currency=currency)


# --- budget ----------------------------------------------------------------------------------


@transaction.atomic
def budget_set(*, user: User, limit_minor: int | None, now: datetime | None = None) -> RechargeBudget:
    """Set the monthly recharge limit (None: no limit). Lowering applies at once; raising after 24 hours."""
    now = now or timezone.now()
    if limit_minor is not None and limit_minor < 0:
        raise ValidationError("The limit cannot be negative.")
    budget, _ = RechargeBudget.objects.select_for_update().get_or_create(user=user)
    current = budget_effective_limit(user=user, now=now)
    budget.monthly_limit_minor = current
    budget.pending_limit_minor = None
    budget.pending_unlimited = False
    budget.pending_effective_at = None
    is_raise = current is not None and (limit_minor is None or limit_minor > current)
    if is_raise:
        budget.pending_limit_minor = limit_minor
        budget.pending_unlimited = limit_minor is None
        budget.pending_effective_at = now + timedelta(hours=settings.BUDGET_RAISE_DELAY_HOURS)
    else:
        budget.monthly_limit_minor = limit_minor
    budget.save()
    return budget


# --- recharge --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RechargeQuote:
    coins: int
    price_minor: int
    currency: str
    package: CoinPackage | None
    payment_method: str


def recharge_quote(*, package_id: int | None, custom_coins: int | None, payment_method: str) -> RechargeQuote:
    """Validate a recharge choice and price it. Raises ValidationError with a message for the person."""
    if package_id is not None:
        package = CoinPackage.objects.filter(pk=package_id, active=True).first()
        if package is None:
            raise ValidationError("That coin package is not available any more; please choose another.")
        coins, price, currency = package.coins, package.price_minor, package.currency
    elif custom_coins is not None:
        low, high = settings.CUSTOM_COINS_MIN, settings.CUSTOM_COINS_MAX
        if not low <= custom_coins <= high:
            raise ValidationError(f"Choose between {low:,} and {high:,} coins.")
        package, coins, currency = None, custom_coins, settings.CURRENCY
        price = custom_price_minor(coins=coins)
    else:
        raise ValidationError("Choose a coin package or enter a number of coins.")
    if payment_method not in METHODS_BY_CURRENCY.get(currency, [PaymentMethod.CARD]):
        raise ValidationError("That payment method is not available for this currency.")
    return RechargeQuote(coins, price, currency, package, payment_method)


def purchase_create(*, user: User, quote: RechargeQuote, idempotency_key: uuid.UUID | None = None) -> Purchase:
    """Create the pending purchase for a reviewed quote, after every rule a person must pass."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one purchase decision at a time per person
        if idempotency_key is not None:
            existing = Purchase.objects.filter(public_id=idempotency_key, user=user).first()
            if existing is not None:  # the review page was submitted twice
                return existing
        user_purchase_check(user=user, price_minor=quote.price_minor, currency=quote.currency)
        return Purchase.objects.create(
            public_id=idempotency_key or uuid.uuid4(),
            user=user,
            package=quote.package,
            coins=quote.coins,
            price_minor=quote.price_minor,
            currency=quote.currency,
            payment_method=quote.payment_method,
            provider=settings.PAYMENT_PROVIDER,
        )


def purchase_checkout_start(*, purchase: Purchase, base_url: str) -> str:
    """Start the provider's checkout for a pending purchase; returns where to send the person."""
    provider = get_provider(purchase.provider)
    status_url = base_url + reverse("purchase_status", kwargs={"public_id": purchase.public_id})
    try:
        start = provider.start_checkout(purchase, success_url=status_url, cancel_url=status_url + "?cancelled=1")
    except ProviderError as exc:
        Purchase.objects.filter(pk=purchase.pk, status=PurchaseStatus.PENDING).update(
            status=PurchaseStatus.FAILED, failure_reason="The payment provider could not start the checkout."
        )
        raise ValidationError(
            "The payment provider could not start the checkout; nothing was charged. Please try again."
        ) from exc
    Purchase.objects.filter(pk=purchase.pk).update(provider_ref=start.provider_ref)
    return start.redirect_url


def _send_receipt(purchase_id: int) -> None:
    purchase = Purchase.objects.select_related("user").get(pk=purchase_id)
    context = {"purchase": purchase}
    send_mail(
        subject=f"[Coinshop] Receipt: {purchase.coins:,} coins",
        message=render_to_string("emails/receipt.txt", context),
        html_message=render_to_string("emails/receipt.html", context),
        from_email=None,
        recipient_list=[purchase.user.email],
    )


# A purchase the person walked away from (cancelled) or that timed out (expired) is still settled if the provider
# did take the money later (the back button on the provider's page, a slow bank): the coins must arrive.
SETTLEABLE = (PurchaseStatus.PENDING, PurchaseStatus.EXPIRED, PurchaseStatus.CANCELLED)


def purchase_confirm(*, purchase_id: int) -> Purchase:
    """Re-read the payment from the provider and settle the purchase: credit coins exactly once.

    Safe to run any number of times, concurrently: ``pending -> paid`` happens under a row lock and the ledger
    posting carries the purchase's idempotency key. Coins come from the purchase row, never from the event.
    """
    purchase = Purchase.objects.get(pk=purchase_id)
    if purchase.status not in SETTLEABLE:
        return purchase
    state = get_provider(purchase.provider).retrieve_payment(purchase)  # network: outside the lock
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update().get(pk=purchase_id)
        if purchase.status not in SETTLEABLE:
            return purchase
        if state.status == "succeeded":
            if state.amount_minor != purchase.price_minor or state.currency.upper() != purchase.currency.upper():
                logger.error(
                    "purchase %s: provider reports %s %s, expected %s %s; not credited",
                    purchase.public_id,
                    state.amount_minor,
                    state.currency,
                    purchase.price_minor,
                    purchase.currency,
                )
                purchase.status = PurchaseStatus.FAILED
                purchase.failure_reason = (
                    "The amount paid did not match the price. Contact support; no coins were added."
                )
                purchase.save(update_fields=["status", "failure_reason", "updated_at"])
                return purchase
            purchase.status = PurchaseStatus.PAID
            purchase.paid_at = timezone.now()
            purchase.failure_reason = ""
            purchase.save(update_fields=["status", "paid_at", "failure_reason", "updated_at"])
            user_lock_for_credit(user_id=purchase.user_id)
            ledger_transaction_post(
                kind=TransactionKind.PURCHASE,
                idempotency_key=purchase.idempotency_key,
                postings=[
                    Posting(ledger_account_for_user(user=purchase.user_id, asset=Asset.COIN), purchase.coins),
                    Posting(ledger_system_account(code=SystemAccount.COIN_ISSUANCE), -purchase.coins),
                ],
                reference=("purchase", purchase.public_id),
                memo=f"{purchase.coins} coins for {money_format(purchase.price_minor, purchase.currency)}",
            )
            if not closed_account_forfeit(user_id=purchase.user_id, cause=purchase.idempotency_key):
                transaction.on_commit(lambda: _send_receipt(purchase_id))
        elif state.status == "failed" and purchase.status == PurchaseStatus.PENDING:
            purchase.status = PurchaseStatus.FAILED
            purchase.failure_reason = state.failure_reason or "The payment was declined."
            purchase.save(update_fields=["status", "failure_reason", "updated_at"])
        elif state.status == "expired" and purchase.status == PurchaseStatus.PENDING:
            purchase.status = PurchaseStatus.EXPIRED
            purchase.failure_reason = "The checkout expired before the payment was made."
            purchase.save(update_fields=["status", "failure_reason", "updated_at"])
    return purchase


def purchase_cancel(*, purchase: Purchase) -> Purchase:
    """The person left the checkout without paying."""
    Purchase.objects.filter(pk=purchase.pk, status=PurchaseStatus.PENDING).update(
        status=PurchaseStatus.CANCELLED, failure_reason="You cancelled the checkout; nothing was charged."
    )
    purchase.refresh_from_db()
    return purchase


def purchases_expire_stale(*, now: datetime | None = None) -> int:
    """Pending purchases older than ``PURCHASE_EXPIRY_MINUTES``: confirm if paid after all, else expire."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PURCHASE_EXPIRY_MINUTES)
    expired = 0
    for purchase_id in Purchase.objects.filter(status=PurchaseStatus.PENDING, created_at__lt=cutoff).values_list(
        "pk", flat=True
    ):
        try:
            purchase = purchase_confirm(purchase_id=purchase_id)
        except ProviderError:
            continue  # try again on the next run
        if purchase.status == PurchaseStatus.PENDING:
            expired += Purchase.objects.filter(pk=purchase_id, status=PurchaseStatus.PENDING).update(
                status=PurchaseStatus.EXPIRED,
                failure_reason="This purchase expired: no payment arrived within "
                f"{settings.PURCHASE_EXPIRY_MINUTES} minutes. Nothing was charged.",
            )
    return expired


# --- refunds and disputes --------------------------------------------------------------------


def purchase_claw_back(*, purchase: Purchase, kind: str, new_status: str) -> CoinDebt | None:
    """Take the purchase's coins back after a refund or a dispute, once. What was already spent becomes a debt."""
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        if purchase.paid_at is None:
            return None  # never credited: nothing to take back
        key = f"{purchase.idempotency_key}-clawback"
        already = CoinDebt.objects.filter(purchase=purchase).first()
        if already is not None or LedgerTransaction.objects.filter(idempotency_key=key).exists():
            return already
        account = ledger_account_for_user(user=purchase.user_id, asset=Asset.COIN)
        account = LedgerAccount.objects.select_for_update().get(pk=account.pk)
        take = min(account.balance, purchase.coins)
        owed = purchase.coins - take
        if take:
            ledger_transaction_post(
                kind=kind,
                idempotency_key=key,
                postings=[
                    Posting(account, -take),
                    Posting(ledger_system_account(code=SystemAccount.COIN_ISSUANCE), take),
                ],
                reference=("purchase", purchase.public_id),
                memo=f"{purchase.get_status_display()} -> {new_status}: {take} coins taken back",
            )
        debt = CoinDebt.objects.create(user_id=purchase.user_id, purchase=purchase, coins=owed) if owed else None
        purchase.status = new_status
        purchase.save(update_fields=["status", "updated_at"])
        return debt


def purchase_dispute_won(*, purchase: Purchase) -> None:
    """The dispute was decided for us: give back exactly what the clawback took, and cancel the debt. Once."""
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        clawback = LedgerTransaction.objects.filter(idempotency_key=f"{purchase.idempotency_key}-clawback").first()
        if clawback is not None:
            taken = -sum(e.amount for e in clawback.entries.filter(account__owner_id=purchase.user_id))
            if taken > 0:
                user_lock_for_credit(user_id=purchase.user_id)
                ledger_transaction_post(
                    kind=TransactionKind.DISPUTE_RESTORE,
                    idempotency_key=f"{purchase.idempotency_key}-restore",
                    postings=[
                        Posting(ledger_account_for_user(user=purchase.user_id, asset=Asset.COIN), taken),
                        Posting(ledger_system_account(code=SystemAccount.COIN_ISSUANCE), -taken),
                    ],
                    reference=("purchase", purchase.public_id),
                    memo="Dispute won: coins restored",
                )
                closed_account_forfeit(user_id=purchase.user_id, cause=f"{purchase.idempotency_key}-restore")
        CoinDebt.objects.filter(purchase=purchase, settled_at__isnull=True).update(
            settled_at=timezone.now(), settled_reason="Dispute won"
        )
        if purchase.status == PurchaseStatus.DISPUTED:
            purchase.status = PurchaseStatus.PAID
            purchase.save(update_fields=["status", "updated_at"])


def debt_settle(*, debt: CoinDebt, staff: User, reason: str) -> CoinDebt:
    if not reason.strip():
        raise ValidationError("Give a reason.")
    with transaction.atomic():
        settled = CoinDebt.objects.filter(pk=debt.pk, settled_at__isnull=True).update(
            settled_at=timezone.now(), settled_reason=f"{reason.strip()} (by {staff.email})"[:255]
        )
        if settled:
            audit_record(actor=staff, action="debt.settle", obj=debt, coins=debt.coins, reason=reason.strip())
    debt.refresh_from_db()
    return debt


def purchase_sandbox_staff_event(*, staff: User, purchase: Purchase, event_type: str) -> None:
    """Staff's sandbox buttons (refund, dispute opened / won / lost): the sandbox bank says so by webhook, through
    the same path as a real provider's event. Audited."""
    from .providers.sandbox import sandbox_staff_event

    if purchase.provider != "sandbox":
        raise ValidationError("Not a sandbox purchase.")
    with transaction.atomic():
        sandbox_staff_event(purchase_public_id=str(purchase.public_id), event_type=event_type)
        audit_record(actor=staff, action=f"purchase.sandbox.{event_type}", obj=purchase, coins=purchase.coins)


# --- webhooks --------------------------------------------------------------------------------


def webhook_receive(*, provider: str, payload: bytes, headers: dict[str, str]) -> str:
    """Verify and handle one webhook delivery. Raises ``WebhookError`` (answer 400) for anything not genuine."""
    event = get_provider(provider).parse_webhook(payload, headers)
    return payment_event_handle(provider=provider, event=event)


def payment_event_handle(*, provider: str, event: WebhookEvent) -> str:
    """React to a verified provider event, once per event id. Returns what happened, for logs and tests."""
    with transaction.atomic():
        purchase = None
        if event.purchase_public_id:
            try:
                purchase = Purchase.objects.filter(public_id=uuid.UUID(event.purchase_public_id)).first()
            except ValueError:
                purchase = None
        if purchase is None and event.provider_ref:
            purchase = Purchase.objects.filter(provider_ref=event.provider_ref).first()
        if purchase is not None and purchase.provider != provider:
            purchase = None
        try:
            with transaction.atomic():
                PaymentEvent.objects.create(
                    provider=provider,
                    event_id=event.event_id,
                    event_type=event.type,
                    purchase=purchase,
                    payload=event.data,
                )
        except IntegrityError:
            return "duplicate"
        if purchase is None:
            logger.warning("%s event %s (%s) names no known purchase", provider, event.event_id, event.type)
            return "unknown purchase"
        if event.type in (
            events.PAYMENT_SUCCEEDED,
            events.PAYMENT_FAILED,
            events.PAYMENT_PROCESSING,
            events.CHECKOUT_EXPIRED,
        ):
            purchase_id = purchase.pk
            transaction.on_commit(lambda: task_enqueue("wallet.tasks.purchase_confirm_task", purchase_id))
            return "confirmation queued"
        if event.type == events.PAYMENT_REFUNDED:
            purchase_claw_back(
                purchase=purchase, kind=TransactionKind.REFUND_CLAWBACK, new_status=PurchaseStatus.REFUNDED
            )
            return "refunded"
        if event.type == events.DISPUTE_OPENED:
            purchase_claw_back(
                purchase=purchase, kind=TransactionKind.DISPUTE_CLAWBACK, new_status=PurchaseStatus.DISPUTED
            )
            return "disputed"
        if event.type == events.DISPUTE_WON:
            purchase_dispute_won(purchase=purchase)
            return "dispute won"
        if event.type == events.DISPUTE_LOST:
            return "dispute lost"
        return "ignored"


# --- closed accounts -----------------------------------------------------------------------------


def user_balances_forfeit(*, user: User, cause: str = "") -> dict[str, int]:
    """Whatever coins and diamonds the person holds go to the forfeiture account; returns what was forfeited per
    asset. Closing an account (``cause`` empty) calls it once; money that reaches the account after it was closed is
    forfeited with ``cause`` naming the credit that brought it (``closed_account_forfeit``).

    Each balance is read under its row locks (every shard of a DIAMOND account), so a credit committed a moment
    earlier is forfeited too, never left behind."""
    forfeited: dict[str, int] = {}
    for account in LedgerAccount.objects.filter(owner=user).order_by("pk"):
        if account.sharded:
            shards = LedgerBalanceShard.objects.select_for_update().filter(account_id=account.pk).order_by("shard")
            balance = sum(shard.balance for shard in shards)
        else:
            balance = LedgerAccount.objects.select_for_update().get(pk=account.pk).balance
        if balance > 0:
            key = f"forfeit-{user.pk}-{account.asset}" + (f"-{cause}" if cause else "")
            ledger_transaction_post(
                kind=TransactionKind.FORFEITURE,
                idempotency_key=key,
                postings=[
                    Posting(account, -balance),
                    Posting(ledger_system_account(code=SystemAccount.FORFEITURE, asset=account.asset), balance),
                ],
                reference=("user", user.pk),
                memo="Arrived after the account was closed: forfeited" if cause else "Account closed: forfeited",
            )
            forfeited[account.asset] = balance
    return forfeited


def user_lock_for_credit(*, user_id: int) -> None:
    """Lock the person's row before crediting money that may arrive after their account was closed (a payment
    confirmed late, a payout that failed, a dispute won). Closing takes the same lock first, so the two never
    interleave: the credit lands before the closing (which then forfeits it) or after (``closed_account_forfeit``)."""
    User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True).first()


def closed_account_forfeit(*, user_id: int, cause: str) -> bool:
    """After a credit (under ``user_lock_for_credit``, in the same transaction): if the account is closed, forfeit
    what just arrived, so a closed account never keeps a balance. ``cause`` is the credit's idempotency key.
    Returns whether the account was closed."""
    user = User.objects.filter(pk=user_id, deleted_at__isnull=False).first()
    if user is None:
        return False
    user_balances_forfeit(user=user, cause=cause)
    return True
