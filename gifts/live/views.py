"""Live video views: the creator's stream setup (ingest address and secret key, after a fresh 2FA code) and the
RTMP ingest's callbacks, which only the ingest server may call (``RTMP_CALLBACK_SECRET`` in their URL)."""

from __future__ import annotations

import hmac
import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.decorators import recent_otp_required
from accounts.selectors import creator_get_for_user

from .ingest import (
    IngestRefused,
    live_ingest_start,
    live_ingest_stop,
    stream_key_get,
    stream_key_rotate,
    stream_key_text,
)

logger = logging.getLogger(__name__)


@recent_otp_required
def stream_setup(request: HttpRequest) -> HttpResponse:
    creator = creator_get_for_user(user=request.user)  # type: ignore[arg-type]
    if creator is None:
        messages.info(request, "Become a creator to go live.")
        return redirect("creator_become")
    if request.method == "POST":
        stream_key_rotate(creator=creator)
        messages.success(
            request, "Your stream key was replaced: the old one no longer works. Paste the new one in OBS."
        )
        return redirect("stream_setup")
    return render(
        request,
        "gifts/stream_setup.html",
        {
            "key": stream_key_text(key=stream_key_get(creator=creator)),
            "ingest_url": settings.RTMP_INGEST_URL,
            "profile": creator,
        },
    )


class IngestCallbackForm(forms.Form):
    """What nginx's RTMP module posts (``on_publish``, ``on_publish_done``): the stream name is all we use."""

    name = forms.CharField(max_length=100)  # the stream's name: the creator's handle
    key = forms.CharField(max_length=100, required=False)  # the secret, an argument of the stream name


def _from_ingest(request: HttpRequest) -> bool:
    secret = settings.RTMP_CALLBACK_SECRET
    given = request.GET.get("secret", "")
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


@csrf_exempt
@require_POST
def ingest_publish(request: HttpRequest) -> HttpResponse:
    """May this stream publish? 2xx yes, 4xx no (nginx then drops the encoder's connection)."""
    if not _from_ingest(request):
        return HttpResponse("Only the ingest server may call this.", status=403, content_type="text/plain")
    form = IngestCallbackForm(request.POST)
    if not form.is_valid():
        return HttpResponse("A stream name is required.", status=400, content_type="text/plain")
    try:
        live_ingest_start(name=form.cleaned_data["name"], key=form.cleaned_data["key"])
    except IngestRefused as exc:
        logger.info("ingest refused: %s", exc.messages[0])
        return HttpResponse(exc.messages[0], status=403, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@require_POST
def ingest_publish_done(request: HttpRequest) -> HttpResponse:
    if not _from_ingest(request):
        return HttpResponse("Only the ingest server may call this.", status=403, content_type="text/plain")
    form = IngestCallbackForm(request.POST)
    if not form.is_valid():
        return HttpResponse("A stream name is required.", status=400, content_type="text/plain")
    live_ingest_stop(name=form.cleaned_data["name"])
    return HttpResponse("ok", content_type="text/plain")
