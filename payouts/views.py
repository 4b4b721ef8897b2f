"""Thin payout views: earnings dashboard, payout details and requests (both need a fresh 2FA code), timelines."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse

from accounts.decorators import recent_otp_required
from accounts.models import CreatorProfile
from accounts.selectors import creator_get_for_user
from coinshop.http import request_user
from gifts.catalog.selectors import rates
from gifts.sending.leaderboards import leaderboard_for_creator
from videos.selectors import video_earnings_list

from . import selectors, services
from .charts import bar_chart_svg
from .forms import PayoutDetailsForm, PayoutRequestForm
from .models import PayoutAccount


def _details_hold() -> str:
    hours = settings.PAYOUT_DETAILS_HOLD_HOURS
    return f"{hours} hour{pluralize(hours)}"


def _creator(request: HttpRequest) -> CreatorProfile | None:
    return creator_get_for_user(user=request_user(request))


@login_required
def earnings(request: HttpRequest) -> HttpResponse:
    creator = _creator(request)
    if creator is None:
        return redirect("creator_become")
    days = 90 if request.GET.get("days") == "90" else 30
    per_day = selectors.earnings_per_day(creator=creator, days=days)
    summary = selectors.creator_diamonds_summary(creator=creator)
    return render(
        request,
        "payouts/earnings.html",
        {
            "creator": creator,
            "summary": summary,
            "video_earnings": [
                {"row": row, "cash": summary.cash(row.diamonds)} for row in video_earnings_list(creator=creator)
            ],
            "days": days,
            "chart": bar_chart_svg(per_day, title=f"Diamonds earned per day, last {days} days"),
            "per_day": per_day,
            "total_days": sum(v for _, v in per_day),
            "supporters": leaderboard_for_creator(creator=creator, days=30),
            "payouts": selectors.payout_list(creator=creator),
            "account": PayoutAccount.objects.filter(creator=creator).first(),
            "rates": rates(),
            "hold_days": settings.PAYOUT_HOLD_DAYS,
        },
    )


@recent_otp_required
def payout_details(request: HttpRequest) -> HttpResponse:
    creator = _creator(request)
    if creator is None:
        return redirect("creator_become")
    if settings.PAYMENT_PROVIDER == "stripe":
        return _stripe_connect(request, creator)
    account = PayoutAccount.objects.filter(creator=creator).first()
    initial = {"holder_name": account.holder_name, "sandbox_outcome": account.sandbox_outcome} if account else {}
    form = PayoutDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.payout_account_set(creator=creator, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("iban" if "IBAN" in exc.messages[0] else None, exc)
        else:
            messages.success(
                request, f"Your payout details are saved. Payouts are paused for {_details_hold()} for your safety."
            )
            return redirect("earnings")
    return render(
        request,
        "payouts/details.html",
        {"form": form, "account": account, "details_hold_hours": settings.PAYOUT_DETAILS_HOLD_HOURS},
        status=400 if form.errors else 200,
    )


def _stripe_connect(request: HttpRequest, creator: CreatorProfile) -> HttpResponse:
    """With the Stripe provider, payout details are a connected Stripe Express account, set up on Stripe's pages."""
    account = PayoutAccount.objects.filter(creator=creator, provider="stripe").first()
    if request.method == "POST":
        try:
            url = services.stripe_connect_onboarding_start(
                creator=creator,
                return_url=request.build_absolute_uri(reverse("stripe_connect_return")),
                refresh_url=request.build_absolute_uri(reverse("stripe_connect_refresh")),
            )
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            return HttpResponseRedirect(url)
    return render(
        request,
        "payouts/stripe_connect.html",
        {"account": account, "details_hold_hours": settings.PAYOUT_DETAILS_HOLD_HOURS},
    )


@login_required
def stripe_connect_return(request: HttpRequest) -> HttpResponse:
    """Where Stripe sends the creator back after onboarding: ask Stripe whether payouts are enabled now."""
    creator = _creator(request)
    if creator is None:
        return redirect("creator_become")
    try:
        account = services.stripe_connect_refresh(creator=creator)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("earnings")
    if account is None:
        messages.error(request, "Connect your Stripe account first.")
        return redirect("payout_details")
    if account.stripe_payouts_enabled:
        messages.success(
            request, f"Your Stripe account is connected. Payouts are paused for {_details_hold()} for your safety."
        )
    else:
        messages.warning(request, "Stripe still needs some details from you before it can pay you out.")
    return redirect("earnings")


@login_required
def stripe_connect_refresh(request: HttpRequest) -> HttpResponse:
    """Stripe's onboarding link expired or was used: start again (after a fresh code, if one is due)."""
    messages.info(request, "The Stripe onboarding link expired. Continue from here.")
    return redirect("payout_details")


@recent_otp_required
def payout_request(request: HttpRequest) -> HttpResponse:
    creator = _creator(request)
    if creator is None:
        return redirect("creator_become")
    summary = selectors.creator_diamonds_summary(creator=creator)
    form = PayoutRequestForm(request.POST or None, initial={"diamonds": summary.available})
    quote = None
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("confirm") == "1":
                payout = services.payout_request_create(creator=creator, diamonds=form.cleaned_data["diamonds"])
                messages.success(request, f"Payout requested: {payout.diamonds:,} diamonds for {payout.cash_display}.")
                return redirect("payout_detail", public_id=payout.public_id)
            quote = services.payout_quote(creator=creator, diamonds=form.cleaned_data["diamonds"])
        except ValidationError as exc:
            form.add_error("diamonds", exc)
    return render(
        request,
        "payouts/request.html",
        {"form": form, "summary": summary, "quote": quote, "hold_days": settings.PAYOUT_HOLD_DAYS},
        status=400 if form.errors else 200,
    )


@login_required
def payout_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    payout = selectors.payout_get_for_creator_user(public_id=public_id, user=request_user(request))
    if payout is None:
        raise Http404("No such payout.")
    return render(request, "payouts/detail.html", {"payout": payout})
