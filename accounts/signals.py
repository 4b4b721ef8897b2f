"""Hooks other apps attach to. Accounts never imports the apps that build on it (DESIGN.md import direction)."""

from django.dispatch import Signal

# Sent inside the deletion's database transaction, before personal data is erased, with ``user``.
# The wallet forfeits the account's coins here, so the forfeiture commits or rolls back with the deletion.
account_deleting = Signal()
