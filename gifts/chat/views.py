"""Thin view for posting to a live room's chat."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_POST

from coinshop.http import request_user, wants_json

from ..forms import ChatForm
from ..live.models import LiveSession
from ..live.selectors import live_session_get
from ..shop.selectors import shop_item_get
from .services import chat_message_post

REFUSAL_STATUS = {"rate_limited": 429, "slow_mode": 429, "banned": 403, "timed_out": 403}


@dataclass
class _Outcome:
    ok: bool
    text: str
    status: int = 200
    data: dict[str, object] = field(default_factory=dict)


def _chat(request: HttpRequest, session: LiveSession) -> _Outcome:
    form = ChatForm(request.POST)
    if not form.is_valid():
        return _Outcome(False, str(next(iter(form.errors.values()))[0]), 400)
    sticker = None
    if form.cleaned_data["sticker"]:
        sticker = shop_item_get(item_id=form.cleaned_data["sticker"])
        if sticker is None:
            return _Outcome(False, "That sticker does not exist.", 400)
    try:
        message = chat_message_post(
            sender=request_user(request), session=session, text=form.cleaned_data["text"], sticker=sticker
        )
    except ValidationError as exc:
        return _Outcome(False, str(exc.messages[0]), REFUSAL_STATUS.get(getattr(exc, "code", "") or "", 400))
    effect = message.effect.name if message.effect is not None else None
    text = f"Sent with the {effect} effect." if effect else "Sent."
    return _Outcome(True, text, data={"id": message.pk, "effect": effect})


@login_required
@require_POST
def chat_post(request: HttpRequest, session_id: int) -> HttpResponse:
    session = live_session_get(session_id=session_id, with_creator=True)
    if session is None:
        raise Http404("No such live stream.")
    outcome = _chat(request, session)
    if wants_json(request):
        body = (
            {"ok": True, "message": outcome.text, **outcome.data}
            if outcome.ok
            else {"ok": False, "error": outcome.text}
        )
        return JsonResponse(body, status=outcome.status)
    (messages.success if outcome.ok else messages.error)(request, outcome.text)
    return HttpResponseRedirect(session.get_absolute_url())
