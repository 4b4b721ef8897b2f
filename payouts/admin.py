"""Staff review of payouts (approve, or reject with a reason) and the money overview. The audit log's admin is in
``accounts.admin``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from wallet.money import rate_format

from . import selectors, services
from .charts import bar_chart_svg
from .forms import RejectForm
from .models import Payout, PayoutAccount, PayoutEvent, PayoutStatus


class PayoutEventInline(admin.TabularInline):
    model = PayoutEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "status", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "creator",
        "diamonds_display",
        "cash_display",
        "status",
        "review_reason",
        "review_link",
    ]
    list_filter = ["status", "provider"]
    search_fields = ["public_id", "creator__handle", "creator__user__email"]
    list_select_related = ["creator"]
    fields = [
        "public_id",
        "creator",
        "status",
        "review_reason",
        "diamonds",
        "rate_display",
        "cash_display",
        "provider",
        "provider_ref",
        "failure_reason",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [PayoutEventInline]
    actions = ["approve"]
    change_form_template = "admin/payouts/payout/change_form.html"

    @admin.display(description="Cash", ordering="cash_minor")
    def cash_display(self, obj: Payout) -> str:
        return obj.cash_display

    @admin.display(description="Diamonds", ordering="diamonds")
    def diamonds_display(self, obj: Payout) -> str:
        return f"{obj.diamonds:,}"

    @admin.display(description="Rate per diamond")
    def rate_display(self, obj: Payout) -> str:
        return rate_format(obj.rate, obj.currency)

    @admin.display(description="Review")
    def review_link(self, obj: Payout) -> str:
        if obj.status != PayoutStatus.REQUESTED:
            return ""
        return format_html('<a href="{}">Review</a>', reverse("admin:payouts_payout_review", args=[obj.pk]))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Approve selected payouts")
    def approve(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        for payout in queryset:
            try:
                services.payout_approve(payout=payout, staff=request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                self.message_user(request, f"{payout.public_id}: {exc.messages[0]}", messages.ERROR)
            else:
                self.message_user(request, f"Approved: {payout.diamonds:,} diamonds ({payout.cash_display}).")

    def get_urls(self) -> list[Any]:
        return [
            path("<int:pk>/review/", self.admin_site.admin_view(self.review_view), name="payouts_payout_review"),
            *super().get_urls(),
        ]

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        payout = get_object_or_404(Payout.objects.select_related("creator", "creator__user"), pk=pk)
        form = RejectForm(request.POST or None)
        if request.method == "POST":
            try:
                if "approve" in request.POST:
                    services.payout_approve(payout=payout, staff=request.user)  # type: ignore[arg-type]
                    messages.success(request, "Payout approved; it is being sent.")
                    return HttpResponseRedirect(reverse("admin:payouts_payout_change", args=[pk]))
                if form.is_valid():
                    services.payout_reject(payout=payout, staff=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
                    messages.success(request, "Payout rejected; the diamonds went back to the creator.")
                    return HttpResponseRedirect(reverse("admin:payouts_payout_change", args=[pk]))
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review payout {payout.public_id}",
            "payout": payout,
            "form": form,
            "summary": selectors.creator_diamonds_summary(creator=payout.creator),
            "account": PayoutAccount.objects.filter(creator=payout.creator).first(),
            "can_review": payout.status == PayoutStatus.REQUESTED,
        }
        return TemplateResponse(request, "admin/payouts/review.html", context)


@admin.register(PayoutAccount)
class PayoutAccountAdmin(admin.ModelAdmin):
    list_display = ["creator", "provider", "holder_name", "iban_masked", "changed_at", "hold_until"]
    readonly_fields = ["creator", "provider", "holder_name", "iban", "stripe_account_id", "changed_at", "hold_until"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def staff_overview_view(request: HttpRequest) -> HttpResponse:
    days = 90 if request.GET.get("days") == "90" else 30
    overview = selectors.staff_overview(days=days)
    context = {
        **admin.site.each_context(request),
        "title": "Money overview",
        "overview": overview,
        "days": days,
        "coins_chart": bar_chart_svg(
            [(d, c) for d, c, _ in overview.sales], title=f"Coins sold per day, last {days} days"
        ),
        "cash_chart": bar_chart_svg(
            [(d, m) for d, _, m in overview.sales],
            title=f"Cash taken per day ({settings.CURRENCY}, in its smallest unit), last {days} days",
        ),
    }
    return TemplateResponse(request, "admin/payouts/overview.html", context)
