"""Payout writes: payout details, requests, staff review, processing. Every diamond moves through the ledger.

State machine: requested -> approved -> processing -> paid | failed; requested -> rejected; requested or
approved -> cancelled (the creator closed their account). Each change is recorded as a ``PayoutEvent`` (who and
when) and emailed to the creator after commit (never to a closed account).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from accounts.audit import audit_record
from accounts.models import CreatorProfile, User
from accounts.selectors import user_has_2fa
from coinshop.celery import task_enqueue
from notifications.models import NotificationKind
from notifications.services import notify
from wallet.models import Asset, SystemAccount, TransactionKind
from wallet.money import money_format, money_format_amount, money_from_minor, rate_granularity, rate_total_minor
from wallet.services import (
    InsufficientFunds,
    Posting,
    closed_account_forfeit,
    ledger_account_for_user,
    ledger_system_account,
    ledger_transaction_post,
    user_lock_for_credit,
)
from wallet.spending import SpendRefused, spend_check

from .models import Payout, PayoutAccount, PayoutEvent, PayoutStatus
from .providers import payout_provider
from .selectors import creator_diamonds_summary, payout_cash_today, payout_review_reasons

logger = logging.getLogger(__name__)
OPEN_STATUSES = (PayoutStatus.REQUESTED, PayoutStatus.APPROVED, PayoutStatus.PROCESSING)


# --- details ---------------------------------------------------------------------------------


def _iban_parse(iban: str) -> str:
    """The IBAN in its compact form, checked by schwifty (country, per-country length and format, checksum)."""
    try:
        return str(IBAN(iban).compact)
    except SchwiftyException as exc:
        raise ValidationError(
            "That IBAN is not valid: check it for typos (it must have the length and format of its country's "
            "IBANs, letters A-Z and digits only, and a matching checksum)."
        ) from exc


def _email(user_id: int, subject: str, body: str) -> None:
    user = User.objects.get(pk=user_id)
    if user.is_deleted:  # a closed account has no address any more
        return
    send_mail(subject=f"[Coinshop] {subject}", message=body, from_email=None, recipient_list=[user.email])


def payout_account_set(
    *,
    creator: CreatorProfile,
    holder_name: str,
    iban: str,
    sandbox_outcome: str = "succeed",
    now: datetime | None = None,
) -> PayoutAccount:
    """Add or change the sandbox bank details (the sandbox provider). The caller has checked a fresh 2FA code;
    payouts wait 48 hours."""
    now = now or timezone.now()
    holder_name = holder_name.strip()
    if not holder_name:
        raise ValidationError("Enter the account holder's name.")
    compact = _iban_parse(iban)
    if sandbox_outcome not in PayoutAccount.Outcome.values:
        raise ValidationError("Choose a test outcome.")
    with transaction.atomic():
        account, _ = PayoutAccount.objects.select_for_update().get_or_create(
            creator=creator, defaults={"provider": "sandbox"}
        )
        account.provider = "sandbox"
        account.holder_name = holder_name
        account.iban = compact
        account.stripe_account_id = ""
        account.stripe_payouts_enabled = False
        account.sandbox_outcome = sandbox_outcome
        _details_changed(account, now)
        account.save()
    return account


# --- Stripe Connect (Express) ------------------------------------------------------------------
# With the Stripe provider a creator is paid by a Transfer to their own connected Express account: Stripe collects and
# checks their identity and bank details on its onboarding pages; we keep only the account id and whether Stripe says
# it can receive payouts.


def _details_changed(account: PayoutAccount, now: datetime) -> None:
    """Payout details were added or changed: pause payouts for the hold and tell the creator (on commit)."""
    account.changed_at = now
    account.hold_until = now + timedelta(hours=settings.PAYOUT_DETAILS_HOLD_HOURS)
    user_id = account.creator.user_id
    described = account.description
    transaction.on_commit(
        lambda: _email(
            user_id,
            "Your payout details changed",
            f"Your payout account was set to {described}. If this was not you, contact support at once.\n"
            f"For your safety, payouts are paused for {settings.PAYOUT_DETAILS_HOLD_HOURS} hours.",
        )
    )


def stripe_connect_onboarding_start(*, creator: CreatorProfile, return_url: str, refresh_url: str) -> str:
    """The URL of Stripe's onboarding for the creator's Express account (created on first use, once: the
    creation carries an idempotency key made from the creator). The caller has checked a fresh 2FA code."""
    from wallet.providers.stripe import stripe_client

    now = timezone.now()
    client = stripe_client()
    try:
        with transaction.atomic():
            account, _ = PayoutAccount.objects.select_for_update().get_or_create(
                creator=creator, defaults={"provider": "stripe"}
            )
            if not account.stripe_account_id or account.provider != "stripe":
                connected = client.v1.accounts.create(
                    params={
                        "type": "express",
                        "email": creator.user.email,
                        "capabilities": {"transfers": {"requested": True}},
                        "business_profile": {"url": f"{return_url.split('/creator/')[0]}/@{creator.handle}/"},
                        "metadata": {"creator_id": str(creator.pk), "handle": creator.handle},
                    },
                    options={"idempotency_key": f"connect-account-{creator.pk}-{account.pk}"},
                )
                account.provider = "stripe"
                account.stripe_account_id = connected.id
                account.stripe_payouts_enabled = False
                account.holder_name, account.iban = "", ""
                _details_changed(account, now)
                account.save()
        link = client.v1.account_links.create(
            params={
                "account": account.stripe_account_id,
                "type": "account_onboarding",
                "return_url": return_url,
                "refresh_url": refresh_url,
            }
        )
    except stripe.StripeError as exc:
        raise ValidationError(f"Stripe could not start the onboarding: {exc.user_message or exc}") from exc
    return str(link.url)


def stripe_connect_refresh(*, creator: CreatorProfile) -> PayoutAccount | None:
    """Ask Stripe whether the creator's connected account can receive payouts now (after onboarding)."""
    from wallet.providers.stripe import stripe_client

    account = PayoutAccount.objects.filter(creator=creator, provider="stripe").exclude(stripe_account_id="").first()
    if account is None:
        return None
    try:
        connected = stripe_client().v1.accounts.retrieve(account.stripe_account_id)
    except stripe.StripeError as exc:
        raise ValidationError(f"Stripe could not be asked about your account: {exc.user_message or exc}") from exc
    ready = bool(getattr(connected, "payouts_enabled", False)) and bool(getattr(connected, "details_submitted", False))
    PayoutAccount.objects.filter(pk=account.pk).update(stripe_payouts_enabled=ready)
    account.stripe_payouts_enabled = ready
    return account


