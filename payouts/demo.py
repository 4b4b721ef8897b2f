"""Demo payout journey for ``seed_demo``: @chloe can request a payout at once.

A demo patron bought the 17,500-coin package and gave @chloe a Lion (15,000 diamonds) ten days ago, past the
payout hold; her account is two months old, has 2FA (the staff demo key) and sandbox bank details set three days
ago, past their 48-hour hold. Idempotent: nothing is added once her payout details exist.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import STAFF_TOTP_KEY_HEX
from accounts.models import CreatorProfile, User
from gifts.models import Gift
from gifts.sending.models import GiftSend
from gifts.sending.services import gift_send
from wallet import services as wallet_services
from wallet.models import CoinPackage, LedgerTransaction, Purchase, SandboxPayment
from wallet.providers.sandbox import SandboxProvider

from . import services
from .models import PayoutAccount

CREATOR, PATRON = "chloe", "patron@coinshop.local"
DEMO_IBAN = "DE89 3704 0044 0532 0130 00"  # the standard example IBAN


@transaction.atomic
def seed() -> list[str]:
    creator = CreatorProfile.objects.select_related("user").filter(handle=CREATOR).first()
    patron = User.objects.filter(email=PATRON).first()
    gift = Gift.objects.filter(slug="lion").first()
    if creator is None or patron is None or gift is None:
        return []
    lines = [
        f"  @{CREATOR} has {gift.coin_cost:,} diamonds past their hold and payout details past theirs: log in as "
        f"{creator.user.email} (2FA: the staff demo key), Earnings > Request a payout; staff approve it in the admin"
    ]
    if PayoutAccount.objects.filter(creator=creator).exists():
        return lines
    now = timezone.now()
    past = now - timedelta(days=10)
    User.objects.filter(pk=creator.user_id).update(date_joined=now - timedelta(days=60))
    TOTPDevice.objects.get_or_create(
        user=creator.user, name="Demo authenticator", defaults={"key": STAFF_TOTP_KEY_HEX, "confirmed": True}
    )
    if not Purchase.objects.filter(user=patron).exists():
        package = CoinPackage.objects.get(coins=17_500, currency="USD")
        quote = wallet_services.recharge_quote(package_id=package.pk, custom_coins=None, payment_method="card")
        purchase = wallet_services.purchase_create(user=patron, quote=quote)
        start = SandboxProvider().start_checkout(purchase, success_url="", cancel_url="")
        Purchase.objects.filter(pk=purchase.pk).update(provider_ref=start.provider_ref)
        SandboxPayment.objects.filter(pk=start.provider_ref).update(status=SandboxPayment.Status.SUCCEEDED)
        wallet_services.purchase_confirm(purchase_id=purchase.pk)
    sent = gift_send(sender=patron, creator=creator, gift=gift, now=past)
    # Demo history: the gift was sent ten days ago, so its diamonds are past the payout hold.
    GiftSend.objects.filter(pk=sent.pk).update(created_at=past)
    LedgerTransaction.objects.filter(reference_id=str(sent.public_id)).update(created_at=past)
    services.payout_account_set(creator=creator, holder_name="Chloe Demo", iban=DEMO_IBAN, now=now - timedelta(days=3))
    return lines
