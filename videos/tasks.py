"""Thin Celery task: take the video's id, call the service. Safe to run twice (``services.video_process``)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from . import services

BUSY_RETRY_SECONDS = 60  # below the broker's visibility timeout (settings.CELERY_BROKER_TRANSPORT_OPTIONS)
ERROR_RETRIES = 3


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def video_process_task(self: Any, video_id: int) -> str:
    try:
        return services.video_process(video_id=video_id)
    except services.VideoBusy as exc:
        # Another worker holds the conversion (the broker redelivered a long task): look again once it may be done.
        # If that worker died, its lease runs out and this retry takes the video over.
        if self.request.retries > settings.VIDEO_PROCESS_SECONDS // BUSY_RETRY_SECONDS + 5:
            return services.video_fail(
                video_id=video_id, reason="Converting this video did not finish. Upload it again."
            )
        raise self.retry(exc=exc, countdown=BUSY_RETRY_SECONDS) from exc
    except OSError as exc:  # the storage or the disk: try again a few times, then give up with a reason
        if self.request.retries >= ERROR_RETRIES:
            return services.video_fail(
                video_id=video_id, reason="This video could not be processed (a storage error). Upload it again."
            )
        raise self.retry(exc=exc, countdown=15 * 2**self.request.retries) from exc
