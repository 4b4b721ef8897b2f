from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money(minor: int | None, currency: str = "USD") -> str:
    """Integer minor units as "4.99 USD" (every supported currency has two decimals)."""
    if minor is None:
        return ""
    return f"{Decimal(int(minor)) / 100:,.2f} {currency}"
