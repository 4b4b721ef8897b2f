"""Thin gift views: the creator page and live room (with the gift panel), sending, undo, feeds, histories."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import CreatorProfile, User
from accounts.selectors import creator_get_by_handle
from wallet.selectors import wallet_balance_get

from . import selectors, services
from .forms import ChatForm, GiftSendForm, LiveStartForm
from .live.events import live_event_last_id, live_event_stream, live_viewers_get, realtime_enabled
from .live.goals import goal_state_for
from .models import Gift, GiftSend, LiveSession


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _panel_context(request: HttpRequest, creator: CreatorProfile, subscriber: bool = False) -> dict[str, object]:
    user = request.user
    visibility = user.default_gift_visibility if user.is_authenticated else "public"  # type: ignore[union-attr]
    return {
        "panel": selectors.gift_panel(subscriber=subscriber, creator_id=creator.pk),
        "is_subscriber": subscriber,
        "rates": selectors.rates(),
        "send_form": GiftSendForm(initial={"visibility": visibility, "quantity": 1, "idempotency_key": uuid.uuid4()}),
        "coins": wallet_balance_get(user=user.pk) if user.is_authenticated else None,
        "is_own_page": user.is_authenticated and creator.user_id == user.pk,
    }


def creator_page(request: HttpRequest, handle: str) -> HttpResponse:
    creator = creator_get_by_handle(handle=handle)
    if creator is None:
        raise Http404("No creator with that handle.")
    live = LiveSession.objects.filter(creator=creator, ended_at__isnull=True).first()
    subscription = selectors.subscription_get(subscriber=_user(request), creator=creator)
    subscriber = selectors.subscription_is_current(subscription=subscription)
    return render(
        request,
        "gifts/creator_page.html",
        {
            "profile": creator,
            "live": live,
            "board_all": selectors.leaderboard_for_creator(creator=creator),
            "board_30": selectors.leaderboard_for_creator(creator=creator, days=30),
            "plan": subscription.plan if subscription else selectors.subscription_plan_get(creator=creator),
            "goal": goal_state_for(creator_id=creator.pk),
            "subscription": subscription,
            **_panel_context(request, creator, subscriber),
        },
    )


def live_room(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(LiveSession.objects.select_related("creator", "creator__user"), pk=session_id)
    last_event_id = live_event_last_id(session_id=session.pk)  # before the feed: the stream then misses nothing
    feed = selectors.live_feed(session=session)
    chat = selectors.chat_feed(session=session)
    user = _user(request)
    subscriber = selectors.subscriber_is_current(subscriber=user, creator=session.creator)
    return render(
        request,
        "gifts/live_room.html",
        {
            "session": session,
            "profile": session.creator,
            "feed": feed,
            "chat": chat,
            "last_event_id": last_event_id,
            "feed_version": selectors.live_feed_version(session=session),
            "chat_form": ChatForm(),
            "chat_max_length": settings.CHAT_MAX_LENGTH,
            "chat_rate_messages": settings.CHAT_RATE_MESSAGES,
            "chat_rate_seconds": settings.CHAT_RATE_SECONDS,
            "stickers": selectors.stickers_owned(user=user),
            "armed_effect": selectors.effect_armed_get(user=user),
            "board": selectors.leaderboard_for_session(session=session),
            "sse": realtime_enabled(),
            "viewers": live_viewers_get(session_id=session.pk) if session.is_live else None,
            "hls_url": settings.LIVE_HLS_URL.format(handle=session.creator.handle) if session.is_live else "",
            "combo_seconds": settings.GIFT_COMBO_SECONDS,
            "undo_min_coins": settings.GIFT_UNDO_MIN_COINS,
            "undo_seconds": settings.GIFT_UNDO_SECONDS,
            "locked": [] if subscriber else selectors.gifts_locked(creator_id=session.creator_id),
            "goal": goal_state_for(creator_id=session.creator_id),
            **_panel_context(request, session.creator, subscriber),
        },
    )


@never_cache
def live_feed(request: HttpRequest, session_id: int) -> JsonResponse:
    """The room as the database has it: the newest gifts (cancellations included), the board, the newest chat.

    The polling fallback (no Redis) sends the ``v`` it last got: while nothing changed the answer is just that (one
    small query). With Redis the page asks only to resync; ``event_id`` is where its event stream goes on from.
    """
    session = get_object_or_404(LiveSession, pk=session_id)
    event_id = live_event_last_id(session_id=session.pk)
    version = selectors.live_feed_version(session=session)
    if request.GET.get("v") == version:
        return JsonResponse({"v": version, "unchanged": True})
    return JsonResponse(
        {
            "v": version,
            "event_id": event_id,
            "gifts": selectors.live_feed(session=session),
            "leaderboard": selectors.leaderboard_for_session(session=session),
            "chat": selectors.chat_feed(session=session),
            "live": session.is_live,
            "streaming": session.streaming,
            "goal": goal_state_for(creator_id=session.creator_id),
        }
    )


def live_events(request: HttpRequest, session_id: int) -> HttpResponse:
    """Server-Sent Events (with Redis) under a WSGI server: one thread per viewer, for development and tests.
    Production serves this path from the ASGI process (``coinshop.asgi`` -> ``gifts.live.hub``)."""
    session = get_object_or_404(LiveSession, pk=session_id)
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


def _back(request: HttpRequest, creator: CreatorProfile) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return creator.get_absolute_url()


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def gift_form_parse(request: HttpRequest) -> tuple[dict[str, Any], Gift] | str:
    """The gift panel's form (the creator page, a live room, a video): its cleaned data and the gift, or what is
    wrong with it, in words."""
    form = GiftSendForm(request.POST)
    if not form.is_valid():
        return str(next(iter(form.errors.values()))[0])
    gift = Gift.objects.select_related("event").filter(pk=form.cleaned_data["gift"]).first()
    if gift is None:
        return "That gift does not exist."
    return form.cleaned_data, gift


def _send_from_form(request: HttpRequest, creator: CreatorProfile) -> GiftSend | str:
    """Parse the gift form and send; returns the send, or the reason it was refused, in words."""
    parsed = gift_form_parse(request)
    if isinstance(parsed, str):
        return parsed
    data, gift = parsed
    session = None
    session_id = request.POST.get("live_session", "")
    if session_id:
        session = LiveSession.objects.filter(pk=int(session_id) if session_id.isdigit() else 0).first()
        if session is None:
            return "That live stream does not exist."
    try:
        return services.gift_send(
            sender=_user(request),
            creator=creator,
            gift=gift,
            quantity=data["quantity"],
            visibility=data["visibility"],
            live_session=session,
            idempotency_key=data["idempotency_key"],
            effect=selectors.effect_armed_get(user=_user(request)) if session is not None else None,
        )
    except ValidationError as exc:
        return str(exc.messages[0])


def gift_send_answer(
    request: HttpRequest, outcome: GiftSend | str, *, describe: Callable[[GiftSend], str], back: str
) -> HttpResponse:
    """The answer to a gift form (a creator's page, a live room, a video): JSON for the panel's script, otherwise a
    message and a redirect to ``back``. ``describe`` says what was sent, in words."""
    balance = wallet_balance_get(user=request.user.pk)
    if isinstance(outcome, str):
        if _wants_json(request):
            return JsonResponse(
                {"ok": False, "error": outcome, "balance": balance, "recharge": reverse("recharge")}, status=400
            )
        messages.error(request, outcome)
        return HttpResponseRedirect(back)
    sent = describe(outcome)
    if outcome.effect is not None:
        sent += f" ✨ {outcome.effect.name} applied."
    undo_seconds = settings.GIFT_UNDO_SECONDS if outcome.undo_until else 0
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "message": sent,
                "balance": balance,
                "undo_url": reverse("gift_undo", args=[outcome.public_id]) if undo_seconds else None,
                "undo_seconds": undo_seconds,
                "next_key": str(uuid.uuid4()),
                "gift_id": outcome.pk,
            }
        )
    note = f" You can cancel it for {undo_seconds} seconds." if undo_seconds else ""
    messages.success(request, sent + note)
    return HttpResponseRedirect(back)


@login_required
@require_POST
def gift_send(request: HttpRequest, handle: str) -> HttpResponse:
    creator = creator_get_by_handle(handle=handle)
    if creator is None:
        raise Http404("No creator with that handle.")
    return gift_send_answer(
        request,
        _send_from_form(request, creator),
        describe=lambda send: f"You sent {send.quantity} × {send.gift.name} to {creator.display_name}.",
        back=_back(request, creator),
    )


@login_required
@require_POST
def gift_undo(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    send = GiftSend.objects.select_related("creator").filter(public_id=public_id, sender=_user(request)).first()
    if send is None:
        raise Http404("No such gift.")
    try:
        services.gift_undo(send=send, by=_user(request))
    except ValidationError as exc:
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": exc.messages[0]}, status=400)
        messages.error(request, exc.messages[0])
    else:
        if _wants_json(request):
            return JsonResponse(
                {
                    "ok": True,
                    "message": "Gift cancelled; your coins are back.",
                    "balance": wallet_balance_get(user=request.user.pk),
                }
            )
        messages.success(request, "Gift cancelled; your coins are back.")
    return HttpResponseRedirect(_back(request, send.creator))


@login_required
def live_start(request: HttpRequest) -> HttpResponse:
    creator = CreatorProfile.objects.filter(user=_user(request)).first()
    if creator is None:
        messages.info(request, "Become a creator to go live.")
        return redirect("creator_become")
    current = LiveSession.objects.filter(creator=creator, ended_at__isnull=True).first()
    form = LiveStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.live_session_start(creator=creator, title=form.cleaned_data["title"])
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
    session = get_object_or_404(LiveSession.objects.select_related("creator"), pk=session_id)
    try:
        services.live_session_end(session=session, by=_user(request))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "Your stream has ended.")
    return redirect(session.creator)


@login_required
def gifts_sent(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.gifts_sent_list(user=_user(request)), 25).get_page(request.GET.get("page"))
    return render(request, "gifts/sent.html", {"page": page})


@login_required
def gifts_received(request: HttpRequest) -> HttpResponse:
    creator = CreatorProfile.objects.filter(user=_user(request)).first()
    if creator is None:
        return redirect("creator_become")
    page = Paginator(selectors.gifts_received_list(creator=creator), 25).get_page(request.GET.get("page"))
    from wallet.models import Asset

    return render(
        request,
        "gifts/received.html",
        {
            "page": page,
            "diamonds": wallet_balance_get(user=request.user.pk, asset=Asset.DIAMOND),
            "rates": selectors.rates(),
        },
    )
