from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.template.defaultfilters import pluralize

from .models import PaymentMethod, TransactionKind
from .money import currency_exponent


class RechargeForm(forms.Form):
    package = forms.TypedChoiceField(
        label="Coin package", coerce=int, required=False, empty_value=None, widget=forms.RadioSelect
    )
    coins = forms.IntegerField(
        label="Or a custom number of coins",
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": "Enter a whole number of coins."},
    )
    method = forms.ChoiceField(
        label="Payment method", choices=PaymentMethod.choices, initial=PaymentMethod.CARD, widget=forms.RadioSelect
    )

    def __init__(self, *args: object, packages: list, **kwargs: object) -> None:  # type: ignore[type-arg]
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["package"].choices = [(p.pk, str(p)) for p in packages]
        low, high = settings.CUSTOM_COINS_MIN, settings.CUSTOM_COINS_MAX
        self.fields["coins"].help_text = f"Between {low:,} and {high:,} coins."
        self.ignored_coins: int | None = None  # a custom number given beside a package (the package is used)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("package") is None and cleaned.get("coins") is None and not self.errors:
            raise forms.ValidationError("Choose a coin package or enter a number of coins.")
        if cleaned.get("package") is not None and cleaned.get("coins") is not None:
            self.ignored_coins = cleaned["coins"]  # the review page says so
            cleaned["coins"] = None  # a package wins over a stray custom number
        return cleaned


class BudgetForm(forms.Form):
    """The monthly limit in major units of ``CURRENCY``, with as many decimals as the currency has."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        currency, hours = settings.CURRENCY, settings.BUDGET_RAISE_DELAY_HOURS
        self.fields["limit"] = forms.DecimalField(
            label=f"Monthly recharge limit ({currency})",
            required=False,
            min_value=Decimal("0"),
            max_value=Decimal("100000"),
            decimal_places=currency_exponent(currency),
            help_text=(
                "Leave empty for no limit. Lowering applies at once; raising takes effect after "
                f"{hours} hour{pluralize(hours)}."
            ),
        )
        for name, label, help_text in (
            ("daily", f"Daily limit ({currency})", "Optional: what you may recharge or spend in one day."),
            (
                "gift",
                f"Limit per gift ({currency})",
                "Optional: the most a single gift, item or subscription may cost.",
            ),
        ):
            self.fields[name] = forms.DecimalField(
                label=label,
                required=False,
                min_value=Decimal("0"),
                max_value=Decimal("100000"),
                decimal_places=currency_exponent(currency),
                help_text=help_text,
            )


class HistoryFilterForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "All kinds"), *TransactionKind.choices])
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class SandboxCheckoutForm(forms.Form):
    outcome = forms.ChoiceField(widget=forms.RadioSelect)
    decline_reason = forms.ChoiceField(required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        from .providers.sandbox import DECLINE_REASONS, SANDBOX_OUTCOMES

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["outcome"].choices = list(SANDBOX_OUTCOMES.items())
        self.fields["decline_reason"].choices = list(DECLINE_REASONS.items())


class LedgerAdjustmentForm(forms.Form):
    email = forms.EmailField(label="Person's email")
    asset = forms.ChoiceField(choices=[("COIN", "Coins"), ("DIAMOND", "Diamonds")])
    amount = forms.IntegerField(help_text="Positive adds, negative removes. Never zero.")
    reason = forms.CharField(max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount(self) -> int:
        amount: int = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("The amount cannot be zero.")
        return amount
