"""Thin views for the sticker and effect shop, the inventory, and live-room chat."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import User
from wallet.selectors import wallet_balance_get

from . import chat, selectors, shop
from .forms import ChatForm, ShopBuyForm
from .models import LiveSession, ShopItem, ShopItemKind


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def shop_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    items = selectors.shop_items_on_sale()
    return render(
        request,
        "gifts/shop.html",
        {
            "stickers": [i for i in items if i.kind == ShopItemKind.STICKER],
            "effects": [i for i in items if i.kind == ShopItemKind.EFFECT],
            "owned": selectors.shop_item_ids_owned(user=user),
            "coins": wallet_balance_get(user=user.pk) if user.is_authenticated else None,
        },
    )


def _buy(request: HttpRequest) -> str | tuple[str, ShopItem]:
    """Parse and buy; returns (what to say, the item) or the reason it was refused, in words."""
    form = ShopBuyForm(request.POST)
    if not form.is_valid():
        return str(next(iter(form.errors.values()))[0])
    item = ShopItem.objects.select_related("event").filter(pk=form.cleaned_data["item"]).first()
    if item is None:
        return "That item does not exist. Pick one from the shop."
    try:
        shop.shop_item_buy(buyer=_user(request), item=item)
    except ValidationError as exc:
        return str(exc.messages[0])
    noun = item.get_kind_display().lower()
    said = f"You bought the {item.name} {noun}. It is yours for good: see your inventory."
    if item.is_effect:
        said += " It will be applied to your next gift or chat message in a live room."
    return said, item


@login_required
@require_POST
def shop_buy(request: HttpRequest) -> HttpResponse:
    outcome = _buy(request)
    balance = wallet_balance_get(user=request.user.pk)
    if isinstance(outcome, str):
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": outcome, "balance": balance}, status=400)
        messages.error(request, outcome)
    else:
        if _wants_json(request):
            return JsonResponse({"ok": True, "message": outcome[0], "balance": balance, "item": outcome[1].pk})
        messages.success(request, outcome[0])
    return HttpResponseRedirect(_next(request, reverse("shop")))


@login_required
def inventory(request: HttpRequest) -> HttpResponse:
    owned = selectors.inventory_list(user=_user(request))
    return render(
        request,
        "gifts/inventory.html",
        {
            "stickers": [o for o in owned if o.item.kind == ShopItemKind.STICKER],
            "effects": [o for o in owned if o.item.kind == ShopItemKind.EFFECT],
        },
    )


@login_required
@require_POST
def effect_arm(request: HttpRequest) -> HttpResponse:
    """Choose an owned effect for the next gift or chat message (``item=none``: no effect)."""
    user = _user(request)
    raw = request.POST.get("item", "")
    if raw == "none":
        shop.shop_effect_disarm(user=user)
        messages.success(request, "No effect will be applied to your next message.")
        return HttpResponseRedirect(_next(request, reverse("inventory")))
    item = ShopItem.objects.filter(pk=int(raw) if raw.isdigit() else 0).first()
    if item is None:
        messages.error(request, "That item does not exist.")
        return HttpResponseRedirect(_next(request, reverse("inventory")))
    try:
        shop.shop_effect_arm(user=user, item=item)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"{item.name} will be applied to your next gift or chat message in a live room.")
    return HttpResponseRedirect(_next(request, reverse("inventory")))


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
        sticker = ShopItem.objects.filter(pk=form.cleaned_data["sticker"]).first()
        if sticker is None:
            return _Outcome(False, "That sticker does not exist.", 400)
    try:
        message = chat.chat_message_post(
            sender=_user(request), session=session, text=form.cleaned_data["text"], sticker=sticker
        )
    except ValidationError as exc:
        return _Outcome(False, str(exc.messages[0]), 429 if getattr(exc, "code", "") == "rate_limited" else 400)
    effect = message.effect.name if message.effect is not None else None
    text = f"Sent with the {effect} effect." if effect else "Sent."
    return _Outcome(True, text, data={"id": message.pk, "effect": effect})


@login_required
@require_POST
def chat_post(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(LiveSession.objects.select_related("creator"), pk=session_id)
    outcome = _chat(request, session)
    if _wants_json(request):
        body = (
            {"ok": True, "message": outcome.text, **outcome.data}
            if outcome.ok
            else {"ok": False, "error": outcome.text}
        )
        return JsonResponse(body, status=outcome.status)
    (messages.success if outcome.ok else messages.error)(request, outcome.text)
    return HttpResponseRedirect(session.get_absolute_url())
