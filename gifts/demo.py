"""Demo catalog for ``seed_demo``: about a dozen gifts from a 1-coin rose to a 30,000-coin showpiece, one event."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import CreatorProfile

from .models import Event, Gift, LiveSession

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
    alice = CreatorProfile.objects.filter(handle="alice").first()
    if alice is not None and not LiveSession.objects.filter(creator=alice, ended_at__isnull=True).exists():
        LiveSession.objects.create(creator=alice, title="Acoustic evening: your requests")
    return [f"  {len(GIFTS) + 1} gifts (one in the Winter Festival event); @alice is live"]
