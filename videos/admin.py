from django.contrib import admin

from .models import Video, VideoGift


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ["title", "creator", "audience", "status", "duration_seconds", "size_bytes", "created_at"]
    list_filter = ["status", "audience"]
    search_fields = ["title", "creator__handle", "public_id"]
    readonly_fields = [
        "public_id", "creator", "status", "failure_reason", "uploaded_filename", "original_name", "web_name",
        "poster_name", "duration_seconds", "width", "height", "size_bytes", "processing_started_at", "processed_at",
        "created_at",
    ]  # fmt: skip
    list_select_related = ["creator"]


@admin.register(VideoGift)
class VideoGiftAdmin(admin.ModelAdmin):
    list_display = ["video", "gift_send", "created_at"]
    readonly_fields = ["video", "gift_send", "created_at"]
    list_select_related = ["video", "gift_send"]

    def has_add_permission(self, request: object) -> bool:
        return False
