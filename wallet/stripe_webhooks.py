"""Stripe's webhooks, as dj-stripe hands them over, turned into Coinshop's provider events.

dj-stripe verifies each delivery's signature (per ``WebhookEndpoint``), stores the ``Event``, re-retrieves and syncs
its object, and then sends the event's signal inside one database transaction, once per event id. The receivers here
translate the few events Coinshop reacts to into a ``WebhookEvent`` and hand it to
``wallet.services.payment_event_handle``, which de-duplicates by event id again and queues the confirmation with
``transaction.on_commit``. Nothing here credits coins or trusts an amount: confirmation re-reads the Checkout Session
from Stripe and credits the purchase row's coins.

Connected from ``WalletConfig.ready`` (``connect_stripe_webhooks``).
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from djstripe import models as djstripe_models
from djstripe.signals import WEBHOOK_SIGNALS

from .providers import ProviderError, WebhookEvent
from .providers import base as events
from .providers.stripe import stripe_client

logger = logging.getLogger(__name__)

PROVIDER = "stripe"

CHECKOUT_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}
CHARGE_EVENTS = {"charge.refunded"}
DISPUTE_EVENTS = {"charge.dispute.created", "charge.dispute.closed"}
HANDLED_EVENTS = sorted(CHECKOUT_EVENTS | CHARGE_EVENTS | DISPUTE_EVENTS)

# A closed dispute's outcome. ``warning_closed`` is an inquiry that ended without a chargeback: the money stayed.
DISPUTE_CLOSED_TYPES = {
    "won": events.DISPUTE_WON,
    "warning_closed": events.DISPUTE_WON,
    "lost": events.DISPUTE_LOST,
}


def _id_of(value: Any) -> str | None:
    """A Stripe reference is an id string, or the object itself when expanded."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def _payment_intent_metadata(payment_intent_id: str) -> dict[str, Any]:
    """The payment intent's metadata: dj-stripe's synced copy if it has one, else from Stripe."""
    local = djstripe_models.PaymentIntent.objects.filter(id=payment_intent_id).first()
    if local is not None and local.metadata:
        return dict(local.metadata)
    try:
        intent = stripe_client().v1.payment_intents.retrieve(payment_intent_id)
    except stripe.StripeError as exc:
        raise ProviderError(f"Stripe could not return payment intent {payment_intent_id}: {exc}") from exc
    return dict(intent.to_dict().get("metadata") or {})


def _charge_payment_intent_id(charge_id: str) -> str | None:
    local = djstripe_models.Charge.objects.filter(id=charge_id).first()
    if local is not None and local.payment_intent_id:
        return str(local.payment_intent_id)
    try:
        charge = stripe_client().v1.charges.retrieve(charge_id)
    except stripe.StripeError as exc:
        raise ProviderError(f"Stripe could not return charge {charge_id}: {exc}") from exc
    return _id_of(charge.to_dict().get("payment_intent"))


def _purchase_id_for_payment_intent(payment_intent_id: str | None) -> str | None:
    if not payment_intent_id:
        return None
    purchase_id = _payment_intent_metadata(payment_intent_id).get("purchase_id")
    return str(purchase_id) if purchase_id else None


def webhook_event_from_stripe(*, event_id: str, event_type: str, obj: dict[str, Any]) -> WebhookEvent | None:
    """Coinshop's event for a verified Stripe event and its object, or None when Coinshop has nothing to do."""
    if event_type in CHECKOUT_EVENTS:
        if obj.get("mode") != "payment":
            return None
        if event_type == "checkout.session.completed":
            # "unpaid" here is a delayed method (bank confirmation); async_payment_succeeded/failed follows.
            kind = events.PAYMENT_SUCCEEDED if obj.get("payment_status") == "paid" else events.PAYMENT_PROCESSING
        else:
            kind = {
                "checkout.session.async_payment_succeeded": events.PAYMENT_SUCCEEDED,
                "checkout.session.async_payment_failed": events.PAYMENT_FAILED,
                "checkout.session.expired": events.CHECKOUT_EXPIRED,
            }[event_type]
        metadata = obj.get("metadata") or {}
        purchase_id = metadata.get("purchase_id") or obj.get("client_reference_id")
        return WebhookEvent(
            event_id=event_id,
            type=kind,
            purchase_public_id=str(purchase_id) if purchase_id else None,
            provider_ref=_id_of(obj.get("id")),
            data={"stripe_type": event_type, "session": _id_of(obj.get("id"))},
        )
    if event_type in CHARGE_EVENTS:
        charge_id = _id_of(obj.get("id"))
        payment_intent_id = _id_of(obj.get("payment_intent"))
        return WebhookEvent(
            event_id=event_id,
            type=events.PAYMENT_REFUNDED,
            purchase_public_id=_purchase_id_for_payment_intent(payment_intent_id),
            provider_ref=None,
            data={
                "stripe_type": event_type,
                "charge": charge_id,
                "payment_intent": payment_intent_id,
                # The running total: a partial refund takes back the coins it paid for (``wallet.refunds``).
                "amount_refunded": obj.get("amount_refunded"),
            },
        )
    if event_type in DISPUTE_EVENTS:
        status = str(obj.get("status") or "")
        if event_type == "charge.dispute.created":
            kind = events.DISPUTE_OPENED
        elif status in DISPUTE_CLOSED_TYPES:
            kind = DISPUTE_CLOSED_TYPES[status]
        else:
            logger.warning("stripe %s: dispute %s closed as %r; not handled", event_id, obj.get("id"), status)
            return None
        charge_id = _id_of(obj.get("charge"))
        payment_intent_id = _id_of(obj.get("payment_intent")) or (
            _charge_payment_intent_id(charge_id) if charge_id else None
        )
        return WebhookEvent(
            event_id=event_id,
            type=kind,
            purchase_public_id=_purchase_id_for_payment_intent(payment_intent_id),
            provider_ref=None,
            data={
                "stripe_type": event_type,
                "dispute": _id_of(obj.get("id")),
                "amount": obj.get("amount"),
                "status": status,
                "charge": charge_id,
                "payment_intent": payment_intent_id,
            },
        )
    return None


def stripe_event_receive(sender: type[djstripe_models.Event], event: djstripe_models.Event, **kwargs: Any) -> None:
    """dj-stripe's signal for one verified, first-seen Stripe event (inside its transaction)."""
    from .services import payment_event_handle

    obj = (event.data or {}).get("object") or {}
    webhook_event = webhook_event_from_stripe(event_id=str(event.id), event_type=str(event.type), obj=obj)
    if webhook_event is None:
        return
    result = payment_event_handle(provider=PROVIDER, event=webhook_event)
    logger.info("stripe %s (%s): %s", event.id, event.type, result)


def connect_stripe_webhooks() -> None:
    for event_type in HANDLED_EVENTS:
        WEBHOOK_SIGNALS[event_type].connect(
            stripe_event_receive, sender=djstripe_models.Event, dispatch_uid=f"wallet-stripe-{event_type}"
        )
