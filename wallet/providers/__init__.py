"""Payment providers behind one small interface (DESIGN.md "Providers"). Which one runs is ``PAYMENT_PROVIDER``."""

from __future__ import annotations

from django.conf import settings

from .base import CheckoutStart, PaymentProvider, PaymentState, ProviderError, WebhookError, WebhookEvent


def get_provider(name: str | None = None) -> PaymentProvider:
    name = name or settings.PAYMENT_PROVIDER
    if name == "sandbox":
        from .sandbox import SandboxProvider

        return SandboxProvider()
    if name == "stripe":
        from .stripe import StripeProvider

        return StripeProvider()
    raise ValueError(f"unknown payment provider {name!r}")


__all__ = [
    "CheckoutStart",
    "PaymentProvider",
    "PaymentState",
    "ProviderError",
    "WebhookError",
    "WebhookEvent",
    "get_provider",
]
