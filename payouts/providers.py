"""Sending money to creators: the sandbox bank (default) and Stripe Connect transfers.

Each call carries the payout's own idempotency key, so a retried or redelivered task never pays twice. Stripe keeps
idempotency keys for 24 hours only, so every Stripe attempt first asks Stripe for a transfer already made for the
payout (to its destination, carrying its id): a task that comes back days later finds it instead of making a second.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Protocol

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
        client = stripe_client()
        try:
            made = self._made_before(client, payout, account)
        except stripe.StripeError as exc:  # cannot tell whether a transfer exists: retry, never risk a second one
            raise ProviderError(f"Could not look up this payout's transfer on Stripe: {exc}") from exc
        if made is not None:
            if made.get("reversed") or made.get("amount_reversed"):
                raise ProviderError(f"Stripe shows this payout's transfer {made.id} as reversed: staff must settle it.")
            return PayoutResult(True, str(made.id))
        try:
            transfer = client.v1.transfers.create(
                params={
                    "amount": amount,
                    "currency": currency,
                    "destination": account.stripe_account_id,
                    "transfer_group": payout.idempotency_key,
                    "metadata": {"payout_id": str(payout.public_id)},
                },
                options={"idempotency_key": payout.idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            return PayoutResult(False, "", f"Stripe refused the transfer: {exc.user_message or exc}")
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        return PayoutResult(True, str(transfer.id))

    @staticmethod
    def _made_before(client: Any, payout: Payout, account: PayoutAccount) -> Any:
        """The transfer an earlier attempt made for this payout, if any: to its destination, since it was requested,
        carrying its id. Stripe forgets idempotency keys after 24 hours; this does not."""
        since = int(payout.created_at.timestamp()) - 60
        transfers = client.v1.transfers.list(
            params={"destination": account.stripe_account_id, "created": {"gte": since}, "limit": 100}
        )
        for transfer in transfers.auto_paging_iter():
            if (transfer.get("metadata") or {}).get("payout_id") == str(payout.public_id):
                return transfer
        return None


def payout_provider(name: str) -> PayoutProvider:
    return StripePayouts() if name == "stripe" else SandboxPayouts()
