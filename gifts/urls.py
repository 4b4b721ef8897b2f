from django.urls import path

from .chat import views as chat_views
from .live import room_views
from .live import views as live_views
from .moderation import report_views
from .moderation import views as moderation_views
from .sending import views as sending_views
from .shop import views as shop_views
from .subscriptions import views as subscription_views

urlpatterns = [
    path("live/start/", room_views.live_start, name="live_start"),
    path("live/setup/", live_views.stream_setup, name="stream_setup"),
    path("live/ingest/publish", live_views.ingest_publish, name="ingest_publish"),
    path("overlay/<token:token>/", live_views.overlay, name="overlay"),
    path("overlay/<token:token>/state.json", live_views.overlay_state, name="overlay_state"),
    path("live/ingest/publish-done", live_views.ingest_publish_done, name="ingest_publish_done"),
    path("live/<int:session_id>/", room_views.live_room, name="live_room"),
    path("live/<int:session_id>/feed.json", room_views.live_feed, name="live_feed"),
    path("live/<int:session_id>/events", room_views.live_events, name="live_events"),
    path("live/<int:session_id>/end/", room_views.live_end, name="live_end"),
    path("live/<int:session_id>/chat/", chat_views.chat_post, name="chat_post"),
    path("live/<int:session_id>/moderate/", moderation_views.room_moderate, name="chat_moderate"),
    path("moderation/", moderation_views.moderation_home, name="moderation_home"),
    path("report/chat/<int:message_id>/", report_views.report_message, name="report_message"),
    path("gifts/sent/", sending_views.gifts_sent, name="gifts_sent"),
    path("gifts/received/", sending_views.gifts_received, name="gifts_received"),
    path("gifts/<uuid:public_id>/undo/", sending_views.gift_undo, name="gift_undo"),
    path("shop/", shop_views.shop_page, name="shop"),
    path("shop/buy/", shop_views.shop_buy, name="shop_buy"),
    path("inventory/", shop_views.inventory, name="inventory"),
    path("inventory/effect/", shop_views.effect_arm, name="effect_arm"),
    path("subscriptions/", subscription_views.subscription_list, name="subscriptions"),
    path("subscriptions/plan/", subscription_views.subscription_plan, name="subscription_plan"),
    path(
        "subscriptions/<int:subscription_id>/price/", subscription_views.subscription_price, name="subscription_price"
    ),
    path("@<handle:handle>/gift/", sending_views.gift_send, name="gift_send"),
    path("@<handle:handle>/moderation/", moderation_views.moderation_page, name="moderation_page"),
    path("@<handle:handle>/report/", report_views.report_creator, name="report_creator"),
    path("@<handle:handle>/subscribe/", subscription_views.subscribe, name="subscribe"),
    path("@<handle:handle>/subscription/cancel/", subscription_views.subscription_cancel, name="subscription_cancel"),
    path("@<handle:handle>/subscription/resume/", subscription_views.subscription_resume, name="subscription_resume"),
]
