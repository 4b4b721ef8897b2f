"""Writes about people: sign-up details, creator profiles, preferences, two-factor devices, account deletion.

Every function is keyword-only and named ``<entity>_<action>`` (STYLE.md). Business rules raise
``django.core.exceptions.ValidationError`` with a message meant for the person; views show it as is.
"""

from __future__ import annotations

import datetime
import secrets
import time
import uuid
from collections.abc import Iterable
from typing import Literal

import django_otp
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device, VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from notifications.services import notifications_erase

from .audit import audit_record
from .models import CreatorProfile, GiftVisibility, User
from .names import name_characters_check, name_reserved_check, name_skeleton
from .security import security_notify
from .selectors import (
    OTP_PENDING_SESSION_KEY,
    OTP_VERIFIED_AT_SESSION_KEY,
    PUBLIC_NAMES_VERSION_KEY,
    creator_name_lookalike_exists,
    user_backup_device_get,
    user_totp_device_get,
)

BACKUP_CODE_COUNT = 10
BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)


# --- sign-up and profile ---------------------------------------------------------------------


def user_signup_details_set(*, user: User, date_of_birth: datetime.date, show_publicly: bool = False) -> User:
    """The sign-up form's extra answers. Privacy by default: only a person who ticks "show my name" is shown on
    leaderboards and named next to their gifts."""
    user.date_of_birth = date_of_birth
    user.show_on_leaderboards = show_publicly
    user.default_gift_visibility = GiftVisibility.PUBLIC if show_publicly else GiftVisibility.ANONYMOUS
    user.save(update_fields=["date_of_birth", "show_on_leaderboards", "default_gift_visibility"])
    return user


def user_frozen_set(*, staff: User, users: Iterable[User], frozen: bool) -> int:
    """Freeze (no buying, gifting, chatting or payouts) or unfreeze accounts; each change is audited."""
    changed = 0
    with transaction.atomic():
        for user in users:
            if User.objects.filter(pk=user.pk).exclude(is_frozen=frozen).update(is_frozen=frozen):
                audit_record(actor=staff, action="user.freeze" if frozen else "user.unfreeze", obj=user)
                changed += 1
    return changed


def public_names_changed() -> None:
    """Names shown publicly may have changed: cached leaderboards are recomputed on their next read (on commit)."""
    transaction.on_commit(lambda: cache.set(PUBLIC_NAMES_VERSION_KEY, uuid.uuid4().hex, timeout=None))


def public_name_check(*, value: str, label: str, user: User, reserved: bool = True) -> None:
    """The rule for every name shown to others (nickname, creator display name, handle): no control or
    direction-changing characters, not a reserved name, and nothing that could pass for another creator's handle or
    display name (``accounts.names``: case, spacing and look-alike characters do not make a name different)."""
    name_characters_check(value, label=label)
    if not value.strip():
        return
    if reserved:
        name_reserved_check(value, label=label)
    if creator_name_lookalike_exists(skeleton=name_skeleton(value), exclude_user=user.pk):
        raise ValidationError(f"{label} “{value}” looks like a creator's name or handle; please choose another.")


def user_is_email_verified(*, user: User) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True, primary=True).exists()


def user_preferences_update(
    *, user: User, default_gift_visibility: str, show_on_leaderboards: bool, nickname: str = ""
) -> User:
    if default_gift_visibility not in GiftVisibility.values:
        raise ValidationError("Choose public or anonymous.")
    nickname = nickname.strip()
    public_name_check(value=nickname, label="The nickname", user=user)
    user.default_gift_visibility = default_gift_visibility
    user.show_on_leaderboards = show_on_leaderboards
    user.nickname = nickname
    user.save(update_fields=["default_gift_visibility", "show_on_leaderboards", "nickname"])
    public_names_changed()
    return user


def creator_profile_create(
    *, user: User, handle: str, display_name: str, bio: str = "", avatar: UploadedFile | None = None
) -> CreatorProfile:
    """Turn a verified adult into a creator. The form checks shape; this checks who may."""
    if CreatorProfile.objects.filter(user=user).exists():
        raise ValidationError("You are already a creator.")
    if not user_is_email_verified(user=user):
        raise ValidationError("Confirm your email address before you become a creator.")
    if not user.is_adult:
        raise ValidationError("You must be 18 or older to become a creator and earn diamonds.")
    if user.is_frozen:
        raise ValidationError("Your account is restricted; contact support.")
    public_name_check(value=handle, label="The handle", user=user)
    public_name_check(value=display_name, label="The display name", user=user)
    profile = CreatorProfile(user=user, handle=handle.lower(), display_name=display_name, bio=bio)
    if avatar is not None:
        profile.avatar = avatar  # type: ignore[assignment]
    profile.full_clean()
    profile.save()
    return profile


def creator_profile_update(
    *,
    profile: CreatorProfile,
    display_name: str,
    bio: str,
    accepts_gifts: bool,
    avatar: UploadedFile | Literal[False] | None = None,
) -> CreatorProfile:
    """``avatar``: a new image, ``False`` to remove the current one, ``None`` to keep it. A replaced or removed
    image file is deleted from storage once the change is committed."""
    # From the database: a ModelForm has already put its cleaned values on ``profile``.
    public_name_check(value=display_name, label="The display name", user=profile.user)
    old_avatar_name = CreatorProfile.objects.filter(pk=profile.pk).values_list("avatar", flat=True).first() or ""
    profile.display_name = display_name
    profile.bio = bio
    profile.accepts_gifts = accepts_gifts
    if avatar is False:
        profile.avatar = ""  # type: ignore[assignment]
    elif avatar is not None:
        profile.avatar = avatar  # type: ignore[assignment]
    profile.full_clean()
    profile.save()
    public_names_changed()
    if old_avatar_name and profile.avatar.name != old_avatar_name:
        storage = profile.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar_name))
    return profile


