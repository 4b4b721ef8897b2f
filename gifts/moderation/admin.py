"""Staff's view of moderation: the report queue (resolve or dismiss with a note, audited) and every creator's
moderation log. Registered by ``gifts.admin``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from coinshop.admin_base import ReadOnlyAdmin

from .models import ModerationAction, Report, ReportStatus
from .reports import report_close


class ReportStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "Open"), ("closed", "Closed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "open":
            return queryset.filter(status=ReportStatus.OPEN)
        if self.value() == "closed":
            return queryset.exclude(status=ReportStatus.OPEN)
        return queryset


class CloseForm(forms.Form):
    note = forms.CharField(
        label="Note (kept with the report and on the audit log)",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write a note: what you found and did."},
    )


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """The report queue. Resolve (action taken) or dismiss a report with a note; each is on the audit log."""

    list_display = ["created_at", "subject", "creator", "reason", "message_text", "reporter", "status", "handled_by"]
    list_filter = [ReportStateFilter, "reason", "status"]
    list_select_related = ["creator", "reporter", "handled_by"]
    search_fields = ["creator__handle", "reporter__email", "message_text", "text"]
    readonly_fields = [
        "created_at",
        "reporter",
        "creator",
        "message",
        "message_text",
        "reason",
        "text",
        "status",
        "handled_by",
        "handled_at",
        "staff_note",
    ]
    actions = ["resolve", "dismiss"]

    @admin.action(description="Resolve: action was taken (with a note, audited)")
    def resolve(self, request: HttpRequest, queryset: QuerySet[Report]) -> HttpResponse | None:
        return self._close(request, queryset, ReportStatus.RESOLVED)

    @admin.action(description="Dismiss: nothing to do (with a note, audited)")
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Report]) -> HttpResponse | None:
        return self._close(request, queryset, ReportStatus.DISMISSED)

    def _close(self, request: HttpRequest, queryset: QuerySet[Report], status: str) -> HttpResponse | None:
        form = CloseForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            closed = sum(
                report_close(report_id=pk, by=request.user, status=status, note=form.cleaned_data["note"])  # type: ignore[arg-type]
                for pk in queryset.order_by("pk").values_list("pk", flat=True)
            )
            skipped = queryset.count() - closed
            text = f"{ReportStatus(status).label}: {closed} report(s)."
            if skipped:
                text += f" {skipped} were already closed and were left as they were."
            self.message_user(request, text, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "gifts/moderation/admin_report_close.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{ReportStatus(status).label}: add a note",
                "opts": self.model._meta,
                "form": form,
                "reports": queryset.select_related("creator"),
                "action": request.POST.get("action", ""),
                "status": ReportStatus(status).label,
            },
        )


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    """Every moderation action in every creator's rooms (the creators see their own on their moderation page)."""

    list_display = ["created_at", "creator", "actor", "kind", "target", "seconds", "detail"]
    list_filter = ["kind"]
    list_select_related = ["creator", "actor", "target"]
    search_fields = ["creator__handle", "actor__email", "target__email"]
    date_hierarchy = "created_at"
