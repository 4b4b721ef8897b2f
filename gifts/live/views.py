"""Live video views: the creator's stream setup (ingest address and secret key, after a fresh 2FA code) and the
RTMP ingest's callbacks, which only the ingest server may call (``RTMP_CALLBACK_SECRET`` in their URL)."""

from __future__ import annotations

import hmac
import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.decorators import recent_otp_required
from accounts.models import CreatorProfile
from accounts.selectors import creator_get_for_user
from coinshop.http import request_user

from ..catalog.selectors import gifts_active_list
from .events import realtime_enabled
from .goals import (
    GoalRefused,
    goal_remove,
    goal_set,
    goal_state_for,
    overlay_creator_get,
    overlay_token_get,
    overlay_token_rotate,
)
from .ingest import (
    IngestRefused,
    live_ingest_start,
    live_ingest_stop,
    stream_key_get,
    stream_key_rotate,
    stream_key_text,
)
from .reading import live_event_last_id
from .selectors import live_session_current

logger = logging.getLogger(__name__)


class GoalForm(forms.Form):
    title = forms.CharField(max_length=80, help_text="What the gifts are for, e.g. “A new song at 1,000 coins”.")
    gift = forms.ModelChoiceField(
        queryset=gifts_active_list(),
        required=False,
        empty_label="Coins (every gift counts by its coins)",
        label="Count",
    )
    target = forms.IntegerField(min_value=1, max_value=100_000_000, help_text="Coins, or how many of that gift.")
    deadline = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), help_text="Optional."
    )


@recent_otp_required
def stream_setup(request: HttpRequest) -> HttpResponse:
    """The creator's stream tools: OBS settings (server and stream key), the alerts overlay URL, the gift goal."""
    creator = creator_get_for_user(user=request_user(request))
    if creator is None:
        messages.info(request, "Become a creator to go live.")
        return redirect("creator_become")
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = GoalForm(request.POST if action == "set_goal" else None)
    if action == "rotate_key":
        stream_key_rotate(creator=creator)
        messages.success(
            request, "Your stream key was replaced: the old one no longer works. Paste the new one in OBS."
        )
        return redirect("stream_setup")
    if action == "rotate_overlay":
        overlay_token_rotate(creator=creator)
        messages.success(request, "Your overlay has a new address: the old one no longer works. Update it in OBS.")
        return redirect("stream_setup")
    if action == "remove_goal":
        goal_remove(creator=creator)
        messages.success(request, "Your goal was removed.")
        return redirect("stream_setup")
    if action == "set_goal" and form.is_valid():
        try:
            goal_set(creator=creator, **form.cleaned_data)
        except GoalRefused as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your goal is set: viewers see it in your live room and on your page.")
            return redirect("stream_setup")
    overlay_path = reverse("overlay", args=[overlay_token_get(creator=creator)])
    return render(
        request,
        "gifts/stream_setup.html",
        {
            "key": stream_key_text(key=stream_key_get(creator=creator)),
            "ingest_url": settings.RTMP_INGEST_URL,
            "overlay_url": request.build_absolute_uri(overlay_path),
            "goal": goal_state_for(creator_id=creator.pk),
            "goal_form": form,
            "profile": creator,
        },
        status=400 if form.errors else 200,
    )


def _overlay_creator(token: str) -> CreatorProfile:
    creator = overlay_creator_get(token=token)
    if creator is None:
        raise Http404("No overlay at this address (it may have been replaced).")
    return creator


@xframe_options_exempt  # OBS's browser source may frame it
def overlay(request: HttpRequest, token: str) -> HttpResponse:
    """The alerts overlay for OBS: each gift as an animated alert, and the goal, on a transparent page."""
    creator = _overlay_creator(token)
    return render(
        request, "gifts/overlay.html", {"profile": creator, "state_url": reverse("overlay_state", args=[token])}
    )


@never_cache
def overlay_state(request: HttpRequest, token: str) -> JsonResponse:
    """Where the overlay listens now: the creator's live room (when live) and the goal."""
    creator = _overlay_creator(token)
    session = live_session_current(creator=creator)
    state: dict[str, object] = {"live": session is not None, "goal": goal_state_for(creator_id=creator.pk)}
    if session is not None:
        state.update(
            session=session.pk,
            events_url=reverse("live_events", args=[session.pk]) if realtime_enabled() else None,
            feed_url=reverse("live_feed", args=[session.pk]),
            last_event_id=live_event_last_id(session_id=session.pk),
        )
    return JsonResponse(state)


class IngestCallbackForm(forms.Form):
    """What nginx's RTMP module posts (``on_publish``, ``on_publish_done``): the stream name is all we use."""

    name = forms.CharField(max_length=100)  # the stream's name: the creator's handle
    key = forms.CharField(max_length=100, required=False)  # the secret, an argument of the stream name


def _from_ingest(request: HttpRequest) -> bool:
    secret = settings.RTMP_CALLBACK_SECRET
    given = request.GET.get("secret", "")
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def _ingest_form(request: HttpRequest) -> IngestCallbackForm | HttpResponse:
    """The callback's stream name (and key), or the refusal: 403 to anyone but the ingest, 400 without a name."""
    if not _from_ingest(request):
        return HttpResponse("Only the ingest server may call this.", status=403, content_type="text/plain")
    form = IngestCallbackForm(request.POST)
    if not form.is_valid():
        return HttpResponse("A stream name is required.", status=400, content_type="text/plain")
    return form


@csrf_exempt
@require_POST
def ingest_publish(request: HttpRequest) -> HttpResponse:
    """May this stream publish? 2xx yes, 4xx no (nginx then drops the encoder's connection)."""
    form = _ingest_form(request)
    if isinstance(form, HttpResponse):
        return form
    try:
        live_ingest_start(name=form.cleaned_data["name"], key=form.cleaned_data["key"])
    except IngestRefused as exc:
        logger.info("ingest refused: %s", exc.messages[0])
        return HttpResponse(exc.messages[0], status=403, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@require_POST
def ingest_publish_done(request: HttpRequest) -> HttpResponse:
    form = _ingest_form(request)
    if isinstance(form, HttpResponse):
        return form
    live_ingest_stop(name=form.cleaned_data["name"])
    return HttpResponse("ok", content_type="text/plain")