# --- two-factor authentication ---------------------------------------------------------------


def otp_session_mark_verified(*, request: HttpRequest, device: Device) -> None:
    """Record in the session that this person passed a code now (django-otp's login plus our timestamp).

    The session gets a new key, as at the password step: a session id known before the code (fixation, a shared
    computer) is worth nothing after it."""
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[OTP_VERIFIED_AT_SESSION_KEY] = time.time()
    request.session.pop(OTP_PENDING_SESSION_KEY, None)


def otp_totp_device_start(*, user: User) -> TOTPDevice:
    """Return the person's unconfirmed TOTP device, creating one with a fresh secret if needed."""
    if user_totp_device_get(user=user) is not None:
        raise ValidationError("Two-factor authentication is already on.")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def _new_backup_code() -> str:
    return "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(8))


@transaction.atomic
def otp_backup_codes_regenerate(*, user: User) -> list[str]:
    """Replace the backup codes with ten new single-use ones. They are returned once and never shown again."""
    device = user_backup_device_get(user=user)
    if device is None:
        device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    device.token_set.all().delete()
    codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _normalize_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def otp_code_verify(*, user: User, code: str) -> Device:
    """Check a 6-digit authenticator code or an 8-character backup code against the person's devices.

    Uses django-otp's own verification: reuse of a TOTP code is refused (``last_t``), backup codes are deleted
    when used, failures are throttled, and the device row is locked (``select_for_update``) so one code submitted
    twice at once succeeds once.
    """
    code = _normalize_code(code)
    if code.isdigit() and len(code) == 6:
        device_model: type[Device] = TOTPDevice
    elif len(code) == 8:
        device_model = StaticDevice
    else:
        raise ValidationError("Enter the 6-digit code from your authenticator app, or one of your backup codes.")
    with transaction.atomic():
        device = device_model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            raise ValidationError("That code is not valid. Please check it and try again.")
        allowed, extra = device.verify_is_allowed()
        if not allowed:
            if extra and extra.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
                raise ValidationError(
                    "Too many wrong codes. Verification is paused for a little while; please try again soon."
                )
            raise ValidationError("Verification is paused for now; please try again soon.")
        # A wrong code must leave the throttle counter incremented, so fail after the transaction commits.
        verified = device.verify_token(code)
    if not verified:
        raise ValidationError("That code is not valid. Please check it and try again.")
    return device


def otp_totp_device_confirm(*, request: HttpRequest, user: User, device_id: int, code: str) -> list[str]:
    """Confirm a pending TOTP device with a code from the app; returns the ten new backup codes."""
    code = _normalize_code(code)
    codes: list[str] = []
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
        if device is None:
            raise ValidationError("This setup has expired; please start again.")
        # A wrong code must leave the throttle counter incremented, so fail after the transaction commits.
        verified = code.isdigit() and len(code) == 6 and device.verify_token(code)
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = otp_backup_codes_regenerate(user=user)
    if not verified:
        raise ValidationError("That code is not valid. Check the time on your phone and enter the current code.")
    otp_session_mark_verified(request=request, device=device)
    security_notify(
        user_id=user.pk,
        subject="Two-factor authentication is on",
        text="Two-factor authentication was turned on for your account.",
    )
    return codes


def otp_disable(*, user: User, code: str) -> None:
    """Turn two-factor authentication off; needs a current code (authenticator or backup).

    The code is checked in its own transaction, not inside one that a wrong code would roll back: the failure must
    count towards the throttle, or this form would allow unlimited guessing.
    """
    otp_code_verify(user=user, code=code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        security_notify(
            user_id=user.pk,
            subject="Two-factor authentication was turned off",
            text="Two-factor authentication was turned off for your account. If it was not you, turn it on again "
            "and change your password.",
        )


# --- closing an account ------------------------------------------------------------------------


def user_personal_data_erase(*, user: User) -> None:
    """Erase a person's personal data and mark the account closed; financial records stay (without a name).

    One step of closing an account (``coinshop.closing.account_close``, which forfeits balances, cancels payouts and
    subscriptions first): call it only from there, inside its transaction, with the user row locked.
    """
    avatar_name = ""
    profile = CreatorProfile.objects.filter(user=user).first()
    if profile is not None:
        avatar_name = profile.avatar.name or ""
        profile.handle = f"deleted-{user.pk}"
        profile.display_name = "Deleted creator"
        profile.bio = ""
        profile.avatar = ""  # type: ignore[assignment]
        profile.accepts_gifts = False
        profile.save()
    EmailAddress.objects.filter(user=user).delete()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    notifications_erase(user_id=user.pk)  # their texts name addresses and people
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.date_of_birth = None
    user.nickname = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.deleted_at = timezone.now()
    user.save()
    public_names_changed()
    if avatar_name:
        storage = CreatorProfile._meta.get_field("avatar").storage  # type: ignore[attr-defined]
        transaction.on_commit(lambda: storage.delete(avatar_name))
