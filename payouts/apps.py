from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = "Payouts"

    def ready(self) -> None:
        from . import invariants  # noqa: F401 - registers the payout checks with wallet.invariants
