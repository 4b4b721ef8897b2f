from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Event, Gift, GiftSend, LiveSession


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_at", "ends_at"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Gift)
class GiftAdmin(admin.ModelAdmin):
    list_display = ["name", "coin_cost", "event", "active", "sort_order"]
    list_editable = ["active", "sort_order"]
    list_filter = ["active", "event"]
    prepopulated_fields = {"slug": ["name"]}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # sent gifts refer to it: deactivate instead


@admin.register(LiveSession)
class LiveSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "creator", "started_at", "ended_at"]
    list_select_related = ["creator"]
    raw_id_fields = ["creator"]


@admin.register(GiftSend)
class GiftSendAdmin(admin.ModelAdmin):
    """Read-only: a gift is a ledger transaction; it is never edited."""

    list_display = ["created_at", "sender", "creator", "gift", "quantity", "coins", "visibility", "status"]
    list_filter = ["status", "visibility"]
    list_select_related = ["sender", "creator", "gift"]
    search_fields = ["sender__email", "creator__handle"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
