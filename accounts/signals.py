"""Hooks other apps attach to. Accounts never imports the apps that build on it (DESIGN.md import direction)."""

from django.dispatch import Signal

# Sent inside the deletion's database transaction, before personal data is erased, with ``user``.
# The wallet forfeits the account's coins here, so the forfeiture commits or rolls back with the deletion.
account_deleting = Signal()

# Sent for every staff action that moves money or changes what a person may do with it (a ledger correction, a
# refund or dispute sent from the admin, a settled debt, a frozen account, a payout decision), with ``actor``,
# ``action`` ("ledger.adjust", ...), ``obj`` (the row acted on) and ``details`` (a dict). The payouts app keeps the
# append-only audit log of them (``payouts.models.AuditLog``), read-only in the admin.
staff_action = Signal()
