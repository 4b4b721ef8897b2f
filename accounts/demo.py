"""Demo people for ``manage.py seed_demo``: idempotent, so it can run on every start."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import CreatorProfile, User

DEMO_PASSWORD = "coinshop-demo"
# A fixed demo TOTP secret (hex, as django-otp stores it) so the staff login can be reproduced from the README.
STAFF_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"  # base32: GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
STAFF_BACKUP_CODES = ["staffaa1", "staffaa2", "staffaa3"]


@dataclass(frozen=True)
class DemoPerson:
    email: str
    dob: datetime.date
    staff: bool = False
    handle: str = ""
    display_name: str = ""
    bio: str = ""


PEOPLE = [
    DemoPerson("staff@coinshop.local", datetime.date(1985, 3, 1), staff=True),
    DemoPerson("viewer@coinshop.local", datetime.date(1995, 6, 15)),
    DemoPerson("viewer2@coinshop.local", datetime.date(1999, 1, 20)),
    DemoPerson("teen@coinshop.local", datetime.date(datetime.date.today().year - 15, 1, 1)),
    DemoPerson("patron@coinshop.local", datetime.date(1980, 5, 5)),  # @chloe's big fan (payouts demo)
    DemoPerson(
        "alice@coinshop.local",
        datetime.date(1992, 9, 9),
        handle="alice",
        display_name="Alice Sings",
        bio="Live acoustic covers every evening.",
    ),
    DemoPerson(
        "bob@coinshop.local",
        datetime.date(1990, 4, 4),
        handle="bob",
        display_name="Bob Cooks",
        bio="Street food from around the world, live from my kitchen.",
    ),
    DemoPerson(
        "chloe@coinshop.local",
        datetime.date(1998, 12, 12),
        handle="chloe",
        display_name="Chloe Draws",
        bio="Digital painting streams and art tips.",
    ),
]


@transaction.atomic
def seed() -> list[str]:
    """Create the demo people (if missing); return lines describing the logins."""
    lines = []
    for person in PEOPLE:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            user = User.objects.create_user(
                email=person.email,
                password=DEMO_PASSWORD,
                date_of_birth=person.dob,
                is_staff=person.staff,
                is_superuser=person.staff,
            )
        EmailAddress.objects.get_or_create(user=user, email=person.email, defaults={"verified": True, "primary": True})
        if person.handle:
            CreatorProfile.objects.get_or_create(
                user=user,
                defaults={"handle": person.handle, "display_name": person.display_name, "bio": person.bio},
            )
        if person.staff:
            TOTPDevice.objects.get_or_create(
                user=user, name="Demo authenticator", defaults={"key": STAFF_TOTP_KEY_HEX, "confirmed": True}
            )
            static, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes", defaults={"confirmed": True})
            if not static.token_set.exists():
                StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in STAFF_BACKUP_CODES])
        role = "staff (2FA on)" if person.staff else (f"creator @{person.handle}" if person.handle else "viewer")
        if person.email.startswith("teen"):
            role = "viewer under 18 (may watch only)"
        lines.append(f"  {person.email:<26} {DEMO_PASSWORD}   {role}")
    lines.append(
        "  staff 2FA: add the key GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ to an authenticator app, "
        f"or use a backup code: {', '.join(STAFF_BACKUP_CODES)}"
    )
    return lines
