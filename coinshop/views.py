from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache

from coinshop.celery import app as celery_app

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    from accounts.selectors import creator_search
    from gifts.catalog.selectors import events_current
    from gifts.live.selectors import live_sessions_now

    return render(
        request,
        "home.html",
        {"live": live_sessions_now(), "events": events_current(), "creators": creator_search(query="")[:24]},
    )


class CreatorSearchForm(forms.Form):
    q = forms.CharField(max_length=60, required=False, label="Find a creator", strip=True)


def creators(request: HttpRequest) -> HttpResponse:
    """Creators by name or handle, 24 a page."""
    from accounts.selectors import creator_search

    form = CreatorSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(creator_search(query=query), 24).get_page(request.GET.get("page"))
    return render(
        request,
        "creators.html",
        {"form": form, "query": query, "page": page, "page_query": urlencode({"q": query}) if query else ""},
    )


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
        except Exception:
            # The answer is public: it names what is down, never the exception (hosts, ports, credentials);
            # the details go to the log.
            logger.exception("healthz: the %s check failed", name)
            healthy = False
            status[name] = "error: unavailable"
    return JsonResponse({"status": "ok" if healthy else "error", "checks": status}, status=200 if healthy else 503)
