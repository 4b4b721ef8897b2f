"""Demo catalog for ``seed_demo``: the coin packages of DESIGN.md, and a paid sandbox purchase for the demo viewers."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User

from . import services
from .models import CoinPackage, Purchase, SandboxPayment
from .providers.sandbox import SandboxProvider

# coins -> price in cents: about 1.4 US cents a coin, cheaper per coin in bigger packages.
PACKAGES = [(70, 99), (350, 489), (700, 969), (1400, 1919), (3500, 4749), (7000, 9409), (17500, 23249)]
DEMO_VIEWER_COINS = {"viewer@coinshop.local": 3500, "viewer2@coinshop.local": 700}


@transaction.atomic
def seed() -> list[str]:
    for order, (coins, cents) in enumerate(PACKAGES):
        CoinPackage.objects.get_or_create(
            coins=coins, currency="USD", defaults={"price_minor": cents, "sort_order": order}
        )
    lines = [f"  {len(PACKAGES)} coin packages, from 70 to 17,500 coins"]
    for email, coins in DEMO_VIEWER_COINS.items():
        user = User.objects.filter(email=email).first()
        if user is None or Purchase.objects.filter(user=user).exists():
            continue
        package = CoinPackage.objects.get(coins=coins, currency="USD")
        quote = services.recharge_quote(package_id=package.pk, custom_coins=None, payment_method="card")
        purchase = services.purchase_create(user=user, quote=quote)
        start = SandboxProvider().start_checkout(purchase, success_url="", cancel_url="")
        Purchase.objects.filter(pk=purchase.pk).update(provider_ref=start.provider_ref)
        SandboxPayment.objects.filter(pk=start.provider_ref).update(status=SandboxPayment.Status.SUCCEEDED)
        services.purchase_confirm(purchase_id=purchase.pk)
        lines.append(f"  {email} bought {coins:,} coins (sandbox)")
    return lines
