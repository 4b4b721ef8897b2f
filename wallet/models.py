"""The ledger (DESIGN.md "Money model"), coin packages, purchases and budgets.

Double entry: a ``LedgerTransaction`` owns two or more ``LedgerEntry`` rows whose amounts sum to zero per asset.
Rows are never updated or deleted. Only ``wallet.services`` writes them.

Balances: a person's account keeps a cached ``balance`` (``CHECK balance >= 0``), updated in the same database
transaction as its entries. A creator's DIAMOND account is credited by many senders at once, so its cached balance
is spread over ``LedgerBalanceShard`` rows (each ``>= 0``): a gift updates one random shard, a payout locks them all.
System accounts (issuance, gift sink, clearing, ...) have no cached balance at all: every gift touches them, so they
must never be a locked row; their balance is the sum of their entries.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .money import money_format


class Asset(models.TextChoices):
    COIN = "COIN", "Coins"
    DIAMOND = "DIAMOND", "Diamonds"


class SystemAccount(models.TextChoices):
    COIN_ISSUANCE = "coin_issuance", "Coin issuance (coins sold)"
    COIN_SINK = "coin_sink", "Gift sink / platform revenue (coins spent)"
    DIAMOND_ISSUANCE = "diamond_issuance", "Diamond issuance (diamonds credited to creators)"
    PAYOUT_CLEARING = "payout_clearing", "Payout clearing (diamonds being paid out)"
    DIAMOND_REDEEMED = "diamond_redeemed", "Diamonds redeemed (paid out as cash)"
    FORFEITURE = "forfeiture", "Forfeiture (deleted accounts)"
    ADJUSTMENT = "adjustment", "Staff adjustments"


SYSTEM_ACCOUNT_ASSET = {
    SystemAccount.COIN_ISSUANCE: Asset.COIN,
    SystemAccount.COIN_SINK: Asset.COIN,
    SystemAccount.DIAMOND_ISSUANCE: Asset.DIAMOND,
    SystemAccount.PAYOUT_CLEARING: Asset.DIAMOND,
    SystemAccount.DIAMOND_REDEEMED: Asset.DIAMOND,
}


class LedgerAccount(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    system_code = models.CharField(max_length=32, null=True, blank=True)
    asset = models.CharField(max_length=8, choices=Asset.choices)
    balance = models.BigIntegerField(default=0, help_text="Cached; equals the sum of the entries (shards if sharded).")
    sharded = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "asset"], condition=Q(owner__isnull=False), name="ledger_one_account_per_owner_asset"
            ),
            models.UniqueConstraint(
                fields=["system_code", "asset"],
                condition=Q(system_code__isnull=False),
                name="ledger_one_system_account_per_code_asset",
            ),
            models.CheckConstraint(
                condition=(Q(owner__isnull=False) & Q(system_code__isnull=True))
                | (Q(owner__isnull=True) & Q(system_code__isnull=False)),
                name="ledger_account_owner_xor_system",
            ),
            models.CheckConstraint(
                condition=Q(system_code__isnull=False) | Q(balance__gte=0), name="ledger_user_balance_non_negative"
            ),
        ]

    def __str__(self) -> str:
        who = self.system_code or f"user {self.owner_id}"
        return f"{who} {self.asset}"

    @property
    def is_system(self) -> bool:
        return self.system_code is not None


class LedgerBalanceShard(models.Model):
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="shards")
    shard = models.PositiveSmallIntegerField()
    balance = models.BigIntegerField(default=0)
    # Set when the owner's account is closed (``wallet.forfeit``): money from others (a gift, a subscription) posted
    # with ``refuse_closed`` is then refused here, under the row lock, even when it passed every check before.
    closed = models.BooleanField(default=False)

    class Meta:
        ordering = ["account_id", "shard"]
        constraints = [
            models.UniqueConstraint(fields=["account", "shard"], name="ledger_shard_unique"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="ledger_shard_balance_non_negative"),
        ]

    def __str__(self) -> str:
        return f"shard {self.shard} of account {self.account_id}: {self.balance}"


class TransactionKind(models.TextChoices):
    PURCHASE = "purchase", "Coin purchase"
    REFUND_CLAWBACK = "refund_clawback", "Refund (coins taken back)"
    DISPUTE_CLAWBACK = "dispute_clawback", "Dispute (coins taken back)"
    DISPUTE_RESTORE = "dispute_restore", "Dispute won (coins restored)"
    DEBT_SETTLEMENT = "debt_settlement", "Debt settled"
    GIFT = "gift", "Gift"
    GIFT_UNDO = "gift_undo", "Gift cancelled"
    SHOP = "shop", "Sticker or effect"
    SUBSCRIPTION = "subscription", "Subscription"
    PAYOUT_HOLD = "payout_hold", "Payout requested"
    PAYOUT_RETURN = "payout_return", "Payout returned"
    PAYOUT_SETTLE = "payout_settle", "Payout paid"
    FORFEITURE = "forfeiture", "Forfeited (account deleted)"
    ADJUSTMENT = "adjustment", "Staff correction"


class LedgerTransaction(models.Model):
    kind = models.CharField(max_length=24, choices=TransactionKind.choices)
    idempotency_key = models.CharField(max_length=120, unique=True)
    reference_type = models.CharField(max_length=40, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    memo = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["reference_type", "reference_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    asset = models.CharField(max_length=8, choices=Asset.choices)
    amount = models.BigIntegerField(help_text="Signed: positive credits the account, negative debits it.")

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_non_zero")]
        indexes = [models.Index(fields=["account", "-id"])]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.asset} on {self.account_id}"


class PaymentMethod(models.TextChoices):
    CARD = "card", "Card"
    APPLE_PAY = "apple_pay", "Apple Pay"
    GOOGLE_PAY = "google_pay", "Google Pay"
    PAYPAL = "paypal", "PayPal"
    ALIPAY = "alipay", "Alipay"
    WECHAT_PAY = "wechat_pay", "WeChat Pay"


class CoinPackage(models.Model):
    coins = models.PositiveIntegerField()
    price_minor = models.PositiveIntegerField(help_text="Price in minor units (cents for USD).")
    currency = models.CharField(max_length=3, default="USD")
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "coins"]
        constraints = [
            models.CheckConstraint(condition=Q(coins__gt=0), name="package_coins_positive"),
            models.CheckConstraint(condition=Q(price_minor__gt=0), name="package_price_positive"),
            models.UniqueConstraint(fields=["coins", "currency"], name="package_unique_coins_currency"),
        ]

    def __str__(self) -> str:
        return f"{self.coins} coins ({money_format(self.price_minor, self.currency)})"


class PurchaseStatus(models.TextChoices):
    PENDING = "pending", "Confirming"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"
    PART_REFUNDED = "part_refunded", "Partly refunded"
    DISPUTED = "disputed", "Disputed"
    CHARGED_BACK = "charged_back", "Charged back"


class Purchase(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases")
    package = models.ForeignKey(CoinPackage, null=True, blank=True, on_delete=models.PROTECT)
    coins = models.PositiveIntegerField()
    price_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    provider = models.CharField(max_length=16)
    provider_ref = models.CharField(max_length=255, null=True, blank=True, unique=True)
    status = models.CharField(max_length=16, choices=PurchaseStatus.choices, default=PurchaseStatus.PENDING)
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(coins__gt=0), name="purchase_coins_positive"),
            models.CheckConstraint(condition=Q(price_minor__gt=0), name="purchase_price_positive"),
        ]
        indexes = [models.Index(fields=["user", "status", "created_at"])]

    def __str__(self) -> str:
        return f"Purchase {self.public_id} ({self.coins} coins, {self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"purchase-{self.public_id}"


class PaymentEvent(models.Model):
    """Every provider event we accepted, once: a repeated delivery finds its id here and changes nothing."""

    provider = models.CharField(max_length=16)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=64)
    purchase = models.ForeignKey(Purchase, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="payment_event_unique")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"


class ReversalKind(models.TextChoices):
    REFUND = "refund", "Refund"
    DISPUTE_OPENED = "dispute_opened", "Dispute opened"
    DISPUTE_WON = "dispute_won", "Dispute won"
    DISPUTE_LOST = "dispute_lost", "Dispute lost"


class PurchaseReversal(models.Model):
    """One step the provider reported about a paid purchase's money (a refund, a dispute opened, won or lost), with
    what it did to the coins. Append-only; ``wallet.refunds`` derives the money the platform keeps from all the steps
    of a purchase, so any order or repetition of them ends in the same place."""

    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="reversals")
    event = models.OneToOneField(PaymentEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="reversal")
    kind = models.CharField(max_length=16, choices=ReversalKind.choices)
    amount_minor = models.PositiveIntegerField(
        help_text="Refund: the total refunded so far (the provider's running figure). Dispute: the amount disputed."
    )
    dispute_ref = models.CharField(max_length=255, blank=True)
    coins_taken = models.PositiveIntegerField(default=0)
    coins_restored = models.PositiveIntegerField(default=0)
    debt_added = models.PositiveIntegerField(default=0)
    debt_cancelled = models.PositiveIntegerField(default=0)
    result = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["purchase", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of purchase {self.purchase_id}: {self.result}"

    @property
    def idempotency_key(self) -> str:
        return f"reversal-{self.pk}"


class CoinDebt(models.Model):
    """Coins a refund or dispute could not take back because they were already spent. While one is open the
    account may not buy or gift. A later step that gives coins back (a dispute won) cancels it (``cancelled_by``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coin_debts")
    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="debts")
    reversal = models.ForeignKey(
        PurchaseReversal, null=True, blank=True, on_delete=models.PROTECT, related_name="debts_added"
    )
    cancelled_by = models.ForeignKey(
        PurchaseReversal, null=True, blank=True, on_delete=models.PROTECT, related_name="debts_cancelled"
    )
    coins = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(coins__gt=0), name="debt_coins_positive")]

    def __str__(self) -> str:
        return f"{self.coins} coins owed by user {self.user_id}"


