"""Reads about people: 2FA state, recent verification, creators."""

from __future__ import annotations

import time

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import CreatorProfile, User

# Changes whenever a name shown publicly (nickname, leaderboard preference, creator display name) may have changed:
# cached leaderboards (``gifts.selectors``) include it in their version.
PUBLIC_NAMES_VERSION_KEY = "accounts:public-names:version"
OTP_VERIFIED_AT_SESSION_KEY = "coinshop_otp_verified_at"
OTP_PENDING_SESSION_KEY = "coinshop_otp_pending"


def user_has_2fa(*, user: User) -> bool:
    return bool(user.is_authenticated and user_has_device(user, confirmed=True))


def user_totp_device_get(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def user_backup_device_get(*, user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


def user_backup_codes_remaining(*, user: User) -> int:
    device = user_backup_device_get(user=user)
    return device.token_set.count() if device else 0


def otp_recently_verified(*, request: HttpRequest, max_age: int | None = None) -> bool:
    """True when this session passed a 2FA code within ``max_age`` seconds (default ``OTP_RECENT_SECONDS``)."""
    max_age = settings.OTP_RECENT_SECONDS if max_age is None else max_age
    verified_at = request.session.get(OTP_VERIFIED_AT_SESSION_KEY)
    user = request.user
    if not (user.is_authenticated and getattr(user, "is_verified", lambda: False)()):
        return False
    return verified_at is not None and time.time() - float(verified_at) <= max_age


def creator_get_by_handle(*, handle: str) -> CreatorProfile | None:
    return (
        CreatorProfile.objects.select_related("user")
        .filter(handle=handle, user__is_active=True, user__deleted_at__isnull=True)
        .first()
    )


def creator_get_for_user(*, user: User) -> CreatorProfile | None:
    """The person's creator profile, if they are a creator."""
    if not user.is_authenticated:
        return None
    return CreatorProfile.objects.select_related("user").filter(user_id=user.pk).first()


def creator_search(*, query: str) -> QuerySet[CreatorProfile]:
    """Creators whose display name or handle contains ``query`` (any case; an "@" before a handle is fine), by
    handle; every creator for an empty query. Closed accounts are left out."""
    query = " ".join(query.split()).lstrip("@")
    creators = CreatorProfile.objects.filter(user__is_active=True, user__deleted_at__isnull=True)
    if query:
        creators = creators.filter(Q(display_name__icontains=query) | Q(handle__icontains=query))
    return creators.order_by("handle")


def creator_name_lookalike_exists(*, skeleton: str, exclude_user: int | None = None) -> bool:
    """Whether a creator's handle or display name looks like ``skeleton`` (``accounts.names.name_skeleton``); the
    person ``exclude_user`` may of course look like themselves."""
    if not skeleton:
        return False
    creators = CreatorProfile.objects.filter(Q(handle_skeleton=skeleton) | Q(display_name_skeleton=skeleton))
    if exclude_user is not None:
        creators = creators.exclude(user_id=exclude_user)
    return creators.exists()
