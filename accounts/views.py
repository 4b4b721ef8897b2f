"""Thin views: parse input, call one service, render."""

from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from allauth.account.views import email as allauth_email
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from coinshop.http import next_url, request_user

from . import selectors, services
from .decorators import recent_otp_required
from .forms import (
    CreatorProfileCreateForm,
    CreatorProfileUpdateForm,
    DisableTwoFactorForm,
    OTPCodeForm,
    PreferencesForm,
)
from .models import CreatorProfile


@login_required
def otp_index(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    return render(
        request,
        "accounts/otp_index.html",
        {
            "has_2fa": selectors.user_has_2fa(user=user),
            "backup_remaining": selectors.user_backup_codes_remaining(user=user),
            "disable_form": DisableTwoFactorForm(),
        },
    )


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    try:
        device = services.otp_totp_device_start(user=user)
    except ValidationError as exc:
        messages.info(request, exc.messages[0])
        return redirect("otp_index")
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.otp_totp_device_confirm(
                request=request, user=user, device_id=device.pk, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            messages.success(request, "Two-factor authentication is on.")
            return render(request, "accounts/backup_codes.html", {"codes": codes, "first_time": True})
    svg = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).to_string()
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr_svg": mark_safe(svg.decode()),
            "secret": secret,
            "secret_grouped": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


def _otp_code_step(request: HttpRequest, *, template_title: str, reverify: bool) -> HttpResponse:
    user = request_user(request)
    if not selectors.user_has_2fa(user=user):
        return redirect(next_url(request, reverse("home")) if not reverify else reverse("otp_index"))
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.otp_code_verify(user=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            services.otp_session_mark_verified(request=request, device=device)
            return HttpResponseRedirect(next_url(request, reverse("home")))
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "title": template_title, "reverify": reverify, "next": next_url(request, "")},
    )


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The code step after a password login."""
    return _otp_code_step(request, template_title="Two-factor authentication", reverify=False)


@login_required
def otp_reverify(request: HttpRequest) -> HttpResponse:
    """Confirm it is still you before a sensitive action; returns to ``next``."""
    return _otp_code_step(request, template_title="Confirm it's you", reverify=True)


@require_POST
@recent_otp_required
def otp_backup_codes(request: HttpRequest) -> HttpResponse:
    codes = services.otp_backup_codes_regenerate(user=request_user(request))
    messages.success(request, "New backup codes were made; the old ones no longer work.")
    return render(request, "accounts/backup_codes.html", {"codes": codes, "first_time": False})


@login_required
@require_POST
def otp_disable(request: HttpRequest) -> HttpResponse:
    form = DisableTwoFactorForm(request.POST)
    if form.is_valid():
        try:
            services.otp_disable(user=request_user(request), code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            messages.success(request, "Two-factor authentication is off.")
            return redirect("otp_index")
    user = request_user(request)
    return render(
        request,
        "accounts/otp_index.html",
        {
            "has_2fa": selectors.user_has_2fa(user=user),
            "backup_remaining": selectors.user_backup_codes_remaining(user=user),
            "disable_form": form,
        },
        status=400,
    )


# allauth's email page: these buttons add an address, make one primary (a change of login) or remove one.
EMAIL_CHANGE_ACTIONS = ("action_add", "action_primary", "action_remove")


@recent_otp_required
def _email_change(request: HttpRequest) -> HttpResponse:
    return allauth_email(request)


@login_required
def email_manage(request: HttpRequest) -> HttpResponse:
    """allauth's email page. Adding or changing an address needs two-factor authentication passed in the last few
    minutes, like a payout: with the session alone, an intruder could move the account to an address of theirs."""
    if request.method == "POST" and any(action in request.POST for action in EMAIL_CHANGE_ACTIONS):
        return _email_change(request)
    return allauth_email(request)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    initial = {
        "default_gift_visibility": user.default_gift_visibility,
        "show_on_leaderboards": user.show_on_leaderboards,
        "nickname": user.nickname,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_preferences_update(user=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("nickname", exc)
        else:
            messages.success(request, "Your preferences are saved.")
            return redirect("preferences")
    return render(request, "accounts/preferences.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def creator_become(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if CreatorProfile.objects.filter(user=user).exists():
        return redirect("creator_edit")
    form = CreatorProfileCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            profile = services.creator_profile_create(user=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"You are a creator now. Your page is live at /@{profile.handle}/.")
            return redirect(profile)
    can_become = services.user_is_email_verified(user=user) and user.is_adult
    return render(
        request,
        "accounts/creator_become.html",
        {"form": form, "can_become": can_become},
        status=400 if form.errors else 200,
    )


@login_required
def creator_edit(request: HttpRequest) -> HttpResponse:
    profile = CreatorProfile.objects.filter(user=request_user(request)).first()
    if profile is None:
        return redirect("creator_become")
    form = CreatorProfileUpdateForm(request.POST or None, request.FILES or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.creator_profile_update(profile=profile, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("display_name", exc)
        else:
            messages.success(request, "Your creator profile is saved.")
            return redirect(profile)
    return render(
        request,
        "accounts/creator_edit.html",
        {"form": form, "profile": profile},
        status=400 if form.errors else 200,
    )
