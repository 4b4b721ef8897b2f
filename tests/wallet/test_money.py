"""The one money module: ISO 4217 exponents from CLDR (Babel), exact conversions, locale formatting, payout maths."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from wallet.money import (
    MoneyPrecisionError,
    currency_exponent,
    money_format,
    money_format_amount,
    money_from_minor,
    money_quantize,
    money_to_minor,
    rate_format,
    rate_granularity,
    rate_total_exact,
    rate_total_minor,
    share_percent,
)


@pytest.mark.parametrize(("currency", "exponent"), [("JPY", 0), ("USD", 2), ("EUR", 2), ("KWD", 3), ("bhd", 3)])
def test_exponents_come_from_the_currency_data(currency, exponent):
    assert currency_exponent(currency) == exponent


def test_an_unknown_currency_is_refused():
    with pytest.raises(ValueError, match="not an ISO 4217"):
        currency_exponent("XYZ")


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("4.89"), "USD", 489),
        (Decimal("1.234"), "KWD", 1234),
        (Decimal("500"), "JPY", 500),
        (Decimal("0.005"), "USD", 1),  # half up
        (Decimal("0.0045"), "KWD", 5),
        (Decimal("499.5"), "JPY", 500),
        (Decimal("499.49"), "JPY", 499),
        (7, "USD", 700),
    ],
)
def test_major_to_minor_rounds_half_up_to_the_exponent(amount, currency, minor):
    assert money_to_minor(amount, currency) == minor


@pytest.mark.parametrize("currency", ["JPY", "USD", "KWD"])
@pytest.mark.parametrize("minor", [0, 1, 7, 489, 1_234_567])
def test_minor_units_round_trip(minor, currency):
    major = money_from_minor(minor, currency)
    assert -major.as_tuple().exponent == currency_exponent(currency)  # as many decimals as the currency has
    assert money_to_minor(major, currency, exact=True) == minor


def test_exact_conversion_refuses_what_the_currency_cannot_hold():
    with pytest.raises(MoneyPrecisionError):
        money_to_minor(Decimal("1.005"), "USD", exact=True)
    with pytest.raises(MoneyPrecisionError):
        money_to_minor(Decimal("12.5"), "JPY", exact=True)
    assert money_to_minor(Decimal("1.005"), "KWD", exact=True) == 1005


def test_floats_are_refused():
    with pytest.raises(TypeError):
        money_to_minor(4.89, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        money_from_minor(4.0, "USD")  # type: ignore[arg-type]


def test_quantize_keeps_the_currency_decimals():
    assert str(money_quantize(Decimal("1.2345"), "KWD")) == "1.235"
    assert str(money_quantize(Decimal("0.0145") * 1000, "USD")) == "14.50"
    assert str(money_quantize(Decimal("2.5") * 3, "JPY")) == "8"


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "text"),
    [
        (489, "USD", None, "$4.89"),  # LANGUAGE_CODE en-us
        (1_234_567, "JPY", None, "¥1,234,567"),
        (12_345, "KWD", None, "KWD12.345"),
        (0, "KWD", None, "KWD0.000"),
        (489, "EUR", "de-de", "4,89\xa0€"),
        (1_234_567, "JPY", "ja", "￥1,234,567"),
    ],
)
def test_formatting_follows_the_locale_and_the_currency_digits(minor, currency, locale, text):
    assert money_format(minor, currency, locale) == text


def test_a_computed_amount_is_rounded_before_it_is_written():
    assert money_format_amount(Decimal("0.4455"), "KWD") == "KWD0.446"
    assert money_format_amount(Decimal("2.5"), "JPY") == "¥3"


def test_a_rate_keeps_its_digits():
    assert rate_format(Decimal("0.005000"), "USD") == "$0.005"
    assert rate_format(Decimal("0.75"), "KWD") == "KWD0.750"  # at least the currency's digits
    assert rate_format(Decimal("0.75"), "JPY") == "¥0.75"
    assert rate_format(Decimal("100.000000"), "JPY") == "¥100"


@pytest.mark.parametrize(
    ("rate", "currency", "granularity"),
    [
        (Decimal("0.005"), "USD", 2),  # half a cent: two diamonds make a cent
        (Decimal("0.0043"), "USD", 100),
        (Decimal("0.005"), "KWD", 1),  # five fils
        (Decimal("0.0015"), "KWD", 2),
        (Decimal("0.75"), "JPY", 4),  # three yen for four diamonds
        (Decimal("2"), "JPY", 1),
    ],
)
def test_rate_granularity_uses_the_currency_exponent(rate, currency, granularity):
    assert rate_granularity(rate=rate, currency=currency) == granularity
    assert rate_total_exact(units=granularity, rate=rate, currency=currency).denominator == 1


def test_payout_totals_are_exact_in_kwd_and_jpy():
    assert rate_total_minor(units=40_000, rate=Decimal("0.0015"), currency="KWD") == 60_000  # 60.000 KWD
    assert rate_total_minor(units=40_000, rate=Decimal("0.75"), currency="JPY") == 30_000  # ¥30,000
    assert rate_total_exact(units=3, rate=Decimal("0.75"), currency="JPY") == Fraction(9, 4)
    with pytest.raises(MoneyPrecisionError):
        rate_total_minor(units=3, rate=Decimal("0.75"), currency="JPY")
    huge = 9_000_000_000_000_000_000  # far past a float's (and a 28-digit Decimal context's) exact range
    assert rate_total_minor(units=huge, rate=Decimal("0.123456"), currency="KWD") == huge * 123_456 // 1000


def test_share_percent_rounds_half_up():
    assert share_percent(Decimal("0.005"), Decimal("0.0145")) == 34
    assert share_percent(1, 8) == 13  # 12.5 -> 13
