from __future__ import annotations

from django import forms
from django.conf import settings


class ThankYouForm(forms.Form):
    """Thank one gifter (``gifter``: the opaque token from the list) or everyone (``everyone``)."""

    gifter = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    everyone = forms.BooleanField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(
        required=False,
        max_length=settings.THANK_YOU_MAX_LENGTH,
        label="A short note (optional)",
        error_messages={"max_length": f"A thank-you note is at most {settings.THANK_YOU_MAX_LENGTH} characters."},
        widget=forms.TextInput(attrs={"maxlength": settings.THANK_YOU_MAX_LENGTH}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("everyone") and not data.get("gifter"):
            raise forms.ValidationError("Choose whom to thank.")
        return data

    def tokens(self) -> list[str] | None:
        return None if self.cleaned_data["everyone"] else [self.cleaned_data["gifter"]]
