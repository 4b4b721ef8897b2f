from django.contrib import admin

from .models import Notification, NotificationEmail


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "text", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("user",)
    readonly_fields = ("user", "kind", "text", "link", "dedupe_key", "created_at", "read_at")

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(NotificationEmail)
class NotificationEmailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "subject", "sent_at")
    list_filter = ("kind",)
    raw_id_fields = ("user",)
    readonly_fields = ("user", "kind", "subject", "body", "link", "dedupe_key", "created_at", "sent_at")

    def has_add_permission(self, request: object) -> bool:
        return False
