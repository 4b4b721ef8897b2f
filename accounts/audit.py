"""The audit log's one write path: a staff action that moves money or changes an account calls ``audit_record``
inside its own database transaction, so the row commits or rolls back with the change (DESIGN.md: "the audit row is
written by the staff action itself"). No signal, no receiver in another app: it happens whatever apps are installed.
"""

from __future__ import annotations

from django.db import transaction

from .models import AuditLog, User


class AuditOutsideTransaction(RuntimeError):
    """A programming error: an audit row written outside the action's transaction could outlive a rolled-back
    change, or be missing for a committed one."""


def audit_record(*, actor: User | None, action: str, obj: object, **details: object) -> AuditLog:
    """Put a staff action on the audit log: ``action`` ("ledger.adjust", "user.freeze", ...), ``obj`` the row acted
    on (its ``public_id`` or primary key is kept), ``details`` stored as strings. Call it inside the action's
    ``transaction.atomic()`` block."""
    if not transaction.get_connection().in_atomic_block:
        raise AuditOutsideTransaction(f"audit_record({action!r}) must run inside the action's transaction")
    return AuditLog.objects.create(
        actor=actor,
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=str(getattr(obj, "public_id", None) or getattr(obj, "pk", "")),
        details={k: str(v) for k, v in details.items()},
    )
