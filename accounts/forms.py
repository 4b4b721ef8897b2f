"""Forms check the shape of input; services enforce the rules."""

from __future__ import annotations

import datetime
from typing import Literal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils import timezone

from . import services
from .models import CreatorProfile, GiftVisibility, User, handle_validator

AVATAR_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}  # Pillow's format -> stored extension


class SignupExtraForm(forms.Form):
    """Extra sign-up fields, plugged into allauth's sign-up form (``ACCOUNT_SIGNUP_FORM_CLASS``)."""

    date_of_birth = forms.DateField(
        label="Date of birth",
        help_text="We ask to apply the age rules: under 18 you may watch, but not buy, gift or earn.",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
        error_messages={"invalid": "Enter your date of birth as a real date (YYYY-MM-DD)."},
    )

    show_publicly = forms.BooleanField(
        label="Show my name on leaderboards and next to my gifts",
        required=False,
        help_text="Off unless you tick it: your gifts are anonymous and you are not on leaderboards. "
        "You can change this any time in your preferences.",
    )

    def clean_date_of_birth(self) -> datetime.date:
        dob: datetime.date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if dob > today:
            raise ValidationError("Your date of birth cannot be in the future.")
        if dob.year < today.year - 120:
            raise ValidationError("Please check the year of your date of birth.")
        return dob

    def signup(self, request: HttpRequest, user: User) -> None:
        services.user_signup_details_set(
            user=user,
            date_of_birth=self.cleaned_data["date_of_birth"],
            show_publicly=self.cleaned_data.get("show_publicly", False),
        )


class OTPCodeForm(forms.Form):
    code = forms.CharField(
        label="Authentication code",
        max_length=20,
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True, "spellcheck": "false"}
        ),
    )


class DisableTwoFactorForm(OTPCodeForm):
    pass


class PreferencesForm(forms.Form):
    nickname = forms.CharField(
        label="Nickname",
        max_length=40,
        required=False,
        help_text="Shown next to your public gifts and on leaderboards. Never your email.",
    )
    default_gift_visibility = forms.ChoiceField(
        label="Default gift visibility",
        choices=GiftVisibility.choices,
        widget=forms.RadioSelect,
        help_text="Anonymous unless you choose otherwise: others see “Anonymous” instead of your name.",
    )
    show_on_leaderboards = forms.BooleanField(
        label="Show my name on leaderboards",
        required=False,
        help_text="Off unless you turn it on: you are left off leaderboards (your gifts still count for the creator).",
    )


def _check_avatar(avatar: UploadedFile | None) -> UploadedFile | None:
    if not avatar:
        return None
    if avatar.size is not None and avatar.size > settings.AVATAR_MAX_BYTES:
        limit_mb = settings.AVATAR_MAX_BYTES / (1024 * 1024)
        raise ValidationError(f"The avatar is too large: the limit is {limit_mb:g} MB.")
    image = getattr(avatar, "image", None)  # set by ImageField after Pillow opened it
    image_format = (getattr(image, "format", None) or "").upper()
    if image_format not in AVATAR_FORMATS:
        raise ValidationError("Upload a PNG, JPEG, GIF or WebP image.")
    # Store it under its real format, whatever it was called: "x.html" would be served as a web page, "x.pdf" as a
    # PDF, and a file without an extension would be refused by the model's extension check.
    avatar.name = f"avatar.{AVATAR_FORMATS[image_format]}"
    return avatar


class _AvatarForm(forms.ModelForm):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # The content decides, not the file name: _check_avatar asks Pillow for the format and renames the file.
        # (Django's extension check would refuse a phone's "IMG_0042" and accept a picture named "x.pdf".)
        self.fields["avatar"].validators = []


class CreatorProfileCreateForm(_AvatarForm):
    handle = forms.CharField(
        max_length=30,
        help_text="Your page will be at /@handle/. 3-30 lowercase letters, digits, '-' or '_'.",
    )  # checked by clean_handle after lower-casing, so "Ada" becomes "ada" instead of an error

    class Meta:
        model = CreatorProfile
        fields = ["handle", "display_name", "bio", "avatar"]
        error_messages = {
            "avatar": {"invalid_image": "Upload a PNG, JPEG, GIF or WebP image; that file is not a picture."},
        }

    def clean_handle(self) -> str:
        handle: str = self.cleaned_data["handle"].strip().lower()
        handle_validator(handle)
        if CreatorProfile.objects.filter(handle=handle).exists():
            raise ValidationError("That handle is taken; please choose another.")
        return handle

    def clean_avatar(self) -> UploadedFile | None:
        return _check_avatar(self.cleaned_data.get("avatar"))


class CreatorProfileUpdateForm(_AvatarForm):
    class Meta:
        model = CreatorProfile
        fields = ["display_name", "bio", "avatar", "accepts_gifts"]
        error_messages = {
            "avatar": {"invalid_image": "Upload a PNG, JPEG, GIF or WebP image; that file is not a picture."},
        }

    def clean_avatar(self) -> UploadedFile | Literal[False] | None:
        """A new image, ``False`` when "Clear" was ticked, ``None`` to keep the current one."""
        avatar = self.cleaned_data.get("avatar")
        if avatar is False:
            return False
        if avatar is not None and avatar == self.instance.avatar:  # unchanged
            return None
        return _check_avatar(avatar)


class DeleteAccountForm(forms.Form):
    password = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    code = forms.CharField(label="Authentication code", max_length=20, required=False)
    confirm = forms.BooleanField(
        label="I understand that my coins and diamonds are forfeited and my account cannot be recovered.",
        required=True,
    )

    def __init__(self, *args: object, user: User, needs_code: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user
        self.needs_code = needs_code
        if not needs_code:
            del self.fields["code"]
        else:
            self.fields["code"].required = True

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError("That password is not right.")
        return password

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if self.needs_code and not self.errors and cleaned.get("code"):
            try:
                services.otp_code_verify(user=self.user, code=str(cleaned["code"]))
            except ValidationError as exc:
                self.add_error("code", exc)
        return cleaned
