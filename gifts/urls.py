from django.urls import path

from . import views

urlpatterns = [
    path("live/start/", views.live_start, name="live_start"),
    path("live/<int:session_id>/", views.live_room, name="live_room"),
    path("live/<int:session_id>/feed.json", views.live_feed, name="live_feed"),
    path("live/<int:session_id>/events", views.live_events, name="live_events"),
    path("live/<int:session_id>/end/", views.live_end, name="live_end"),
    path("gifts/sent/", views.gifts_sent, name="gifts_sent"),
    path("gifts/received/", views.gifts_received, name="gifts_received"),
    path("gifts/<uuid:public_id>/undo/", views.gift_undo, name="gift_undo"),
    path("@<str:handle>/gift/", views.gift_send, name="gift_send"),
]
