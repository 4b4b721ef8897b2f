"""Staff tools. Ledger rows are read-only; corrections are new transactions posted through the ledger service."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.models import User
from coinshop.admin_base import ReadOnlyAdmin

from . import services
from .forms import LedgerAdjustmentForm
from .models import (
    CoinDebt,
    CoinPackage,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    PaymentEvent,
    Purchase,
    PurchaseReversal,
    PurchaseReview,
)
from .money import money_format
from .providers.sandbox import STAFF_EVENTS


@admin.register(CoinPackage)
class CoinPackageAdmin(admin.ModelAdmin):
    list_display = ["coins", "price_display", "currency", "active", "sort_order"]
    list_editable = ["active", "sort_order"]
    list_filter = ["active", "currency"]

    @admin.display(description="Price", ordering="price_minor")
    def price_display(self, obj: CoinPackage) -> str:
        return money_format(obj.price_minor, obj.currency)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # purchases refer to packages: deactivate instead


def _who(account: LedgerAccount) -> str:
    """The person (email) or the system account a ledger row belongs to."""
    if account.owner_id is None:
        return f"system: {account.system_code}"
    return str(account.owner.email) if account.owner else f"user {account.owner_id}"


def _signed(amount: int, asset: str) -> str:
    return f"{amount:+,} {'coins' if asset == 'COIN' else 'diamonds'}"


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    fields = ["person", "amount_display"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        return super().get_queryset(request).select_related("account", "account__owner")

    @admin.display(description="Person or account")
    def person(self, obj: LedgerEntry) -> str:
        return _who(obj.account)

    @admin.display(description="Amount")
    def amount_display(self, obj: LedgerEntry) -> str:
        return _signed(obj.amount, obj.asset)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "entries_display",
        "memo",
        "reference_type",
        "reference_id",
        "created_by",
        "created_at",
    ]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "reference_id", "memo"]
    inlines = [LedgerEntryInline]
    list_select_related = ["created_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerTransaction]:
        return super().get_queryset(request).prefetch_related("entries__account__owner")

    @admin.display(description="Who and how much")
    def entries_display(self, obj: LedgerTransaction) -> str:
        return "; ".join(f"{_who(e.account)} {_signed(e.amount, e.asset)}" for e in obj.entries.all())

    change_list_template = "admin/wallet/ledgertransaction/change_list.html"

    def get_urls(self) -> list[Any]:
        own = [
            path("adjust/", self.admin_site.admin_view(self.adjust_view), name="wallet_ledger_adjust"),
            path("<int:pk>/reverse/", self.admin_site.admin_view(self.reverse_view), name="wallet_ledger_reverse"),
        ]
        return own + super().get_urls()

    def adjust_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("wallet.view_ledgertransaction") or not request.user.is_superuser:
            messages.error(request, "Only superusers may post corrections.")
            return HttpResponseRedirect(reverse("admin:wallet_ledgertransaction_changelist"))
        form = LedgerAdjustmentForm(request.POST or None, initial={"idempotency_key": uuid.uuid4()})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            person = User.objects.filter(email__iexact=data["email"]).first()
            if person is None:
                form.add_error("email", "Nobody has that email address.")
            else:
                try:
                    txn = services.ledger_adjustment_post(
                        staff=request.user,  # type: ignore[arg-type]
                        user=person,
                        asset=data["asset"],
                        amount=data["amount"],
                        reason=data["reason"],
                        idempotency_key=f"adjust-{data['idempotency_key']}",
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(request, f"Correction posted as transaction #{txn.pk}.")
                    return HttpResponseRedirect(reverse("admin:wallet_ledgertransaction_change", args=[txn.pk]))
        context = {**self.admin_site.each_context(request), "form": form, "title": "Post a correction"}
        return TemplateResponse(request, "admin/wallet/adjust.html", context)

    def reverse_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        original = get_object_or_404(LedgerTransaction, pk=pk)
        error = ""
        if request.method == "POST":
            if not request.user.is_superuser:
                error = "Only superusers may post corrections."
            else:
                try:
                    txn = services.ledger_transaction_reverse(
                        original=original,
                        staff=request.user,  # type: ignore[arg-type]
                        reason=request.POST.get("reason", ""),
                    )
                except ValidationError as exc:
                    error = exc.messages[0]
                else:
                    messages.success(request, f"Transaction #{original.pk} reversed by #{txn.pk}.")
                    return HttpResponseRedirect(reverse("admin:wallet_ledgertransaction_change", args=[txn.pk]))
        context = {
            **self.admin_site.each_context(request),
            "original": original,
            "entries": original.entries.select_related("account"),
            "error": error,
            "title": f"Reverse transaction #{original.pk}",
        }
        return TemplateResponse(request, "admin/wallet/reverse.html", context)


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "owner", "system_code", "asset", "balance", "sharded"]
    list_filter = ["asset", "system_code", "sharded"]
    search_fields = ["owner__email", "system_code"]
    list_select_related = ["owner"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "transaction", "person", "amount_display"]
    list_filter = ["asset"]
    list_select_related = ["transaction", "account", "account__owner"]

    @admin.display(description="Person or account")
    def person(self, obj: LedgerEntry) -> str:
        return _who(obj.account)

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, obj: LedgerEntry) -> str:
        return _signed(obj.amount, obj.asset)


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "user",
        "coins",
        "price_display",
        "currency",
        "payment_method",
        "provider",
        "status",
        "created_at",
    ]
    list_filter = ["status", "provider", "payment_method"]
    search_fields = ["public_id", "user__email", "provider_ref"]
    list_select_related = ["user"]
    actions = ["sandbox_refund", "sandbox_dispute_open", "sandbox_dispute_won", "sandbox_dispute_lost"]

    @admin.display(description="Price", ordering="price_minor")
    def price_display(self, obj: Purchase) -> str:
        return money_format(obj.price_minor, obj.currency)

    def _sandbox(self, request: HttpRequest, queryset: QuerySet[Purchase], event_type: str) -> None:
        done = 0
        for purchase in queryset:
            try:
                services.purchase_sandbox_staff_event(
                    staff=request.user,  # type: ignore[arg-type]
                    purchase=purchase,
                    event_type=event_type,
                )
            except ValidationError as exc:
                self.message_user(request, f"{purchase.public_id}: {exc.messages[0]}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{STAFF_EVENTS[event_type]}: sent for {done} purchase(s).", messages.SUCCESS)

    @admin.action(description="Sandbox: refund the payment")
    def sandbox_refund(self, request: HttpRequest, queryset: QuerySet[Purchase]) -> None:
        self._sandbox(request, queryset, "payment.refunded")

    @admin.action(description="Sandbox: open a dispute (chargeback)")
    def sandbox_dispute_open(self, request: HttpRequest, queryset: QuerySet[Purchase]) -> None:
        self._sandbox(request, queryset, "dispute.opened")

    @admin.action(description="Sandbox: dispute won")
    def sandbox_dispute_won(self, request: HttpRequest, queryset: QuerySet[Purchase]) -> None:
        self._sandbox(request, queryset, "dispute.won")

    @admin.action(description="Sandbox: dispute lost")
    def sandbox_dispute_lost(self, request: HttpRequest, queryset: QuerySet[Purchase]) -> None:
        self._sandbox(request, queryset, "dispute.lost")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_staff)


@admin.register(CoinDebt)
class CoinDebtAdmin(ReadOnlyAdmin):
    list_display = ["user", "coins", "purchase", "created_at", "settled_at", "settled_reason"]
    list_filter = ["settled_at"]
    list_select_related = ["user", "purchase"]
    actions = ["settle"]

    @admin.action(description="Mark selected debts settled (the person paid back)")
    def settle(self, request: HttpRequest, queryset: QuerySet[CoinDebt]) -> None:
        for debt in queryset.filter(settled_at__isnull=True):
            services.debt_settle(debt=debt, staff=request.user, reason="Settled by staff")  # type: ignore[arg-type]
        self.message_user(request, "Debts settled.", messages.SUCCESS)


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    list_display = ["provider", "event_id", "event_type", "purchase", "received_at"]
    list_filter = ["provider", "event_type"]
    search_fields = ["event_id"]


@admin.register(PurchaseReview)
class PurchaseReviewAdmin(ReadOnlyAdmin):
    """The staff review queue of the purchase velocity limits (``wallet.velocity``)."""

    list_display = ["user", "reason", "created_at", "cleared_at", "cleared_by"]
    list_filter = [("cleared_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "cleared_by"]
    search_fields = ["user__email"]
    actions = ["clear"]

    @admin.action(description="Clear: these people may buy again")
    def clear(self, request: HttpRequest, queryset: QuerySet[PurchaseReview]) -> None:
        from .velocity import purchase_review_clear

        for review in queryset.filter(cleared_at__isnull=True):
            purchase_review_clear(review=review, staff=request.user)  # type: ignore[arg-type]
        self.message_user(request, "Reviews cleared.", messages.SUCCESS)


@admin.register(PurchaseReversal)
class PurchaseReversalAdmin(ReadOnlyAdmin):
    """Every refund and dispute step of a purchase, with what it did to the coins."""

    list_display = ["purchase", "kind", "amount_minor", "dispute_ref", "result", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["purchase"]
    search_fields = ["purchase__public_id", "dispute_ref"]
