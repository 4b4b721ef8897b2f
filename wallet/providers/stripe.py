"""The Stripe provider: Checkout Sessions in redirect mode (DESIGN.md "Providers").

Checkout is started here with the stripe SDK; Stripe's webhooks arrive through dj-stripe (``/stripe/webhook/<uuid>/``,
signature checked per ``WebhookEndpoint``) and are translated in ``wallet.stripe_webhooks``. Coins are never taken
from Stripe's data: ``retrieve_payment`` only reports what Stripe holds, and ``purchase_confirm`` compares it with
the purchase row before crediting the row's coins.

The API key is dj-stripe's configured secret key and the API host is ``stripe.api_base`` (which dj-stripe sets from
``STRIPE_API_HOST``), so this module and dj-stripe always talk to the same Stripe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import stripe
from djstripe.settings import djstripe_settings

from wallet.money import currency_exponent

from .base import CheckoutStart, PaymentState, ProviderError, WebhookError, WebhookEvent

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams, SessionCreateParamsPaymentMethodOptions

    from wallet.models import Purchase

# Checkout's payment method types for each of our methods. Apple Pay and Google Pay are card wallets: Checkout shows
# them on the card method when the browser supports them.
PAYMENT_METHOD_TYPES: dict[str, list[Any]] = {
    "card": ["card"],
    "apple_pay": ["card"],
    "google_pay": ["card"],
    "paypal": ["paypal"],
    "alipay": ["alipay"],
    "wechat_pay": ["wechat_pay"],
}
PAYMENT_METHOD_OPTIONS: dict[str, SessionCreateParamsPaymentMethodOptions] = {
    "wechat_pay": {"wechat_pay": {"client": "web"}},  # required by Stripe for WeChat Pay in Checkout
}


def stripe_exponent(currency: str) -> int:
    """How many decimals Stripe's amounts have in ``currency`` (https://docs.stripe.com/currencies): none for its
    zero-decimal currencies (the list dj-stripe keeps), three for the three-decimal ones (BHD, JOD, KWD, OMR, TND,
    which ISO 4217 also gives three), two for every other currency, even where ISO 4217 has none (Stripe's special
    case ISK: "an ISK amount of 100 represents 1 króna")."""
    if currency.lower() in djstripe_settings.ZERO_DECIMAL_CURRENCIES:
        return 0
    return 3 if currency_exponent(currency) == 3 else 2


def stripe_money(amount: int, currency: str, *, to_stripe: bool) -> tuple[int, str]:
    """The one conversion between our money and Stripe's: ``(amount, currency)`` in the other side's units.

    Coinshop stores minor units of the currency's ISO 4217 exponent (``wallet.money``) with an upper-case code;
    Stripe wants its own smallest unit (``stripe_exponent``) with a lower-case code. For most currencies only the case
    changes. An amount that would need rounding raises ``ProviderError``: money is never rounded at the gateway. So
    does a three-decimal amount whose last digit is not 0, which Stripe refuses ("round amounts to the nearest ten").
    """
    code = currency.upper()
    shift = stripe_exponent(code) - currency_exponent(code)
    if not to_stripe:
        shift = -shift
    converted, remainder = (amount * 10**shift, 0) if shift >= 0 else divmod(amount, 10**-shift)
    if remainder:
        raise ProviderError(f"{amount} {code} cannot be expressed exactly in {'Stripe' if to_stripe else 'our'} units")
    if to_stripe and stripe_exponent(code) == 3 and converted % 10:
        raise ProviderError(f"Stripe takes {code} amounts in multiples of 10 of the smallest unit, not {converted}")
    return converted, code.lower() if to_stripe else code


def stripe_client() -> stripe.StripeClient:
    """A client with dj-stripe's secret key, API version and API host."""
    api_key = djstripe_settings.STRIPE_SECRET_KEY
    if not api_key:
        raise ProviderError("Stripe is not configured: set STRIPE_TEST_SECRET_KEY (or the live key).")
    return stripe.StripeClient(
        api_key,
        stripe_version=djstripe_settings.STRIPE_API_VERSION,
        base_addresses={"api": stripe.api_base},
        max_network_retries=2,
    )


class StripeProvider:
    name = "stripe"

    def start_checkout(self, purchase: Purchase, *, success_url: str, cancel_url: str) -> CheckoutStart:
        unit_amount, currency = stripe_money(purchase.price_minor, purchase.currency, to_stripe=True)
        purchase_id = str(purchase.public_id)
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": unit_amount,
                        "product_data": {"name": f"{purchase.coins:,} coins"},
                    },
                }
            ],
            "payment_method_types": PAYMENT_METHOD_TYPES.get(purchase.payment_method, ["card"]),
            "client_reference_id": purchase_id,
            "metadata": {"purchase_id": purchase_id},
            "payment_intent_data": {"metadata": {"purchase_id": purchase_id}},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if purchase.payment_method in PAYMENT_METHOD_OPTIONS:
            params["payment_method_options"] = PAYMENT_METHOD_OPTIONS[purchase.payment_method]
        try:
            session = stripe_client().v1.checkout.sessions.create(
                params,
                {"idempotency_key": purchase.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"Stripe refused the checkout session: {exc.user_message or exc}") from exc
        if not session.url:
            raise ProviderError(f"Stripe returned checkout session {session.id} without a URL")
        return CheckoutStart(redirect_url=session.url, provider_ref=session.id)

    def parse_webhook(self, payload: bytes, headers: dict[str, str]) -> WebhookEvent:
        # Stripe's events are verified and stored by dj-stripe, then handed to wallet.stripe_webhooks; nothing
        # else may claim to be Stripe.
        raise WebhookError("Stripe webhooks are received at /stripe/webhook/<uuid>/ (dj-stripe)")

    def retrieve_payment(self, purchase: Purchase) -> PaymentState:
        if not purchase.provider_ref:
            # The checkout was never (or not yet) started: nothing can have been paid.
            return PaymentState("open", 0, purchase.currency)
        try:
            session = (
                stripe_client()
                .v1.checkout.sessions.retrieve(purchase.provider_ref, {"expand": ["payment_intent"]})
                .to_dict()
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"Stripe could not return checkout session {purchase.provider_ref}: {exc}") from exc
        return session_payment_state(session, purchase=purchase)


def session_payment_state(session: dict[str, Any], *, purchase: Purchase) -> PaymentState:
    """What a Checkout Session (with its payment intent expanded) says about the purchase's payment."""
    if (session.get("metadata") or {}).get("purchase_id") != str(purchase.public_id):
        return PaymentState("failed", 0, purchase.currency, "The checkout session belongs to another purchase.")
    amount, currency = stripe_money(
        session.get("amount_total") or 0, session.get("currency") or purchase.currency, to_stripe=False
    )
    payment_intent = session.get("payment_intent")
    intent: dict[str, Any] = payment_intent if isinstance(payment_intent, dict) else {}
    status, payment_status = session.get("status"), session.get("payment_status")
    if status == "expired":
        return PaymentState("expired", amount, currency)
    if status == "complete":
        if payment_status == "paid":
            return PaymentState("succeeded", amount, currency)
        # Completed but unpaid: a delayed method (bank confirmation) still on its way, or one that failed.
        if intent.get("status") in ("requires_payment_method", "canceled"):
            message = (intent.get("last_payment_error") or {}).get("message")
            return PaymentState("failed", amount, currency, str(message or "The payment was declined.")[:255])
        return PaymentState("processing", amount, currency)
    return PaymentState("open", amount, currency)
