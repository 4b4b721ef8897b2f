"""Thin wallet views: parse, call one service or selector, render."""

from __future__ import annotations

import csv
import functools
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import User
from coinshop.http import request_user

from . import selectors, services, spending, tasks
from .forms import BudgetForm, HistoryFilterForm, RechargeForm, SandboxCheckoutForm
from .models import Asset, PaymentMethod, Purchase, PurchaseStatus, SandboxPayment
from .money import money_from_minor, money_to_minor
from .providers import WebhookError
from .providers.sandbox import sandbox_payment_complete
from .spending import SpendRefused


def _purchase_refusal(*, user: User, price_minor: int = 0, currency: str | None = None) -> str | None:
    """Why this person may not buy (this), in words, for the page to say before they try; None if they may."""
    try:
        services.user_purchase_check(user=user, price_minor=price_minor, currency=currency)
    except SpendRefused as refused:
        return refused.messages[0]
    return None


@login_required
def wallet_home(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = HistoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.ledger_entry_list(user=user, **{k: v for k, v in filters.items() if v})
    page = Paginator(entries, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    budget_limit, budget_left = spending.budget_summary(user=user)
    return render(
        request,
        "wallet/home.html",
        {
            "coins": selectors.wallet_balance_get(user=user, asset=Asset.COIN),
            "diamonds": selectors.wallet_balance_get(user=user, asset=Asset.DIAMOND),
            "is_creator": hasattr(user, "creator"),
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "budget_left": budget_left,
            "budget_limit": budget_limit,
            "debt": spending.user_open_debt_coins(user=user),
        },
    )


@login_required
def wallet_export(request: HttpRequest) -> StreamingHttpResponse:
    """CSV of one's own entries (the same filters as the history)."""
    user = request_user(request)
    form = HistoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.ledger_entry_list(user=user, **{k: v for k, v in filters.items() if v})

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def rows():  # type: ignore[no-untyped-def]
        yield writer.writerow(["date (UTC)", "transaction", "kind", "asset", "amount", "memo"])
        for e in entries.iterator(chunk_size=500):
            t = e.transaction
            yield writer.writerow([t.created_at.isoformat(), t.pk, t.get_kind_display(), e.asset, e.amount, t.memo])

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="coinshop-history.csv"'
    return response


def _package_rows() -> list[dict[str, object]]:
    return [
        {
            "package": p,
            "per_100": selectors.package_price_per(package=p, per=100),
        }
        for p in selectors.coin_package_list()
    ]


@login_required
def recharge(request: HttpRequest) -> HttpResponse:
    packages = selectors.coin_package_list()
    form = RechargeForm(request.GET or None, packages=packages)
    return render(
        request,
        "wallet/recharge.html",
        {
            "form": form,
            "rows": _package_rows(),
            "block_reason": _purchase_refusal(user=request_user(request)),
            "coins": selectors.wallet_balance_get(user=request_user(request)),
        },
    )


@login_required
def recharge_review(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    packages = selectors.coin_package_list()
    form = RechargeForm(request.GET, packages=packages)
    error = None
    quote = None
    if form.is_valid():
        try:
            quote = services.recharge_quote(
                package_id=form.cleaned_data["package"],
                custom_coins=form.cleaned_data["coins"],
                payment_method=form.cleaned_data["method"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    if quote is None:
        return render(
            request,
            "wallet/recharge.html",
            {
                "form": form,
                "rows": _package_rows(),
                "block_reason": None,
                "coins": selectors.wallet_balance_get(user=user),
            },
            status=400,
        )
    remaining = spending.budget_remaining(user=user)
    error = _purchase_refusal(user=user, price_minor=quote.price_minor, currency=quote.currency)
    return render(
        request,
        "wallet/review.html",
        {
            "quote": quote,
            "method_label": PaymentMethod(quote.payment_method).label,
            "budget_left": remaining,
            "error": error,
            "idempotency_key": uuid.uuid4(),
            "ignored_coins": form.ignored_coins,
            "query": request.GET.urlencode(),
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def recharge_confirm(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = RechargeForm(request.POST, packages=selectors.coin_package_list())
    try:
        key = uuid.UUID(request.POST.get("idempotency_key", ""))
    except ValueError:
        key = None
    if not form.is_valid() or key is None:
        messages.error(request, "That recharge choice was not valid; please choose again.")
        return redirect("recharge")
    try:
        quote = services.recharge_quote(
            package_id=form.cleaned_data["package"],
            custom_coins=form.cleaned_data["coins"],
            payment_method=form.cleaned_data["method"],
        )
        purchase = services.purchase_create(user=user, quote=quote, idempotency_key=key)
        if purchase.status != PurchaseStatus.PENDING or purchase.provider_ref:
            return redirect("purchase_status", public_id=purchase.public_id)
        url = services.purchase_checkout_start(purchase=purchase, base_url=request.build_absolute_uri("/")[:-1])
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("recharge")
    return HttpResponseRedirect(url)


def _own_purchase(request: HttpRequest, public_id: uuid.UUID) -> Purchase:
    purchase = Purchase.objects.filter(public_id=public_id, user=request_user(request)).first()
    if purchase is None:
        raise Http404("No such purchase.")
    return purchase


def _status_payload(purchase: Purchase) -> dict[str, object]:
    return {
        "status": purchase.status,
        "label": purchase.get_status_display(),
        "reason": purchase.failure_reason,
        "coins": purchase.coins,
        "balance": selectors.wallet_balance_get(user=purchase.user_id),
        "final": purchase.status != PurchaseStatus.PENDING,
    }


@login_required
def purchase_status(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The purchase's progress. Coming back through the checkout's cancel link (``?cancelled=1``) only offers to
    cancel: a GET changes nothing (a link preview or prefetch must not cancel); the button POSTs ``cancel``."""
    purchase = _own_purchase(request, public_id)
    if request.method == "POST":
        if request.POST.get("cancel") and purchase.status == PurchaseStatus.PENDING:
            services.purchase_cancel(purchase=purchase)
        return redirect("purchase_status", public_id=purchase.public_id)
    offer_cancel = bool(request.GET.get("cancelled")) and purchase.status == PurchaseStatus.PENDING
    return render(
        request,
        "wallet/status.html",
        {"purchase": purchase, "state": _status_payload(purchase), "offer_cancel": offer_cancel},
    )


@never_cache
@login_required
def purchase_status_json(request: HttpRequest, public_id: uuid.UUID) -> JsonResponse:
    """Polled by the status page. While pending, it asks for a re-check with the provider (at most every 2 s)."""
    purchase = _own_purchase(request, public_id)
    if purchase.status == PurchaseStatus.PENDING and cache.add(f"purchase-recheck-{purchase.pk}", 1, timeout=2):
        tasks.purchase_confirm_task.delay(purchase.pk)
        purchase.refresh_from_db()
    return JsonResponse(_status_payload(purchase))


@login_required
def purchase_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.purchase_list(user=request_user(request)), 20).get_page(request.GET.get("page"))
    return render(request, "wallet/purchases.html", {"page": page})


@login_required
def budget(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    limit = spending.budget_effective_limit(user=user)
    currency = settings.CURRENCY
    daily, per_gift = spending.budget_effective_caps(user=user)

    def major(minor: int | None) -> object:
        return None if minor is None else money_from_minor(minor, currency)

    def minor(value: object) -> int | None:
        return None if value is None else money_to_minor(value, currency, exact=True)  # type: ignore[arg-type]

    initial = {"limit": major(limit), "daily": major(daily), "gift": major(per_gift)}
    form = BudgetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = services.budget_set(
            user=user,
            limit_minor=minor(form.cleaned_data["limit"]),
            daily_limit_minor=minor(form.cleaned_data["daily"]),
            gift_limit_minor=minor(form.cleaned_data["gift"]),
        )
        if saved.pending_effective_at:
            hours = settings.BUDGET_RAISE_DELAY_HOURS
            delay = f"{hours} hour{pluralize(hours)}"
            messages.info(request, f"Your higher limit takes effect in {delay}; until then the current one applies.")
        else:
            messages.success(request, "Your budget is saved and applies now.")
        return redirect("budget")
    from .models import RechargeBudget

    return render(
        request,
        "wallet/budget.html",
        {
            "form": form,
            "limit": limit,
            "left": spending.budget_remaining(user=user),
            "daily": daily,
            "per_gift": per_gift,
            "pending": RechargeBudget.objects.filter(user=user, pending_effective_at__isnull=False).first(),
        },
        status=400 if form.errors else 200,
    )


def sandbox_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The sandbox's pages exist only where the sandbox is the provider: anywhere else they are a 404, as if absent
    (a forged "paid" or "dispute" signed with the sandbox's published secret then reaches nothing)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.PAYMENT_PROVIDER != "sandbox":
            raise Http404("There is no test checkout here.")
        return view(request, *args, **kwargs)

    return wrapped


@sandbox_only
@login_required
def sandbox_checkout(request: HttpRequest, payment_id: str) -> HttpResponse:
    """The sandbox provider's TEST MODE checkout page."""
    payment = SandboxPayment.objects.filter(pk=payment_id).first()
    purchase = Purchase.objects.filter(public_id=payment.purchase_public_id).first() if payment else None
    if payment is None or purchase is None or purchase.user_id != request.user.pk:
        raise Http404("No such test checkout.")
    form = SandboxCheckoutForm(request.POST or None, initial={"outcome": "succeed"})
    if request.method == "POST" and form.is_valid():
        try:
            sandbox_payment_complete(
                payment_id=payment.pk,
                outcome=form.cleaned_data["outcome"],
                decline_reason=form.cleaned_data["decline_reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("purchase_status", public_id=purchase.public_id)
    return render(
        request,
        "wallet/sandbox_checkout.html",
        {"form": form, "payment": payment, "purchase": purchase},
        status=400 if form.errors else 200,
    )


@csrf_exempt
@sandbox_only
@require_POST
def sandbox_webhook(request: HttpRequest) -> JsonResponse:
    """Where the sandbox provider's signed events arrive (the same handling as Stripe's)."""
    try:
        result = services.webhook_receive(
            provider="sandbox", payload=request.body, headers={k.lower(): v for k, v in request.headers.items()}
        )
    except WebhookError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"result": result})
