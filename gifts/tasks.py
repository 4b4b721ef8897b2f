from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def gift_sends_finalize_task() -> int:
    return services.gift_sends_finalize()
