from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = "Payouts"

    def ready(self) -> None:
        from accounts.signals import staff_action

        from . import invariants  # noqa: F401 - registers the payout checks with wallet.invariants
        from .services import audit_on_staff_action

        staff_action.connect(audit_on_staff_action, dispatch_uid="payouts-audit-log")
