"""Wallet writes: purchases (recharge), confirmation, refunds and disputes, budgets, forfeiture.

Every balance change goes through ``wallet.ledger.ledger_transaction_post``; it is re-exported here so other
apps import the ledger from one place: ``from wallet.services import ledger_transaction_post, Posting``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import staff_action_record, user_is_email_verified

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
    LedgerTransaction,
    PaymentEvent,
    PaymentMethod,
    Purchase,
    PurchaseStatus,
    RechargeBudget,
    SystemAccount,
    TransactionKind,
)
from .providers import ProviderError, WebhookEvent, get_provider
from .providers import base as events

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


# --- money helpers ---------------------------------------------------------------------------


def money_to_minor(amount: Decimal, currency: str = "USD") -> int:
    """Decimal money to integer minor units (the only rounding in the wallet, half up)."""
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def custom_price_minor(*, coins: int) -> int:
    return money_to_minor(Decimal(coins) * settings.CUSTOM_COIN_PRICE, settings.CURRENCY)


# --- who may buy -----------------------------------------------------------------------------


def user_open_debt_coins(*, user: User) -> int:
    return CoinDebt.objects.filter(user=user, settled_at__isnull=True).aggregate(t=Sum("coins"))["t"] or 0


def user_has_open_debt(*, user_id: int) -> bool:
    """Whether the person owes coins (a refund or dispute took back coins already spent): then they may not spend.

    Asked on every gift, so it is one plain statement (a sixth of the ORM's cost for the same query here)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {CoinDebt._meta.db_table} "  # noqa: S608 - our table
            "WHERE user_id = %s AND settled_at IS NULL)",
            [user_id],
        )
        return bool(cursor.fetchone()[0])


def user_purchase_block_reason(*, user: User) -> str | None:
    """Why this person may not buy coins now, in words, or None."""
    if not user.is_authenticated:
        return "Log in to buy coins."
    if not user.is_adult:
        return "You must be 18 or older to buy coins."
    if not user_is_email_verified(user=user):
        return "Confirm your email address before you buy coins."
    if user.is_frozen:
        return "Your account is restricted, so you cannot buy coins. Contact support."
    debt = user_open_debt_coins(user=user)
    if debt:
        return (
            f"Your account owes {debt:,} coins after a refund or chargeback, so it may not buy or gift until that "
            "is settled. Contact support."
        )
    return None


# --- budget ----------------------------------------------------------------------------------


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def budget_effective_limit(*, user: User, now: datetime | None = None) -> int | None:
    """The monthly recharge limit in force (minor units), applying a pending raise once its 24 hours passed."""
    now = now or timezone.now()
    budget = RechargeBudget.objects.filter(user=user).first()
    if budget is None:
        return None
    if budget.pending_effective_at and budget.pending_effective_at <= now:
        return None if budget.pending_unlimited else budget.pending_limit_minor
    return budget.monthly_limit_minor


def budget_spent_this_month(*, user: User, now: datetime | None = None) -> int:
    now = now or timezone.now()
    counted = [
        PurchaseStatus.PENDING,
        PurchaseStatus.PAID,
        PurchaseStatus.REFUNDED,
        PurchaseStatus.DISPUTED,
    ]
    return (
        Purchase.objects.filter(
            user=user, created_at__gte=_month_start(now), status__in=counted, currency=settings.CURRENCY
        ).aggregate(t=Sum("price_minor"))["t"]
        or 0
    )


def budget_summary(*, user: User, now: datetime | None = None) -> tuple[int | None, int | None]:
    """The monthly limit in force and what is left of it this month (both None: no limit)."""
    limit = budget_effective_limit(user=user, now=now)
    if limit is None:
        return None, None
    return limit, max(0, limit - budget_spent_this_month(user=user, now=now))


def budget_remaining(*, user: User, now: datetime | None = None) -> int | None:
    return budget_summary(user=user, now=now)[1]


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
    reason = user_purchase_block_reason(user=user)
    if reason:
        raise ValidationError(reason)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one purchase decision at a time per person
        if idempotency_key is not None:
            existing = Purchase.objects.filter(public_id=idempotency_key, user=user).first()
            if existing is not None:  # the review page was submitted twice
                return existing
        remaining = budget_remaining(user=user)
        if remaining is not None and quote.currency == settings.CURRENCY and quote.price_minor > remaining:
            raise ValidationError(
                f"This purchase is over your monthly budget: {remaining / 100:.2f} {settings.CURRENCY} is left "
                "this month. Choose a smaller package or change your budget."
            )
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
    context = {"purchase": purchase, "price": purchase.price_minor / 100}
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
            ledger_transaction_post(
                kind=TransactionKind.PURCHASE,
                idempotency_key=purchase.idempotency_key,
                postings=[
                    Posting(ledger_account_for_user(user=purchase.user_id, asset=Asset.COIN), purchase.coins),
                    Posting(ledger_system_account(code=SystemAccount.COIN_ISSUANCE), -purchase.coins),
                ],
                reference=("purchase", purchase.public_id),
                memo=f"{purchase.coins} coins for {purchase.price_minor / 100:.2f} {purchase.currency}",
            )
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
            staff_action_record(actor=staff, action="debt.settle", obj=debt, coins=debt.coins, reason=reason.strip())
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
        staff_action_record(actor=staff, action=f"purchase.sandbox.{event_type}", obj=purchase, coins=purchase.coins)


# --- webhooks --------------------------------------------------------------------------------


def webhook_receive(*, provider: str, payload: bytes, headers: dict[str, str]) -> str:
    """Verify and handle one webhook delivery. Raises ``WebhookError`` (answer 400) for anything not genuine."""
    event = get_provider(provider).parse_webhook(payload, headers)
    return payment_event_handle(provider=provider, event=event)


def payment_event_handle(*, provider: str, event: WebhookEvent) -> str:
    """React to a verified provider event, once per event id. Returns what happened, for logs and tests."""
    from . import tasks

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
            transaction.on_commit(lambda: tasks.purchase_confirm_task.delay(purchase_id))
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


# --- account deletion ------------------------------------------------------------------------


def user_balances_forfeit(*, user: User) -> None:
    """Account deletion: whatever coins and diamonds are left go to the forfeiture account."""
    for account in LedgerAccount.objects.filter(owner=user).order_by("pk"):
        balance = account.balance if not account.sharded else sum(s.balance for s in account.shards.all())
        if balance > 0:
            ledger_transaction_post(
                kind=TransactionKind.FORFEITURE,
                idempotency_key=f"forfeit-{user.pk}-{account.asset}",
                postings=[
                    Posting(account, -balance),
                    Posting(ledger_system_account(code=SystemAccount.FORFEITURE, asset=account.asset), balance),
                ],
                reference=("user", user.pk),
                memo="Account deleted: balance forfeited",
            )
