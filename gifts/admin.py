from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from coinshop.admin_base import ReadOnlyAdmin

from .models import (
    ChatMessage,
    CreatorGiftReview,
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
from .moderation import admin as moderation_admin  # noqa: F401  (registers the report queue and the moderation log)


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
class GiftSendAdmin(ReadOnlyAdmin):
    """Read-only: a gift is a ledger transaction; it is never edited."""

    list_display = ["created_at", "sender", "creator", "gift", "quantity", "coins", "visibility", "status", "flagged"]
    list_filter = ["status", "visibility", "flagged"]
    list_select_related = ["sender", "creator", "gift"]
    search_fields = ["sender__email", "creator__handle"]


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

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A price change goes through ``subscription_plan_set`` (the creator's plan page): subscribers agree to raises.
        return ["coins_per_month"] if obj is not None else []

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


class ReviewOpenFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "To review"), ("no", "Cleared")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        from django.db.models import F, Q

        cleared = Q(cleared_at__isnull=False, cleared_at__gte=F("listed_at"))
        if self.value() == "yes":
            return queryset.exclude(cleared)
        if self.value() == "no":
            return queryset.filter(cleared)
        return queryset


@admin.register(CreatorGiftReview)
class CreatorGiftReviewAdmin(ReadOnlyAdmin):
    """The staff review list: creators whom new accounts gifted faster than the velocity limits allow."""

    list_display = ["creator", "reason", "listed_at", "cleared_at", "cleared_by"]
    list_filter = [ReviewOpenFilter]
    list_select_related = ["creator", "cleared_by"]
    search_fields = ["creator__handle"]
    actions = ["clear_reviews"]

    @admin.action(description="Clear: reviewed, gifts from new accounts may go on (audited)")
    def clear_reviews(self, request: HttpRequest, queryset: QuerySet[CreatorGiftReview]) -> None:
        from .sending.velocity import creator_gift_review_clear

        now = timezone.now()
        for review in queryset.order_by("pk"):
            creator_gift_review_clear(review=review, by=request.user, now=now)  # type: ignore[arg-type]
        messages.success(request, f"Cleared {queryset.count()} creator(s).")