# --- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutQuote:
    diamonds: int
    rate: Decimal
    cash_minor: int
    currency: str

    @property
    def cash(self) -> Decimal:
        return money_from_minor(self.cash_minor, self.currency)


def payout_quote(*, creator: CreatorProfile, diamonds: int, now: datetime | None = None) -> PayoutQuote:
    """Check a request against every limit and price it at the current rate (rounding diamonds down so the cash
    is a whole number of the currency's minor units: cash = diamonds x rate, exactly)."""
    now = now or timezone.now()
    rate, currency = settings.DIAMOND_CASH_VALUE, settings.CURRENCY
    minimum = settings.PAYOUT_MIN_DIAMONDS
    if type(diamonds) is not int or diamonds <= 0:
        raise ValidationError("Enter a whole number of diamonds.")
    diamonds -= diamonds % rate_granularity(rate=rate, currency=currency)
    summary = creator_diamonds_summary(creator=creator, now=now)
    if diamonds < minimum:
        worth = money_format_amount(minimum * rate, currency)
        raise ValidationError(f"The minimum payout is {minimum:,} diamonds ({worth}).")
    if diamonds > summary.available:
        pending = (
            f" {summary.pending:,} more are on hold for {settings.PAYOUT_HOLD_DAYS} days." if summary.pending else ""
        )
        raise ValidationError(f"You have {summary.available:,} diamonds available to pay out.{pending}")
    cash_minor = rate_total_minor(units=diamonds, rate=rate, currency=currency)
    limit = settings.PAYOUT_DAILY_LIMIT_MINOR
    today = payout_cash_today(creator=creator, now=now)
    if today + cash_minor > limit:
        left = max(0, limit - today)
        raise ValidationError(
            f"The daily payout limit is {money_format(limit, currency)}; {money_format(left, currency)} is left today."
        )
    return PayoutQuote(diamonds, rate, cash_minor, currency)


