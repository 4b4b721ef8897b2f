"""``{% load money %}``: the money module's formatting for templates. Without a currency, ``settings.CURRENCY``.

- ``{{ purchase.price_minor|money:purchase.currency }}``: integer minor units ("$4.89", "KWD1.234", "¥500");
- ``{{ summary.available_cash|money_amount }}``: a major ``Decimal`` computed from a rate, rounded half up;
- ``{{ rates.diamond_value|money_rate }}``: a price per unit with all its digits ("$0.005").
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.conf import settings

from wallet.money import money_format, money_format_amount, rate_format

register = template.Library()


@register.filter
def money(minor: int | None, currency: str | None = None) -> str:
    if minor is None or minor == "":
        return ""
    return money_format(int(minor), currency or settings.CURRENCY)


@register.filter
def money_amount(amount: Decimal | int | None, currency: str | None = None) -> str:
    if amount is None or amount == "":
        return ""
    return money_format_amount(amount, currency or settings.CURRENCY)


@register.filter
def money_rate(rate: Decimal | int | None, currency: str | None = None) -> str:
    if rate is None or rate == "":
        return ""
    return rate_format(rate, currency or settings.CURRENCY)
