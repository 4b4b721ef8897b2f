"""Sending money to creators: the sandbox bank (default) and Stripe Connect transfers.

Each call carries the payout's own idempotency key, so a retried or redelivered task never pays twice. Stripe keeps
idempotency keys for 24 hours only: a Stripe transfer also carries the payout in its transfer group, and every attempt
first asks Stripe for a transfer in that group, so a task that comes back days later finds the transfer already made.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

from wallet.providers import ProviderError

from .models import Payout, PayoutAccount, SandboxTransfer


@dataclass(frozen=True)
class PayoutResult:
    succeeded: bool
    provider_ref: str
    failure_reason: str = ""


class PayoutProvider(Protocol):
    def send_payout(self, payout: Payout, account: PayoutAccount) -> PayoutResult: ...


class SandboxPayouts:
    """A simulated bank transfer. The payout account's TEST MODE outcome decides success or failure."""

    def send_payout(self, payout: Payout, account: PayoutAccount) -> PayoutResult:
        succeeded = account.sandbox_outcome == PayoutAccount.Outcome.SUCCEED
        transfer, _ = SandboxTransfer.objects.get_or_create(
            payout_public_id=payout.public_id,
            defaults={
                "id": f"tr_sbx_{secrets.token_hex(10)}",
                "amount_minor": payout.cash_minor,
                "currency": payout.currency,
                "succeeded": succeeded,
                "failure_reason": "" if succeeded else "The receiving bank rejected the transfer (test mode).",
            },
        )
        return PayoutResult(transfer.succeeded, transfer.id, transfer.failure_reason)


class StripePayouts:
    """A Stripe Connect transfer to the creator's connected (Express) account."""

    def send_payout(self, payout: Payout, account: PayoutAccount) -> PayoutResult:
        import stripe

        from wallet.providers.stripe import stripe_client, stripe_money

        if not account.stripe_account_id:
            return PayoutResult(False, "", "No connected Stripe account.")
        amount, currency = stripe_money(payout.cash_minor, payout.currency, to_stripe=True)
        group = f"payout-{payout.public_id}"
        try:
            made = stripe_client().v1.transfers.list(params={"transfer_group": group, "limit": 1})
            if made.data:  # an earlier attempt's transfer, whose idempotency key Stripe may have forgotten
                return PayoutResult(True, str(made.data[0].id))
            transfer = stripe_client().v1.transfers.create(
                params={
                    "amount": amount,
                    "currency": currency,
                    "destination": account.stripe_account_id,
                    "transfer_group": group,
                    "metadata": {"payout_id": str(payout.public_id)},
                },
                options={"idempotency_key": payout.idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            return PayoutResult(False, "", f"Stripe refused the transfer: {exc.user_message or exc}")
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        return PayoutResult(True, str(transfer.id))


def payout_provider(name: str) -> PayoutProvider:
    return StripePayouts() if name == "stripe" else SandboxPayouts()
