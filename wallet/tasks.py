"""Thin Celery tasks: take ids, call a service. Every one is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from . import services
from .providers import ProviderError

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(ProviderError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=8,
)
def purchase_confirm_task(self: object, purchase_id: int) -> str:
    return services.purchase_confirm(purchase_id=purchase_id).status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def purchases_expire_stale_task() -> int:
    return services.purchases_expire_stale()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sandbox_webhook_deliver_task(payload: str) -> str:
    """The sandbox provider delivering a webhook: signed now, handled by the same code as any provider's."""
    from .providers.sandbox import SIGNATURE_HEADER, sandbox_sign

    body = payload.encode()
    return services.webhook_receive(provider="sandbox", payload=body, headers={SIGNATURE_HEADER: sandbox_sign(body)})


@shared_task(acks_late=True)
def ledger_check_task() -> bool:
    from .invariants import ledger_check

    report = ledger_check()
    if not report.ok:
        logger.error("ledger check FAILED: %s", "; ".join(report.violations))
    return report.ok
