"""Gift catalog, events (sale windows), live sessions, and the record of every gift sent; the sticker and effect
shop, live-room chat, and creator subscriptions paid in coins.

A gift's coins and diamonds move in one ledger transaction (``wallet.services``); ``GiftSend`` is the business row
that transaction refers to. The same holds for ``Ownership`` (a shop purchase) and ``SubscriptionPeriod`` (one paid
month of a subscription).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreatorProfile, GiftVisibility


class Event(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(unique=True)
    banner = models.CharField(max_length=200, blank=True, help_text="A short line shown on the banner.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start")]

    def __str__(self) -> str:
        return self.name

    def is_on(self, at: object = None) -> bool:
        now = at or timezone.now()
        return bool(self.starts_at <= now < self.ends_at)  # type: ignore[operator]


class Gift(models.Model):
    name = models.CharField(max_length=60)
    slug = models.SlugField(unique=True)
    coin_cost = models.PositiveIntegerField()
    artwork = models.CharField(max_length=200, help_text="Path under static/, e.g. gifts/rose.svg")
    active = models.BooleanField(default=True)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="gifts")
    subscriber_only = models.BooleanField(
        default=False, help_text="Only a creator's subscribers see this gift in the panel and may send it."
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["coin_cost", "sort_order"]
        constraints = [models.CheckConstraint(condition=Q(coin_cost__gt=0), name="gift_cost_positive")]

    def __str__(self) -> str:
        return f"{self.name} ({self.coin_cost} coins)"


class LiveSession(models.Model):
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="live_sessions")
    title = models.CharField(max_length=120)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # True while the creator's encoder publishes to the RTMP ingest (nginx's on_publish .. on_publish_done); when it
    # stopped last: the session ends LIVE_INGEST_GRACE_SECONDS later unless the stream comes back.
    streaming = models.BooleanField(default=False)
    stream_stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["creator"], condition=Q(ended_at__isnull=True), name="one_live_session_per_creator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (@{self.creator_id})"

    def get_absolute_url(self) -> str:
        return reverse("live_room", kwargs={"session_id": self.pk})

    @property
    def is_live(self) -> bool:
        return self.ended_at is None


class StreamKey(models.Model):
    """A creator's secret RTMP stream key (what OBS sends as the stream name). Rotating replaces it: the old one
    stops working at once. Shown only after a fresh 2FA code."""

    creator = models.OneToOneField(CreatorProfile, on_delete=models.CASCADE, related_name="stream_key")
    key = models.CharField(max_length=64, unique=True)
    # The secret in the creator's alerts overlay URL (an OBS browser source), rotatable on its own.
    overlay_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"stream key of @{self.creator_id}"


class GoalKind(models.TextChoices):
    COINS = "coins", "Coins"
    GIFTS = "gifts", "A number of one gift"


class GiftGoal(models.Model):
    """A creator's gift goal ("1,000 coins for a new song"): what counts are the gifts (not cancelled) to the creator
    from ``starts_at`` until the deadline, if any. One open goal per creator; reaching it is announced once."""

    creator = models.ForeignKey(CreatorProfile, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=GoalKind.choices, default=GoalKind.COINS)
    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, null=True, blank=True)
    target = models.PositiveIntegerField()
    starts_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(null=True, blank=True)
    reached_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # replaced by another goal, or removed

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(target__gt=0), name="goal_target_positive"),
            models.CheckConstraint(
                condition=Q(kind=GoalKind.COINS, gift__isnull=True) | Q(kind=GoalKind.GIFTS, gift__isnull=False),
                name="goal_gift_only_for_gift_goals",
            ),
            models.UniqueConstraint(fields=["creator"], condition=Q(closed_at__isnull=True), name="one_open_goal"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (@{self.creator_id})"


class GiftSendStatus(models.TextChoices):
    UNDOABLE = "undoable", "Can still be cancelled"
    FINAL = "final", "Final"
    CANCELLED = "cancelled", "Cancelled"


class GiftSend(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gifts_sent")
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="gifts_received")
    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="sends")
    live_session = models.ForeignKey(
        LiveSession, null=True, blank=True, on_delete=models.PROTECT, related_name="gift_sends"
    )
    quantity = models.PositiveIntegerField()
    coins = models.PositiveIntegerField(help_text="Coins paid: gift cost x quantity, at the time of sending.")
    diamonds = models.PositiveIntegerField(help_text="Diamonds credited to the creator (the rate snapshotted).")
    visibility = models.CharField(max_length=10, choices=GiftVisibility.choices)
    effect = models.ForeignKey(
        "ShopItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Effect applied."
    )
    status = models.CharField(max_length=10, choices=GiftSendStatus.choices, default=GiftSendStatus.FINAL)
    undo_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="gift_send_quantity_positive"),
            models.CheckConstraint(condition=Q(coins__gt=0), name="gift_send_coins_positive"),
            models.CheckConstraint(condition=~Q(status="undoable") | Q(undo_until__isnull=False), name="undo_deadline"),
        ]
        indexes = [
            models.Index(fields=["creator", "created_at"]),
            models.Index(fields=["live_session", "id"]),
            models.Index(fields=["sender", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.gift_id} to @{self.creator_id}"

    @property
    def is_anonymous(self) -> bool:
        return self.visibility == GiftVisibility.ANONYMOUS


# --- stickers and effects ----------------------------------------------------------------------


class ShopItemKind(models.TextChoices):
    STICKER = "sticker", "Sticker"
    EFFECT = "effect", "Effect"


class EffectStyle(models.TextChoices):
    """How an effect looks on a chat message or a gift in the live feed (a CSS class, ``effect-<style>``)."""

    HIGHLIGHT = "highlight", "Highlighted"
    GLOW = "glow", "Glowing"
    RAINBOW = "rainbow", "Rainbow (animated)"
    SHAKE = "shake", "Shaking (animated)"


class ShopItem(models.Model):
    """A sticker or an effect, edited by staff. Bought once, owned for good."""

    kind = models.CharField(max_length=10, choices=ShopItemKind.choices)
    name = models.CharField(max_length=60)
    slug = models.SlugField(unique=True)
    artwork = models.CharField(max_length=200, help_text="Path under static/, e.g. shop/wave.svg")
    coin_price = models.PositiveIntegerField()
    effect_style = models.CharField(
        max_length=12, choices=EffectStyle.choices, blank=True, help_text="Effects only: how the message looks."
    )
    active = models.BooleanField(default=True)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="shop_items")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "coin_price", "sort_order"]
        constraints = [
            models.CheckConstraint(condition=Q(coin_price__gt=0), name="shop_item_price_positive"),
            models.CheckConstraint(
                condition=Q(kind="sticker", effect_style="") | (Q(kind="effect") & ~Q(effect_style="")),
                name="shop_item_effect_has_style",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name} ({self.coin_price} coins)"

    @property
    def is_effect(self) -> bool:
        return self.kind == ShopItemKind.EFFECT

    @property
    def effect_class(self) -> str:
        """The CSS class that shows the effect (``effect-glow``), or "" for a sticker."""
        return f"effect-{self.effect_style}" if self.effect_style else ""


class Ownership(models.Model):
    """A person owns a shop item (the business row of the purchase's ledger transaction).

    ``armed``: an effect waiting to be applied to its owner's next gift or chat message in a live room (at most one
    per person; buying an effect arms it, the inventory page arms it again).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shop_items_owned")
    item = models.ForeignKey(ShopItem, on_delete=models.PROTECT, related_name="ownerships")
    coins = models.PositiveIntegerField(help_text="Coins paid, at the time of buying.")
    armed = models.BooleanField(default=False)
    acquired_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-acquired_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "item"], name="ownership_once_per_item"),
            models.UniqueConstraint(fields=["user"], condition=Q(armed=True), name="ownership_one_armed_effect"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} owns item {self.item_id}"


