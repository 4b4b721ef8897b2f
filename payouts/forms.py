from __future__ import annotations

from django import forms

from .models import PayoutAccount


class PayoutDetailsForm(forms.Form):
    holder_name = forms.CharField(
        label="Account holder", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    iban = forms.CharField(
        label="IBAN", max_length=42, help_text="For example DE89 3704 0044 0532 0130 00. Spaces are fine."
    )
    sandbox_outcome = forms.ChoiceField(
        label="TEST MODE: what the sandbox bank does with transfers",
        choices=PayoutAccount.Outcome.choices,
        initial=PayoutAccount.Outcome.SUCCEED,
    )


class PayoutRequestForm(forms.Form):
    diamonds = forms.IntegerField(
        label="Diamonds to redeem",
        min_value=1,
        error_messages={"invalid": "Enter a whole number of diamonds.", "min_value": "Enter a positive number."},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=255, widget=forms.Textarea(attrs={"rows": 2}))
