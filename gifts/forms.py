from __future__ import annotations

from django import forms
from django.conf import settings

from accounts.models import GiftVisibility
from coinshop.http import int_or_none

from .models import Gift


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


class ShopBuyForm(forms.Form):
    item = forms.IntegerField(error_messages={"required": "Choose an item.", "invalid": "Choose an item."})


class ChatForm(forms.Form):
    """Shape only: the length limit and the rules are the service's (one clear message each)."""

    text = forms.CharField(
        label="Message",
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "Say something nice…"}),
    )
    sticker = forms.IntegerField(required=False, widget=forms.HiddenInput)


class GiftChoicesField(forms.ModelMultipleChoiceField):
    """Gifts ticked by id: an id that is no id of ours (2**63, "-1", "x") is a gift not in the catalog, in words,
    before the database is asked (SQLite cannot even hold 2**63)."""

    def _check_values(self, value: object) -> object:
        if isinstance(value, list | tuple) and any(int_or_none(str(v)) is None for v in value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super()._check_values(value)


class SubscriptionPlanForm(forms.Form):
    name = forms.CharField(label="Name of the subscription", max_length=60, initial="Supporter")
    coins_per_month = forms.IntegerField(
        label="Monthly price (coins)",
        min_value=1,
        error_messages={"invalid": "Enter a whole number of coins.", "min_value": "The price is at least 1 coin."},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    active = forms.BooleanField(label="Offer this subscription", required=False, initial=True)
    subscriber_gifts = GiftChoicesField(
        label="Gifts for your subscribers only",
        queryset=Gift.objects.filter(active=True, subscriber_only=False).order_by("coin_cost", "sort_order"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="On your page and in your live rooms only your subscribers can send the gifts you tick.",
        error_messages={"invalid_choice": "That gift is not in the catalog any more: pick again."},
    )


class SubscriptionPriceAcceptForm(forms.Form):
    """The price the subscriber saw and accepts (refused if the offer changed since)."""

    coins = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
