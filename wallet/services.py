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
from typing import Any

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
from coinshop.http import int_or_none

from .forfeit import closed_account_forfeit, user_balances_forfeit, user_lock_for_credit
from .ledger import (
    AccountClosed,
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
    PaymentEvent,
    PaymentMethod,
    Purchase,
    PurchaseStatus,
    RechargeBudget,
    ReversalKind,
    SystemAccount,
    TransactionKind,
)
from .money import money_format, money_to_minor
from .providers import ProviderError, WebhookEvent, get_provider
from .providers import base as events
from .refunds import purchase_disputes_open, purchase_reversal_record, purchase_reversals_apply_on_payment
from .spending import SpendRefused, budget_effective_caps, budget_effective_limit, spend_check
from .velocity import purchase_velocity_check

__all__ = [
    "AccountClosed",
    "InsufficientFunds",
    "Posting",
    "UnbalancedTransaction",
    "closed_account_forfeit",
    "ledger_account_for_user",
    "ledger_accounts_get",
    "ledger_adjustment_post",
    "ledger_system_account",
    "ledger_transaction_post",
    "ledger_transaction_reverse",
    "user_balances_forfeit",
    "user_lock_for_credit",
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
    purchase_velocity_check(user=user)


# --- budget ----------------------------------------------------------------------------------


_KEEP: Any = object()  # a cap not given: left as it is


@transaction.atomic
def budget_set(
    *,
    user: User,
    limit_minor: int | None,
    daily_limit_minor: Any = _KEEP,
    gift_limit_minor: Any = _KEEP,
    now: datetime | None = None,
) -> RechargeBudget:
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
    # The daily and per-gift caps (when given) follow the same rule: lowering now, raising after the delay.
    daily_now, gift_now = budget_effective_caps(user=user, now=now)
    budget.daily_limit_minor, budget.gift_limit_minor, budget.pending_caps = daily_now, gift_now, {}
    for name, new_cap, old_cap in (("daily", daily_limit_minor, daily_now), ("gift", gift_limit_minor, gift_now)):
        if new_cap is _KEEP:
            continue
        if new_cap is not None and new_cap < 0:  # type: ignore[operator]
            raise ValidationError("The limit cannot be negative.")
        if old_cap is not None and (new_cap is None or new_cap > old_cap):  # type: ignore[operator]
            budget.pending_caps[name] = new_cap
            budget.pending_effective_at = now + timedelta(hours=settings.BUDGET_RAISE_DELAY_HOURS)
        else:
            setattr(budget, f"{name}_limit_minor", new_cap)
    if budget.pending_effective_at and not is_raise:
        budget.pending_limit_minor = budget.monthly_limit_minor  # only a cap is waiting: the monthly one stays
        budget.pending_unlimited = budget.monthly_limit_minor is None
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
        below = (
            CoinPackage.objects.filter(active=True, currency=settings.CURRENCY, coins__lte=coins)
            .order_by("-coins")
            .first()
        )
        if (
            below is not None
        ):  # never dearer per coin than the largest package it covers (rounded in the buyer's favour)
            price = max(1, min(price, coins * below.price_minor // below.coins))
    else:
        raise ValidationError("Choose a coin package or enter a number of coins.")
    if payment_method not in METHODS_BY_CURRENCY.get(currency, [PaymentMethod.CARD]):
        raise ValidationError("That payment method is not available for this currency.")
    return RechargeQuote(coins, price, currency, package, payment_method)


def purchase_create(*, user: User, quote: RechargeQuote, idempotency_key: uuid.UUID | None = None) -> Purchase:
    """Create the pending purchase for a reviewed quote, after every rule a person must pass."""
    purchase_velocity_check(user=user)  # first, outside the transaction: a review it opens must stay
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one purchase decision at a time per person
        if idempotency_key is not None:
            existing = Purchase.objects.filter(public_id=idempotency_key).first()
            if existing is not None and existing.user_id != user.pk:  # someone else's key: never theirs to reuse
                raise ValidationError(
                    "This purchase form is no longer valid. Please choose your coins again.", code="foreign_key"
                )
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
            purchase_reversals_apply_on_payment(purchase=purchase)
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


def purchase_claw_back(*, purchase: Purchase, kind: str, new_status: str = "") -> CoinDebt | None:
    """A full refund (``kind`` refund_clawback) or a dispute opened (dispute_clawback) of the whole price, as one
    step of ``wallet.refunds``; returns the debt it recorded, if any. (Staff tools and tests; webhooks say more.)"""
    step = purchase_reversal_record(
        purchase=purchase,
        kind=ReversalKind.REFUND if kind == TransactionKind.REFUND_CLAWBACK else ReversalKind.DISPUTE_OPENED,
    )
    return CoinDebt.objects.filter(reversal=step).first()


def purchase_dispute_won(*, purchase: Purchase) -> None:
    """Every dispute of this purchase still open was decided for us: one ``dispute_won`` step each."""
    for ref in purchase_disputes_open(purchase=purchase):
        purchase_reversal_record(purchase=purchase, kind=ReversalKind.DISPUTE_WON, dispute_ref=ref)


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


REVERSAL_EVENTS = {
    events.PAYMENT_REFUNDED: ReversalKind.REFUND,
    events.DISPUTE_OPENED: ReversalKind.DISPUTE_OPENED,
    events.DISPUTE_WON: ReversalKind.DISPUTE_WON,
    events.DISPUTE_LOST: ReversalKind.DISPUTE_LOST,
}


def _event_amount(event: WebhookEvent, key: str) -> int | None:
    """An amount in minor units the event names (a refund's running total, a dispute's amount), or None."""
    value = event.data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int_or_none(value) if isinstance(value, str) else None


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
                payment_event = PaymentEvent.objects.create(
                    provider=provider,
                    event_id=event.event_id,
                    event_type=event.type,
                    purchase=purchase,
                    payload=event.data,
                )
        except IntegrityError:
            return "duplicate: this event was already handled, nothing changed"
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
        kind = REVERSAL_EVENTS.get(event.type)
        if kind is not None:
            step = purchase_reversal_record(
                purchase=purchase,
                kind=kind,
                amount_minor=_event_amount(event, "amount_refunded" if kind == ReversalKind.REFUND else "amount"),
                dispute_ref=str(event.data.get("dispute_id") or event.data.get("dispute") or ""),
                event=payment_event,
            )
            return step.result
        return "ignored"
