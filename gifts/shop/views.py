"""Thin views for the sticker and effect shop and the inventory."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coinshop.http import int_or_none, next_url, request_user, wants_json
from wallet.selectors import wallet_balance_get

from ..forms import ShopBuyForm
from .models import ShopItem, ShopItemKind
from .selectors import inventory_list, shop_item_get, shop_item_ids_owned, shop_items_on_sale
from .services import shop_effect_arm, shop_effect_disarm, shop_item_buy


def shop_page(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    items = shop_items_on_sale()
    return render(
        request,
        "gifts/shop.html",
        {
            "stickers": [i for i in items if i.kind == ShopItemKind.STICKER],
            "effects": [i for i in items if i.kind == ShopItemKind.EFFECT],
            "owned": shop_item_ids_owned(user=user),
            "coins": wallet_balance_get(user=user.pk) if user.is_authenticated else None,
        },
    )


def _buy(request: HttpRequest) -> str | tuple[str, ShopItem]:
    """Parse and buy; returns (what to say, the item) or the reason it was refused, in words."""
    form = ShopBuyForm(request.POST)
    if not form.is_valid():
        return str(next(iter(form.errors.values()))[0])
    item = shop_item_get(item_id=form.cleaned_data["item"])
    if item is None:
        return "That item does not exist. Pick one from the shop."
    try:
        shop_item_buy(buyer=request_user(request), item=item)
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
    balance = wallet_balance_get(user=request_user(request))
    if isinstance(outcome, str):
        if wants_json(request):
            return JsonResponse({"ok": False, "error": outcome, "balance": balance}, status=400)
        messages.error(request, outcome)
    else:
        if wants_json(request):
            return JsonResponse({"ok": True, "message": outcome[0], "balance": balance, "item": outcome[1].pk})
        messages.success(request, outcome[0])
    return HttpResponseRedirect(next_url(request, reverse("shop")))


@login_required
def inventory(request: HttpRequest) -> HttpResponse:
    owned = inventory_list(user=request_user(request))
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
    user = request_user(request)
    raw = request.POST.get("item", "")
    if raw == "none":
        shop_effect_disarm(user=user)
        messages.success(request, "No effect will be applied to your next message.")
        return HttpResponseRedirect(next_url(request, reverse("inventory")))
    item_id = int_or_none(raw)
    item = shop_item_get(item_id=item_id) if item_id is not None else None
    if item is None:
        messages.error(request, "That item does not exist.")
        return HttpResponseRedirect(next_url(request, reverse("inventory")))
    try:
        shop_effect_arm(user=user, item=item)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"{item.name} will be applied to your next gift or chat message in a live room.")
    return HttpResponseRedirect(next_url(request, reverse("inventory")))
