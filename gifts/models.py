"""Every gifts model, from the package of its concern (Django loads an app's models from here)."""

from .catalog.models import Event, Gift
from .chat.models import ChatMessage
from .live.models import GiftGoal, GoalKind, LiveSession, StreamKey
from .moderation.models import (
    ChatRemoval,
    ChatRestriction,
    ModerationAction,
    ModerationKind,
    Moderator,
    Report,
    ReportReason,
    ReportStatus,
    RoomRules,
)
from .sending.models import CreatorGiftReview, GiftSend, GiftSendStatus
from .shop.models import EffectStyle, Ownership, ShopItem, ShopItemKind
from .subscriptions.models import (
    Subscription,
    SubscriptionPeriod,
    SubscriptionPlan,
    SubscriptionStatus,
    subscription_period_key,
)

__all__ = [
    "ChatMessage",
    "ChatRemoval",
    "ChatRestriction",
    "CreatorGiftReview",
    "EffectStyle",
    "Event",
    "Gift",
    "GiftGoal",
    "GiftSend",
    "GiftSendStatus",
    "GoalKind",
    "LiveSession",
    "ModerationAction",
    "ModerationKind",
    "Moderator",
    "Ownership",
    "Report",
    "ReportReason",
    "ReportStatus",
    "RoomRules",
    "ShopItem",
    "ShopItemKind",
    "StreamKey",
    "Subscription",
    "SubscriptionPeriod",
    "SubscriptionPlan",
    "SubscriptionStatus",
    "subscription_period_key",
]
