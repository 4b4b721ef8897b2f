from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Post
from .services import post_hide


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    """Staff read posts and hide them (or show them again): each through ``post_hide``, on the audit log."""

    list_display = ["public_id", "creator", "audience", "created_at", "hidden_at"]
    list_filter = ["audience", ("hidden_at", admin.EmptyFieldListFilter)]
    search_fields = ["public_id", "creator__handle", "text"]
    readonly_fields = [
        "public_id", "creator", "text", "teaser", "image_name", "image_width", "image_height", "video", "audience",
        "min_coins", "window_days", "hidden_at", "hidden_by", "created_at", "edited_at",
    ]  # fmt: skip
    list_select_related = ["creator"]
    actions = ["hide", "show"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Hide selected posts (only their creators see them)")
    def hide(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        for post in queryset:
            post_hide(post=post, by=request.user, hidden=True)  # type: ignore[arg-type]
        self.message_user(request, f"{len(queryset)} post(s) hidden.", messages.SUCCESS)

    @admin.action(description="Show selected posts again")
    def show(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        for post in queryset:
            post_hide(post=post, by=request.user, hidden=False)  # type: ignore[arg-type]
        self.message_user(request, f"{len(queryset)} post(s) shown again.", messages.SUCCESS)
