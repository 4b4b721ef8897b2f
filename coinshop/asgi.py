"""ASGI entry point (uvicorn). The live rooms' event streams (``/live/<id>/events``) are answered by
``gifts.live.hub`` without going through Django's request cycle; everything else goes to Django."""

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coinshop.settings.production")

django_application = get_asgi_application()

from gifts.live.hub import PATH, live_events_app  # noqa: E402  (needs the apps loaded first)


async def application(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        match = PATH.match(scope["path"])
        if match:
            await live_events_app(scope, receive, send, session_id=int(match[1]))
            return
    await django_application(scope, receive, send)