def _creator_problem(*, creator: CreatorProfile, now: datetime) -> str | None:
    user = creator.user
    if not user_has_2fa(user=user):
        return "Turn on two-factor authentication before you request a payout."
    try:
        spend_check(user=user, budget=False)  # 18 or older, not restricted, no open debt: every spender's rule
    except SpendRefused as refused:
        return refused.messages[0]
    account = PayoutAccount.objects.filter(creator=creator).first()
    if account is None:
        return "Add your payout details first."
    if account.provider != settings.PAYMENT_PROVIDER:
        return "Your payout details were set up for another payment provider: set them up again."
    if account.provider == "stripe" and not account.stripe_payouts_enabled:
        return "Finish your Stripe onboarding first: Stripe has not enabled payouts to your account yet."
    if account.hold_until > now:
        return (
            f"Your payout details changed recently; for your safety payouts resume on "
            f"{account.hold_until:%Y-%m-%d %H:%M} UTC."
        )
    return None


def _event(payout: Payout, status: str, actor: User | None = None, note: str = "") -> None:
    PayoutEvent.objects.create(payout=payout, status=status, actor=actor, note=note[:255])
    user_id, label, cash = payout.creator.user_id, PayoutStatus(status).label, payout.cash_display
    body = f"Your payout of {payout.diamonds:,} diamonds ({cash}) is now: {label}."
    if note:
        body += f"\n{note}"
    # In the creator's notifications and by email, as they chose (payouts: both, unless they turned one off).
    notify(
        user_id=user_id,
        kind=NotificationKind.PAYOUT,
        text=body,
        subject=f"Payout {label.lower()}",
        email_body=body,
        link=reverse("payout_detail", args=[payout.public_id]),
    )


def _enqueue_processing(payout: Payout) -> None:
    payout_id = payout.pk
    transaction.on_commit(lambda: task_enqueue("payouts.tasks.payout_process_task", payout_id))


def payout_request_create(*, creator: CreatorProfile, diamonds: int, now: datetime | None = None) -> Payout:
    """Redeem diamonds: they move to payout clearing at once; small requests from established creators are
    approved automatically, the rest wait for staff."""
    if settings.DEMO_MODE:  # a demonstration site: its coins were never paid for (coinshop.settings.production)
        raise ValidationError("Payouts are turned off on this demonstration site.")
    now = now or timezone.now()
    with transaction.atomic():
        # "No key": a gift to this creator in flight holds a diamond row this request's debit waits for, and takes a
        # key-share lock on the profile only as it commits (tests/payouts/test_concurrency_pg.py).
        creator = CreatorProfile.objects.select_for_update(no_key=True).select_related("user").get(pk=creator.pk)
        problem = _creator_problem(creator=creator, now=now)
        if problem:
            raise ValidationError(problem)
        quote = payout_quote(creator=creator, diamonds=diamonds, now=now)
        payout = Payout.objects.create(
            creator=creator,
            diamonds=quote.diamonds,
            rate=quote.rate,
            cash_minor=quote.cash_minor,
            currency=quote.currency,
            provider=settings.PAYMENT_PROVIDER,
            details_fingerprint=PayoutAccount.objects.get(creator=creator).fingerprint,
            created_at=now,
        )
        try:
            ledger_transaction_post(
                kind=TransactionKind.PAYOUT_HOLD,
                idempotency_key=f"{payout.idempotency_key}-hold",
                postings=[
                    Posting(ledger_account_for_user(user=creator.user_id, asset=Asset.DIAMOND), -quote.diamonds),
                    Posting(ledger_system_account(code=SystemAccount.PAYOUT_CLEARING), quote.diamonds),
                ],
                reference=("payout", payout.public_id),
                memo=f"Payout of {quote.diamonds:,} diamonds requested",
            )
        except InsufficientFunds as exc:
            raise ValidationError("You do not have that many diamonds available.") from exc
        _event(payout, PayoutStatus.REQUESTED, creator.user)
        reasons = payout_review_reasons(payout=payout, now=now)
        if reasons:
            payout.review_reason = " ".join(reasons)[:255]
            payout.save(update_fields=["review_reason", "updated_at"])
        else:
            payout.status = PayoutStatus.APPROVED
            payout.save(update_fields=["status", "updated_at"])
            _event(payout, PayoutStatus.APPROVED, None, "Approved automatically.")
            _enqueue_processing(payout)
    return payout


