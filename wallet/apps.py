from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "wallet"
    verbose_name = "Wallet and ledger"

    def ready(self) -> None:
        from accounts.signals import account_deleting

        from . import receivers
        from .stripe_webhooks import connect_stripe_webhooks

        account_deleting.connect(receivers.forfeit_on_account_deletion, dispatch_uid="wallet-forfeit")
        connect_stripe_webhooks()
