from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gifts.live.relay import relay_run


class Command(BaseCommand):
    help = "Post every live room's events to nginx's nchan module (NCHAN_PUBLISH_URL); run exactly one."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.REDIS_URL or not settings.NCHAN_PUBLISH_URL:
            raise CommandError(
                "Set REDIS_URL and NCHAN_PUBLISH_URL (e.g. http://127.0.0.1:8090/_nchan/pub/{session_id})."
            )
        try:
            import uvloop

            uvloop.run(relay_run())
        except ImportError:
            asyncio.run(relay_run())
