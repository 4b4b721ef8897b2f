from django.contrib import admin

from .models import Follow, ThankYou


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("created_at", "follower", "creator")
    raw_id_fields = ("follower", "creator")


@admin.register(ThankYou)
class ThankYouAdmin(admin.ModelAdmin):
    list_display = ("created_at", "creator", "recipient", "live_session", "video", "anonymous")
    raw_id_fields = ("creator", "recipient", "live_session", "video")
    readonly_fields = ("creator", "recipient", "live_session", "video", "anonymous", "note", "created_at")
