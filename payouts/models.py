"""Payout details, payout requests with their timeline, and the sandbox bank's transfers.

Diamonds move through the ledger only (``wallet.services``): a request holds them in payout clearing; ``paid``
settles them as redeemed; ``failed``, ``rejected`` or ``cancelled`` returns them. Cash is integer minor units
computed from the rate snapshotted on the request, so cash paid = diamonds x rate, exactly.
"""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import CreatorProfile
from wallet.money import money_format, money_from_minor


class PayoutAccount(models.Model):
    class Outcome(models.TextChoices):
        SUCCEED = "succeed", "Transfers succeed"
        FAIL = "fail", "Transfers fail (the bank rejects them)"

    creator = models.OneToOneField(CreatorProfile, on_delete=models.PROTECT, related_name="payout_account")
    provider = models.CharField(max_length=16)
    holder_name = models.CharField(max_length=100, blank=True)
    iban = models.CharField(max_length=34, blank=True)
    stripe_account_id = models.CharField(max_length=64, blank=True)
    stripe_payouts_enabled = models.BooleanField(
        default=False, help_text="Stripe says the connected account finished onboarding and can receive transfers."
    )
    sandbox_outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.SUCCEED)
    changed_at = models.DateTimeField(default=timezone.now)
    hold_until = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"payout account of @{self.creator_id}"

    @property
    def iban_masked(self) -> str:
        return f"{self.iban[:4]} •••• {self.iban[-4:]}" if self.iban else ""

    @property
    def description(self) -> str:
        """What the creator sees: the bank account, or the connected Stripe account."""
        if self.provider == "stripe":
            state = "ready" if self.stripe_payouts_enabled else "onboarding not finished"
            return f"Stripe account {self.stripe_account_id} ({state})"
        return f"{self.holder_name}, {self.iban_masked}"

    @property
    def fingerprint(self) -> str:
        """A digest of where the money goes (provider, holder, IBAN, Stripe account): a payout keeps the one it was
        requested and approved with, and is sent only while the details still match it."""
        where = "\x1f".join([self.provider, self.holder_name, self.iban, self.stripe_account_id])
        return hashlib.sha256(where.encode()).hexdigest()


class PayoutStatus(models.TextChoices):
    REQUESTED = "requested", "Waiting for review"
    APPROVED = "approved", "Approved"
    PROCESSING = "processing", "Sending"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed (diamonds returned)"
    REJECTED = "rejected", "Rejected (diamonds returned)"
    CANCELLED = "cancelled", "Cancelled (diamonds returned)"


class Payout(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="payouts")
    diamonds = models.PositiveBigIntegerField()
    rate = models.DecimalField(max_digits=12, decimal_places=6, help_text="Cash per diamond, snapshotted.")
    cash_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED)
    provider = models.CharField(max_length=16)
    provider_ref = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    review_reason = models.CharField(
        max_length=255, blank=True, help_text="Why it waits for staff (empty: approved automatically)."
    )
    details_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="The payout details it was requested and approved with (a digest)."
    )
    # Where the money goes: the approved payout details, copied when sending starts. A task redelivered after its
    # worker died sends there again (same idempotency key: the provider makes one transfer), never to details
    # changed since. Blanked once the payout is paid or failed (``payouts.services.payout_process``).
    destination = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(diamonds__gt=0), name="payout_diamonds_positive"),
            models.CheckConstraint(condition=Q(cash_minor__gt=0), name="payout_cash_positive"),
        ]

    def __str__(self) -> str:
        return f"Payout {self.public_id} ({self.diamonds} diamonds, {self.status})"

    @property
    def cash(self) -> Decimal:
        """The cash in major units of the payout's currency (``cash_minor`` is minor units of ``currency``)."""
        return money_from_minor(self.cash_minor, self.currency)

    @property
    def cash_display(self) -> str:
        """The cash as a person reads it ("$200.00", "KWD12.345", "¥30,000")."""
        return money_format(self.cash_minor, self.currency)

    @property
    def idempotency_key(self) -> str:
        return f"payout-{self.public_id}"


class PayoutEvent(models.Model):
    """One row per state change: the timeline shown to the creator and to staff."""

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(max_length=12, choices=PayoutStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.payout_id}: {self.status}"


class SandboxTransfer(models.Model):
    """The sandbox bank's record: at most one transfer per payout, whatever happens to the worker."""

    id = models.CharField(primary_key=True, max_length=40)
    payout_public_id = models.UUIDField(unique=True)
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    succeeded = models.BooleanField()
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.id
