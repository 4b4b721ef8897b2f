from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from coinshop.celery import app as celery_app


def home(request: HttpRequest) -> HttpResponse:
    from accounts.models import CreatorProfile
    from gifts.selectors import events_current, live_sessions_now

    creators = CreatorProfile.objects.filter(user__is_active=True).order_by("handle")[:24]
    return render(request, "home.html", {"live": live_sessions_now(), "events": events_current(), "creators": creators})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    cache.set("healthz", "1", timeout=5)
    if cache.get("healthz") != "1":
        raise RuntimeError("cache did not return what was stored")
    return "ok"


def _check_broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "not configured (tasks run eagerly)"
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """State of what Coinshop depends on: 200 when everything configured answers, 503 otherwise."""
    checks = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
    status: dict[str, str] = {}
    healthy = True
    for name, check in checks.items():
        try:
            status[name] = check()
        except Exception as exc:
            healthy = False
            status[name] = f"error: {type(exc).__name__}: {exc}"[:200]
    return JsonResponse({"status": "ok" if healthy else "error", "checks": status}, status=200 if healthy else 503)
