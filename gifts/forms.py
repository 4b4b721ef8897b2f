from __future__ import annotations

from django import forms
from django.conf import settings

from accounts.models import GiftVisibility


class GiftSendForm(forms.Form):
    gift = forms.IntegerField(widget=forms.HiddenInput, error_messages={"invalid": "Choose a gift."})
    quantity = forms.IntegerField(
        label="Quantity",
        min_value=1,
        initial=1,
        error_messages={
            "invalid": "Enter a whole number of gifts.",
            "min_value": "Send at least one gift.",
            "max_value": "You can send at most %(limit_value)s at once.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    visibility = forms.ChoiceField(label="Show my name?", choices=GiftVisibility.choices, widget=forms.RadioSelect)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_quantity(self) -> int:
        quantity: int = self.cleaned_data["quantity"]
        if quantity > settings.GIFT_MAX_QUANTITY:
            raise forms.ValidationError(f"You can send at most {settings.GIFT_MAX_QUANTITY} at once.")
        return quantity


class LiveStartForm(forms.Form):
    title = forms.CharField(label="Stream title", max_length=120)