# --- live-room chat ------------------------------------------------------------------------------


class ChatMessage(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.PROTECT, related_name="chat_messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chat_messages")
    text = models.CharField(max_length=500, blank=True)
    sticker = models.ForeignKey(ShopItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    effect = models.ForeignKey(ShopItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text="") | Q(sticker__isnull=False), name="chat_message_not_empty")
        ]
        indexes = [models.Index(fields=["session", "id"])]

    def __str__(self) -> str:
        return f"chat #{self.pk} in session {self.session_id}"


# --- creator subscriptions ------------------------------------------------------------------------


class SubscriptionPlan(models.Model):
    """A creator's monthly subscription, priced in coins (one tier per creator). ``active``: open to subscribers and
    renewing; a creator who stops offering it lets current periods run out."""

    creator = models.OneToOneField(CreatorProfile, on_delete=models.PROTECT, related_name="subscription_plan")
    name = models.CharField(max_length=60, default="Supporter")
    coins_per_month = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    subscriber_gifts = models.ManyToManyField(
        "Gift",
        blank=True,
        related_name="+",
        help_text="Gifts the creator keeps for subscribers: on their page and in their live rooms only subscribers "
        "can send these (besides the gifts staff mark subscriber-only everywhere).",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["creator_id"]
        constraints = [models.CheckConstraint(condition=Q(coins_per_month__gt=0), name="plan_price_positive")]

    def __str__(self) -> str:
        return f"{self.name} of @{self.creator_id} ({self.coins_per_month} coins a month)"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled (runs until the period ends)"
    LAPSED = "lapsed", "Lapsed"


class Subscription(models.Model):
    """One person's subscription to one creator's plan; resubscribing reuses this row.

    Paid through ``current_period_end``. ``next_renewal_at`` is set only while active: Celery beat renews it then.
    A cancelled subscription keeps its benefits until the period ends; a lapsed one (coins were short) has none.
    """

    subscriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(SubscriptionPlan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    next_renewal_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_for = models.DateTimeField(
        null=True, blank=True, help_text="The renewal date the three-days-before email was sent for."
    )
    lapse_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "plan"], name="subscription_one_per_person_plan"),
            models.CheckConstraint(
                condition=Q(current_period_end__gt=F("current_period_start")), name="subscription_period_positive"
            ),
            models.CheckConstraint(
                condition=Q(status="active", next_renewal_at__isnull=False)
                | (~Q(status="active") & Q(next_renewal_at__isnull=True)),
                name="subscription_renews_only_when_active",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_renewal_at"])]

    def __str__(self) -> str:
        return f"user {self.subscriber_id} -> plan {self.plan_id} ({self.status})"


class SubscriptionPeriod(models.Model):
    """One paid month (the business row of its ledger transaction). Unique per period: a renewal happens once."""

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="periods")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    coins = models.PositiveIntegerField(help_text="Coins paid for this period (the plan's price then).")
    diamonds = models.PositiveIntegerField(help_text="Diamonds credited to the creator (the rate snapshotted).")
    renewal = models.BooleanField(default=False, help_text="Paid by an automatic renewal (not by the person).")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period_start"], name="subscription_period_once"),
            models.CheckConstraint(condition=Q(coins__gt=0), name="subscription_period_coins_positive"),
        ]

    def __str__(self) -> str:
        return f"subscription {self.subscription_id} {self.period_start:%Y-%m-%d}"

    @property
    def idempotency_key(self) -> str:
        return subscription_period_key(subscription_id=self.subscription_id, period_start=self.period_start)


def subscription_period_key(*, subscription_id: int, period_start: object) -> str:
    """The ledger idempotency key of one period: made from the subscription and the period, never from a clock."""
    return f"subscription-{subscription_id}-{period_start:%Y%m%dT%H%M%S%f}"
