"""Chat reads: the room's chat feed and one message as the page shows it."""

from __future__ import annotations

from django.templatetags.static import static

from ..live.models import LiveSession
from ..sending.levels import gifter_levels_shown
from ..sending.selectors import ANONYMOUS, public_name
from ..subscriptions.selectors import subscribed_exists
from .models import ChatMessage


def chat_feed(*, session: LiveSession, after_id: int = 0, limit: int = 50) -> list[dict[str, object]]:
    """The newest chat messages of a live session (after ``after_id``), oldest first; names by the privacy rules."""
    messages = list(
        ChatMessage.objects.filter(session=session, pk__gt=after_id, removal__isnull=True)  # not deleted
        .select_related("sender", "sender__creator", "sticker", "effect")
        .annotate(sender_subscribed=subscribed_exists(creator_id=session.creator_id, person="sender_id"))
        .order_by("-id")[:limit]
    )[::-1]
    levels = gifter_levels_shown(people={m.sender for m in messages})  # one query at most, for the whole feed
    return [
        chat_feed_item(message=m, subscribed=m.sender_subscribed, level=levels.get(m.sender_id, 0))  # type: ignore[attr-defined]
        for m in messages
    ]


def chat_feed_item(*, message: ChatMessage, subscribed: bool, level: int = 0) -> dict[str, object]:
    """One chat message as the live room shows it (the feed and the pushed event alike); ``level``: the sender's
    gifter level others may see (``gifts.sending.levels``)."""
    name = public_name(sender=message.sender, anonymous=False)
    return {
        "id": message.pk,
        "name": name,
        "subscriber": name != ANONYMOUS and subscribed,
        "level": level if name != ANONYMOUS else 0,
        "text": message.text,
        "sticker": (
            {"name": message.sticker.name, "artwork": static(message.sticker.artwork)}
            if message.sticker is not None
            else None
        ),
        "effect": message.effect.effect_class if message.effect is not None else "",
        "at": message.created_at.isoformat(),
    }