class RechargeBudget(models.Model):
    """A person's monthly recharge limit. Lowering takes effect at once; raising waits ``BUDGET_RAISE_DELAY_HOURS``."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recharge_budget")
    monthly_limit_minor = models.PositiveIntegerField(null=True, blank=True)
    pending_limit_minor = models.PositiveIntegerField(null=True, blank=True)
    pending_unlimited = models.BooleanField(default=False)
    pending_effective_at = models.DateTimeField(null=True, blank=True)
    daily_limit_minor = models.PositiveIntegerField(null=True, blank=True)
    gift_limit_minor = models.PositiveIntegerField(
        null=True, blank=True, help_text="The most one gift (or shop item, or subscription) may be worth."
    )
    pending_caps = models.JSONField(
        default=dict, blank=True, help_text='Raised daily / per-gift caps waiting for the delay: {"daily": 500}.'
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"budget of user {self.user_id}"


class PurchaseReview(models.Model):
    """A person put on the staff review queue by the purchase velocity limits (card testing). While one is open
    they cannot buy coins; staff clear it in the admin (audited)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchase_reviews")
    reason = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(cleared_at__isnull=True), name="purchase_review_one_open_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"purchase review of user {self.user_id} ({'cleared' if self.cleared_at else 'open'})"


class SandboxPayment(models.Model):
    """The built-in sandbox provider's own record of a payment (what Stripe would hold on its side)."""

    class Status(models.TextChoices):
        OPEN = "open"
        PROCESSING = "processing"
        SUCCEEDED = "succeeded"
        DECLINED = "declined"

    id = models.CharField(primary_key=True, max_length=40)
    purchase_public_id = models.UUIDField(unique=True)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    decline_reason = models.CharField(max_length=255, blank=True)
    succeed_at = models.DateTimeField(null=True, blank=True)
    refunded = models.BooleanField(default=False)
    dispute_status = models.CharField(max_length=12, blank=True)
    dispute_count = models.PositiveSmallIntegerField(default=0, help_text="Disputes opened so far (names each one).")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"
