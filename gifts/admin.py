from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    ChatMessage,
    Event,
    Gift,
    GiftSend,
    LiveSession,
    Ownership,
    ShopItem,
    Subscription,
    SubscriptionPeriod,
    SubscriptionPlan,
)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_at", "ends_at"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Gift)
class GiftAdmin(admin.ModelAdmin):
    list_display = ["name", "coin_cost", "event", "subscriber_only", "active", "sort_order"]
    list_editable = ["active", "sort_order"]
    list_filter = ["active", "subscriber_only", "event"]
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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of coins spent (each one a ledger transaction's business row): never added, edited or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ShopItem)
class ShopItemAdmin(admin.ModelAdmin):
    """Staff edit the shop: name, artwork, price, active flag, optional event window."""

    list_display = ["name", "kind", "coin_price", "effect_style", "event", "active", "sort_order"]
    list_editable = ["active", "sort_order"]
    list_filter = ["kind", "active", "event"]
    prepopulated_fields = {"slug": ["name"]}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # owned items refer to it: deactivate instead


@admin.register(Ownership)
class OwnershipAdmin(ReadOnlyAdmin):
    list_display = ["acquired_at", "user", "item", "coins", "armed"]
    list_select_related = ["user", "item"]
    search_fields = ["user__email", "item__name"]


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "session", "sender", "text", "sticker", "effect"]
    list_select_related = ["session", "sender", "sticker", "effect"]
    search_fields = ["sender__email", "text"]


@admin.register(SubscriptionPlan)
class SubscriptionPlanAdmin(admin.ModelAdmin):
    list_display = ["creator", "name", "coins_per_month", "active"]
    list_select_related = ["creator"]
    raw_id_fields = ["creator"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["subscriber", "plan", "status", "current_period_end", "next_renewal_at", "lapse_reason"]
    list_filter = ["status"]
    list_select_related = ["subscriber", "plan", "plan__creator"]
    search_fields = ["subscriber__email", "plan__creator__handle"]


@admin.register(SubscriptionPeriod)
class SubscriptionPeriodAdmin(ReadOnlyAdmin):
    list_display = ["subscription", "period_start", "period_end", "coins", "diamonds", "renewal"]
    list_select_related = ["subscription"]
