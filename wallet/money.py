"""Money, in one place: cash is an integer count of minor units of an ISO 4217 currency.

The exponent of each currency (JPY 0, USD 2, KWD 3, ...) and the way amounts are written (symbol, separators,
digits) come from Babel's copy of the Unicode CLDR data, never from a table of our own. Everything that turns cash
into words or minor units into a ``Decimal`` calls this module: views, templates (``{% load money %}``), emails,
CSV, admin lists and the payment providers (which convert to their own units from here).

Amounts are ``Decimal`` or ``int``, never ``float``. Rounding is half up, and only where the caller asks for a
rounded amount; ``exact=True`` refuses an amount finer than the currency's minor unit instead.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, get_currency_precision, is_currency
from django.conf import settings
from django.utils.translation import to_locale


class MoneyPrecisionError(ValueError):
    """An amount finer than the currency's minor unit, where an exact amount was required."""


def _code(currency: str) -> str:
    code = currency.upper()
    if not is_currency(code):
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
    return code


@lru_cache(maxsize=64)
def currency_exponent(currency: str) -> int:
    """How many decimals the currency's minor unit has (JPY 0, USD 2, KWD 3), from CLDR."""
    return int(get_currency_precision(_code(currency)))


def _decimal(amount: Decimal | int) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"money must be a Decimal or an int, not {type(amount).__name__}")
    return Decimal(amount)


def money_to_minor(amount: Decimal | int, currency: str, *, exact: bool = False) -> int:
    """A major amount (``Decimal("4.89")`` USD) as integer minor units (489), rounded half up.

    With ``exact=True`` an amount with more decimals than the currency has raises ``MoneyPrecisionError``."""
    scaled = _decimal(amount).scaleb(currency_exponent(currency))
    whole = scaled.to_integral_value(rounding=ROUND_HALF_UP)
    if exact and whole != scaled:
        raise MoneyPrecisionError(f"{amount} {currency.upper()} is finer than the currency's smallest unit")
    return int(whole)


def money_from_minor(minor: int, currency: str) -> Decimal:
    """Integer minor units as a major ``Decimal`` with the currency's decimals (489 USD -> ``Decimal("4.89")``)."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"minor units must be an int, not {type(minor).__name__}")
    return Decimal(minor).scaleb(-currency_exponent(currency))


def money_quantize(amount: Decimal | int, currency: str) -> Decimal:
    """A major amount rounded half up to the currency's decimals (``Decimal("1.2345")`` KWD -> ``"1.235"``)."""
    return money_from_minor(money_to_minor(amount, currency), currency)


@lru_cache(maxsize=16)
def _locale(language: str) -> Locale:
    return Locale.parse(to_locale(language))


def money_locale(locale: str | None = None) -> Locale:
    """The Babel locale that writes amounts: ``locale`` (``"de-de"`` or ``"de_DE"``), else ``LANGUAGE_CODE``."""
    return _locale(locale or settings.LANGUAGE_CODE)


def money_format(minor: int, currency: str, locale: str | None = None) -> str:
    """Minor units as a person reads them in the locale: 489 USD -> "$4.89", 1234 KWD -> "KWD1.234",
    500 JPY -> "¥500"."""
    code = _code(currency)
    return format_currency(money_from_minor(minor, code), code, locale=money_locale(locale))


def money_format_amount(amount: Decimal | int, currency: str, locale: str | None = None) -> str:
    """A major amount (a value computed from a rate, e.g. what diamonds are worth), rounded half up to the
    currency's decimals and written as ``money_format`` does."""
    return money_format(money_to_minor(amount, currency), currency, locale)


def rate_format(rate: Decimal | int, currency: str, locale: str | None = None) -> str:
    """A price per unit (a diamond's cash value, a coin's price) with every digit it has, and at least the
    currency's: ``Decimal("0.005")`` USD -> "$0.005", ``Decimal("0.75")`` KWD -> "KWD0.750"."""
    code = _code(currency)
    value = _decimal(rate)
    # Trailing zeros go (0.005000 -> 0.005); a whole number stays one (normalize() would make 100 into 1E+2).
    value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    return format_currency(value, code, locale=money_locale(locale), decimal_quantization=False)


def rate_total_exact(*, units: int, rate: Decimal, currency: str) -> Fraction:
    """What ``units`` cost at ``rate`` (major units of ``currency`` each), in minor units, exactly (a fraction
    where it is not a whole number of minor units)."""
    return Fraction(units) * Fraction(rate) * 10 ** currency_exponent(currency)


def rate_granularity(*, rate: Decimal, currency: str) -> int:
    """The smallest number of units worth a whole number of minor units at ``rate`` (2 diamonds at 0.005 USD,
    1 at 0.005 KWD, 4 at 0.25 JPY)."""
    return rate_total_exact(units=1, rate=rate, currency=currency).denominator


def rate_total_minor(*, units: int, rate: Decimal, currency: str) -> int:
    """What ``units`` cost at ``rate``, in whole minor units; raises ``MoneyPrecisionError`` unless exact (round
    ``units`` to a multiple of ``rate_granularity`` first)."""
    total = rate_total_exact(units=units, rate=rate, currency=currency)
    if total.denominator != 1:
        raise MoneyPrecisionError(f"{units} x {rate} {currency.upper()} is not a whole number of minor units")
    return int(total)


def share_percent(part: Decimal | int, whole: Decimal | int) -> int:
    """What ``part`` is of ``whole`` in whole percent, rounded half up (a creator's share of what a viewer pays)."""
    ratio = _decimal(part) / _decimal(whole)
    return int(ratio.scaleb(2).to_integral_value(rounding=ROUND_HALF_UP))
