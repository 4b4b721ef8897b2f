"""Live-room chat writes: a message with an optional sticker (owned) and the sender's armed effect.

Delivered like gifts: the row is the truth, and on commit the message itself is pushed to the room
(``gifts.live.events``); the live room's feed carries the chat too. Each person may send ``CHAT_RATE_MESSAGES``
messages per ``CHAT_RATE_SECONDS``, counted in Django's cache (Redis in production: every web process shares it).
The creator's moderation (``gifts.moderation``: bans, timeouts, blocked words, slow mode) is checked first, in one
query."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from wallet.spending import spend_check

from ..live.events import live_chat_published
from ..live.models import LiveSession
from ..moderation.selectors import BLOCKED_WORD_REFUSAL, chat_standing_get
from ..moderation.services import slow_mode_wait
from ..shop.models import ShopItem
from ..shop.selectors import effect_armed_get
from ..shop.services import shop_effect_consume, sticker_owned_check
from .models import ChatMessage


class ChatRefused(ValidationError):
    """A chat message that may not be sent, with the reason in words. Nothing was written."""


def _rate_key(user_id: int) -> str:
    return f"chat-rate:{user_id}"


def chat_rate_take(*, user_id: int) -> bool:
    """Count one message against the person's window; False when the window is already full."""
    key = _rate_key(user_id)
    cache.add(key, 0, timeout=settings.CHAT_RATE_SECONDS)  # starts the window (a no-op when it runs)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between the two calls: this message opens the next one
        cache.add(key, 1, timeout=settings.CHAT_RATE_SECONDS)
        count = 1
    return count <= settings.CHAT_RATE_MESSAGES


def chat_message_post(
    *,
    sender: User,
    session: LiveSession,
    text: str,
    sticker: ShopItem | None = None,
    now: datetime | None = None,
) -> ChatMessage:
    """Post a chat message in a live room. The sender's armed effect, if any, is applied to it (once)."""
    now = now or timezone.now()
    if not sender.is_authenticated:
        raise ChatRefused("Log in to chat.")
    if not session.is_live:
        raise ChatRefused("This live stream has ended, so its chat is closed.")
    standing = chat_standing_get(creator_id=session.creator_id, user=sender)  # bans, timeouts, room rules: one query
    notice = standing.notice(now)
    if notice is not None:
        raise ChatRefused(notice[0], code=notice[1])
    armed = effect_armed_get(user=sender)
    if armed is not None:
        spend_check(user=sender)  # an effect is coins spent: the spending rule says whether it may be used
    if sender.is_frozen:
        raise ChatRefused("Your account is restricted, so you cannot chat. Contact support.")
    text = " ".join(text.split())
    if not text and sticker is None:
        raise ChatRefused("Write a message or pick a sticker.")
    limit = settings.CHAT_MAX_LENGTH
    if len(text) > limit:
        raise ChatRefused(f"Messages can be at most {limit} characters; yours has {len(text)}.", code="too_long")
    if standing.blocked(text):
        raise ChatRefused(BLOCKED_WORD_REFUSAL, code="blocked_word")
    if sticker is not None:
        sticker_owned_check(user=sender, sticker=sticker)
    wait = slow_mode_wait(standing=standing, creator_id=session.creator_id, user_id=sender.pk, now=now)
    if wait:
        raise ChatRefused(
            f"Slow mode is on: one message every {standing.slow_mode_seconds} seconds. Wait {wait} s.",
            code="slow_mode",
        )
    if not chat_rate_take(user_id=sender.pk):
        raise ChatRefused(
            f"You are sending messages too fast: at most {settings.CHAT_RATE_MESSAGES} every "
            f"{settings.CHAT_RATE_SECONDS} seconds. Wait a moment and try again.",
            code="rate_limited",
        )
    with transaction.atomic():
        effect = shop_effect_consume(user=sender, item=armed)
        message = ChatMessage.objects.create(
            session=session, sender=sender, text=text, sticker=sticker, effect=effect, created_at=now
        )
    transaction.on_commit(lambda: live_chat_published(message=message))
    return message
