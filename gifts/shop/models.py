"""Stickers and effects: shop items and what each person owns."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..catalog.models import Event


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
