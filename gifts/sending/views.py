"""Thin views for sending gifts (on a profile, in a live room, on a video), undo, and histories."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import CreatorProfile
from accounts.selectors import creator_get_by_handle, creator_get_for_user
from coinshop.http import int_or_none, next_url, request_user, wants_json
from wallet.selectors import wallet_balance_get

from ..catalog.models import Gift
from ..catalog.selectors import diamonds_value, gift_get, gift_panel, rates
from ..forms import GiftSendForm
from ..live.selectors import live_session_get
from ..shop.selectors import effect_armed_get
from . import services
from .models import GiftSend
from .selectors import gift_send_get_for_sender, gifts_received_list, gifts_sent_list


def gift_panel_context(request: HttpRequest, creator: CreatorProfile, subscriber: bool = False) -> dict[str, object]:
    user = request.user
    visibility = user.default_gift_visibility if user.is_authenticated else "public"  # type: ignore[union-attr]
    return {
        "panel": gift_panel(subscriber=subscriber, creator_id=creator.pk),
        "is_subscriber": subscriber,
        "rates": rates(),
        "send_form": GiftSendForm(initial={"visibility": visibility, "quantity": 1, "idempotency_key": uuid.uuid4()}),
        "coins": wallet_balance_get(user=user.pk) if user.is_authenticated else None,
        "is_own_page": user.is_authenticated and creator.user_id == user.pk,
        "undo_min_coins": settings.GIFT_UNDO_MIN_COINS,
        "undo_seconds": settings.GIFT_UNDO_SECONDS,
    }


def gift_form_parse(request: HttpRequest) -> tuple[dict[str, Any], Gift] | str:
    """The gift panel's form (the creator page, a live room, a video): its cleaned data and the gift, or what is
    wrong with it, in words."""
    form = GiftSendForm(request.POST)
    if not form.is_valid():
        return str(next(iter(form.errors.values()))[0])
    gift = gift_get(gift_id=form.cleaned_data["gift"])
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
        parsed_id = int_or_none(session_id)
        session = live_session_get(session_id=parsed_id) if parsed_id is not None else None
        if session is None:
            return "That live stream does not exist."
    try:
        return services.gift_send(
            sender=request_user(request),
            creator=creator,
            gift=gift,
            quantity=data["quantity"],
            visibility=data["visibility"],
            live_session=session,
            idempotency_key=data["idempotency_key"],
            effect=effect_armed_get(user=request_user(request)) if session is not None else None,
        )
    except ValidationError as exc:
        return str(exc.messages[0])


def gift_send_answer(
    request: HttpRequest, outcome: GiftSend | str, *, describe: Callable[[GiftSend], str], back: str
) -> HttpResponse:
    """The answer to a gift form (a creator's page, a live room, a video): JSON for the panel's script, otherwise a
    message and a redirect to ``back``. ``describe`` says what was sent, in words."""
    balance = wallet_balance_get(user=request_user(request))
    if isinstance(outcome, str):
        if wants_json(request):
            return JsonResponse(
                {"ok": False, "error": outcome, "balance": balance, "recharge": reverse("recharge")}, status=400
            )
        messages.error(request, outcome)
        return HttpResponseRedirect(back)
    sent = describe(outcome)
    if outcome.effect is not None:
        sent += f" ✨ {outcome.effect.name} applied."
    undo_seconds = settings.GIFT_UNDO_SECONDS if outcome.undo_until else 0
    if wants_json(request):
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
        back=next_url(request, creator.get_absolute_url()),
    )


@login_required
@require_POST
def gift_undo(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    send = gift_send_get_for_sender(public_id=public_id, sender=request_user(request))
    if send is None:
        raise Http404("No such gift.")
    try:
        services.gift_undo(send=send, by=request_user(request))
    except ValidationError as exc:
        if wants_json(request):
            return JsonResponse({"ok": False, "error": exc.messages[0]}, status=400)
        messages.error(request, exc.messages[0])
    else:
        if wants_json(request):
            return JsonResponse(
                {
                    "ok": True,
                    "message": "Gift cancelled; your coins are back.",
                    "balance": wallet_balance_get(user=request_user(request)),
                }
            )
        messages.success(request, "Gift cancelled; your coins are back.")
    return HttpResponseRedirect(next_url(request, send.creator.get_absolute_url()))


@login_required
def gifts_sent(request: HttpRequest) -> HttpResponse:
    page = Paginator(gifts_sent_list(user=request_user(request)), 25).get_page(request.GET.get("page"))
    return render(request, "gifts/sent.html", {"page": page})


@login_required
def gifts_received(request: HttpRequest) -> HttpResponse:
    creator = creator_get_for_user(user=request_user(request))
    if creator is None:
        return redirect("creator_become")
    page = Paginator(gifts_received_list(creator=creator), 25).get_page(request.GET.get("page"))
    for send in page.object_list:
        send.diamonds_value = diamonds_value(diamonds=send.diamonds)  # type: ignore[attr-defined]
    from wallet.models import Asset

    return render(
        request,
        "gifts/received.html",
        {
            "page": page,
            "diamonds": wallet_balance_get(user=request_user(request), asset=Asset.DIAMOND),
            "rates": rates(),
        },
    )
