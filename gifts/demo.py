"""Demo catalog for ``seed_demo``: about a dozen gifts from a 1-coin rose to a 30,000-coin showpiece, one event;
stickers and effects for the shop (one sticker only during the event), a subscriber-only gift, and monthly
subscriptions offered by @alice and @bob."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import CreatorProfile

from .models import EffectStyle, Event, Gift, LiveSession, ShopItem, ShopItemKind, SubscriptionPlan

GIFTS = [
    ("rose", "Rose", 1),
    ("heart", "Heart", 5),
    ("clap", "Clap", 10),
    ("doughnut", "Doughnut", 30),
    ("ice-cream", "Ice cream", 50),
    ("sunglasses", "Sunglasses", 99),
    ("microphone", "Microphone", 199),
    ("magic-wand", "Magic wand", 499),
    ("crown", "Crown", 1000),
    ("sports-car", "Sports car", 5000),
    ("lion", "Lion", 15000),
    ("universe", "Universe", 30000),
]

# slug, name, coin price, effect style ("" for a sticker)
SHOP_ITEMS = [
    ("wave", "Wave", 10, ""),
    ("thumbs-up", "Thumbs up", 10, ""),
    ("laugh", "Laugh", 20, ""),
    ("fire", "Fire", 30, ""),
    ("star-eyes", "Star eyes", 50, ""),
    ("highlight", "Highlight", 50, EffectStyle.HIGHLIGHT),
    ("glow", "Glow", 100, EffectStyle.GLOW),
    ("shake", "Shake", 150, EffectStyle.SHAKE),
    ("rainbow", "Rainbow", 300, EffectStyle.RAINBOW),
]
PLANS = [("alice", "Front row", 99), ("bob", "Kitchen crew", 49)]


def _seed_shop(event: Event) -> None:
    for order, (slug, name, price, style) in enumerate(SHOP_ITEMS):
        ShopItem.objects.get_or_create(
            slug=slug,
            defaults={
                "kind": ShopItemKind.EFFECT if style else ShopItemKind.STICKER,
                "name": name,
                "coin_price": price,
                "effect_style": style,
                "artwork": f"shop/{slug}.svg",
                "sort_order": order,
            },
        )
    ShopItem.objects.get_or_create(
        slug="snowman",
        defaults={
            "kind": ShopItemKind.STICKER,
            "name": "Snowman",
            "coin_price": 25,
            "artwork": "shop/snowman.svg",
            "event": event,
        },
    )
    Gift.objects.get_or_create(
        slug="golden-heart",
        defaults={
            "name": "Golden heart",
            "coin_cost": 20,
            "artwork": "gifts/golden-heart.svg",
            "subscriber_only": True,
        },
    )
    for handle, name, coins in PLANS:
        creator = CreatorProfile.objects.filter(handle=handle).first()
        if creator is not None:
            plan, created = SubscriptionPlan.objects.get_or_create(
                creator=creator, defaults={"name": name, "coins_per_month": coins}
            )
            if created and handle == "alice":  # @alice keeps the Crown for her subscribers
                plan.subscriber_gifts.set(Gift.objects.filter(slug="crown"))


@transaction.atomic
def seed() -> list[str]:
    for order, (slug, name, cost) in enumerate(GIFTS):
        Gift.objects.get_or_create(
            slug=slug, defaults={"name": name, "coin_cost": cost, "artwork": f"gifts/{slug}.svg", "sort_order": order}
        )
    now = timezone.now()
    event, _ = Event.objects.get_or_create(
        slug="winter-festival",
        defaults={
            "name": "Winter Festival",
            "banner": "Snowflakes are on sale for the festival only. Warm up your favourite creators!",
            "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=30),
        },
    )
    Gift.objects.get_or_create(
        slug="snowflake",
        defaults={"name": "Snowflake", "coin_cost": 100, "artwork": "gifts/snowflake.svg", "event": event},
    )
    _seed_shop(event)
    alice = CreatorProfile.objects.filter(handle="alice").first()
    if alice is not None and not LiveSession.objects.filter(creator=alice, ended_at__isnull=True).exists():
        LiveSession.objects.create(creator=alice, title="Acoustic evening: your requests")
    return [
        f"  {len(GIFTS) + 2} gifts (one in the Winter Festival event, one for subscribers only); @alice is live",
        f"  {len(SHOP_ITEMS) + 1} stickers and effects in the shop; @alice and @bob offer monthly subscriptions "
        "(@alice keeps the Crown for her subscribers)",
    ]
