"""Thin views for creator subscriptions: subscribe, cancel, resume (on the creator page), a person's subscriptions,
and the creator's plan."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import CreatorProfile
from accounts.selectors import creator_get_by_handle, creator_get_for_user
from coinshop.http import next_url, request_user

from ..forms import SubscriptionPlanForm, SubscriptionPriceAcceptForm
from . import selectors, services
from .models import Subscription
from .selectors import subscriber_count, subscription_get, subscription_plan_get
from .services import day_text, subscription_plan_set, subscription_start


def _creator(handle: str) -> CreatorProfile:
    creator = creator_get_by_handle(handle=handle)
    if creator is None:
        raise Http404("No creator with that handle.")
    return creator


@login_required
@require_POST
def subscribe(request: HttpRequest, handle: str) -> HttpResponse:
    """Subscribe, or resume a cancelled or lapsed subscription (the same rules and the same button)."""
    creator = _creator(handle)
    try:
        subscription = subscription_start(subscriber=request_user(request), creator=creator)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            f"You subscribe to {creator.display_name}. Next renewal: {day_text(subscription.current_period_end)} "
            f"({subscription.coins_per_month:,} coins).",
        )
    return HttpResponseRedirect(next_url(request, creator.get_absolute_url()))


@login_required
@require_POST
def subscription_cancel(request: HttpRequest, handle: str) -> HttpResponse:
    creator = _creator(handle)
    subscription = subscription_get(subscriber=request_user(request), creator=creator)
    if subscription is None:
        messages.error(request, f"You do not subscribe to {creator.display_name}.")
        return HttpResponseRedirect(next_url(request, creator.get_absolute_url()))
    try:
        subscription = services.subscription_cancel(subscription=subscription, by=request_user(request))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            f"Your subscription to {creator.display_name} is cancelled. It will not renew; you keep it until "
            f"{day_text(subscription.current_period_end)}.",
        )
    return HttpResponseRedirect(next_url(request, creator.get_absolute_url()))


@login_required
@require_POST
def subscription_resume(request: HttpRequest, handle: str) -> HttpResponse:
    creator = _creator(handle)
    subscription = subscription_get(subscriber=request_user(request), creator=creator)
    if subscription is None:
        messages.error(request, f"You do not subscribe to {creator.display_name}: subscribe instead.")
        return HttpResponseRedirect(next_url(request, creator.get_absolute_url()))
    paid_until = subscription.current_period_end
    try:
        subscription = services.subscription_resume(subscription=subscription, by=request_user(request))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        coins = subscription.coins_per_month
        paid = "" if subscription.current_period_end == paid_until else f" {coins:,} coins paid for a new month."
        messages.success(
            request,
            f"Your subscription to {creator.display_name} is back on.{paid} Next renewal: "
            f"{day_text(subscription.current_period_end)} ({coins:,} coins).",
        )
    return HttpResponseRedirect(next_url(request, creator.get_absolute_url()))


@login_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "gifts/subscriptions.html",
        {"subscriptions": selectors.subscription_list(subscriber=request_user(request))},
    )


@login_required
def subscription_plan(request: HttpRequest) -> HttpResponse:
    """A creator offers (or changes, or stops) their monthly subscription."""
    creator = creator_get_for_user(user=request_user(request))
    if creator is None:
        messages.info(request, "Become a creator to offer subscriptions.")
        return redirect("creator_become")
    plan = subscription_plan_get(creator=creator)
    initial = (
        {
            "name": plan.name,
            "coins_per_month": plan.coins_per_month,
            "active": plan.active,
            "subscriber_gifts": list(plan.subscriber_gifts.all()),
        }
        if plan
        else None
    )
    form = SubscriptionPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan = subscription_plan_set(
                creator=creator,
                coins_per_month=form.cleaned_data["coins_per_month"],
                active=form.cleaned_data["active"],
                name=form.cleaned_data["name"],
                subscriber_gifts=form.cleaned_data["subscriber_gifts"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            state = "offered" if plan.active else "no longer offered to new subscribers and will not renew"
            messages.success(request, f"Your subscription is {state}: {plan.coins_per_month:,} coins a month.")
            return redirect(creator)
    return render(
        request,
        "gifts/subscription_plan.html",
        {
            "form": form,
            "plan": plan,
            "profile": creator,
            "subscribers": subscriber_count(creator=creator),
            "reminder_days": settings.SUBSCRIPTION_REMINDER_DAYS,
        },
        status=400 if form.errors else 200,
    )


@login_required
def subscription_price(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """The link in the price-raise email: what changes, and a button to accept the new price (POST)."""
    subscription = get_object_or_404(
        Subscription.objects.select_related("plan", "plan__creator"), pk=subscription_id, subscriber=request.user
    )
    creator = subscription.plan.creator
    form = SubscriptionPriceAcceptForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                subscription = services.subscription_price_accept(
                    subscription=subscription, by=request_user(request), coins=form.cleaned_data["coins"]
                )
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
            else:
                messages.success(
                    request,
                    f"You accepted the new price: your subscription to {creator.display_name} renews on "
                    f"{day_text(subscription.current_period_end)} for {subscription.coins_per_month:,} coins.",
                )
                return redirect("subscriptions")
        else:
            messages.error(request, "Something went wrong with that form: look at the price again and accept it.")
        subscription.refresh_from_db()
    return render(
        request,
        "gifts/subscription_price.html",
        {"subscription": subscription, "creator": creator, "renews_on": day_text(subscription.current_period_end)},
    )
