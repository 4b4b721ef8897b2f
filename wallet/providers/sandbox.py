"""The built-in sandbox provider: a TEST MODE checkout page inside the app.

It keeps its own record of each payment (``SandboxPayment``, what Stripe would hold on its side) and reports
outcomes with webhooks signed exactly as Stripe signs them (``t=<unix time>,v1=<HMAC-SHA256 of "t.payload">``),
verified by the stripe SDK's own ``WebhookSignature`` and handled by the same code as Stripe's events.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from .base import CheckoutStart, PaymentState, WebhookError, WebhookEvent, signature_dated_in_future

if TYPE_CHECKING:
    from wallet.models import Purchase

SIGNATURE_HEADER = "Coinshop-Signature"


def sandbox_secret() -> str:
    return str(settings.SANDBOX_WEBHOOK_SECRET)


def sandbox_sign(payload: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    """The signature header value for ``payload``, as Stripe computes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new((secret or sandbox_secret()).encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def sandbox_event_payload(*, event_type: str, payment_id: str, purchase_public_id: str, data: dict[str, Any]) -> bytes:
    event = {
        "id": f"evt_sbx_{secrets.token_hex(12)}",
        "type": event_type,
        "created": int(time.time()),
        "data": {"payment_id": payment_id, "purchase_id": purchase_public_id, **data},
    }
    return json.dumps(event, separators=(",", ":")).encode()


class SandboxProvider:
    name = "sandbox"

    def start_checkout(self, purchase: Purchase, *, success_url: str, cancel_url: str) -> CheckoutStart:
        from wallet.models import SandboxPayment

        payment, _ = SandboxPayment.objects.get_or_create(
            purchase_public_id=purchase.public_id,
            defaults={
                "id": f"sbx_{secrets.token_hex(10)}",
                "amount_minor": purchase.price_minor,
                "currency": purchase.currency,
            },
        )
        return CheckoutStart(
            redirect_url=reverse("sandbox_checkout", kwargs={"payment_id": payment.id}), provider_ref=payment.id
        )

    def parse_webhook(self, payload: bytes, headers: dict[str, str]) -> WebhookEvent:
        signature = headers.get(SIGNATURE_HEADER.lower()) or headers.get(SIGNATURE_HEADER) or ""
        if not signature:
            raise WebhookError("missing signature")
        if signature_dated_in_future(signature):
            raise WebhookError("bad signature: the timestamp is in the future")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, sandbox_secret(), tolerance=settings.WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as exc:
            raise WebhookError(f"bad signature: {exc.user_message or exc}") from exc
        except UnicodeDecodeError as exc:
            raise WebhookError("payload is not UTF-8") from exc
        try:
            event = json.loads(payload)
            data = event["data"]
            return WebhookEvent(
                event_id=str(event["id"]),
                type=str(event["type"]),
                purchase_public_id=str(data["purchase_id"]),
                provider_ref=str(data["payment_id"]),
                data=data,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookError("malformed event") from exc

    def retrieve_payment(self, purchase: Purchase) -> PaymentState:
        from wallet.models import SandboxPayment

        payment = SandboxPayment.objects.filter(purchase_public_id=purchase.public_id).first()
        if payment is None:
            return PaymentState("failed", 0, purchase.currency, "The sandbox has no payment for this purchase.")
        status = payment.status
        if status == SandboxPayment.Status.PROCESSING and payment.succeed_at and payment.succeed_at <= timezone.now():
            status = SandboxPayment.Status.SUCCEEDED
        mapped = {"open": "open", "processing": "processing", "succeeded": "succeeded", "declined": "failed"}[status]
        return PaymentState(mapped, payment.amount_minor, payment.currency, payment.decline_reason)


def sandbox_delay() -> timedelta:
    return timedelta(seconds=settings.SANDBOX_DELAY_SECONDS)


SANDBOX_OUTCOMES = {
    "succeed": "Pay successfully",
    "decline": "Decline the payment",
    "delay": "Succeed after a delay (bank confirmation)",
}
DECLINE_REASONS = {
    "insufficient_funds": "Your card has insufficient funds.",
    "card_declined": "Your card was declined by the bank.",
    "expired_card": "Your card has expired.",
}


def _deliver(payload: bytes, *, countdown: int | None = None) -> None:
    from django.db import transaction

    from coinshop.celery import task_enqueue

    def send() -> None:
        task_enqueue("wallet.tasks.sandbox_webhook_deliver_task", payload.decode(), countdown=countdown or None)

    transaction.on_commit(send)


def sandbox_payment_complete(*, payment_id: str, outcome: str, decline_reason: str = "") -> None:
    """What the person chose on the TEST MODE checkout page; the sandbox then reports it by webhook."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from wallet.models import SandboxPayment

    if outcome not in SANDBOX_OUTCOMES:
        raise ValidationError("Choose one of the test outcomes.")
    if outcome == "decline" and decline_reason not in DECLINE_REASONS:
        raise ValidationError("Choose a decline reason.")
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None:
            raise ValidationError("This test checkout does not exist.")
        if payment.status != SandboxPayment.Status.OPEN:
            raise ValidationError("This test checkout was already completed.")
        if outcome == "succeed":
            payment.status = SandboxPayment.Status.SUCCEEDED
            event_type = "payment.succeeded"
        elif outcome == "decline":
            payment.status = SandboxPayment.Status.DECLINED
            payment.decline_reason = DECLINE_REASONS[decline_reason]
            event_type = "payment.failed"
        else:
            payment.status = SandboxPayment.Status.PROCESSING
            payment.succeed_at = timezone.now() + sandbox_delay()
            event_type = "payment.processing"
        payment.save()
        ids = {"payment_id": payment.id, "purchase_public_id": str(payment.purchase_public_id)}
        _deliver(sandbox_event_payload(event_type=event_type, data={}, **ids))
        if outcome == "delay":
            _deliver(
                sandbox_event_payload(event_type="payment.succeeded", data={}, **ids),
                countdown=settings.SANDBOX_DELAY_SECONDS + 1,
            )


STAFF_EVENTS = {
    "payment.refunded": "Refund",
    "dispute.opened": "Open a dispute (chargeback)",
    "dispute.won": "Dispute won",
    "dispute.lost": "Dispute lost",
}


def sandbox_staff_event(*, purchase_public_id: str, event_type: str) -> None:
    """Staff's sandbox buttons: the bank refunds or disputes a payment, and says so by webhook."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from wallet.models import SandboxPayment

    if event_type not in STAFF_EVENTS:
        raise ValidationError("Unknown sandbox event.")
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().filter(purchase_public_id=purchase_public_id).first()
        if payment is None or payment.status != SandboxPayment.Status.SUCCEEDED:
            raise ValidationError("Only a succeeded sandbox payment can be refunded or disputed.")
        data: dict[str, Any]
        if event_type == "payment.refunded":
            payment.refunded = True
            data = {"amount_refunded": payment.amount_minor}
        else:
            if event_type == "dispute.opened" and payment.dispute_status in ("", "won", "lost"):
                payment.dispute_count += 1  # a new dispute (a second one after the first was decided)
            payment.dispute_status = event_type.split(".")[1]
            data = {"dispute_id": f"dp_{payment.id}_{max(1, payment.dispute_count)}", "amount": payment.amount_minor}
        payment.save()
        _deliver(
            sandbox_event_payload(
                event_type=event_type, payment_id=payment.id, purchase_public_id=str(purchase_public_id), data=data
            )
        )
