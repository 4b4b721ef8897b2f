from celery import shared_task

from wallet.providers import ProviderError

from . import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(ProviderError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=10,
)
def payout_process_task(payout_id: int) -> str:
    return services.payout_process(payout_id=payout_id).status
