"""Security notices: a login from a browser not seen before, two-factor authentication turned on or off, an email
address added, changed or removed. Each goes to the person's notifications (in the app unless they turned it off,
and always by email; a change of address is emailed to the previous address too). allauth's email signals are hooks
after its own work is done; they only tell the person."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import email_added, email_changed, email_removed
from django.conf import settings
from django.core.signing import BadSignature
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils import timezone

from notifications.models import NotificationKind
from notifications.services import notify

KNOWN_BROWSER_COOKIE = "coinshop_known"  # signed: the accounts that logged in from this browser before
KNOWN_BROWSER_SALT = "accounts.security.known-browser"
KNOWN_BROWSER_MAX = 5


def security_notify(*, user_id: int, text: str, subject: str, also_email: str = "") -> None:
    """A security notice: in the app as the person chose, and always by email (``notifications`` does not let it be
    turned off); ``also_email`` gets the email too (the previous address, when the address changed)."""
    notify(
        user_id=user_id,
        kind=NotificationKind.SECURITY,
        text=text,
        subject=subject,
        link=reverse("otp_index"),
        also_email=also_email,
    )


BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
           ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))  # fmt: skip


def browser_describe(agent: str) -> str:
    """ "Firefox on Windows" from a User-Agent header (a rough guess, for a person to recognise their device)."""
    browser = next((name for token, name in BROWSERS if token in agent), "")
    system = next((name for token, name in SYSTEMS if token in agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or (" ".join(agent.split())[:60] or "an unknown browser")


def _known_ids(request: HttpRequest) -> list[str]:
    try:
        value = request.get_signed_cookie(KNOWN_BROWSER_COOKIE, default="", salt=KNOWN_BROWSER_SALT)
    except BadSignature:
        value = ""
    return [part for part in str(value).split(",") if part]


def login_noticed(*, request: HttpRequest, user: Any, response: HttpResponseBase, signup: bool) -> None:
    """After a login: tell the person when it came from a browser this account never logged in from (not on
    sign-up), and remember this browser (a signed cookie, no table)."""
    known = _known_ids(request)
    if str(user.pk) not in known:
        if not signup:
            agent = browser_describe(request.headers.get("User-Agent", ""))
            security_notify(
                user_id=user.pk,
                subject="New login to your account",
                text=f"New login to your account at {timezone.now():%Y-%m-%d %H:%M} UTC from {agent}. If it was not "
                "you, change your password and turn on two-factor authentication.",
            )
        known = [str(user.pk), *known][:KNOWN_BROWSER_MAX]
        response.set_signed_cookie(
            KNOWN_BROWSER_COOKIE,
            ",".join(known),
            salt=KNOWN_BROWSER_SALT,
            max_age=365 * 24 * 3600,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


@receiver(email_added, dispatch_uid="accounts.security.email_added")
def _email_added(sender: object, request: HttpRequest, user: Any, email_address: Any, **kwargs: object) -> None:
    security_notify(
        user_id=user.pk,
        subject="An email address was added to your account",
        text=f"The email address {email_address.email} was added to your account.",
    )


@receiver(email_changed, dispatch_uid="accounts.security.email_changed")
def _email_changed(
    sender: object, request: HttpRequest, user: Any, from_email_address: Any, to_email_address: Any, **kwargs: object
) -> None:
    old = getattr(from_email_address, "email", None) or ""
    new = to_email_address.email
    security_notify(
        user_id=user.pk,
        subject="Your login email address changed",
        text=f"Your login email address changed from {old or 'none'} to {new}.",
        # The notice is emailed to the current (new) address; the old one must hear it too, or whoever took over
        # the account is the only one told.
        also_email=old if old and old.lower() != new.lower() else "",
    )


@receiver(email_removed, dispatch_uid="accounts.security.email_removed")
def _email_removed(sender: object, request: HttpRequest, user: Any, email_address: Any, **kwargs: object) -> None:
    security_notify(
        user_id=user.pk,
        subject="An email address was removed from your account",
        text=f"The email address {email_address.email} was removed from your account.",
    )
