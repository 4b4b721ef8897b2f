from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from coinshop.admin_base import ReadOnlyAdmin

from .models import AuditLog, CreatorProfile, User
from .services import user_frozen_set


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["id"]
    list_display = ["email", "is_staff", "is_frozen", "date_joined", "deleted_at"]
    list_filter = ["is_staff", "is_frozen", "is_active"]
    search_fields = ["email"]
    readonly_fields = ["deleted_at", "last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("date_of_birth", "default_gift_visibility", "show_on_leaderboards")}),
        ("Status", {"fields": ("is_active", "is_frozen", "deleted_at")}),
        ("Permissions", {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["freeze", "unfreeze"]

    @admin.action(description="Freeze selected accounts (no buying, gifting or payouts)")
    def freeze(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = user_frozen_set(staff=request.user, users=queryset, frozen=True)  # type: ignore[arg-type]
        self.message_user(request, f"{count} account(s) frozen.", messages.SUCCESS)

    @admin.action(description="Unfreeze selected accounts")
    def unfreeze(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = user_frozen_set(staff=request.user, users=queryset, frozen=False)  # type: ignore[arg-type]
        self.message_user(request, f"{count} account(s) unfrozen.", messages.SUCCESS)


@admin.register(CreatorProfile)
class CreatorProfileAdmin(admin.ModelAdmin):
    list_display = ["handle", "display_name", "user", "accepts_gifts", "created_at"]
    search_fields = ["handle", "display_name", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """The staff audit log, read-only: rows are written by the actions themselves, never here."""

    list_display = ["created_at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action"]
    search_fields = ["object_id", "actor__email"]
    list_select_related = ["actor"]
    readonly_fields = ["created_at", "actor", "action", "object_type", "object_id", "details"]
