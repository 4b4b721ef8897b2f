from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "wallet"
    verbose_name = "Wallet and ledger"

    def ready(self) -> None:
        from .stripe_webhooks import connect_stripe_webhooks

        connect_stripe_webhooks()
        _refuse_future_dated_stripe_signatures()


def _refuse_future_dated_stripe_signatures() -> None:
    """dj-stripe verifies Stripe's signature with the SDK, whose tolerance refuses only old timestamps: refuse
    future-dated ones too (``wallet.providers.base.signature_dated_in_future``), before the SDK's own check."""
    from django.utils.datastructures import CaseInsensitiveMapping
    from djstripe.models import WebhookEventTrigger

    from .providers.base import signature_dated_in_future

    original = WebhookEventTrigger.verify_signature
    if getattr(original, "refuses_future", False):
        return

    def verify_signature(self: WebhookEventTrigger, secret: str, tolerance: int) -> bool:
        if signature_dated_in_future(CaseInsensitiveMapping(self.headers).get("stripe-signature")):
            return False
        return bool(original(self, secret, tolerance))

    verify_signature.refuses_future = True  # type: ignore[attr-defined]
    WebhookEventTrigger.verify_signature = verify_signature  # type: ignore[method-assign]
