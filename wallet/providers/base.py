from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from wallet.models import Purchase


class ProviderError(Exception):
    """The provider could not be reached or refused the call; safe to retry."""


class WebhookError(Exception):
    """A webhook that must be refused (bad or missing signature, too old, malformed). The message is safe to show."""


# Clocks differ a little; a signature dated further ahead than this was not made by the provider just now.
FUTURE_SKEW_SECONDS = 60


def signature_dated_in_future(header: str | None, *, now: float | None = None) -> bool:
    """Whether a Stripe-style signature header (``t=<unix time>,v1=...``) is dated more than ``FUTURE_SKEW_SECONDS``
    ahead. The stripe SDK's tolerance only refuses old signatures; a future-dated one could be replayed for as long
    as it is in the future, so both providers' webhooks refuse it here."""
    import time

    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdecimal():
            return int(value) > (time.time() if now is None else now) + FUTURE_SKEW_SECONDS
    return False


# Normalized event types: what Coinshop reacts to, whatever the provider calls them.
PAYMENT_SUCCEEDED = "payment.succeeded"
PAYMENT_PROCESSING = "payment.processing"
PAYMENT_FAILED = "payment.failed"
CHECKOUT_EXPIRED = "checkout.expired"
PAYMENT_REFUNDED = "payment.refunded"
DISPUTE_OPENED = "dispute.opened"
DISPUTE_WON = "dispute.won"
DISPUTE_LOST = "dispute.lost"


@dataclass(frozen=True)
class CheckoutStart:
    redirect_url: str
    provider_ref: str


@dataclass(frozen=True)
class PaymentState:
    status: str  # "succeeded" | "processing" | "open" | "failed" | "expired"
    amount_minor: int
    currency: str
    failure_reason: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    type: str
    purchase_public_id: str | None
    provider_ref: str | None
    data: dict[str, Any] = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: str

    def start_checkout(self, purchase: Purchase, *, success_url: str, cancel_url: str) -> CheckoutStart: ...

    def parse_webhook(self, payload: bytes, headers: dict[str, str]) -> WebhookEvent: ...

    def retrieve_payment(self, purchase: Purchase) -> PaymentState: ...