def _return_diamonds(payout: Payout, memo: str) -> None:
    """Diamonds held for ``payout`` go back to the creator; if the creator has closed their account meanwhile, they
    are forfeited at once (the caller holds the creator's user row lock: ``user_lock_for_credit``)."""
    key = f"{payout.idempotency_key}-return"
    ledger_transaction_post(
        kind=TransactionKind.PAYOUT_RETURN,
        idempotency_key=key,
        postings=[
            Posting(ledger_system_account(code=SystemAccount.PAYOUT_CLEARING), -payout.diamonds),
            Posting(ledger_account_for_user(user=payout.creator.user_id, asset=Asset.DIAMOND), payout.diamonds),
        ],
        reference=("payout", payout.public_id),
        memo=memo,
    )
    closed_account_forfeit(user_id=payout.creator.user_id, cause=key)


CANCELLABLE = (PayoutStatus.REQUESTED, PayoutStatus.APPROVED)


def payout_cancel(*, payout: Payout, reason: str, actor: User | None = None) -> Payout:
    """Cancel a payout not yet sent (waiting for review, or approved and queued): its diamonds go back to the
    creator. One being sent cannot be stopped. Used when the creator closes their account (``coinshop.closing``),
    inside that transaction, which already holds the creator's user row lock."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update(of=("self",)).select_related("creator").get(pk=payout.pk)
        if payout.status not in CANCELLABLE:
            raise ValidationError(
                f"This payout is {payout.get_status_display().lower()}; only ones not yet sent can be cancelled."
            )
        _return_diamonds(payout, f"Payout cancelled: {reason}")
        payout.status = PayoutStatus.CANCELLED
        payout.failure_reason = reason[:255]
        payout.save(update_fields=["status", "failure_reason", "updated_at"])
        _event(payout, PayoutStatus.CANCELLED, actor, reason)
    return payout


def payout_details_erase(*, creator: CreatorProfile) -> None:
    """Closing an account: the bank holder's name and IBAN go. A Stripe connected account's id stays (it names no
    one here, and a payout already being sent may need it to finish)."""
    PayoutAccount.objects.filter(creator=creator).update(holder_name="", iban="")


def payout_approve(*, payout: Payout, staff: User) -> Payout:
    with transaction.atomic():
        payout = Payout.objects.select_for_update(of=("self",)).select_related("creator").get(pk=payout.pk)
        if payout.creator.user_id == staff.pk:
            raise ValidationError("Nobody may approve their own payout.")
        if payout.status != PayoutStatus.REQUESTED:
            raise ValidationError(
                f"This payout is {payout.get_status_display().lower()}; only waiting ones can be approved."
            )
        account = PayoutAccount.objects.filter(creator_id=payout.creator_id).first()
        if account is None:
            raise ValidationError("The creator has no payout details any more; reject this payout.")
        now = timezone.now()
        if account.hold_until > now:
            raise ValidationError(
                f"The creator's payout details changed recently; this payout can be approved from "
                f"{account.hold_until:%Y-%m-%d %H:%M} UTC."
            )
        payout.status = PayoutStatus.APPROVED
        payout.details_fingerprint = account.fingerprint  # approved with the details staff saw
        payout.save(update_fields=["status", "details_fingerprint", "updated_at"])
        _event(payout, PayoutStatus.APPROVED, staff)
        audit_record(actor=staff, action="payout.approve", obj=payout, diamonds=payout.diamonds, cash=payout.cash)
        _enqueue_processing(payout)
    return payout


def payout_reject(*, payout: Payout, staff: User, reason: str) -> Payout:
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the creator a reason for the rejection.")
    with transaction.atomic():
        payout = Payout.objects.select_for_update(of=("self",)).select_related("creator").get(pk=payout.pk)
        if payout.creator.user_id == staff.pk:
            raise ValidationError("Nobody may review their own payout.")
        if payout.status != PayoutStatus.REQUESTED:
            raise ValidationError(
                f"This payout is {payout.get_status_display().lower()}; only waiting ones can be rejected."
            )
        _return_diamonds(payout, f"Payout rejected: {reason}")
        payout.status = PayoutStatus.REJECTED
        payout.failure_reason = reason[:255]
        payout.save(update_fields=["status", "failure_reason", "updated_at"])
        _event(payout, PayoutStatus.REJECTED, staff, reason)
        audit_record(actor=staff, action="payout.reject", obj=payout, reason=reason)
    return payout


DETAILS_CHANGED = (
    "The payout details changed after this payout was requested and approved; check the new details "
    "({details}) before approving it again."
)


def _back_to_review(payout: Payout, account: PayoutAccount | None) -> None:
    """An approved payout whose payout details are no longer the ones it was requested and approved with goes back
    to the review queue (the caller holds the payout's lock, in its transaction): nothing is sent."""
    details = account.description if account else "none"
    payout.status = PayoutStatus.REQUESTED
    payout.review_reason = DETAILS_CHANGED.format(details=details)[:255]
    payout.save(update_fields=["status", "review_reason", "updated_at"])
    _event(
        payout,
        PayoutStatus.REQUESTED,
        note="Your payout details changed after you requested this payout, so staff will review it again.",
    )
    audit_record(actor=None, action="payout.details_changed", obj=payout, details=details)


DESTINATION_FIELDS = ("provider", "holder_name", "iban", "stripe_account_id", "sandbox_outcome")


def _destination(account: PayoutAccount) -> dict[str, str]:
    return {name: getattr(account, name) for name in DESTINATION_FIELDS}


def payout_process(*, payout_id: int) -> Payout:
    """Send an approved payout through the provider, once, and settle it. Safe to run again at any point:
    the provider call carries the payout's idempotency key and each ledger posting its own.

    Money goes only to the details the payout was approved with: they are checked and copied to the payout
    (``destination``) as sending starts, under its lock. A task redelivered after its worker died (or while a slow
    call is still under way) sends to that copy again with the same key, so the provider makes one transfer, to the
    approved details, whatever the details are by then."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update(of=("self",)).select_related("creator").get(pk=payout_id)
        if payout.status == PayoutStatus.APPROVED:
            account = PayoutAccount.objects.filter(creator_id=payout.creator_id).first()
            if account is None or account.fingerprint != payout.details_fingerprint:
                _back_to_review(payout, account)
                return payout
            payout.status = PayoutStatus.PROCESSING
            payout.destination = _destination(account)
            payout.save(update_fields=["status", "destination", "updated_at"])
            _event(payout, PayoutStatus.PROCESSING)
        elif payout.status != PayoutStatus.PROCESSING:
            return payout
        if not payout.destination:
            raise ValidationError("This payout has no recorded destination: check it with the provider first.")
    destination = PayoutAccount(creator=payout.creator, **payout.destination)
    result = payout_provider(payout.provider).send_payout(payout, destination)  # network: outside any lock
    with transaction.atomic():
        # The creator's row first, then the payout: the order closing an account takes them in. A failed payout's
        # diamonds then return before a closing (which forfeits them) or after it (and are forfeited at once).
        user_lock_for_credit(user_id=payout.creator.user_id)
        payout = Payout.objects.select_for_update(of=("self",)).select_related("creator").get(pk=payout_id)
        if payout.status != PayoutStatus.PROCESSING:
            return payout
        payout.provider_ref = result.provider_ref
        if result.succeeded:
            ledger_transaction_post(
                kind=TransactionKind.PAYOUT_SETTLE,
                idempotency_key=f"{payout.idempotency_key}-settle",
                postings=[
                    Posting(ledger_system_account(code=SystemAccount.PAYOUT_CLEARING), -payout.diamonds),
                    Posting(ledger_system_account(code=SystemAccount.DIAMOND_REDEEMED), payout.diamonds),
                ],
                reference=("payout", payout.public_id),
                memo=f"Paid {payout.cash_display} ({result.provider_ref})",
            )
            payout.status = PayoutStatus.PAID
            _event(payout, PayoutStatus.PAID, note=f"{payout.cash_display} sent ({result.provider_ref}).")
        else:
            _return_diamonds(payout, f"Payout failed: {result.failure_reason}")
            payout.status = PayoutStatus.FAILED
            payout.failure_reason = result.failure_reason[:255]
            _event(payout, PayoutStatus.FAILED, note=f"{result.failure_reason} Your diamonds are back.")
        payout.destination = {}  # settled: the copy of the bank details is not kept
        payout.save(update_fields=["status", "provider_ref", "failure_reason", "destination", "updated_at"])
    return payout
