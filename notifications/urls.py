from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.inbox, name="notifications"),
    path("notifications/read/", views.mark_read, name="notification_read"),
    path("notifications/read-all/", views.mark_all_read, name="notifications_read_all"),
    path("notifications/preferences/", views.preferences, name="notification_preferences"),
]
