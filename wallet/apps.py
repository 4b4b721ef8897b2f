from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "wallet"
    verbose_name = "Wallet and ledger"

    def ready(self) -> None:
        from .stripe_webhooks import connect_stripe_webhooks

        connect_stripe_webhooks()
