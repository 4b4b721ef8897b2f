"""Thin views for the live room: the page, its feed and events, starting and ending a stream."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.selectors import creator_get_for_user
from coinshop.http import request_user

from ..catalog.selectors import gifts_locked
from ..chat.selectors import chat_feed
from ..forms import ChatForm, LiveStartForm
from ..moderation.selectors import chat_removed_ids
from ..moderation.views import room_moderation_context
from ..sending.leaderboards import leaderboard_for_session
from ..sending.views import gift_panel_context
from ..shop.selectors import effect_armed_get, stickers_owned
from ..subscriptions.selectors import subscriber_is_current
from . import selectors
from .events import realtime_enabled
from .goals import goal_state_for
from .models import LiveSession
from .reading import live_event_last_id, live_event_stream
from .selectors import live_feed_version, live_session_current, live_session_get
from .services import live_session_end, live_session_start
from .viewers import live_viewers_get


def _session_or_404(session_id: int, *, with_creator: bool = False) -> LiveSession:
    session = live_session_get(session_id=session_id, with_creator=with_creator)
    if session is None:
        raise Http404("No such live stream.")
    return session


def live_room(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id, with_creator=True)
    last_event_id = live_event_last_id(session_id=session.pk)  # before the feed: the stream then misses nothing
    feed = selectors.live_feed(session=session)
    chat = chat_feed(session=session)
    user = request_user(request)
    subscriber = subscriber_is_current(subscriber=user, creator=session.creator)
    return render(
        request,
        "gifts/live_room.html",
        {
            "session": session,
            "profile": session.creator,
            "feed": feed,
            "chat": chat,
            "last_event_id": last_event_id,
            "feed_version": live_feed_version(session=session),
            "chat_form": ChatForm(),
            "chat_max_length": settings.CHAT_MAX_LENGTH,
            "chat_rate_messages": settings.CHAT_RATE_MESSAGES,
            "chat_rate_seconds": settings.CHAT_RATE_SECONDS,
            "stickers": stickers_owned(user=user),
            "armed_effect": effect_armed_get(user=user),
            "board": leaderboard_for_session(session=session),
            "sse": realtime_enabled(),
            "viewers": live_viewers_get(session_id=session.pk) if session.is_live else None,
            "hls_url": settings.LIVE_HLS_URL.format(handle=session.creator.handle) if session.is_live else "",
            "combo_seconds": settings.GIFT_COMBO_SECONDS,
            "locked": [] if subscriber else gifts_locked(creator_id=session.creator_id),
            "goal": goal_state_for(creator_id=session.creator_id),
            **room_moderation_context(user=user, creator=session.creator),
            **gift_panel_context(request, session.creator, subscriber),
        },
    )


@never_cache
def live_feed(request: HttpRequest, session_id: int) -> JsonResponse:
    """The room as the database has it: the newest gifts (cancellations included), the board, the newest chat.

    The polling fallback (no Redis) sends the ``v`` it last got: while nothing changed the answer is just that (one
    small query). With Redis the page asks only to resync; ``event_id`` is where its event stream goes on from.
    """
    session = _session_or_404(session_id)
    event_id = live_event_last_id(session_id=session.pk)
    version = live_feed_version(session=session)
    if request.GET.get("v") == version:
        return JsonResponse({"v": version, "unchanged": True})
    return JsonResponse(
        {
            "v": version,
            "event_id": event_id,
            "gifts": selectors.live_feed(session=session),
            "leaderboard": leaderboard_for_session(session=session),
            "chat": chat_feed(session=session),
            "chat_removed": chat_removed_ids(session_id=session.pk),
            "live": session.is_live,
            "streaming": session.streaming,
            "goal": goal_state_for(creator_id=session.creator_id),
        }
    )


def live_events(request: HttpRequest, session_id: int) -> HttpResponseBase:
    """Server-Sent Events (with Redis) under a WSGI server: one thread per viewer, for development and tests.
    Production serves this path from the ASGI process (``coinshop.asgi`` -> ``gifts.live.hub``)."""
    session = _session_or_404(session_id)
    if not realtime_enabled():
        return HttpResponse("Real-time events need REDIS_URL; poll the feed instead.", status=404)
    asked = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")
    if not connection.in_atomic_block:
        connection.close()  # the stream may stay open for minutes: it holds no database connection meanwhile
    response = StreamingHttpResponse(
        live_event_stream(session_id=session.pk, last_event_id=asked), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@login_required
def live_start(request: HttpRequest) -> HttpResponse:
    creator = creator_get_for_user(user=request_user(request))
    if creator is None:
        messages.info(request, "Become a creator to go live.")
        return redirect("creator_become")
    current = live_session_current(creator=creator)
    form = LiveStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = live_session_start(creator=creator, title=form.cleaned_data["title"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(session)
    return render(
        request, "gifts/live_start.html", {"form": form, "current": current}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def live_end(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id, with_creator=True)
    try:
        live_session_end(session=session, by=request_user(request))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "Your stream has ended.")
    return redirect(session.creator)
